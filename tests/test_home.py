"""Tests of homelib.home: what a home gives away, the chain, and the private profile check.

Hand-made tables wherever a number can be checked by hand (a tiny collection
of homes, listings and POIs; a 6-place stand-in social world scored by votes),
independent re-implementations elsewhere (build_features, sklearn's KFold loop,
scipy's t interval), small simulated worlds for what needs the real PFLI, and
the command line run with networking disabled.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic import synthetic_dataset

from homelib.exposure import estimator as exp_estimator
from homelib.exposure import features as exp_features
from homelib.exposure import models as exp_models
from homelib.h2sea.features import build_features, poi_features
from homelib.h2sea.sources import POI_CATEGORIES, YEARS, Sources
from homelib.home import attacker, chain, cli, disclosure, places, summary
from homelib.home import exposure as hx
from homelib.home import profile as hp
from homelib.home import simulated_profile as hsim
from homelib.pfli.clusters import select_locations
from homelib.pfli.model import fit_pfli
from homelib.pfli.world import SocialConfig, build_social_world

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "home"


# =============================================================================== a tiny collection
def _sources() -> Sources:
    """5 homes in city A (2 counties, 3 towns) and city B; listings, statistics, POIs."""
    homes = pd.DataFrame({
        "person_id": [1, 2, 3, 4, 5],
        "lat": [30.000, 30.004, 30.200, 30.210, 31.000],
        "lon": [120.000, 120.003, 120.100, 120.110, 121.000],
        "province": "Zhejiang",
        "city": ["A", "A", "A", "A", "B"],
        "county": ["a1", "a1", "a2", "a2", "b1"],
        "town": ["t1", "t1", "t2", "t3", "t4"],
        "street": ["s1", "s2", "s3", "s4", "s5"],
        "zip_code": ["310001", "310001", "310002", "310003", "310004"],
        "urban_type": ["city_center", "city_center", "city_border", "rural", "rural"],
    })
    sale = pd.DataFrame({"lat": [30.001, 30.002, 30.201, 30.5], "lon": [120.001, 120.0, 120.1, 120.5],
                         "price": [10000.0, 20000.0, 8000.0, 5000.0], "city": ["A", "A", "A", "A"]})
    rent = pd.DataFrame({"lat": [30.001], "lon": [120.001], "price": [40.0], "city": ["A"]})
    city_prices = pd.DataFrame({"city": ["A", "B"], "avg_price": [12000.0, 6000.0]})
    county_income = pd.DataFrame({"city": "A", "county": "a1", "year": list(YEARS),
                                  "income": [30000.0 + 1000 * i for i in range(6)]})
    town_stats = pd.DataFrame({"city": "A", "county": "a1", "town": "t1", "year": list(YEARS),
                               "budget": 50.0, "tax": 20.0})
    codes = POI_CATEGORIES["code"].tolist()
    pois = pd.DataFrame({"lat": [30.0, 30.001, 30.003, 30.2, 30.21, 31.0, 31.001],
                         "lon": [120.0, 120.001, 120.002, 120.1, 120.11, 121.0, 121.0],
                         "category": [codes[0], codes[0], codes[5], codes[5], codes[9], codes[9],
                                      codes[0]]})
    return Sources(homes=homes, sale=sale, rent=rent, city_prices=city_prices,
                   county_income=county_income, town_stats=town_stats, pois=pois,
                   functions=pd.DataFrame())


def _gazetteer() -> pd.DataFrame:
    return pd.DataFrame({
        "province": "Zhejiang",
        "city": ["A", "A", "A", "A", "A", "B"],
        "county": ["a1", "a1", "a2", "a2", "a2", "b1"],
        "town": ["t1", "t1", "t2", "t2", "t3", "t4"],
        "lat": [30.0, 30.01, 30.2, 30.3, 30.21, 31.0],
        "lon": [120.0, 120.0, 120.1, 120.1, 120.11, 121.0],
        "households": [100, 300, 50, 150, 80, 10],
    })


def _ref(src: Sources) -> np.ndarray:
    return disclosure.poi_reference_shares(disclosure.poi_counts(src.homes.lat, src.homes.lon, src.pois))


def test_exact_disclosure_reproduces_build_features():
    src = _sources()
    X, _ = build_features(src)
    Xd, seen = disclosure.disclosed_features(src, disclosure.LADDER["exact"],
                                             reference_shares=_ref(src), columns=list(X.columns))
    assert list(Xd.columns) == list(X.columns)
    cont = [c for c in X.columns if not isinstance(X[c].dtype, pd.CategoricalDtype)]
    np.testing.assert_allclose(Xd[cont].to_numpy(float), X[cont].to_numpy(float), rtol=0, atol=1e-12)
    for c in set(X.columns) - set(cont):
        assert (Xd[c].astype(str) == X[c].astype(str)).all(), c
    assert (seen["location_error_km"] == 0).all()


def test_poi_shares_with_own_reference_equal_h2sea_eq2():
    src = _sources()
    lat, lon = src.homes.lat, src.homes.lon
    counts = disclosure.poi_counts(lat, lon, src.pois)
    mine = disclosure.poi_share_features(counts, disclosure.poi_reference_shares(counts))
    theirs = poi_features(lat, lon, src.pois)
    np.testing.assert_allclose(mine.to_numpy(), theirs[mine.columns].to_numpy())


def test_no_names_hides_every_name_and_falls_back_on_statistics():
    src = _sources()
    X, _ = build_features(src)
    Xd, seen = disclosure.disclosed_features(src, disclosure.LADDER["no_names"],
                                             reference_shares=_ref(src), columns=list(X.columns))
    for c in ("zip_code", "province", "urban_type"):
        assert set(Xd[c].astype(str)) == {disclosure.HIDDEN}
    assert set(Xd["street"].astype(str)) == {"<hidden>/<hidden>/<hidden>/<hidden>"}
    # county income: every county unknown -> the all-area average (only a1 published), flag set
    assert (Xd["county_income_fill_city"] == 1).all()
    np.testing.assert_allclose(Xd["county_income_2017"], 35000.0)
    assert (Xd["town_budget_missing"] == 1).all()
    # prices and POIs come from the same point: unchanged where no city fallback was needed
    near = X["hp_count"] > 0
    np.testing.assert_allclose(Xd.loc[near, "hp_mean"], X.loc[near, "hp_mean"])
    np.testing.assert_allclose(Xd["poi_count"], X["poi_count"])
    # home 5 has no listing within 10 km: city average of B (6,000) becomes the mean of all cities
    assert X.loc[5, "hp_mean"] == 6000.0 and Xd.loc[5, "hp_mean"] == 9000.0


def test_town_disclosure_uses_the_household_weighted_centroid():
    src = _sources()
    X, _ = build_features(src)
    _, seen = disclosure.disclosed_features(src, disclosure.LADDER["town"], gazetteer=_gazetteer(),
                                            reference_shares=_ref(src), columns=list(X.columns))
    # town t1: villages at 30.00 (100 households) and 30.01 (300) -> 30.0075
    assert seen.loc[1, "lat"] == pytest.approx(30.0075)
    assert seen.loc[2, "lat"] == pytest.approx(30.0075)
    # t2: 30.2 (50) and 30.3 (150) -> 30.275
    assert seen.loc[3, "lat"] == pytest.approx(30.275)
    assert seen.loc[1, "street"] == disclosure.HIDDEN and seen.loc[1, "town"] == "t1"
    assert seen.loc[1, "zip_code"] == "310001"


def test_county_and_city_disclosures_hide_the_finer_names():
    src = _sources()
    X, _ = build_features(src)
    for name, kept, hidden in (("county", "county", "town"), ("city", "city", "county")):
        Xd, seen = disclosure.disclosed_features(src, disclosure.LADDER[name], gazetteer=_gazetteer(),
                                                 reference_shares=_ref(src), columns=list(X.columns))
        assert (seen[hidden] == disclosure.HIDDEN).all() and (seen[kept] != disclosure.HIDDEN).all()
        assert (seen["zip_code"] == disclosure.HIDDEN).all()
    # county a1 is known at county level: its published income is kept
    Xc, _ = disclosure.disclosed_features(src, disclosure.LADDER["county"], gazetteer=_gazetteer(),
                                          reference_shares=_ref(src), columns=list(X.columns))
    assert Xc.loc[1, "county_income_fill_city"] == 0 and Xc.loc[1, "county_income_2017"] == 35000.0
    assert Xc.loc[1, "town_budget_missing"] == 1


def test_unknown_area_in_gazetteer_is_named():
    src = _sources()
    gaz = _gazetteer()
    with pytest.raises(KeyError, match="town"):
        disclosure.disclosed_homes(src.homes, disclosure.LADDER["town"], gaz[gaz.town != "t4"])
    with pytest.raises(ValueError, match="gazetteer"):
        disclosure.disclosed_homes(src.homes, disclosure.LADDER["city"], None)


@settings(max_examples=60, deadline=None)
@given(st.floats(-60, 60), st.floats(-179, 179), st.floats(0.5, 10))
def test_grid_centre_is_within_half_a_cell_diagonal(lat, lon, cell):
    la, lo = disclosure.grid_centres([lat], [lon], cell)
    from homelib.geo import haversine_km

    assert haversine_km(lat, lon, la, lo)[0] <= cell * np.sqrt(2) / 2 * 1.01 + 1e-9
    # the centre is its own cell's centre
    la2, lo2 = disclosure.grid_centres(la, lo, cell)
    assert la2[0] == pytest.approx(la[0]) and lo2[0] == pytest.approx(lo[0])


def test_grid_centres_rejects_bad_cell():
    with pytest.raises(ValueError, match="cell_km"):
        disclosure.grid_centres([0.0], [0.0], 0.0)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000))
def test_poi_prefilter_keeps_every_count(seed):
    rng = np.random.default_rng(seed)
    pois = pd.DataFrame({"lat": 30 + rng.random(400) * 0.5, "lon": 120 + rng.random(400) * 0.5,
                         "category": rng.choice(POI_CATEGORIES["code"].to_numpy(), 400)})
    qla, qlo = 30 + rng.random(15) * 0.5, 120 + rng.random(15) * 0.5
    keep = disclosure.near_points(pois.lat, pois.lon, qla, qlo, 2.0)
    full = disclosure.poi_counts(qla, qlo, pois)
    part = disclosure.poi_counts(qla, qlo, pois[keep].reset_index(drop=True))
    np.testing.assert_array_equal(full, part)
    assert keep.sum() < len(pois)


def test_within_tolerance_and_disclosure_checks():
    assert disclosure.within_tolerance([10.0], [12.5], 0.25).tolist() == [True]
    assert disclosure.within_tolerance([10.0], [12.6], 0.25).tolist() == [False]
    with pytest.raises(ValueError, match="tolerance"):
        disclosure.within_tolerance([1.0], [1.0], -0.1)
    with pytest.raises(ValueError, match="location"):
        disclosure.Disclosure("x", "planet", (), "")
    with pytest.raises(ValueError, match="names"):
        disclosure.Disclosure("x", "point", ("postcode",), "")


def test_ladder_reveals_less_and_less_location():
    """Utility falls along the ladder on the tiny collection (POI count within 2 km)."""
    src = _sources()
    X, _ = build_features(src)
    errs = []
    for name in ("exact", "grid_2km", "county", "city"):
        _, seen = disclosure.disclosed_features(src, disclosure.LADDER[name], gazetteer=_gazetteer(),
                                                reference_shares=_ref(src), columns=list(X.columns))
        errs.append(seen["location_error_km"].mean())
    assert errs[0] == 0 and errs == sorted(errs)


# =============================================================================== the attacker
def test_choose_methods_by_validation_f1_with_ties_to_the_first():
    v = pd.DataFrame({"method": ["A", "B", "A", "B"], "task": ["t", "t", "u", "u"],
                      "val_f1": [0.4, 0.5, 0.6, 0.6]})
    with pytest.raises(ValueError, match="candidates"):
        attacker.choose_methods(v, ["A"])
    v = v.replace({"A": "LR", "B": "XGBoost"})
    assert attacker.choose_methods(v, ["LR", "XGBoost"]) == {"t": "XGBoost", "u": "LR"}
    assert attacker.choose_methods(v, ["XGBoost", "LR"]) == {"t": "XGBoost", "u": "XGBoost"}


@pytest.fixture(scope="module")
def synth():
    ds = synthetic_dataset(n=500, signal=1.5, seed=2)
    return ds.X, ds.y[["education", "occupation"]]


def test_fit_attacker_validation_f1_is_recomputed_independently(synth):
    from sklearn.metrics import f1_score

    from homelib.h2sea.protocol import stratified_split

    X, y = synth
    parts = stratified_split(y, seed=0)
    att = attacker.fit_attacker(X, y, parts, ["POP", "LR"], {"LR": {"C": 0.1}}, seed=0)
    va = parts["val"]
    for m, model in att.models.items():
        proba = model.predict_proba(X.iloc[va])
        for t in y.columns:
            lab = y[t].iloc[va]
            keep = lab.notna().to_numpy()
            f1 = f1_score(lab[keep].astype(int), proba[t][keep].argmax(1), average="macro")
            v = att.validation
            got = v.loc[(v.method == m) & (v.task == t), "val_f1"].item()
            assert got == pytest.approx(f1)
    # POP never wins macro-F1 against a model with signal
    assert set(att.chosen.values()) == {"LR"}
    assert att.validation.groupby("task")["chosen"].sum().tolist() == [1, 1]


def test_attack_outcomes_are_consistent_with_the_probabilities(synth):
    from homelib.h2sea.protocol import stratified_split

    X, y = synth
    parts = stratified_split(y, seed=1)
    att = attacker.fit_attacker(X, y, parts, ["LR"], seed=1)
    te = parts["test"]
    o = attacker.attack_outcomes(att, X.iloc[te], y.iloc[te])
    proba = att.predict_proba(X.iloc[te])
    pos = {pid: i for i, pid in enumerate(X.index[te])}
    for r in o.sample(20, random_state=0).itertuples():
        p = proba[r.task][pos[r.person_id]]
        assert r.predicted == p.argmax() and r.confidence == pytest.approx(p.max())
        assert r.p_true == pytest.approx(p[r.level]) and r.correct == (r.predicted == r.level)
    assert len(o) == int(y.iloc[te].notna().sum().sum())


def test_run_attack_scores_test_rows_of_each_split_and_each_disclosure(synth):
    from homelib.h2sea.protocol import stratified_split

    X, y = synth
    shifted = X.copy()
    shifted["county_income"] = shifted["county_income"].mean()  # a disclosure that loses a feature
    out, val = attacker.run_attack(X, y, {"exact": X, "coarse": shifted}, repeats=2, seed=3,
                                   methods=["LR"])
    for r in (0, 1):
        te = set(X.index[stratified_split(y, seed=3 + r)["test"]])
        assert set(out.query("split == @r")["person_id"]) <= te
    ex = out[out.disclosure == "exact"].reset_index(drop=True)
    co = out[out.disclosure == "coarse"].reset_index(drop=True)
    assert (ex[["split", "person_id", "task", "level"]] == co[["split", "person_id", "task", "level"]]).all().all()
    assert (ex["predicted"] != co["predicted"]).any()
    assert list(val.columns) == ["split", "method", "task", "val_f1", "chosen"]
    with pytest.raises(ValueError, match="index and columns"):
        attacker.run_attack(X, y, {"bad": X.iloc[:10]}, repeats=1, methods=["LR"])
    with pytest.raises(KeyError, match="unknown method"):
        attacker.run_attack(X, y, {"exact": X}, repeats=1, methods=["SVM"])


# =============================================================================== exposure models
def _table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Outcomes whose chance of being right is a known function of the features."""
    rng = np.random.default_rng(seed)
    conf = rng.uniform(0.34, 1.0, n)
    sale = rng.random(n) < 0.4
    p = np.clip(0.1 + 0.8 * (conf > 0.6) + 0.05 * sale, 0, 1)
    return pd.DataFrame({
        "task": rng.choice(["education", "occupation"], n), "has_sale_2km": sale,
        "has_rent_2km": rng.random(n) < 0.3, "urban_type": rng.choice(["city_center", "rural"], n),
        "poi_count": rng.integers(0, 3000, n).astype(float), "confidence": conf,
        "correct": rng.random(n) < p,
    }).assign(poi_density=lambda d: np.log10(1 + d.poi_count),
              is_city=lambda d: d.urban_type != "rural")


