"""Tests of homelib.exposure on a tiny hand-made SocialWorld-shaped stand-in.

The stand-in world has 6 places in two far-apart clusters (3 around Paris, 3
around Beijing) and 10 users; the stand-in PFLI model scores a user by one
vote for the visible hometown, one for the organisation's site and one per
LA friend's current place (a uniform prior row when nothing is visible), so
every number below can be checked by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from homelib.exposure import estimator as exp_estimator
from homelib.exposure import features as exp_features
from homelib.exposure import models as exp_models
from homelib.exposure import profile, risk
from homelib.exposure import report as exposure_report
from homelib.io import load_reference
from homelib.pfli.clusters import cluster_places, select_locations
from homelib.pfli.model import PFLIConfig, fit_pfli
from homelib.pfli.world import SocialConfig, build_social_world


@dataclass
class StandInWorld:
    places: pd.DataFrame
    users: pd.DataFrame
    edges: np.ndarray
    adjacency: sp.csr_matrix
    orgs: pd.DataFrame


def _world() -> StandInWorld:
    places = pd.DataFrame(
        {
            "place_id": range(6),
            "name": ["Paris", "Evry", "Versailles", "Beijing", "Tianjin", "Langfang"],
            "country": ["FR"] * 3 + ["CN"] * 3,
            "lat": [48.86, 48.63, 48.80, 39.90, 39.13, 39.52],
            "lon": [2.35, 2.44, 2.13, 116.40, 117.20, 116.70],
            "population": [2_100_000, 53_000, 85_000, 21_500_000, 13_900_000, 4_400_000],
        }
    )
    # user: current, hometown, work, current_visible, ht_vis, we_vis, f_vis
    rows = [
        (0, 1, 0, False, True, True, True),  # HT+WE+F
        (0, 0, -1, True, True, False, True),  # LA user, HT+F
        (1, -1, 0, True, False, True, False),  # LA user, WE
        (3, 3, 1, False, True, True, False),  # HT+WE
        (3, -1, -1, True, False, False, True),  # LA user, F
        (4, 4, -1, False, True, False, False),  # HT
        (3, -1, 1, False, False, True, True),  # WE+F
        (5, 2, -1, False, False, False, False),  # nothing visible
        (2, -1, -1, False, False, False, True),  # F
        (3, 5, 1, False, True, False, True),  # HT+F (work not visible)
    ]
    users = pd.DataFrame(
        rows,
        columns=[
            "current_place", "hometown", "work", "current_visible",
            "hometown_visible", "work_visible", "friends_visible",
        ],
    )
    users.insert(0, "user_id", range(len(users)))
    edges = np.array([[0, 1], [0, 2], [0, 4], [1, 8], [3, 4], [4, 6], [6, 9], [7, 9], [4, 9]])
    n = len(users)
    adj = sp.csr_matrix((np.ones(2 * len(edges)), (np.r_[edges[:, 0], edges[:, 1]],
                                                   np.r_[edges[:, 1], edges[:, 0]])), shape=(n, n))
    orgs = pd.DataFrame({"org_id": [0, 1], "name": ["Telecom SudParis", "PKU"], "sites": [[1], [3]]})
    return StandInWorld(places, users, edges, adj, orgs)


class StandInPFLI:
    """Votes: hometown, organisation site, LA friends' places; uniform prior."""

    def score(self, world, users, *, hide=frozenset()):
        n_places = len(world.places)
        u = world.users
        out = np.zeros((len(users), n_places))
        for r, uid in enumerate(users):
            row = u.iloc[uid]
            if row.hometown_visible and row.hometown >= 0 and "HT" not in hide:
                out[r, row.hometown] += 1
            if row.work_visible and row.work >= 0 and "WE" not in hide:
                site = world.orgs.set_index("org_id").loc[row.work, "sites"][0]
                out[r, site] += 1
            if row.friends_visible and "F" not in hide:
                for v in world.adjacency[uid].indices:
                    if u.iloc[v].current_visible:
                        out[r, u.iloc[v].current_place] += 1
            if out[r].sum() == 0:
                out[r] = 1.0
            out[r] /= out[r].sum()
        return sp.csr_matrix(out)


CLUSTERS = np.array([0, 0, 0, 1, 1, 1])


def _groups_synthetic(seed: int = 0, n: int = 600) -> pd.DataFrame:
    """Group rows whose EP is a known non-linear function of the features."""
    rng = np.random.default_rng(seed)
    cat = rng.choice(exp_features.ALL_CATEGORIES, n)
    k = rng.choice([10.0, 20.0, 50.0, 100.0], n)
    pct = rng.uniform(0, 50, n)
    cc = rng.uniform(0, 1, n)
    base = np.array([0.2 if "WE" in c else 0.05 for c in cat])
    ep = np.clip(base + 0.7 * (cc > 0.5) * (k >= 20) + 0.002 * pct, 0, 1)
    return pd.DataFrame({"category": cat, "k_km": k, "pct_friends_with_attributes": pct,
                         "cluster_confidence": cc, "ep": ep, "n_users": 20})


