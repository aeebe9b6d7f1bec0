"""Fast, independent checks of H2SEA's feature equations and metrics (issue 10 item 4).

Hand-computed cases and plain re-implementations: Eq 2's POI ratio, the price statistics and
their two fallbacks (Sec 3.1-3.2), the statistics fallbacks (Sec 3.3-3.4), and the Sec 5.1
metrics (macro-F1, G-Mean, accuracy, AUC). ``make mutate`` runs them against the mutants of
these functions (``tests/benchmarks/mutation.py h2sea``).
"""

import numpy as np
import pandas as pd
import pytest

from homelib.geo import haversine_km
from homelib.h2sea.features import (
    FALLBACK_KM,
    RADIUS_KM,
    poi_features,
    price_features,
    statistics_features,
    stats_of_prices,
)
from homelib.h2sea.sources import POI_CATEGORIES, YEARS
from homelib.metrics import accuracy, auc, classification_report, gmean, macro_f1

CODES = POI_CATEGORIES.code.tolist()


def test_paper_radii():
    assert RADIUS_KM == 2.0 and FALLBACK_KM == 10.0


def test_stats_of_prices_by_hand():
    t = stats_of_prices([[1.0, 2.0, 6.0], [], [4.0]])
    assert list(t.columns) == ["count", "mean", "median", "max", "min", "std"]
    np.testing.assert_allclose(t.iloc[0], [3, 3, 2, 6, 1, np.std([1, 2, 6])])
    assert t.iloc[1, 0] == 0 and t.iloc[1, 1:].isna().all()
    np.testing.assert_allclose(t.iloc[2], [1, 4, 4, 4, 4, 0])


def test_price_features_radius_and_fallbacks_by_distance():
    # listings on the equator at 1.9, 2.1 and 9.9 km east of home 0; home 1 is 12.9 km from the
    # nearest, home 2 1.9 km from the third, home 3 within 2 km of the first two
    km = 111.195  # km per degree of longitude at the equator
    lst = pd.DataFrame({"lat": 0.0, "lon": [1.9 / km, 2.1 / km, 9.9 / km],
                        "price": [10.0, 30.0, 50.0]})
    homes_lon = np.array([0.0, -11.0 / km, 8.0 / km, 3.6 / km])
    homes_lat = np.zeros(4)
    f = price_features(homes_lat, homes_lon, ["A", "B", "A", "B"], lst,
                       pd.Series({"A": 99.0, "B": 77.0}), "hp")
    assert f.hp_count.tolist() == [1.0, 0.0, 1.0, 2.0]
    assert f.hp_mean.tolist() == [10.0, 77.0, 50.0, 20.0]
    assert f.hp_fill_nearest.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert f.hp_fill_city.tolist() == [0.0, 1.0, 0.0, 0.0]
    # nearest listing within 10 km (inclusive) fills every statistic but the count and std
    g = price_features([0.0], [-8.0 / km], ["A"], lst, pd.Series({"A": 99.0}), "rp")
    assert g[["rp_count", "rp_mean", "rp_median", "rp_max", "rp_min", "rp_std",
              "rp_fill_nearest", "rp_fill_city"]].iloc[0].tolist() == [0, 10, 10, 10, 10, 0, 1, 0]
    d = haversine_km(0.0, -8.0 / km, 0.0, 1.9 / km)
    h = price_features([0.0], [-8.0 / km], ["A"], lst, pd.Series({"A": 99.0}), "rp",
                       fallback_km=float(d) - 1e-6)
    assert h[["rp_mean", "rp_max", "rp_fill_nearest", "rp_fill_city"]].iloc[0].tolist() == [99, 99, 0, 1]
    k = price_features([0.0], [-8.0 / km], ["A"], lst, pd.Series({"A": 99.0}), "rp", radius_km=10.5)
    assert k.rp_count.iloc[0] == 2 and k.rp_mean.iloc[0] == 20.0 and k.rp_std.iloc[0] == 10.0
    with pytest.raises(KeyError, match="no published average for city 'C'"):
        price_features([0.0], [-30.0 / km], ["C"], lst, pd.Series({"A": 99.0}), "hp")
    empty = price_features([0.0], [0.0], ["A"], lst.iloc[:0], pd.Series({"A": 5.0}), "hp")
    assert empty[["hp_count", "hp_mean", "hp_std", "hp_fill_nearest", "hp_fill_city"]].iloc[0].tolist() == [
        0, 5, 0, 0, 1]