def test_exposure_table_hand_row():
    X = pd.DataFrame({"hp_count": [0.0, 3.0], "rp_count": [2.0, 0.0], "poi_count": [99.0, 0.0],
                      "urban_type": ["city_border", "rural"]},
                     index=pd.Index([10, 11], name="person_id"))
    o = pd.DataFrame({"person_id": [10, 11], "task": ["education", "occupation"],
                      "confidence": [0.5, 0.9], "correct": [False, True]})
    t = hx.exposure_table(o, X)
    assert t[["has_sale_2km", "has_rent_2km", "is_city"]].to_numpy().tolist() == [
        [False, True, True], [True, False, False]]
    assert t["poi_density"].tolist() == [2.0, 0.0]
    with pytest.raises(KeyError, match="person_id"):
        hx.exposure_table(o.assign(person_id=[10, 99]), X)
    with pytest.raises(ValueError, match="confidence"):
        hx.exposure_table(o.assign(confidence=[np.nan, 0.5]), X)


def test_group_ep_is_the_share_correct():
    t = _table(500)
    g = hx.exposure_groups(t)
    assert g["n"].sum() == len(t) and g["n_correct"].sum() == int(t["correct"].sum())
    one = g.iloc[int(g["n"].idxmax())]
    b = hx.BinSpec()
    sel = ((t.task == one.task) & (t.has_sale_2km == one.has_sale_2km)
           & (t.has_rent_2km == one.has_rent_2km) & (t.urban_type == one.urban_type)
           & (b.poi_bin(t.poi_count) == one.poi_bin) & (b.conf_bin(t.confidence) == one.conf_bin))
    assert one.ep == pytest.approx(t.loc[sel, "correct"].mean())
    assert one.confidence == pytest.approx(t.loc[sel, "confidence"].mean())