@pytest.fixture(scope="module")
def world() -> StandInWorld:
    return _world()


@pytest.fixture(scope="module")
def estimator(world) -> exp_estimator.ExposureEstimator:
    groups = _groups_synthetic()
    model = exp_models.fit_exposure_model(groups, n_estimators=30, seed=0)
    return exp_estimator.ExposureEstimator(world, StandInPFLI(), CLUSTERS, model)


# --- risk levels (Table 3) -------------------------------------------------


def test_risk_level_band_edges():
    eps = [0.0, 0.2499999, 0.25, 0.4999999, 0.5, 0.7499999, 0.75, 0.8999999, 0.9, 1.0]
    assert risk.risk_levels(eps).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_risk_levels_match_reference_table():
    ref = load_reference("pfli_table3_risk_levels.csv")
    for row in ref.itertuples():
        assert risk.risk_level(row.exposure_probability_low) == row.risk_level
        assert risk.risk_band(row.risk_level) == pytest.approx(
            (row.exposure_probability_low, row.exposure_probability_high)
        )


def test_risk_levels_of_paper_cases():
    for ref in ("pfli_table7_cases.csv", "pfli_table8_hiding_u1.csv"):
        t = load_reference(ref)
        assert risk.risk_levels(t["exposure_probability"]).tolist() == t["risk_level"].tolist()


@given(st.floats(0, 1))
def test_risk_level_is_in_its_band(p):
    level = risk.risk_level(p)
    low, high = risk.risk_band(level)
    assert low <= p and (p < high or (level == 5 and p <= 1))


@pytest.mark.parametrize("bad", [-0.01, 1.01, float("nan")])
def test_risk_level_rejects_out_of_range(bad):
    with pytest.raises(ValueError, match="exposure_probability"):
        risk.risk_level(bad)


@pytest.mark.parametrize("bad", [0, 6, -1])
def test_target_level_outside_1_5(bad, estimator):
    with pytest.raises(ValueError, match="target_level"):
        exp_estimator.exposure_report(0, 100, estimator=estimator, target_level=bad)


def test_target_level_wrong_type(estimator):
    with pytest.raises(TypeError, match="target_level"):
        exp_estimator.exposure_report(0, 100, estimator=estimator, target_level=2.5)


# --- user categories (Table 4) ----------------------------------------------


def test_seven_categories_of_table4():
    assert len(exp_features.USER_CATEGORIES) == 7
    assert len(set(exp_features.USER_CATEGORIES)) == 7
    got = {exp_features.category_of(h, w, f) for h in (0, 1) for w in (0, 1) for f in (0, 1)}
    assert got == set(exp_features.USER_CATEGORIES) | {exp_features.NO_CATEGORY}


def test_user_category_on_hand_world(world):
    cats = exp_features.user_category(world, range(10)).tolist()
    assert cats == ["HT+WE+F", "HT+F", "WE", "HT+WE", "F", "HT", "WE+F", "none", "F", "HT+F"]


def test_user_category_with_hide(world):
    assert exp_features.user_category(world, [0], "WE").tolist() == ["HT+F"]
    assert exp_features.user_category(world, [0], {"HT", "WE", "F"}).tolist() == ["none"]
    # hiding a field the user does not show changes nothing
    assert exp_features.user_category(world, [5], "F").tolist() == ["HT"]


def test_friend_list_visible_but_empty_is_not_shown():
    w = _world()
    assert w.adjacency[5].nnz == 0 and w.adjacency[8].nnz > 0  # user 5 has no friends, 8 has
    w.users.loc[[5, 8], "friends_visible"] = True
    # a visible but empty friend list shows nothing; a visible list with friends shows F
    assert exp_features.user_category(w, [5, 8]).tolist() == ["HT", "F"]


def test_parse_hide():
    assert exp_features.parse_hide("HT+F") == frozenset({"HT", "F"})
    assert exp_features.parse_hide(None) == frozenset()
    with pytest.raises(ValueError, match="hide"):
        exp_features.parse_hide("HT+XX")
    assert [exp_features.hide_label(h) for h in exp_features.HIDING_SUBSETS] == [
        "", "HT", "WE", "F", "HT+WE", "HT+F", "WE+F", "HT+WE+F"
    ]


def test_unknown_user_id(world):
    with pytest.raises(KeyError, match="user: unknown user id 99"):
        exp_features.user_category(world, [0, 99])
    with pytest.raises(TypeError, match="user"):
        exp_features.user_category(world, [0.5])


# --- % friends with attributes ----------------------------------------------


