"""Tests of the H2SEA feature table (homelib.h2sea.features), on hand-checkable toy cases."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from homelib.h2sea import features, sources
from homelib.h2sea import simulated as h2sea_sim
from homelib.h2sea.collection import simulate_sources
from homelib.h2sea.sources import POI_CATEGORIES
from homelib.h2sea.world import SurveyConfig, simulate_survey

KM = 1 / 111.2  # degrees of latitude per km


@pytest.fixture(scope="module")
def tiny():
    w = simulate_survey(SurveyConfig(provinces=("Zhejiang",), years=(2015,),
                                     households_per_village=3), seed=5)
    s = simulate_sources(w, seed=5)
    return w, s, h2sea_sim.dataset_from_world(w, s)


def test_stats_of_prices_hand_case():
    s = features.stats_of_prices([[1.0, 2.0, 6.0]]).iloc[0]
    assert s.tolist() == [3.0, 3.0, 2.0, 6.0, 1.0, pytest.approx(np.std([1, 2, 6]))]


def test_price_features_three_rules():
    listings = pd.DataFrame({"lat": [0.0, 1 * KM, 20 * KM], "lon": [0.0, 0.0, 0.0],
                             "price": [100.0, 300.0, 50.0]})
    homes_lat = np.array([0.0, 15 * KM, 60 * KM])  # within 2 km of two; 5 km from one; none in 10
    f = features.price_features(homes_lat, np.zeros(3), ["A", "A", "A"], listings,
                         pd.Series({"A": 999.0}), "hp")
    # home 0: 2 listings within 2 km
    assert f.loc[0, ["hp_count", "hp_mean", "hp_median", "hp_max", "hp_min", "hp_std"]].tolist() \
        == [2.0, 200.0, 200.0, 300.0, 100.0, 100.0]
    # home 1: nearest (50 at 5 km) fills every price statistic; the count stays 0
    assert f.loc[1, ["hp_count", "hp_mean", "hp_min", "hp_std", "hp_fill_nearest",
                     "hp_fill_city"]].tolist() == [0.0, 50.0, 50.0, 0.0, 1.0, 0.0]
    # home 2: city average
    assert f.loc[2, ["hp_mean", "hp_fill_nearest", "hp_fill_city"]].tolist() == [999.0, 0.0, 1.0]


def test_price_features_exactly_at_the_radius_edges():
    listings = pd.DataFrame({"lat": [9.99 * KM], "lon": [0.0], "price": [7.0]})
    f = features.price_features([0.0], [0.0], ["A"], listings, pd.Series({"A": 1.0}), "rp")
    assert f.rp_fill_nearest.iloc[0] == 1.0 and f.rp_mean.iloc[0] == 7.0


def test_price_features_unknown_city_raises():
    with pytest.raises(KeyError, match="no published average for city 'B'"):
        features.price_features([0.0], [0.0], ["B"], pd.DataFrame({"lat": [], "lon": [], "price": []}),
                         pd.Series({"A": 1.0}), "hp")


def test_statistics_fallbacks():
    homes = pd.DataFrame({"city": ["A", "A", "B"], "county": ["a1", "a2", "b1"],
                          "town": ["t", "u", "v"]})
    years = list(sources.YEARS)
    ci = pd.concat([pd.DataFrame({"city": "A", "county": "a1", "year": years, "income": 100.0}),
                    pd.DataFrame({"city": "A", "county": "a3", "year": years, "income": 200.0}),
                    pd.DataFrame({"city": "C", "county": "c1", "year": years, "income": 600.0})])
    ts = pd.DataFrame({"city": "A", "county": "a1", "town": "t", "year": years,
                       "budget": [1.0, 2, 3, 4, 5, 60], "tax": np.nan})
    f = features.statistics_features(homes, ci, ts)
    assert f.county_income_2012.tolist() == [100.0, 150.0, 300.0]  # own, city mean, all mean
    assert f.county_income_fill_city.tolist() == [0.0, 1.0, 1.0]
    assert f.town_budget_2017.tolist() == [60.0, 60.0, 60.0]  # own; city median; overall median
    assert f.town_budget_missing.tolist() == [0.0, 1.0, 1.0]
    assert f.town_tax_missing.tolist() == [1.0, 1.0, 1.0]
    assert not f.isna().any().any()


def test_poi_ratio_eq2_by_hand():
    codes = POI_CATEGORIES.code
    a, b = codes.iloc[0], codes.iloc[1]
    pois = pd.DataFrame({"lat": [0.0, 0.0, 0.0, 0.0, 1.0], "lon": [0.0] * 4 + [1.0],
                         "category": [a, a, a, b, b]})
    f = features.poi_features([0.0, 1.0, 5.0], [0.0, 1.0, 5.0], pois)
    # overall: a 3/5, b 2/5; home 0: a 3/4, b 1/4; home 1: b only
    assert f.loc[0, f"poi_{a}"] == pytest.approx((3 / 4) / (3 / 5))
    assert f.loc[0, f"poi_{b}"] == pytest.approx((1 / 4) / (2 / 5))
    assert f.loc[1, f"poi_{b}"] == pytest.approx(1 / (2 / 5))
    assert f.loc[2].sum() == 0.0  # no POI: zeros, count 0
    assert f.shape[1] == 115


def test_poi_unknown_code_raises():
    with pytest.raises(KeyError, match="unknown category"):
        features.poi_features([0.0], [0.0], pd.DataFrame({"lat": [0.0], "lon": [0.0],
                                                   "category": ["x/y"]}))


def test_categorical_names_are_qualified():
    h = pd.DataFrame({"zip_code": ["050000", "075000"], "province": ["Hebei"] * 2,
                      "city": ["石家庄市", "张家口市"], "county": ["桥东区", "桥东区"],
                      "town": ["t", "t"], "street": ["s", "s"], "urban_type": ["rural"] * 2})
    c = features.categorical_features(h)
    assert c.county.nunique() == 2 and c.street.nunique() == 2
    assert all(str(c[k].dtype) == "category" for k in c)


def test_dataset_contract(tiny):
    w, s, ds = tiny
    X = ds.X
    assert X.index.name == "person_id" and X.index.equals(ds.y.index)
    cont = [c for c in X if c not in features.CATEGORICAL]
    assert not X[cont].isna().any().any()
    assert all(X[c].dtype == float for c in cont)
    assert all(str(X[c].dtype) == "category" for c in features.CATEGORICAL)
    assert list(ds.y.columns) == list(features.TASKS) and all(str(d) == "Int64" for d in ds.y.dtypes)
    assert list(ds.schema.column) == list(X.columns)
    assert set(ds.schema.kind) == {"continuous", "categorical"}
    for fam, cols in ds.families.items():
        assert cols and set(cols) <= set(X.columns), fam
    for c in ("own_home_price", "housing_type", "commercial", "exact_income", "is_city",
              "has_sale_price_2km", "survey_year"):
        assert c in ds.meta


def test_features_never_read_a_persons_own_attributes(tiny):
    w, s, ds = tiny
    for forbidden in ("own_home_price", "personal_income", "z", "housing_type"):
        assert forbidden not in s.homes.columns
    # shuffle the people's attributes, own prices and housing: the features stay the same
    rng = np.random.default_rng(0)
    p = w.people.copy()
    cols = ["personal_income", "family_income", "education", "occupation", "z",
            "own_home_price", "housing_type", "income_monthly"]
    p[cols] = p[cols].iloc[rng.permutation(len(p))].to_numpy()
    ds2 = h2sea_sim.dataset_from_world(dataclasses.replace(w, people=p), s)
    pd.testing.assert_frame_equal(ds.X, ds2.X)
    assert not ds.meta.own_home_price.equals(ds2.meta.own_home_price)


def test_h2sea_dataset_is_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMELIB_ROOT", str(tmp_path))
    kw = dict(provinces=["Zhejiang"], years=[2015])
    a = h2sea_sim.h2sea_dataset(scale=0.05, seed=2, **kw)
    assert list((tmp_path / "data" / "cache").glob("h2sea_dataset-*.pkl"))
    b = h2sea_sim.h2sea_dataset(scale=0.05, seed=2, **kw)
    pd.testing.assert_frame_equal(a.X, b.X)
    with pytest.raises(KeyError, match="unknown world parameter"):
        h2sea_sim.h2sea_dataset(scale=0.05, seed=2, sortin_strength=1.0)
    with pytest.raises(ValueError, match="scale"):
        h2sea_sim.h2sea_dataset(scale=0.0)


def test_feature_columns_match_the_built_table(tiny):
    _, _, ds = tiny
    assert list(ds.X.columns) == features.feature_columns()


def test_load_feature_table_round_trip_and_errors(tiny, tmp_path):
    _, _, ds = tiny
    path = tmp_path / "X.csv"
    ds.X.reset_index().to_csv(path, index=False)
    X, bad = features.load_feature_table(path)
    assert len(bad) == 0 and X.shape == ds.X.shape
    np.testing.assert_allclose(X.hp_mean.to_numpy(), ds.X.hp_mean.to_numpy())
    raw = ds.X.reset_index().astype({c: object for c in features.CATEGORICAL})
    with pytest.raises(ValueError, match=r"missing column\(s\) \['poi_count'\]"):
        features.load_feature_table(raw.drop(columns="poi_count"))
    dup = raw.copy()
    dup.loc[1, "person_id"] = dup.loc[0, "person_id"]
    with pytest.raises(ValueError, match=r"column 'person_id', row 1, .*duplicate"):
        features.load_feature_table(dup)
    odd = raw.copy()
    odd.loc[2, "urban_type"] = "suburb"
    odd.loc[3, "hp_fill_city"] = 2.0
    with pytest.raises(ValueError, match=r"column 'hp_fill_city', row 3, value 2.0"):
        features.load_feature_table(odd)
    X2, bad2 = features.load_feature_table(odd, drop_invalid=True)
    assert len(X2) == len(raw) - 2 and set(bad2.row) == {2, 3}


# --------------------------------------------------------------------------- Sec 3 radii (pinned)
def test_radius_and_fallback_are_the_papers():
    assert features.RADIUS_KM == 2.0  # "within 2 km" (Sec 3.1-3.2, 3.4)
    assert features.FALLBACK_KM == 10.0  # nearest listing "within 10 km" (Sec 3.1)


def test_price_radius_is_two_km_on_hand_built_listings():
    """A listing 1.5 km away is counted; one 2.5 km away is not (it only fills the statistics)."""
    listings = pd.DataFrame({"lat": [1.5 * KM, 2.5 * KM], "lon": [0.0, 0.0], "price": [10.0, 30.0]})
    f = features.price_features([0.0], [0.0], ["A"], listings, pd.Series({"A": 99.0}), "hp")
    assert f.loc[0, ["hp_count", "hp_mean", "hp_fill_nearest"]].tolist() == [1.0, 10.0, 0.0]
    far = features.price_features([0.0], [0.0], ["A"], listings.iloc[[1]], pd.Series({"A": 99.0}), "hp")
    assert far.loc[0, ["hp_count", "hp_mean", "hp_fill_nearest", "hp_fill_city"]].tolist() == \
        [0.0, 30.0, 1.0, 0.0]


def test_price_fallback_is_ten_km_on_hand_built_listings():
    """With no listing within 2 km: the nearest within 10 km fills; one at 15 km does not."""
    near = pd.DataFrame({"lat": [8.0 * KM], "lon": [0.0], "price": [40.0]})
    far = pd.DataFrame({"lat": [15.0 * KM], "lon": [0.0], "price": [40.0]})
    cp = pd.Series({"A": 99.0})
    f_near = features.price_features([0.0], [0.0], ["A"], near, cp, "rp")
    f_far = features.price_features([0.0], [0.0], ["A"], far, cp, "rp")
    assert f_near.loc[0, ["rp_mean", "rp_fill_nearest", "rp_fill_city"]].tolist() == [40.0, 1.0, 0.0]
    assert f_far.loc[0, ["rp_mean", "rp_fill_nearest", "rp_fill_city"]].tolist() == [99.0, 0.0, 1.0]


def test_poi_radius_is_two_km_on_hand_built_pois():
    codes = POI_CATEGORIES.code
    a, b = codes.iloc[0], codes.iloc[1]
    pois = pd.DataFrame({"lat": [1.5 * KM, 2.5 * KM], "lon": [0.0, 0.0], "category": [a, b]})
    f = features.poi_features([0.0], [0.0], pois)
    assert f.loc[0, "poi_count"] == 1.0
    assert f.loc[0, f"poi_{b}"] == 0.0 and f.loc[0, f"poi_{a}"] > 0


def test_rent_fallbacks_in_the_feature_table_by_hand():
    """The book's rent reading (Sec 3.2), end to end through ``build_features``: a home with no rent
    listing within 2 km takes the nearest one within 10 km, else the mean *listed rent* of its city
    (not the city's sale price, and not the nearest listing at any distance)."""
    years = list(sources.YEARS)
    homes = pd.DataFrame({"person_id": [1, 2], "lat": [30.0, 30.0 - 50 * KM], "lon": [114.0, 114.0],
                          "province": "Zhejiang", "city": "A", "county": "a", "town": "t",
                          "street": "s", "zip_code": "310000", "urban_type": "rural"})
    rent = pd.DataFrame({"lat": [30.0 + 8 * KM, 30.0 + 100 * KM], "lon": [114.0, 114.0],
                         "price": [40.0, 60.0], "city": "A"})
    src = sources.Sources(
        homes=homes, sale=rent.assign(price=[9000.0, 9000.0]), rent=rent,
        city_prices=pd.DataFrame({"city": ["A"], "avg_price": [9999.0]}),
        county_income=pd.DataFrame({"city": "A", "county": "a", "year": years, "income": 100.0}),
        town_stats=pd.DataFrame({"city": "A", "county": "a", "town": "t", "year": years,
                                 "budget": 1.0, "tax": 1.0}),
        pois=pd.DataFrame({"lat": [30.0], "lon": [114.0], "category": [POI_CATEGORIES.code.iloc[0]]}),
        functions=pd.DataFrame())
    X, fills = features.build_features(src)
    # home 1: the listing 8 km away; home 2 (58 km from it): the mean listed rent of A, (40 + 60) / 2
    assert X.loc[1, ["rp_count", "rp_mean", "rp_fill_nearest", "rp_fill_city"]].tolist() == \
        [0.0, 40.0, 1.0, 0.0]
    assert X.loc[2, ["rp_count", "rp_mean", "rp_fill_nearest", "rp_fill_city"]].tolist() == \
        [0.0, 50.0, 0.0, 1.0]
    assert fills.set_index("rule").loc["rp_fill_city", "homes"] == 1