def test_linear_cv_matches_a_hand_kfold_loop():
    from sklearn.model_selection import KFold

    g = hx.exposure_groups(_table())
    cv = hx.cross_validated_ep(g, kind="linear", folds=5, min_group_size=5, seed=4)
    kept = g[g.n >= 5].reset_index(drop=True)
    x = hx.design_matrix(kept)
    x1 = np.hstack([x, np.ones((len(x), 1))])
    pred = np.empty(len(kept))
    for tr, te in KFold(5, shuffle=True, random_state=4).split(x):
        coef, *_ = np.linalg.lstsq(x1[tr], kept["ep"].to_numpy()[tr], rcond=None)
        pred[te] = x1[te] @ coef
    np.testing.assert_allclose(cv["ep_oof"], np.clip(pred, 0, 1), atol=1e-8)


def test_forest_beats_linear_on_a_threshold_and_confidence_matters_most():
    g = hx.exposure_groups(_table(6000))
    m = hx.evaluate_exposure_models(g, folds=5, min_group_size=5, n_estimators=60, seed=0)
    by = m.set_index("model")
    assert by.loc["RDF", "mae"] < by.loc["LinearRegression", "mae"]
    drops = by.drop(["RDF", "LinearRegression"])["mae"]
    assert drops.idxmax() == "RDF without model confidence"
    assert list(m.columns[:3]) == ["model", "mae", "rmse"]


def test_min_group_size_and_bad_features():
    g = hx.exposure_groups(_table(300))
    with pytest.raises(ValueError, match="min_group_size"):
        hx.fit_exposure_model(g, min_group_size=10_000)
    with pytest.raises(ValueError, match="unknown feature"):
        hx.design_matrix(g, ["colour"])
    with pytest.raises(ValueError, match="task"):
        hx.design_matrix(g.assign(task="height"))


def test_reliability_counts_every_kept_outcome_once():
    t = _table(2000)
    g = hx.exposure_groups(t)
    cv = hx.cross_validated_ep(g, folds=4, min_group_size=5, n_estimators=20)
    rel = hx.reliability_table(t, cv)
    assert rel["n"].sum() == int(g.loc[g.n >= 5, "n"].sum())
    assert rel["risk_level"].tolist() == [1, 2, 3, 4, 5]