def test_pct_friends_with_attributes_hand_count(world):
    # user 0: friends 1 (HT), 2 (WE), 4 (nothing) -> 2/3
    # user 4: friends 0, 3, 6, 9 -> all show HT or WE -> 100
    # user 9: friends 6 (WE), 7 (nothing), 4 (nothing) -> 1/3
    # user 3: friend list not visible -> 0
    got = exp_features.pct_friends_with_attributes(world, [0, 4, 9, 3])
    np.testing.assert_allclose(got, [200 / 3, 100.0, 100 / 3, 0.0])
    assert exp_features.pct_friends_with_attributes(world, [0], "F")[0] == 0.0
    # hiding the user's own HT does not change the friends' share
    assert exp_features.pct_friends_with_attributes(world, [0], "HT")[0] == pytest.approx(200 / 3)


# --- cluster confidence (Eq 9) ----------------------------------------------


def test_cluster_confidence_hand_vector():
    p = np.array([[0.1, 0.2, 0.05, 0.3, 0.25, 0.1]])
    # cluster 0: 0.35, cluster 1: 0.65
    assert exp_features.cluster_confidence(p, CLUSTERS)[0] == pytest.approx(0.65)
    # unnormalised row and sparse input give the same
    assert exp_features.cluster_confidence(sp.csr_matrix(p * 7), CLUSTERS)[0] == pytest.approx(0.65)
    # a row of zeros gets 0, a single-place row gets 1
    z = exp_features.cluster_confidence(np.array([[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 3, 0]]), CLUSTERS)
    assert z.tolist() == [0.0, 1.0]


def test_cluster_confidence_bad_input():
    with pytest.raises(ValueError, match="clusters"):
        exp_features.cluster_confidence(np.ones((1, 5)), CLUSTERS)
    with pytest.raises(ValueError, match="negative"):
        exp_features.cluster_confidence(-np.ones((1, 6)), CLUSTERS)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 6), st.integers(1, 8), st.integers(0, 10_000))
def test_cluster_confidence_matches_loop(n_clusters, n_users, seed):
    rng = np.random.default_rng(seed)
    lab = rng.integers(0, n_clusters, 12)
    p = rng.random((n_users, 12)) * (rng.random((n_users, 12)) < 0.5)
    got = exp_features.cluster_confidence(p, lab)
    for i in range(n_users):
        total = p[i].sum()
        want = max(p[i][lab == c].sum() for c in np.unique(lab)) / total if total else 0.0
        assert got[i] == pytest.approx(want)


# --- EP@K (Eq 8) ------------------------------------------------------------


def test_ep_at_k_hand_count():
    t = pd.DataFrame(
        {
            "category": ["F", "F", "F", "F", "WE", "WE"],
            "error_km": [0.0, 19.9, 20.0, 500.0, 3.0, 150.0],
        }
    )
    ep = exp_features.ep_at_k(t, [20, 100, 1000], by=["category"]).set_index(["category", "k_km"])
    # F: errors < 20 -> 2 of 4; < 100 -> 3 of 4 (20.0 is not < 20 but is < 100); < 1000 -> 4
    assert ep.loc[("F", 20.0), "ep"] == pytest.approx(2 / 4)
    assert ep.loc[("F", 100.0), "ep"] == pytest.approx(3 / 4)
    assert ep.loc[("F", 1000.0), "ep"] == 1.0
    assert ep.loc[("WE", 100.0), "n_exposed"] == 1
    assert ep.loc[("WE", 100.0), "n_users"] == 2


def test_ep_at_k_uses_cmb_switch():
    t = pd.DataFrame({"error_prob_km": [5.0, 60.0], "error_cent_km": [30.0, 30.0]})
    ep = exp_features.ep_at_k(t, [10, 39.9, 40, 50]).set_index("k_km")["ep"]
    # K < 40: prob errors (5, 60); K >= 40: cent errors (30, 30)
    assert ep.tolist() == [0.5, 0.5, 1.0, 1.0]


def test_ep_at_k_equals_acc_at_k_overall():
    from homelib.metrics import acc_at_k

    rng = np.random.default_rng(1)
    e = rng.exponential(80, 200)
    t = pd.DataFrame({"error_km": e})
    for k in (10, 40, 100):
        assert exp_features.ep_at_k(t, [k])["ep"].iloc[0] == pytest.approx(acc_at_k(e, k))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 5000), min_size=1, max_size=30),
       st.lists(st.floats(0.1, 3000), min_size=2, max_size=6, unique=True))
def test_ep_at_k_is_monotone_in_k_and_counts(errors, ks):
    t = pd.DataFrame({"error_km": errors})
    ep = exp_features.ep_at_k(t, ks)
    assert ep["ep"].is_monotonic_increasing
    for row in ep.itertuples():
        assert row.n_exposed == sum(e < row.k_km for e in errors)
        assert row.n_users == len(errors)