def dense_poi(lat, lon, pois, r):
    """Eq 2 loop by loop: of_j / OF_j with of_j the home's share, OF_j the collected share."""
    counts = np.zeros((len(lat), len(CODES)))
    for h in range(len(lat)):
        for _, p in pois.iterrows():
            if haversine_km(lat[h], lon[h], p.lat, p.lon) <= r:
                counts[h, CODES.index(p.category)] += 1
    of = np.array([c / c.sum() if c.sum() else np.zeros_like(c) for c in counts])
    OF = counts.sum(axis=0) / counts.sum()
    return np.where(OF > 0, of / np.where(OF > 0, OF, 1), 0.0), counts.sum(axis=1)


def test_poi_ratio_eq2_matches_a_loop():
    rng = np.random.default_rng(0)
    n = 60
    pois = pd.DataFrame({"lat": rng.uniform(0, 0.05, n), "lon": rng.uniform(0, 0.05, n),
                         "category": rng.choice(CODES[:6], n)})
    lat, lon = rng.uniform(0, 0.05, 8), rng.uniform(0, 0.05, 8)
    lat[-1], lon[-1] = 5.0, 5.0  # no POI around
    f = poi_features(lat, lon, pois)
    ratio, count = dense_poi(lat, lon, pois, RADIUS_KM)
    np.testing.assert_allclose(f[[f"poi_{c}" for c in CODES]].to_numpy(), ratio, atol=1e-12)
    np.testing.assert_allclose(f.poi_count, count)
    assert count[-1] == 0 and (f.iloc[-1] == 0).all()
    f3 = poi_features(lat, lon, pois, radius_km=3.0)
    np.testing.assert_allclose(f3[[f"poi_{c}" for c in CODES]].to_numpy(),
                               dense_poi(lat, lon, pois, 3.0)[0], atol=1e-12)
    with pytest.raises(KeyError, match="unknown category code 'nope'"):
        poi_features(lat, lon, pois.assign(category="nope"))
    none = poi_features([0.0], [0.0], pois.iloc[:0])
    assert (none.to_numpy() == 0).all()


def test_statistics_fallbacks_by_hand():
    homes = pd.DataFrame({"city": ["A", "A", "A", "B"], "county": ["a1", "a2", "a3", "b1"],
                          "town": ["t1", "t2", "t3", "u1"]})
    ci = pd.concat([
        pd.DataFrame({"city": "A", "county": "a1", "year": list(YEARS), "income": 100.0}),
        pd.DataFrame({"city": "A", "county": "a2", "year": list(YEARS), "income": 300.0}),
        pd.DataFrame({"city": "C", "county": "c1", "year": list(YEARS), "income": 50.0}),
    ])
    ci.loc[(ci.county == "a2") & (ci.year == YEARS[0]), "income"] = np.nan
    ts = pd.concat([
        pd.DataFrame({"city": "A", "county": "a1", "town": "t1", "year": list(YEARS), "budget": 1.0,
                      "tax": 10.0}),
        pd.DataFrame({"city": "A", "county": "a2", "town": "t2", "year": list(YEARS), "budget": 3.0,
                      "tax": 20.0}),
        pd.DataFrame({"city": "A", "county": "a1", "town": "t9", "year": list(YEARS), "budget": 8.0,
                      "tax": 90.0}),
        pd.DataFrame({"city": "C", "county": "c1", "town": "v1", "year": list(YEARS), "budget": 2.0,
                      "tax": np.nan}),
    ])
    f = statistics_features(homes, ci, ts)
    y0, y1 = YEARS[0], YEARS[-1]
    # own county; a2's missing first year from A's average (100 only that year); a3 = A's mean;
    # b1: no county of B published -> mean over all counties
    assert f[f"county_income_{y1}"].tolist() == [100.0, 300.0, 200.0, (100 + 300 + 50) / 3]
    assert f[f"county_income_{y0}"].tolist() == [100.0, 100.0, 100.0, (100 + 50) / 2]
    assert f.county_income_fill_city.tolist() == [0.0, 0.0, 1.0, 1.0]
    # towns: own; t3 = median of A's towns (1, 3, 8 -> 3); u1 = median of all towns (1, 2, 3, 8)
    assert f[f"town_budget_{y1}"].tolist() == [1.0, 3.0, 3.0, 2.5]
    assert f.town_budget_missing.tolist() == [0.0, 0.0, 1.0, 1.0]
    assert f[f"town_tax_{y1}"].tolist() == [10.0, 20.0, 20.0, 20.0]
    assert f.town_tax_missing.tolist() == [0.0, 0.0, 1.0, 1.0]
    assert len([c for c in f if c.startswith("county_income_2")]) == len(YEARS)