# =============================================================================== summaries
def test_mean_interval_matches_scipy():
    from scipy import stats

    v = np.array([0.41, 0.47, 0.52, 0.44])
    m, lo, hi = summary.mean_interval(v)
    ref = stats.t.interval(0.95, len(v) - 1, loc=v.mean(), scale=stats.sem(v))
    assert m == pytest.approx(v.mean()) and (lo, hi) == pytest.approx(ref)
    with pytest.raises(ValueError, match="finite"):
        summary.mean_interval([0.1, np.nan])


def test_whatif_averages_split_means_not_pooled_rows():
    # split 0: 1 of 1 correct; split 1: 1 of 3 correct -> mean of splits 2/3, pooled 1/2
    o = pd.DataFrame({"split": [0, 1, 1, 1], "disclosure": "exact", "person_id": [1, 2, 3, 4],
                      "task": "education", "correct": [True, True, False, False]})
    u = pd.DataFrame({"disclosure": "exact", "person_id": [1, 2, 3, 4],
                      "useful": [True, True, False, True], "location_error_km": 0.0})
    w = summary.whatif_table(o, u)
    assert list(w.columns[:6]) == summary.HOME_EXPOSURE_COLUMNS
    r = w.iloc[0]
    assert r.exposure_probability == pytest.approx(2 / 3) and r.n == 4
    assert r.utility == pytest.approx((1 + 2 / 3) / 2) and r.risk_level == 3
    with pytest.raises(ValueError, match="disclosure"):
        summary.whatif_table(o.assign(disclosure="city"), u)


# =============================================================================== the chain
def test_city_distribution_with_pseudo_counts():
    lev = pd.Series([0, 0, 1, 2, pd.NA], dtype="Int64")
    city = pd.Series(["A", "A", "B", "B", "B"])
    d = chain.city_distribution(lev, city, smoothing=2.0)
    nat = np.array([2, 1, 1]) / 4
    np.testing.assert_allclose(d.loc["A"], (np.array([2, 0, 0]) + 2 * nat) / 4)
    np.testing.assert_allclose(d.loc["B"], (np.array([0, 1, 1]) + 2 * nat) / 4)
    with pytest.raises(ValueError, match="class"):
        chain.city_distribution(pd.Series([0, 5], dtype="Int64"), pd.Series(["A", "A"]))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 10**7), min_size=2, max_size=40),
       st.lists(st.integers(1, 10**6), min_size=1, max_size=15, unique=True))
def test_rank_mapping_is_monotone(src, tgt):
    s = pd.Series(src, dtype=float)
    t = pd.Series(tgt, index=[f"c{i}" for i in range(len(tgt))], dtype=float)
    m = chain.rank_mapping(s, t)
    size = t.loc[m.to_numpy()].to_numpy()
    order = np.argsort(s.to_numpy(), kind="stable")
    assert (np.diff(size[order]) >= 0).all()


def test_rank_mapping_of_equal_sized_sets_is_rank_to_rank():
    s = pd.Series([300.0, 10.0, 50.0, 7000.0], index=[10, 11, 12, 13])
    t = pd.Series({"d": 4.0, "a": 1.0, "c": 3.0, "b": 2.0})
    assert chain.rank_mapping(s, t).to_dict() == {10: "c", 11: "a", 12: "b", 13: "d"}


def test_chain_table_by_hand():
    places = pd.DataFrame({"lat": [0.0, 0.0, 10.0], "lon": [0.0, 0.1, 0.0]})
    mapping = pd.Series({0: "rich", 1: "rich", 2: "poor"})
    attacker_d = pd.DataFrame([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]], index=["rich", "poor"],
                              columns=[0, 1, 2])
    truth = pd.DataFrame([[0.2, 0.3, 0.5], [0.5, 0.4, 0.1]], index=["rich", "poor"],
                         columns=[0, 1, 2])
    t = chain.chain_table([7, 8, 9], [0, 0, 2], [1, 2, 0], places, mapping, attacker_d, truth,
                          national_level=1, k_km=25.0)
    # user 7: predicted 11 km away (exposed) in a "rich" city -> guesses 2 -> right w.p. 0.5
    # user 8: predicted 1,112 km away in a "poor" city -> guesses 0 -> right w.p. 0.2, not both
    # user 9: true "poor", predicted "rich" -> guesses 2 -> right w.p. 0.1
    assert t["city_exposed"].tolist() == [True, False, False]
    np.testing.assert_allclose(t["p_income"], [0.5, 0.2, 0.1])
    np.testing.assert_allclose(t["p_both"], [0.5, 0.0, 0.0])
    np.testing.assert_allclose(t["p_prior_only"], [0.3, 0.3, 0.4])
    with pytest.raises(KeyError, match="survey city"):
        chain.chain_table([1], [0], [5], places, mapping, attacker_d, truth, 1, 25.0)


def test_hiding_costs_rank_by_exposure_removed_per_field():
    s = pd.DataFrame({"hide": ["", "HT", "WE", "HT+WE"], "n_changed": [0.0, 0.5, 1.0, 1.5],
                      "p_both": [0.3, 0.25, 0.1, 0.05]})
    c = chain.hiding_costs(s)
    assert c["hide"].tolist() == ["WE", "HT+WE", "HT"]
    assert c["drop_per_field"].tolist() == pytest.approx([0.2, 0.25 / 1.5, 0.1])
    with pytest.raises(ValueError, match="current state"):
        chain.hiding_costs(s[s.hide != ""])


@pytest.fixture(scope="module")
def small_social():
    w = build_social_world(SocialConfig(n_users=600, n_places=40, n_multi_orgs=3), seed=1)
    model = fit_pfli(w, seed=0)
    clusters = np.arange(len(w.places), dtype=np.int64)  # every place its own cluster
    return w, model, clusters


def test_hiding_predictions_go_through_pfli(small_social):
    w, model, clusters = small_social
    ln = np.flatnonzero(~w.users["current_visible"].to_numpy())[:40]
    pred = chain.hiding_predictions(model, w, clusters, ln)
    assert len(pred) == 8 * ln.size
    now = pred[pred.hide == ""]
    sel = select_locations(model.score(w, ln), w.places, clusters, "prob")
    assert now["pred_place"].tolist() == sel["pred_place"].tolist()
    cats = exp_features.user_category(w, ln)
    every = pred[pred.hide == "HT+WE+F"]["n_changed"].to_numpy()
    assert every.tolist() == [0 if c == "none" else len(c.split("+")) for c in cats]
    # hiding everything leaves every user with PFLI's prior: one and the same place
    assert pred[pred.hide == "HT+WE+F"]["pred_place"].nunique() == 1