def test_ep_at_k_bad_k():
    t = pd.DataFrame({"error_km": [1.0]})
    with pytest.raises(ValueError, match="ks"):
        exp_features.ep_at_k(t, [0])
    with pytest.raises(ValueError, match="error"):
        exp_features.ep_at_k(pd.DataFrame({"x": [1.0]}), [10])


def test_exposure_groups_binning_and_means():
    t = pd.DataFrame(
        {
            "category": ["F", "F", "F", "HT"],
            "pct_friends_with_attributes": [1.0, 4.0, 5.0, 0.0],
            "cluster_confidence": [0.30, 0.34, 0.31, 1.0],
            "error_km": [1.0, 100.0, 1.0, 1.0],
        }
    )
    g = exp_features.exposure_groups(t, [10], exp_features.BinSpec(pct_width=5, cc_width=0.05))
    g = g.set_index(["category", "pct_bin", "cc_bin"])
    assert g.loc[("F", 0, 6), "n_users"] == 2
    assert g.loc[("F", 0, 6), "ep"] == 0.5
    assert g.loc[("F", 0, 6), "pct_friends_with_attributes"] == pytest.approx(2.5)
    assert g.loc[("F", 1, 6), "n_users"] == 1
    assert g.loc[("HT", 0, 19), "cluster_confidence"] == 1.0


def test_exposure_user_table_from_per_user(world):
    per_user = pd.DataFrame(
        {
            "user_id": [0, 3, 0, 3],
            "method": ["PFLI_prob", "PFLI_prob", "PFLI_cent", "PFLI_cent"],
            "error_km": [1.0, 300.0, 12.0, 250.0],
            "cluster_prob": [0.9, 0.4, 0.9, 0.4],
            "pred_lat": 0.0, "pred_lon": 0.0, "has_la_friends": True,
        }
    )
    t = exp_features.exposure_user_table(world, per_user)
    assert t["user_id"].tolist() == [0, 3]
    assert t["category"].tolist() == ["HT+WE+F", "HT+WE"]
    assert t["error_cent_km"].tolist() == [12.0, 250.0]
    with pytest.raises(ValueError, match="cluster_prob"):
        exp_features.exposure_user_table(world, per_user.drop(columns="cluster_prob"))


# --- exposure models (Tables 5-6) -------------------------------------------


def test_model_names_match_reference():
    g = _groups_synthetic(n=200)
    res = exp_models.evaluate_exposure_models(g, folds=3, n_estimators=10, seed=0)
    ref = load_reference("pfli_table5_6_exposure_model.csv")
    assert res["model"].tolist() == ref["model"].tolist()
    assert (res[["mae", "rmse"]] >= 0).all().all()
    assert (res["rmse"] >= res["mae"] - 1e-12).all()


def test_rdf_beats_linear_on_nonlinear_target():
    g = _groups_synthetic(n=600)
    rdf = exp_models.cross_validate_exposure(g, kind="rdf", folds=5, n_estimators=30)
    lin = exp_models.cross_validate_exposure(g, kind="linear", folds=5)
    assert rdf["mae"] < lin["mae"]
    # dropping the decisive feature hurts
    no_cc = exp_models.cross_validate_exposure(
        g, features=["error_distance", "user_category", "pct_friends_with_attributes"],
        folds=5, n_estimators=30,
    )
    assert no_cc["mae"] > rdf["mae"]


def test_linear_cv_matches_sklearn_cross_val_predict():
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import KFold, cross_val_predict

    g = _groups_synthetic(n=300)
    res = exp_models.cross_validate_exposure(g, kind="linear", folds=4, seed=3)
    x = exp_models.design_matrix(g)
    pred = cross_val_predict(LinearRegression(), x, g["ep"], cv=KFold(4, shuffle=True,
                                                                     random_state=3))
    pred = np.clip(pred, 0, 1)
    assert res["mae"] == pytest.approx(np.abs(pred - g["ep"]).mean())


def test_grouped_cv_keeps_groups_together():
    rng = np.random.default_rng(0)
    n = 3000
    t = pd.DataFrame({"category": rng.choice(exp_features.USER_CATEGORIES, n),
                      "pct_friends_with_attributes": rng.uniform(0, 100, n),
                      "cluster_confidence": rng.uniform(0, 1, n),
                      "error_km": rng.exponential(100, n)})
    g = exp_features.exposure_groups(t, [20, 100], exp_features.BinSpec(pct_width=25, cc_width=0.25))
    loose = exp_models.cross_validate_exposure(g, folds=4, n_estimators=10, min_group_size=5)
    strict = exp_models.cross_validate_exposure(g, folds=4, n_estimators=10, min_group_size=5,
                                        by_group=True)
    assert strict["n_rows"] == loose["n_rows"]
    assert strict["mae"] != loose["mae"]
    res = exp_models.evaluate_exposure_models(g, folds=4, n_estimators=10, min_group_size=5,
                                      by_group=True, models=["RDF", "LinearRegression"])
    assert res["model"].tolist() == ["RDF", "LinearRegression"]
    with pytest.raises(ValueError, match="by_group"):
        exp_models.cross_validate_exposure(_groups_synthetic(n=50), folds=3, by_group=True)
    with pytest.raises(ValueError, match="models"):
        exp_models.evaluate_exposure_models(g, models=["SVM"])