def test_metrics_by_hand():
    y = [0, 0, 0, 1, 1, 2]
    p = [0, 0, 1, 1, 2, 2]
    # per class F1: 0: P=1 R=2/3 -> 0.8; 1: P=1/2 R=1/2 -> 0.5; 2: P=1/2 R=1 -> 2/3
    assert macro_f1(y, p) == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert macro_f1([0, 0], [0, 0]) == pytest.approx(1 / 3)  # absent classes count 0
    assert macro_f1([0, 3], [0, 3], n_classes=4) == pytest.approx(2 / 4)
    assert gmean(y, p) == pytest.approx((2 / 3 * 1 / 2 * 1) ** (1 / 3))
    assert gmean([0, 1, 1], [0, 1, 1]) == 0.0  # class 2 never seen: recall 0
    assert gmean([0, 1, 1], [0, 1, 1], n_classes=2) == 1.0
    # "macro": imbalanced-learn computes sqrt(mean sensitivity * mean specificity), not the mean
    # of the per-class sqrt(sensitivity * specificity) that gmean's docstring describes
    sens = np.array([2 / 3, 1 / 2, 1])
    spec = np.array([1.0, 3 / 4, 4 / 5])
    assert gmean(y, p, average="macro") == pytest.approx(np.sqrt(sens.mean() * spec.mean()))
    assert accuracy(y, p) == pytest.approx(4 / 6)
    proba = np.array([[.7, .2, .1], [.5, .4, .1], [.3, .6, .1], [.1, .8, .1], [.2, .3, .5],
                      [.1, .1, .8]])
    # one-vs-rest AUC per class, by counting ordered pairs
    def pair_auc(s, pos):
        a, b = s[pos], s[~pos]
        return np.mean([(x > z) + 0.5 * (x == z) for x in a for z in b])
    yy = np.array(y)
    ref = np.mean([pair_auc(proba[:, c], yy == c) for c in range(3)])
    assert auc(y, proba) == pytest.approx(ref)
    assert auc(y, proba * 3) == pytest.approx(ref)  # rows are normalised first
    assert np.isnan(auc([0, 0, 1], proba[:3]))
    with pytest.raises(ValueError, match="proba must have shape \\(n, n_classes\\) with n=6"):
        auc(y, proba[:5])
    with pytest.raises(ValueError, match="proba must have shape"):
        auc(y, proba[:, 0])
    rep = classification_report(y, proba)
    pred = proba.argmax(axis=1)
    assert rep["f1"] == pytest.approx(macro_f1(y, pred)) and rep["accuracy"] == pytest.approx(
        accuracy(y, pred))
    assert rep["gmean"] == pytest.approx(gmean(y, pred))
    assert rep["gmean_macro"] == pytest.approx(gmean(y, pred, average="macro"))
    assert rep["auc"] == pytest.approx(ref)


# --------------------------------------------------------------------------- survivors of the sampled run (mut3)


def test_eq10_weights_give_an_absent_last_class_weight_zero():
    from homelib.h2sea.models import paper_class_weights

    # counts 4, 1, 0: sum of square roots 2 + 1 = 3 -> 3 / 2, 3 / 1, and 0 for the absent class
    assert paper_class_weights([0, 0, 0, 0, 1], 3).tolist() == [1.5, 3.0, 0.0]


def test_stats_of_integer_prices_are_float():
    t = stats_of_prices([[1, 2], [5]])
    assert (t.dtypes == np.float64).all(), t.dtypes.to_dict()
    assert t["max"].tolist() == [2.0, 5.0] and t["min"].tolist() == [1.0, 5.0]


def test_feature_errors_name_the_table():
    lst = pd.DataFrame({"lat": [np.nan], "lon": [0.0], "price": [1.0]})
    with pytest.raises(ValueError, match=r"^listings: latitude nan at position 0"):
        price_features([0.0], [0.0], ["A"], lst, pd.Series({"A": 1.0}), "hp")
    pois = pd.DataFrame({"lat": [np.nan], "lon": [0.0], "category": [CODES[0]]})
    with pytest.raises(ValueError, match=r"^pois: latitude nan at position 0"):
        poi_features([0.0], [0.0], pois)


def test_poi_features_edge_cases_by_hand():
    # one POI collected once: OF = 1 / 1, so the ratio is 1 for its category
    pois = pd.DataFrame({"lat": [0.0, 3.0], "lon": [0.0, 3.0], "category": [CODES[0], CODES[1]]})
    f = poi_features([0.0, 1.0], [0.0, 1.0], pois)  # the second home has no POI within 2 km
    assert f[f"poi_{CODES[0]}"].tolist() == [1.0, 0.0] and f.poi_count.tolist() == [1.0, 0.0]
    assert (f.drop(columns=[f"poi_{CODES[0]}", "poi_count"]).to_numpy() == 0).all()