def test_chain_over_splits_pairs_survey_splits_with_user_parts(small_social):
    from homelib.h2sea.protocol import stratified_split

    w, model, clusters = small_social
    ln = np.flatnonzero(~w.users["current_visible"].to_numpy())[:30]
    pred = chain.hiding_predictions(model, w, clusters, ln)
    ds = synthetic_dataset(n=300, seed=1)
    cities, lev = ds.meta["city"], ds.y["personal_income"]
    sizes = cities.value_counts().astype(float)
    mapping = chain.rank_mapping(w.places["population"], sizes)
    train = [stratified_split(ds.y, seed=r)["train"] for r in range(3)]
    per, s = chain.chain_over_splits(pred, w.places, mapping, lev, cities, train, 100.0, seed=0)
    assert per.groupby("split")["users"].first().sum() == 30
    assert set(s["hide"]) == {exp_features.hide_label(h) for h in exp_features.HIDING_SUBSETS}
    assert (s["p_both"] <= s["city_exposed"] + 1e-12).all()
    assert {"p_both_ci_low", "p_both_ci_high", "splits"} <= set(s.columns)
    # the attacker's prior comes from the training rows only: train on people of level 2 only
    only2 = np.flatnonzero((lev == 2).fillna(False).to_numpy())
    per2, _ = chain.chain_over_splits(pred, w.places, mapping, lev, cities, [only2], 100.0)
    truth = chain.city_distribution(lev, cities)
    true_place = w.users["current_place"].to_numpy()[ln]
    expect = truth.loc[mapping.loc[true_place].to_numpy(), 2].mean()
    assert per2.loc[per2.hide == "", "p_prior_only"].item() == pytest.approx(expect)
    # a prior trained on level-2 people only guesses level 2 in every city
    assert per2.loc[per2.hide == "", "p_income"].item() == pytest.approx(expect)


def test_run_attack_with_given_splits_equals_the_default(synth):
    from homelib.h2sea.protocol import stratified_split

    X, y = synth
    splits = [stratified_split(y, seed=5 + r) for r in range(2)]
    a, _ = attacker.run_attack(X, y, {"exact": X}, repeats=2, seed=5, methods=["LR"])
    b, _ = attacker.run_attack(X, y, {"exact": X}, repeats=2, seed=5, methods=["LR"], splits=splits)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError, match="splits"):
        attacker.run_attack(X, y, {"exact": X}, repeats=3, methods=["LR"], splits=splits)


# =============================================================================== profiles
GOOD = {"hometown": "Evry", "work": "Paris", "friends": ["Paris", "Paris", {"city": "Beijing"}],
        "k_km": 100, "target_level": 2}

MALFORMED = yaml.safe_load((ROOT / "tests" / "fixtures" / "home" / "malformed_profiles.yml")
                           .read_text(encoding="utf-8"))["profiles"]
"""The malformed-profile cases, as data: ``[id, profile text, fragment naming the field]``."""


def _write_case(path, text):
    if text.startswith("latin1: "):
        path.write_bytes(text[len("latin1: "):].encode("latin-1"))
    else:
        path.write_text(text, encoding="utf-8")