def test_min_group_size_drops_are_counted():
    g = _groups_synthetic(n=100)
    g.loc[:9, "n_users"] = 3
    m = exp_models.fit_exposure_model(g, n_estimators=5, min_group_size=10)
    assert (m.n_rows_, m.n_rows_dropped_) == (90, 10)
    with pytest.raises(ValueError, match="min_group_size"):
        exp_models.fit_exposure_model(g, min_group_size=1000)


def test_unknown_feature_or_category():
    g = _groups_synthetic(n=50)
    with pytest.raises(ValueError, match="features"):
        exp_models.fit_exposure_model(g, features=["age"])
    bad = g.assign(category="HT+XX")
    with pytest.raises(ValueError, match="category"):
        exp_models.fit_exposure_model(bad)


def test_exposure_model_is_a_sklearn_estimator():
    from sklearn.base import clone
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.model_selection import KFold

    g = _groups_synthetic(n=200)
    m = exp_models.ExposureModel(n_estimators=7, seed=4)
    c = clone(m).set_params(kind="linear")
    assert c.get_params()["kind"] == "linear" and m.get_params()["kind"] == "rdf"
    with pytest.raises(Exception, match="not fitted"):
        m.predict(g)
    # the cross-validation equals a hand-written KFold loop over the same forests
    res = exp_models.cross_validate_exposure(g, folds=4, n_estimators=7, seed=4, min_group_size=1)
    x, y = exp_models.design_matrix(g), g["ep"].to_numpy()
    pred = np.empty_like(y)
    for tr, te in KFold(4, shuffle=True, random_state=4).split(x):
        rf = RandomForestRegressor(n_estimators=7, max_features=0.5, max_samples=0.5, random_state=4)
        pred[te] = np.clip(rf.fit(x[tr], y[tr]).predict(x[te]), 0, 1)
    assert res["mae"] == pytest.approx(np.abs(pred - y).mean(), abs=1e-12)
    fitted = exp_models.fit_exposure_model(g, n_estimators=7, seed=4, min_group_size=1)
    assert [n for n, _ in fitted.pipeline_.steps] == ["design", "regressor"]
    assert fitted.ks_ == tuple(sorted(g["k_km"].unique()))


def test_models_are_seeded():
    g = _groups_synthetic(n=200)
    a = exp_models.cross_validate_exposure(g, folds=3, n_estimators=10, seed=5)
    b = exp_models.cross_validate_exposure(g, folds=3, n_estimators=10, seed=5)
    assert a == b


# --- the estimator (Tables 7-8) ---------------------------------------------


def test_features_through_pfli(world):
    f = exp_estimator.exposure_features(world, StandInPFLI(), CLUSTERS, [0, 3, 7]).set_index("user_id")
    # user 0: HT Evry, WE site Evry, LA friends 1 (Paris), 2 (Evry), 4 (Beijing)
    # -> votes Paris 1, Evry 3, Beijing 1 -> CC = 4/5
    assert f.loc[0, "cluster_confidence"] == pytest.approx(0.8)
    # user 3: HT Beijing, WE Beijing -> 1
    assert f.loc[3, "cluster_confidence"] == pytest.approx(1.0)
    # user 7: nothing -> uniform prior -> 0.5
    assert f.loc[7, "cluster_confidence"] == pytest.approx(0.5)
    # hiding WE + F of user 0 leaves only the hometown vote
    h = exp_estimator.exposure_features(world, StandInPFLI(), CLUSTERS, [0], "WE+F")
    assert h["cluster_confidence"].iloc[0] == pytest.approx(1.0)
    assert h["category"].iloc[0] == "HT"


def test_hiding_everything_equals_user_who_shows_nothing(estimator, world):
    hidden = exp_estimator.exposure_features(world, StandInPFLI(), CLUSTERS, [0], "HT+WE+F")
    nothing = exp_estimator.exposure_features(world, StandInPFLI(), CLUSTERS, [7])
    cols = ["category", "pct_friends_with_attributes", "cluster_confidence"]
    assert hidden[cols].to_dict("records") == nothing[cols].to_dict("records")
    rep0 = exp_estimator.exposure_report(0, 100, estimator=estimator)
    rep7 = exp_estimator.exposure_report(7, 100, estimator=estimator)
    all_hidden = rep0.variants.set_index("hide").loc["HT+WE+F"]
    assert all_hidden["exposure_probability"] == pytest.approx(
        rep7.current["exposure_probability"]
    )
    assert all_hidden["risk_level"] == rep7.current["risk_level"]
    # a profile that shows nothing is the same too
    prof = exp_estimator.exposure_report({"hometown": None, "work": None, "friends": None}, 100,
                              estimator=estimator)
    assert prof.current["exposure_probability"] == pytest.approx(
        rep7.current["exposure_probability"]
    )