@pytest.mark.parametrize("case,text,fragment", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_profile_is_rejected_naming_the_field(tmp_path, case, text, fragment):
    path = tmp_path / "p.yml"
    _write_case(path, text)
    with pytest.raises(hp.ProfileError) as exc:
        hp.read_profile(path)
    assert fragment in str(exc.value), (case, str(exc.value))


@pytest.mark.parametrize("case,text,fragment", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_cli_refuses_malformed_profile_naming_the_field_and_writes_nothing(
        tmp_path, monkeypatch, capsys, case, text, fragment):
    monkeypatch.chdir(tmp_path)
    _write_case(tmp_path / "p.yml", text)
    before = _tree(tmp_path)
    assert cli.main(["--profile", "p.yml", "--output", "out.json"]) == 2, case
    err = capsys.readouterr().err
    assert err.startswith("error: ") and fragment in err, (case, err)
    assert _tree(tmp_path) == before  # no output file, nothing else


def test_corpus_covers_every_field():
    named = " ".join(m[2] for m in MALFORMED)
    for field in ("hometown", "work", "friends", "friends_csv", "k_km", "target_level"):
        assert field in named, f"no malformed-profile case names {field!r}"


def test_unknown_city_name_is_rejected_naming_the_field(gazetteer_resolver):
    prof = hp.validate_profile({**GOOD, "work": "Xqzzyvillequ"})
    with pytest.raises(hp.ProfileError, match=r"profile\['work'\] = 'Xqzzyvillequ'"):
        hp.resolve_profile(prof, gazetteer_resolver)
    prof = hp.validate_profile({**GOOD, "friends": ["Paris", "Paris, JP"]})
    with pytest.raises(hp.ProfileError, match=r"friends\[1\]\.city.*country JP"):
        hp.resolve_profile(prof, gazetteer_resolver)


def test_empty_friend_list_is_allowed_and_shows_no_list():
    assert hp.validate_profile({**GOOD, "friends": []}).friends == ()
    assert hp.validate_profile({**GOOD, "friends": None}).friends is None


def test_friends_csv(tmp_path):
    (tmp_path / "f.csv").write_text("city,hometown,work\nParis,,\n,Evry,\nBeijing,Beijing,Paris\n",
                                    encoding="utf-8")
    p = hp.validate_profile({**{k: v for k, v in GOOD.items() if k != "friends"},
                             "friends_csv": "f.csv"}, base_dir=tmp_path)
    assert p.friends == (hp.Friend("Paris"), hp.Friend(None, "Evry"),
                         hp.Friend("Beijing", "Beijing", "Paris"))
    for text, fragment in (("town\nParis\n", "unknown column"), ("hometown\nParis\n", "'city'"),
                           ("city,work\nParis\n", "line 2"), ("", "empty")):
        (tmp_path / "g.csv").write_text(text, encoding="utf-8")
        with pytest.raises(hp.ProfileError, match=fragment):
            hp.validate_profile({**{k: v for k, v in GOOD.items() if k != "friends"},
                                 "friends_csv": "g.csv"}, base_dir=tmp_path)
    (tmp_path / "h.csv").write_bytes("city\nÉvry\n".encode("latin-1"))
    with pytest.raises(hp.ProfileError, match="not UTF-8"):
        hp.read_friends_csv(tmp_path / "h.csv")
    with pytest.raises(hp.ProfileError, match="no such file"):
        hp.read_friends_csv(tmp_path / "nope.csv")


def test_example_profile_in_the_book_is_valid():
    p = hp.read_profile(ROOT / "book" / "example_profile.yml")
    assert p.hometown == "Lyon" and p.friends and p.k_km > 0
    assert hp.read_profile(FIXTURES / "profile_with_csv.yml").friends[0].city == "Paris"


# --------------------------------------------------------------- the stand-in world of profile checks
@dataclass
class StandInWorld:
    places: pd.DataFrame
    users: pd.DataFrame
    edges: np.ndarray
    adjacency: sp.csr_matrix
    orgs: pd.DataFrame


def _stand_in() -> StandInWorld:
    places = pd.DataFrame({
        "place_id": range(6), "name": ["Paris", "Évry", "Versailles", "Beijing", "Tianjin", "Langfang"],
        "country": ["FR"] * 3 + ["CN"] * 3, "lat": [48.86, 48.63, 48.80, 39.90, 39.13, 39.52],
        "lon": [2.35, 2.44, 2.13, 116.40, 117.20, 116.70],
        "population": [2_100_000, 53_000, 85_000, 21_500_000, 13_900_000, 4_400_000],
        "geonameid": [2988507, 3019256, 2970153, 1816670, 1792947, 1804540]})
    rows = [(0, 1, 0, True, True, True, True), (0, 0, -1, True, True, False, True),
            (3, 3, 1, True, True, True, False), (3, -1, 2, False, False, True, True)]
    users = pd.DataFrame(rows, columns=["current_place", "hometown", "work", "current_visible",
                                        "hometown_visible", "work_visible", "friends_visible"])
    users.insert(0, "user_id", range(len(users)))
    edges = np.array([[0, 1], [1, 2]])
    adj = sp.csr_matrix((np.ones(4), (np.r_[edges[:, 0], edges[:, 1]], np.r_[edges[:, 1], edges[:, 0]])),
                        shape=(4, 4))
    orgs = pd.DataFrame({"org_id": [0, 1, 2], "kind": ["local", "local", "local"], "n_sites": 1,
                         "sites": [(0,), (3,), (0,)]})
    return StandInWorld(places, users, edges, adj, orgs)


class VotePFLI:
    """Votes: hometown, the organisation's site, each LA friend's place; uniform prior."""

    def score(self, world, users, *, hide=frozenset()):
        u, n_pl = world.users, len(world.places)
        out = np.zeros((len(users), n_pl))
        site = world.orgs.set_index("org_id")["sites"]
        for r, uid in enumerate(users):
            row = u.iloc[uid]
            if row.hometown_visible and row.hometown >= 0 and "HT" not in hide:
                out[r, row.hometown] += 1
            if row.work_visible and row.work >= 0 and "WE" not in hide:
                out[r, site.loc[row.work][0]] += 1
            if row.friends_visible and "F" not in hide:
                for v in world.adjacency[uid].indices:
                    if u.iloc[v].current_visible:
                        out[r, u.iloc[v].current_place] += 1
            out[r] = out[r] if out[r].sum() else 1.0
            out[r] /= out[r].sum()
        return sp.csr_matrix(out)


def _fake_groups() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400
    cat = rng.choice(exp_features.ALL_CATEGORIES, n)
    cc = rng.uniform(0, 1, n)
    k = rng.choice([10.0, 100.0], n)
    return pd.DataFrame({"category": cat, "k_km": k, "pct_friends_with_attributes": rng.uniform(0, 100, n),
                         "cluster_confidence": cc, "ep": np.clip(cc * (k / 100) ** 0.2, 0, 1),
                         "n_users": 20})


@pytest.fixture(scope="module")
def gazetteer_resolver() -> places.CityResolver:
    w = _stand_in()
    g = w.places[["geonameid", "name", "country", "lat", "lon", "population"]].copy()
    extra = pd.DataFrame({"geonameid": [2996944, 4717560], "name": ["Lyon", "Paris"],
                          "country": ["FR", "US"], "lat": [45.75, 33.66], "lon": [4.85, -95.56],
                          "population": [472_317, 24_171]})
    g = pd.concat([g, extra], ignore_index=True)
    g["alternatenames"] = [("Evry",) if n == "Évry" else ("Peking",) if n == "Beijing" else ()
                           for n in g["name"]]
    return places.CityResolver(g)


@pytest.fixture(scope="module")
def stand_in_estimator() -> exp_estimator.ExposureEstimator:
    model = exp_models.fit_exposure_model(_fake_groups(), n_estimators=20, seed=0)
    return exp_estimator.ExposureEstimator(_stand_in(), VotePFLI(), np.array([0, 0, 0, 1, 1, 1]), model)


def test_resolver_prefers_primary_names_population_and_country(gazetteer_resolver):
    r = gazetteer_resolver
    assert r.resolve("PARIS", "x")["country"] == "FR" and r.resolve("paris", "x")["alternatives"] == 1
    assert r.resolve("Paris, US", "x")["lat"] == pytest.approx(33.66)
    assert r.resolve("peking", "x")["name"] == "Beijing"
    with pytest.raises(TypeError, match="'x'"):
        r.resolve(3, "x")


def test_profile_check_by_hand(stand_in_estimator, gazetteer_resolver):
    world_before = stand_in_estimator.world.users.copy()
    prof = hp.validate_profile({"hometown": "Evry", "work": "Paris",
                                "friends": ["Paris", "Paris", {"city": "Beijing", "hometown": "Lyon"},
                                            {"city": None, "hometown": "Tianjin"}],
                                "k_km": 100, "target_level": 1})
    chk = hp.check_profile(prof, stand_in_estimator, gazetteer_resolver, {"preset": "test"})
    cur = chk.report.current
    assert cur["category"] == "HT+WE+F"
    # 2 of 4 friends show a hometown (Lyon, Tianjin)
    assert cur["pct_friends_with_attributes"] == pytest.approx(50.0)
    # votes: hometown Evry (1), work org at Paris (1), LA friends Paris x2 and Beijing x1:
    # the French cluster holds 4 of 5 votes
    assert cur["cluster_confidence"] == pytest.approx(0.8)
    pl = chk.places.set_index("field")
    assert pl.loc["hometown", "world_place_name"] == "Évry" and pl.loc["hometown", "distance_km"] == 0
    assert pl.loc["friends[2].hometown", "world_place_name"] == "Évry"  # Lyon maps to the nearest place
    assert pl.loc["friends[2].hometown", "distance_km"] > 300
    assert len(chk.report.variants) == 8
    # hiding F leaves hometown + work, both in France: confidence 1
    v = chk.report.variants.set_index("hide")
    assert v.loc["F", "cluster_confidence"] == pytest.approx(1.0)
    # the estimator's world is untouched
    pd.testing.assert_frame_equal(stand_in_estimator.world.users, world_before)
    text = chk.text()
    assert "exposure probability" in text and "Évry" in text
    s = chk.summary()
    assert s["risk_level"] == int(cur["risk_level"]) and len(s["variants"]) == 8


def test_work_org_is_the_local_org_with_most_la_members(stand_in_estimator, gazetteer_resolver):
    prof = hp.validate_profile({"hometown": None, "work": "Paris", "friends": None, "k_km": 50,
                                "target_level": 3})
    est, user, _ = hp.profile_world(stand_in_estimator, hp.resolve_profile(prof, gazetteer_resolver))
    # orgs 0 and 2 are both in Paris; org 0 has one LA member, org 2 none
    assert user == {"hometown": None, "work": 0, "friends": None}


def test_grown_pfli_model_knows_la_friends(small_social, gazetteer_resolver):
    w, model, clusters = small_social
    rdf = exp_models.fit_exposure_model(_fake_groups(), n_estimators=10, seed=0)
    est = exp_estimator.ExposureEstimator(w, model, clusters, rdf)
    target = w.places.sort_values("population").iloc[-1]
    g = w.places[["geonameid", "name", "country", "lat", "lon", "population"]]
    res = places.CityResolver(g)
    prof = hp.validate_profile({"hometown": None, "work": None,
                                "friends": [f"{target['name']}, {target['country']}"] * 5,
                                "k_km": 10, "target_level": 1})
    grown, user, _ = hp.profile_world(est, hp.resolve_profile(prof, res))
    n = len(w.users)
    assert grown.pfli_model.known[n:].all() and (grown.pfli_model.city[n:] == target.name).all()
    assert len(model.known) == n  # the fitted model is not changed
    chk = hp.check_profile(hp.resolve_profile(prof, res), est)
    # friends only, all in one place: PFLI puts that place first (Eq 2)
    assert chk.report.current["category"] == "F"
    assert chk.report.current["cluster_confidence"] > 0.5


# =============================================================================== the command line
def _tree(*roots: Path) -> set[Path]:
    out = set()
    for r in roots:
        if r.exists():
            out |= {p for p in r.rglob("*") if p.is_file()}
    return out


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    """A fresh checkout-like root (empty cache), a scratch cwd and HOME."""
    base = tmp_path_factory.mktemp("home_cli")
    root, cwd, home = base / "root", base / "cwd", base / "home"
    for d in (root, cwd, home):
        d.mkdir()
    (root / "data").mkdir()
    (root / "data" / "reference").symlink_to(ROOT / "data" / "reference")  # as in a clone
    (root / "book").mkdir()
    for name in ("example_profile.yml", "example_friends.csv"):
        shutil.copy(ROOT / "book" / name, root / "book" / name)
    (cwd / "me.yml").write_text(
        "hometown: Lyon\nwork: Paris\nfriends: [Paris, Paris, Lyon, 'Villeurbanne, FR']\n"
        "k_km: 100\ntarget_level: 2\n", encoding="utf-8")
    return {"root": root, "cwd": cwd, "home": home}


CLI_WORLD = ["--world", "ci", "--scale", "0.003"]


def test_cli_runs_with_networking_disabled_and_writes_only_cache_and_output(cli_env, monkeypatch,
                                                                             capsys):
    import pytest_socket

    root, cwd, home = cli_env["root"], cli_env["cwd"], cli_env["home"]
    monkeypatch.setenv("HOMELIB_ROOT", str(root))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    before = _tree(root, cwd, home)
    pytest_socket.disable_socket()
    try:
        rc = cli.main(["--profile", "me.yml", *CLI_WORLD, "--output", "result.json"])
    finally:
        pytest_socket.enable_socket()
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "exposure probability EP@K" in out.out and "risk level" in out.out
    new = _tree(root, cwd, home) - before
    cache = root / "data" / "cache"
    assert all(p == cwd / "result.json" or cache in p.parents for p in new), sorted(map(str, new))
    res = json.loads((cwd / "result.json").read_text(encoding="utf-8"))
    assert 1 <= res["risk_level"] <= 5 and len(res["variants"]) == 8
    # the cache does not depend on the profile: a second, different profile adds and changes nothing
    snap = {p: p.stat().st_mtime_ns for p in _tree(cache)}
    (cwd / "other.yml").write_text("hometown: Beijing\nwork: null\nfriends: null\nk_km: 20\n"
                                   "target_level: 1\n", encoding="utf-8")
    pytest_socket.disable_socket()
    try:
        assert cli.main(["--profile", "other.yml", *CLI_WORLD]) == 0
    finally:
        pytest_socket.enable_socket()
    assert {p: p.stat().st_mtime_ns for p in _tree(cache)} == snap
    for p in _tree(cache):
        assert b"other.yml" not in p.read_bytes() and b"me.yml" not in p.read_bytes()


def test_python_m_homelib_exposure_with_sockets_disabled(cli_env):
    """The real entry point, in a subprocess whose sockets are disabled before homelib loads."""
    root, cwd = cli_env["root"], cli_env["cwd"]
    code = ("import runpy, sys, pytest_socket; pytest_socket.disable_socket(); "
            "sys.argv = ['homelib'] + sys.argv[1:]; runpy.run_module('homelib', run_name='__main__')")
    env = {**os.environ, "HOMELIB_ROOT": str(root), "HOME": str(cli_env["home"]),
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code, "exposure", "--profile", "me.yml", *CLI_WORLD],
                         cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "smallest" not in out.stderr and "exposure probability EP@K" in out.stdout
    bad = cwd / "bad.yml"
    bad.write_text("hometown: Xqzzyvillequ\nwork: null\nfriends: []\nk_km: 10\ntarget_level: 2\n",
                   encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", code, "exposure", "--profile", "bad.yml", *CLI_WORLD],
                         cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 2 and "profile['hometown'] = 'Xqzzyvillequ'" in out.stderr


def test_chapter_14_runs_with_networking_disabled_and_writes_nothing_about_the_profile(
        cli_env, monkeypatch, tmp_path):
    """Chapter 14 from a clone-like root, its kernel's sockets disabled before the first cell."""
    import nbformat
    import papermill as pm

    root, cwd, home = cli_env["root"], cli_env["cwd"], cli_env["home"]
    nb = nbformat.read(ROOT / "notebooks" / "14_check_your_profile.ipynb", as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "import pytest_socket\n"
        "pytest_socket.disable_socket()\n"
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
        "except pytest_socket.SocketBlockedError:\n"
        "    pass\n"
        "else:\n"
        "    raise AssertionError('sockets are not disabled')\n"
        "del socket, pytest_socket"))
    source = tmp_path / "14.ipynb"
    nbformat.write(nb, source)
    monkeypatch.setenv("HOMELIB_ROOT", str(root))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT),
                                                                   os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv("HOMELIB_RESULTS_DIR", raising=False)
    cache = root / "data" / "cache"
    before = _tree(root, cwd, home)
    snap = {p: p.stat().st_mtime_ns for p in _tree(cache)}
    out = tmp_path / "executed" / "14.ipynb"
    out.parent.mkdir()
    friends = ["Toulouse", "Toulouse", "Bordeaux"]
    pm.execute_notebook(str(source), str(out), kernel_name="python3", cwd=str(cwd),
                        progress_bar=False,
                        parameters={"world": "ci", "scale": float(CLI_WORLD[-1]),
                                    "hometown": "Toulouse", "work": "Bordeaux",
                                    "friends": friends, "k_km": 50.0, "target_level": 1})
    executed = nbformat.read(out, as_version=4)
    text = "\n".join(str(o.get("text", o.get("data", ""))) for c in executed.cells
                     if c.cell_type == "code" for o in c.get("outputs", []))
    assert "exposure probability EP@K" in text  # the command line's report, printed in the chapter
    new = _tree(root, cwd, home) - before
    # the cache, and the kernel's own tool caches in HOME (matplotlib's font list, IPython's
    # profile skeleton), none of which holds anything of the profile
    assert all(cache in p.parents or home in p.parents for p in new), sorted(map(str, new))
    for p in new:
        if home in p.parents:
            assert not any(name.encode() in p.read_bytes() for name in ("Toulouse", "Bordeaux")), p
    # a cache built by an earlier test is reused as it is: the profile does not enter it
    assert all(p.stat().st_mtime_ns == t for p, t in snap.items())


def test_cli_bad_arguments_and_profiles_write_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yml").write_text("hometown: Paris\n", encoding="utf-8")
    assert cli.main(["--profile", "p.yml", "--output", "x.json"]) == 2
    assert "missing field 'work'" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
    assert cli.main(["--world", "ci"]) == 2  # --profile is required


def test_presets_match_chapter_09_profiles():
    for preset in ("ci", "full"):
        nb = yaml.safe_load((ROOT / "notebooks" / "profiles" / f"{preset}.yml").read_text())["notebooks"]
        p09 = nb["09_exposure"]
        p = hsim.PRESETS[preset]
        assert (p["scale"], p["folds"], p["ln_users"], p["n_estimators"], p["min_group_size"]) == (
            p09["profile_scale"], p09["pfli_folds"], p09["ln_users"], p09["n_estimators"],
            p09["min_group_size"])


def test_share_intervals_stay_in_unit_range():
    # two splits near 1: the plain t(1) interval reaches 1.585; a share's is cut at 1
    m, lo, hi = summary.mean_interval([0.9, 1.0], bounds=summary.SHARE)
    assert (round(m, 3), round(lo, 3), hi) == (0.95, 0.315, 1.0)
    assert summary.mean_interval([0.0, 0.1], bounds=summary.SHARE)[1] == 0.0
    with pytest.raises(ValueError, match="leave bounds"):
        summary.mean_interval([0.5, 1.2], bounds=summary.SHARE)
    with pytest.raises(ValueError, match="bounds"):
        summary.summarise_splits(pd.DataFrame({"g": [1], "x": [0.1]}), ["g"], ["x"],
                                 bounds={"y": summary.SHARE})


def test_whatif_intervals_are_bounded():
    out = pd.DataFrame({"split": [0, 0, 1, 1], "disclosure": "exact", "person_id": [0, 1, 0, 1],
                        "task": "education", "correct": [True, True, True, False]})
    use = pd.DataFrame({"disclosure": ["exact"] * 2, "person_id": [0, 1], "useful": [True, True],
                        "location_error_km": [0.0, 0.0]})
    t = summary.whatif_table(out, use)
    assert t["ci_high"].iloc[0] == 1.0 and t["ci_low"].iloc[0] >= 0.0
    assert t["utility_ci_high"].iloc[0] <= 1.0


def test_risk_level_error_names_nan_plainly():
    from homelib.exposure.risk import risk_levels

    with pytest.raises(ValueError, match=r"exposure_probability = nan is outside"):
        risk_levels([0.2, np.nan])


def test_bad_level_and_unknown_person_are_named_plainly():
    # NumPy 2 prints its scalars as np.float64(3.0) / np.int64(8): the messages show the value
    with pytest.raises(ValueError, match=r"levels: value 3 is not a class 0\.\.2"):
        chain.national_distribution(pd.Series([0, 3]))
    with pytest.raises(ValueError, match=r"levels: value 1\.5 is not a class"):
        chain.city_distribution(pd.Series([0, 1.5]), pd.Series(["A", "A"]))
    X = pd.DataFrame({"hp_count": [0.0], "rp_count": [1.0], "poi_count": [9.0],
                      "urban_type": ["rural"]}, index=pd.Index([7], name="person_id"))
    o = pd.DataFrame({"person_id": [8], "task": ["education"], "confidence": [0.6],
                      "correct": [True]})
    with pytest.raises(KeyError, match=r"outcomes: person_id 8 is not in the feature table"):
        hx.exposure_table(o, X)


# ---------------------------------------------------------------------------
# chapter 13 on a feature table of your own: the exposure features' columns
# ---------------------------------------------------------------------------


def test_home_columns_from_features_or_meta():
    X = pd.DataFrame({"hp_count": [3.0, 0.0], "rp_count": [1.0, 2.0], "price": [1.0, 2.0],
                      "urban_type": pd.Categorical(["rural", "city_border"])}, index=[5, 9])
    meta = pd.DataFrame({"poi_count": ["12", "0"], "rp_count": ["99", "99"]}, index=[5, 9])
    h = hx.home_columns(X, meta)
    assert list(h.columns) == list(hx.HOME_COLUMNS) and list(h.index) == [5, 9]
    assert h["rp_count"].tolist() == [1.0, 2.0]  # a feature column wins over a meta one
    assert h["poi_count"].tolist() == [12.0, 0.0]
    o = pd.DataFrame({"person_id": [9], "task": ["education"], "confidence": [0.5], "correct": [False]})
    t = hx.exposure_table(o, h)
    assert t[["has_sale_2km", "has_rent_2km", "is_city"]].to_numpy().tolist() == [[False, True, True]]


@pytest.mark.parametrize("change, message", [
    ({"poi_count": ["12", ""]}, r"column 'poi_count', row 1, value ''"),
    ({"poi_count": ["-1", "3"]}, r"column 'poi_count', row 0, value '-1'"),
    ({"urban_type": ["rural", "suburb"]}, r"column 'urban_type', row 1, value 'suburb'"),
])
def test_home_columns_name_a_bad_value(change, message):
    meta = pd.DataFrame({"hp_count": ["1", "2"], "rp_count": ["0", "0"], "poi_count": ["5", "6"],
                         "urban_type": ["rural", "rural"]})
    with pytest.raises(ValueError, match=message):
        hx.home_columns(pd.DataFrame({"price": [1.0, 2.0]}), meta.assign(**change))


def test_home_columns_name_every_missing_column():
    with pytest.raises(ValueError, match=r"missing column\(s\) \['hp_count', 'rp_count', 'poi_count'\]"):
        hx.home_columns(pd.DataFrame({"urban_type": ["rural"]}))


def test_people_per_city_counts_or_weighs():
    c = pd.Series(["x", "y", "x", "x"])
    assert chain.people_per_city(c).to_dict() == {"x": 3.0, "y": 1.0}
    assert chain.people_per_city(c, pd.Series([1.0, 2.0, 0.5, 0.5])).to_dict() == {"x": 2.0, "y": 2.0}
    with pytest.raises(ValueError, match="weights"):
        chain.people_per_city(c, pd.Series([1.0, 0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="no city"):
        chain.people_per_city(pd.Series(["x", None]))