def test_report_has_eight_variants(estimator):
    rep = exp_estimator.exposure_report(0, 100, estimator=estimator, target_level=1)
    v = rep.variants
    assert len(v) == 8
    assert v["setting"].iloc[0] == "current (HT+WE+F)"
    assert v["setting"].tolist()[1:] == ["hide HT", "hide WE", "hide F", "hide HT+WE",
                                         "hide HT+F", "hide WE+F", "hide HT+WE+F"]
    assert ((v["risk_level"] >= 1) & (v["risk_level"] <= 5)).all()
    assert rep.table8().columns.tolist() == ["setting", "exposure_probability", "risk_level"]
    # the advice follows the variants: the fewest fields hidden that reach level 1
    now = int(rep.current["risk_level"])
    reach = v[v["risk_level"] <= 1]
    if now <= 1:
        assert rep.advice() == f"already at level {now}, within the requested level 1"
    elif reach.empty:
        assert rep.suggestion is None
        assert rep.advice() == "no way of hiding HT, WE, F reaches level 1 or below"
    else:
        s = rep.suggestion
        assert s["n_changed"] == reach["n_changed"].min() and s["risk_level"] <= 1
        assert rep.advice().startswith(f"hide {s['changed']} to go from level {now} to level "
                                       f"{int(s['risk_level'])} (EP ")
    # user 5 shows only HT: hiding F changes nothing
    rep5 = exp_estimator.exposure_report(5, 20, estimator=estimator).variants.set_index("hide")
    assert rep5.loc["F", "n_changed"] == 0
    assert rep5.loc["F", "exposure_probability"] == rep5.loc["", "exposure_probability"]


def test_advice_sentences_by_hand():
    cur = pd.Series({"risk_level": 4, "exposure_probability": 0.8})
    sug = pd.Series({"changed": "HT+F", "risk_level": 2, "exposure_probability": 0.3})
    rep = exp_estimator.ExposureReport(0, 100.0, cur, pd.DataFrame(), 2, sug)
    assert rep.advice() == "hide HT+F to go from level 4 to level 2 (EP 0.800 -> 0.300)"
    assert exp_estimator.ExposureReport(0, 100.0, cur, pd.DataFrame(), 1, None).advice() == (
        "no way of hiding HT, WE, F reaches level 1 or below")
    assert exp_estimator.ExposureReport(0, 100.0, cur, pd.DataFrame(), 5, None).advice() == (
        "already at level 4, within the requested level 5")
    assert exp_estimator.ExposureReport(0, 100.0, cur, pd.DataFrame(), None, None).advice() == (
        "no target level requested")


@pytest.mark.parametrize("user", [[5, 7], (5,), np.array([5, 7]), True, 5.5])
def test_report_takes_exactly_one_user(estimator, user):
    with pytest.raises(TypeError, match=r"user: expected one user id"):
        exp_estimator.exposure_report(user, 100, estimator=estimator)


def test_smallest_change_prefers_fewest_fields():
    v = pd.DataFrame(
        {
            "hide": ["", "HT", "WE", "F", "HT+WE", "HT+F", "WE+F", "HT+WE+F"],
            "changed": ["", "HT", "WE", "F", "HT+WE", "HT+F", "WE+F", "HT+WE+F"],
            "n_changed": [0, 1, 1, 1, 2, 2, 2, 3],
            "exposure_probability": [0.967, 0.936, 0.503, 0.944, 0.073, 0.9, 0.456, 0.05],
        }
    )
    v["risk_level"] = risk.risk_levels(v["exposure_probability"])
    assert exp_estimator.smallest_change(v, 5)["hide"] == ""
    assert exp_estimator.smallest_change(v, 3)["hide"] == "WE"
    assert exp_estimator.smallest_change(v, 2)["hide"] == "HT+WE"  # tie on 2 fields: lowest EP
    assert exp_estimator.smallest_change(v, 1)["hide"] == "HT+WE"
    assert exp_estimator.smallest_change(v[v["exposure_probability"] > 0.3], 1) is None


def test_report_bad_input(estimator):
    with pytest.raises(KeyError, match="user"):
        exp_estimator.exposure_report(10_000, 100, estimator=estimator)
    with pytest.raises(ValueError, match="k_km"):
        exp_estimator.exposure_report(0, 0, estimator=estimator)
    with pytest.raises(ValueError, match="k_km"):
        exp_estimator.exposure_report(0, -5.0, estimator=estimator)
    with pytest.raises(ValueError, match="hometown"):
        exp_estimator.exposure_report({"hometown": "Atlantis"}, 100, estimator=estimator)
    with pytest.raises(ValueError, match="hometown"):
        exp_estimator.exposure_report({"hometown": 99}, 100, estimator=estimator)
    with pytest.raises(ValueError, match="work"):
        exp_estimator.exposure_report({"work": 7}, 100, estimator=estimator)
    with pytest.raises(ValueError, match="friends"):
        exp_estimator.exposure_report({"friends": [0, 123]}, 100, estimator=estimator)
    with pytest.raises(KeyError, match="age"):
        exp_estimator.exposure_report({"age": 30}, 100, estimator=estimator)


def test_profile_equal_to_a_user_gives_the_same_features(estimator, world):
    # user 3 has HT Beijing (3), WE PKU (1), no visible friends
    prof = exp_estimator.exposure_report({"hometown": "Beijing", "work": 1}, 20, estimator=estimator)
    rep3 = exp_estimator.exposure_report(3, 20, estimator=estimator)
    cols = ["category", "pct_friends_with_attributes", "cluster_confidence",
            "exposure_probability", "risk_level"]
    assert prof.variants[cols].to_dict("records") == rep3.variants[cols].to_dict("records")
    # the world is not modified by a profile
    assert len(world.users) == 10 and world.adjacency.shape == (10, 10)


def test_profile_with_friends(world):
    w2, uid = profile.world_with_profile(world, {"friends": [1, 4], "hometown": 0})
    assert uid == 10 and w2.adjacency.shape == (11, 11)
    assert w2.adjacency[10].indices.tolist() == [1, 4]
    assert (w2.adjacency != w2.adjacency.T).nnz == 0
    assert exp_features.user_category(w2, [10]).tolist() == ["HT+F"]
    assert w2.edges.shape == (len(world.edges) + 2, 2)


def test_pick_cases_contract(estimator):
    cases = exp_estimator.pick_cases(estimator, range(10), ks=(100, 20), per_level=2, seed=0)
    assert cases.columns.tolist() == [
        "user", "category", "cluster_confidence", "error_distance_km",
        "pct_friends_with_attributes", "exposure_probability", "risk_level",
    ]
    assert set(cases["error_distance_km"]) <= {100.0, 20.0}
    assert (risk.risk_levels(cases["exposure_probability"]) == cases["risk_level"]).all()
    again = exp_estimator.pick_cases(estimator, range(10), ks=(100, 20), per_level=2, seed=0)
    pd.testing.assert_frame_equal(cases, again)


def test_check_guidelines_runs(estimator):
    wi = exp_estimator.what_if(estimator, range(10), 100)
    assert len(wi) == 80
    g = exp_estimator.check_guidelines(wi)
    assert g["guideline"].tolist() == [1, 2, 3]
    assert g["holds"].dtype == bool


def test_reliability_table_counts(estimator):
    t = pd.DataFrame({"category": ["HT+WE+F", "none", "none"],
                      "pct_friends_with_attributes": [50.0, 0.0, 0.0],
                      "cluster_confidence": [0.9, 0.1, 0.1],
                      "error_km": [1.0, 500.0, 5.0]})
    r = exp_estimator.reliability_table(estimator.model, t, 100)
    assert r["risk_level"].tolist() == [1, 2, 3, 4, 5]
    assert r["n_users"].sum() == 3
    pred = estimator.model.predict(t.assign(k_km=100.0))
    lv = risk.risk_levels(pred)
    row = r.set_index("risk_level").loc[lv[0]]
    hits = (t["error_km"] < 100).to_numpy()[lv == lv[0]]
    assert row["observed_share"] == pytest.approx(hits.mean())


def test_pick_report_user_and_book_vs_paper(estimator):
    uid = exposure_report.pick_report_user(estimator, range(10), 100)
    assert exp_features.user_category(estimator.world, [uid]).tolist() == ["HT+WE+F"]
    rep = exp_estimator.exposure_report(uid, 100, estimator=estimator)
    models = exp_models.evaluate_exposure_models(_groups_synthetic(n=120), folds=3, n_estimators=5)
    t = pd.DataFrame({"category": ["WE", "HT+WE"], "error_km": [1.0, 300.0]})
    ep_cat = exp_features.ep_at_k(t, [20, 100], by=["category"])
    cmp_ = exposure_report.book_vs_paper(models, ep_cat, rep)
    assert cmp_.columns.tolist() == ["quantity", "paper", "book"]
    assert len(cmp_) == 12 + 6 + 2  # Tables 5-6, Table 8, two Table 7 cases (no typed verdicts)
    t7 = cmp_.set_index("quantity")["paper"]
    assert t7[t7.index.str.startswith("Table 7 U9")].iloc[0] == 0.834  # read from data/reference
    assert cmp_["paper"].notna().all()


def test_inputs_not_mutated(world):
    before = world.users.copy()
    adj = world.adjacency.copy()
    exp_estimator.exposure_features(world, StandInPFLI(), CLUSTERS, [0, 1], "HT+F")
    profile.world_with_profile(world, {"friends": [0]})
    pd.testing.assert_frame_equal(world.users, before)
    assert (world.adjacency != adj).nnz == 0


def test_plots_return_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    n = 400
    t = pd.DataFrame(
        {
            "category": rng.choice(exp_features.USER_CATEGORIES, n),
            "pct_friends_with_attributes": rng.uniform(0, 40, n),
            "cluster_confidence": rng.uniform(0, 1, n),
            "error_prob_km": rng.exponential(60, n),
            "error_cent_km": rng.exponential(50, n),
        }
    )
    for fig in (
        exposure_report.plot_ep_by_category(t, [20, 100]),
        exposure_report.plot_ep_by_friends(t, [20, 100], min_users=1),
        exposure_report.plot_ep_by_confidence(t, [20, 100], min_users=1),
    ):
        assert fig.axes
        plt.close(fig)


# --- with the real PFLI model on a tiny simulated world ----------------------


@pytest.fixture(scope="module")
def real():
    w = build_social_world(SocialConfig(n_users=400, n_places=30, n_multi_orgs=3), seed=1)
    model = fit_pfli(w, config=PFLIConfig(train_users=200), seed=0)
    clusters = cluster_places(w.places["lat"], w.places["lon"], 100.0)
    groups = _groups_synthetic(n=200)
    est = exp_estimator.ExposureEstimator(w, model, clusters, exp_models.fit_exposure_model(groups, n_estimators=10))
    return w, model, clusters, est


def test_real_hiding_everything_equals_showing_nothing(real):
    w, model, clusters, est = real
    ln = np.flatnonzero(~w.users["current_visible"].to_numpy())
    cats = exp_features.user_category(w, ln)
    uid = int(ln[cats == "HT+WE+F"][0])
    rep = exp_estimator.exposure_report(uid, 100, estimator=est)
    nothing = exp_estimator.exposure_report({"hometown": None, "work": None, "friends": None}, 100,
                                 estimator=est)
    hidden = rep.variants.set_index("hide").loc["HT+WE+F"]
    cols = ["category", "pct_friends_with_attributes", "cluster_confidence",
            "exposure_probability", "risk_level"]
    assert hidden["category"] == nothing.current["category"] == "none"
    for c in cols[1:]:
        assert hidden[c] == pytest.approx(nothing.current[c])
    # and a real user who shows nothing, if any
    none_users = ln[cats == "none"]
    if none_users.size:
        other = exp_estimator.exposure_report(int(none_users[0]), 100, estimator=est).current
        assert other["cluster_confidence"] == pytest.approx(hidden["cluster_confidence"])


def test_real_cluster_confidence_matches_select_locations(real):
    w, model, clusters, _ = real
    users = np.arange(0, 400, 7)
    scores = model.score(w, users)
    sel = select_locations(scores, w.places, clusters, "prob")
    np.testing.assert_allclose(exp_features.cluster_confidence(scores, clusters), sel["cluster_prob"])


def test_real_profile_equals_ln_user(real):
    w, model, clusters, est = real
    ln = np.flatnonzero(~w.users["current_visible"].to_numpy())
    uid = int(ln[(exp_features.user_category(w, ln) == "HT+WE+F")][0])
    u = w.users.iloc[uid]
    prof = {"hometown": int(u.hometown), "work": int(u.work),
            "friends": w.adjacency[uid].indices.tolist()}
    a = exp_estimator.exposure_report(uid, 20, estimator=est).variants
    b = exp_estimator.exposure_report(prof, 20, estimator=est).variants
    cols = ["category", "cluster_confidence", "exposure_probability", "risk_level"]
    pd.testing.assert_frame_equal(a[cols], b[cols], check_exact=False, atol=1e-9)


@pytest.mark.filterwarnings("ignore::homelib.pfli.model.PFLITrainingWarning")
def test_estimator_accepts_the_pfli_estimator(real):
    from homelib.pfli.model import PFLI

    w, model, clusters, est = real
    wrapped = PFLI(PFLIConfig(train_users=200), seed=0, clusters=clusters).fit(w)
    ln = np.flatnonzero(~w.users["current_visible"].to_numpy())[:20]
    a = exp_estimator.exposure_features(w, model, clusters, ln, "WE")
    b = exp_estimator.exposure_features(w, wrapped, clusters, ln, "WE")
    pd.testing.assert_frame_equal(a, b)
    est2 = exp_estimator.ExposureEstimator(w, wrapped, clusters, est.model)
    profile_rep = exp_estimator.exposure_report({"hometown": 0, "work": None, "friends": None}, 100,
                                                estimator=est2)
    ref = exp_estimator.exposure_report({"hometown": 0, "work": None, "friends": None}, 100,
                                        estimator=est)
    pd.testing.assert_frame_equal(profile_rep.variants, ref.variants)
