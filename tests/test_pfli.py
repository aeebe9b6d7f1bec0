"""Tests of homelib.pfli: matrices, scores, clusters, selectors, metrics, no leakage."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.cluster.hierarchy import fcluster, linkage

from homelib.geo import pairwise_haversine_km
from homelib.pfli.clusters import cluster_medoids, cluster_places, select_locations
from homelib.pfli.data import world_from_tables
from homelib.pfli.evaluation import METHODS, acc_table, aed_table, evaluate_pfli
from homelib.pfli.model import PFLIConfig, fit_pfli, indication_matrix, similarity_matrix
from homelib.pfli.world import SocialConfig, build_social_world

PLACES = pd.DataFrame({"place_id": [0, 1, 2], "name": ["Paris", "Evry", "Lyon"],
                       "lat": [48.8566, 48.6333, 45.764], "lon": [2.3522, 2.45, 4.8357]})


def tiny_world():
    """u0 is the LN user of the hand computation (see test_scores_by_hand)."""
    us = pd.DataFrame({
        "user_id": range(6),
        "current_place": [1, 0, 2, 1, 1, 0],
        "hometown": [2, 0, 2, 2, 2, 0],
        "work": [0, 0, -1, -1, 0, 0],
        "current_visible": [False, True, True, False, True, True],
        "hometown_visible": [True, True, True, True, True, True],
        "work_visible": [True, True, False, False, True, True],
        "friends_visible": [True, True, True, False, True, True],
    })
    edges = [[0, 1], [0, 2], [0, 3], [1, 4], [1, 5]]
    return world_from_tables(PLACES, us, edges)


def test_worked_example_telecom_sudparis():
    # 10 of 100 Telecom SudParis employees (value 0) live in Evry (place 1): p = 0.1
    values = np.zeros(100, dtype=int)
    cities = np.array([1] * 10 + [0] * 90)
    r = indication_matrix(values, cities, 1, 2)
    assert r.shape == (2, 1)
    assert r[1, 0] == pytest.approx(0.1)
    assert r[0, 0] == pytest.approx(0.9)


def test_indication_matrix_ignores_null_and_unknown():
    r = indication_matrix([0, 0, -1, 1, 1], [0, 1, 0, -1, 2], 2, 3).toarray()
    np.testing.assert_allclose(r, [[0.5, 0], [0.5, 0], [0, 1]])


def test_similarity_matrix_by_hand():
    w = tiny_world()
    m = fit_pfli(w, config=PFLIConfig(w_smoothing=0.0, train_users=10))
    # known directed pairs: (1,4), (4,1), (1,5), (5,1); same city only for 1-5 (Paris)
    W = m.W["WE"].to_sparse().toarray()
    assert W[0, 0] == pytest.approx(0.5)
    H = m.W["HT"].to_sparse().toarray()
    assert H[0, 0] == 1.0 and H[0, 2] == 0.0 and H[2, 0] == 0.0
    assert m.W["HT"].default == pytest.approx(0.5)
    # unseen pair -> default; smoothing pulls toward the default
    assert m.W["WE"].lookup([0], [-1])[0] == pytest.approx(0.5)
    s = similarity_matrix([0, 0], [0, 1], np.array([[0, 1]]), 1, smoothing=1.0)
    assert s.lookup([0], [0])[0] == pytest.approx((0 + 1 * 0.0) / (1 + 1))


def _hand_model():
    w = tiny_world()
    m = fit_pfli(w, config=PFLIConfig(w_smoothing=0.0, train_users=10, lambda_alpha=0.1))
    m.mu, m.nu, m.alpha = {"HT": 1.0, "WE": 2.0}, {"HT": 3.0, "WE": 4.0}, {"HT": 0.5, "WE": 0.7}
    return w, m


def test_scores_by_hand():
    w, m = _hand_model()
    # sigma_HT(u0) = R_HT[:, hometown 2] = [0, .5, .5]; sigma_WE = R_WE[:, org 0] = [2/3, 1/3, 0]
    # delta_HT: known friend u1 (Paris): pair (HT 2, HT 0) seen once, not same city -> w = 0;
    #           u2 (Lyon): pair (2, 2) never seen -> default 0.5
    # delta_WE: u1 (org 0, org 0) -> 0.5; u2 (org 0, null) never seen -> default 0.5
    # eta_HT: LN friend u3 (hometown 2) -> [0, .5, .5]; u3's work is hidden
    raw = m.raw_scores(w, [0]).toarray()[0]
    expected = np.array([2 * 2 / 3 + 4 * 0.5, 0.5 + 2 * 1 / 3 + 0.1 * 0.5 * 0.5,
                         0.5 + 3 * 0.5 + 4 * 0.5 + 0.1 * 0.5 * 0.5])
    np.testing.assert_allclose(raw, expected)
    s = m.score(w, [0]).toarray()[0]
    np.testing.assert_allclose(s, expected / expected.sum())
    comps = m.components(w, [0])
    np.testing.assert_allclose(comps["sigma_WE"].toarray()[0], [2 / 3, 1 / 3, 0])
    np.testing.assert_allclose(comps["delta_HT"].toarray()[0], [0, 0, 0.5])
    np.testing.assert_allclose(comps["delta_WE"].toarray()[0], [0.5, 0, 0.5])
    np.testing.assert_allclose(comps["eta_HT"].toarray()[0], [0, 0.5, 0.5])


def test_hide_and_prior():
    w, m = _hand_model()
    # hiding everything leaves no evidence: the prior of known cities (Paris 2, Evry 1, Lyon 1)
    s = m.score(w, [0], hide=frozenset({"HT", "WE", "F"})).toarray()[0]
    np.testing.assert_allclose(s, [0.5, 0.25, 0.25])
    assert not m.has_evidence(w, [0], hide={"HT", "WE", "F"})[0]
    # hiding friends only removes the delta and eta terms
    raw = m.raw_scores(w, [0], hide={"F"}).toarray()[0]
    np.testing.assert_allclose(raw, [4 / 3, 0.5 + 2 / 3, 0.5])
    with pytest.raises(ValueError, match="hide"):
        m.score(w, [0], hide={"XX"})


def test_training_leaves_own_city_out():
    w, m = _hand_model()
    # u4 (hometown 2, Evry): hometown 2 is held by u2 (Lyon) and u4 itself -> Lyon 1.0
    sig = m.components(w, [4], loo=True)["sigma_HT"].toarray()[0]
    np.testing.assert_allclose(sig, [0, 0, 1.0])


def test_no_leakage_from_test_users_city():
    w = build_social_world(SocialConfig(n_users=1500, n_places=50, n_multi_orgs=4), seed=5)
    la = w.users.current_visible.to_numpy()
    test = np.flatnonzero(la)[::4]
    known = la.copy()
    known[test] = False
    w2 = build_social_world(SocialConfig(n_users=1500, n_places=50, n_multi_orgs=4), seed=5)
    rng = np.random.default_rng(0)
    w2.users.loc[test, "current_place"] = rng.integers(0, w.n_places, test.size)
    cfg = PFLIConfig(train_users=300)
    s1 = fit_pfli(w, known=known, config=cfg, seed=1).score(w, test)
    s2 = fit_pfli(w2, known=known, config=cfg, seed=1).score(w2, test)
    assert abs(s1 - s2).max() < 1e-12
    # whereas making them known changes the matrices
    s3 = fit_pfli(w, known=la, config=cfg, seed=1).score(w, test)
    assert abs(s1 - s3).max() > 1e-6


@pytest.mark.parametrize("seed", range(4))
def test_upgma_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    lat = rng.uniform(40, 50, 60)
    lon = rng.uniform(-5, 10, 60)
    ours = cluster_places(lat, lon, 150.0)
    ref = fcluster(linkage(pairwise_haversine_km(lat, lon), method="average"), t=150.0,
                   criterion="distance")
    # same partition up to labels
    pairs_ours = ours[:, None] == ours[None, :]
    pairs_ref = ref[:, None] == ref[None, :]
    np.testing.assert_array_equal(pairs_ours, pairs_ref)


def test_medoids():
    assert cluster_medoids([0, 0, 0, 10], [0, 0.1, 0.2, 10], [0, 0, 0, 1]).tolist() == [1, 3]


def test_selectors_by_hand():
    pl = pd.DataFrame({"lat": [0.0, 0.0, 0.0, 10.0], "lon": [0.0, 0.1, 0.2, 10.0]})
    cl = np.array([0, 0, 0, 1])
    s = sp.csr_matrix([[0.2, 0.1, 0.15, 0.4], [0, 0, 0, 0]])
    prob = select_locations(s, pl, cl, "prob")
    assert prob.loc[0, "cluster"] == 0 and prob.loc[0, "cluster_prob"] == pytest.approx(0.45)
    assert prob.loc[0, "pred_place"] == 0
    assert prob.loc[1, "cluster"] == -1 and np.isnan(prob.loc[1, "pred_lat"])
    assert select_locations(s, pl, cl, "noclst").loc[0, "pred_place"] == 3
    assert select_locations(s, pl, cl, "noclst").loc[0, "cluster_prob"] == pytest.approx(0.4)
    assert select_locations(s, pl, cl, "dist").loc[0, "pred_place"] == 1
    cent = select_locations(s, pl, cl, "cent")
    assert cent.loc[0, "pred_lon"] == pytest.approx((0.1 * 0.1 + 0.2 * 0.15) / 0.45, rel=1e-4)
    assert cent.loc[0, "pred_lat"] == pytest.approx(0.0, abs=1e-9)
    cmb = select_locations(s, pl, cl, "cmb")
    assert {"cent_lat", "cent_lon"} <= set(cmb.columns)
    with pytest.raises(ValueError, match="selector"):
        select_locations(s, pl, cl, "best")


def test_aed_and_acc_by_hand():
    pu = pd.DataFrame({
        "method": ["PFLI_prob"] * 5 + ["PFLI_cent"] * 5,
        "error_km": [0.0, 10, 30, 50, 910, 20, 20, 35, 45, 100],
        "has_la_friends": [True, True, True, False, False] * 2,
    })
    aed = aed_table(pu).set_index(["user_set", "method"])
    # overall prob: sorted 0,10,30,50,910 -> AED@60% = mean of 3 = 13.33, @80% = 22.5, @100% = 200
    assert aed.loc[("overall", "PFLI_prob"), "aed60"] == pytest.approx(40 / 3)
    assert aed.loc[("overall", "PFLI_prob"), "aed80"] == pytest.approx(22.5)
    assert aed.loc[("overall", "PFLI_prob"), "aed100"] == pytest.approx(200)
    assert aed.loc[("with_la_friends", "PFLI_prob"), "n_users"] == 3
    acc = acc_table(pu, [25, 40, 60]).set_index(["user_set", "method", "k_km"])["acc"]
    assert acc[("overall", "PFLI_prob", 25.0)] == pytest.approx(0.4)
    assert acc[("overall", "PFLI_cent", 40.0)] == pytest.approx(0.6)
    # cmb: prob below 40 km, cent from 40 km on
    assert acc[("overall", "PFLI_cmb", 25.0)] == pytest.approx(0.4)
    assert acc[("overall", "PFLI_cmb", 40.0)] == pytest.approx(0.6)
    assert acc[("overall", "PFLI_cmb", 60.0)] == pytest.approx(0.8)


def test_evaluate_small_world():
    w = build_social_world(SocialConfig(n_users=1500, n_places=50, n_multi_orgs=4), seed=7)
    ev = evaluate_pfli(w, config=PFLIConfig(train_users=300), folds=2, seed=0, ks=[10, 100],
                       ln_users=50)
    pu = ev.per_user
    assert set(pu.method) == set(METHODS)
    la = np.flatnonzero(w.users.current_visible)
    for _, g in pu.groupby("method"):
        assert sorted(g.user_id) == sorted(la)
    assert {"user_set", "method", "aed60", "aed80", "aed100", "n_users"} <= set(ev.aed.columns)
    assert set(ev.aed.user_set) == {"with_la_friends", "overall"}
    assert "PFLI_cmb" in set(ev.acc_at_k.method)
    assert pu.error_km.notna().all()
    assert len(ev.ln_per_user) == 50 * len(METHODS)
    assert len(ev.models) == 3


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 6), n_pl=st.integers(2, 12))
def test_selector_invariants(seed, n, n_pl):
    rng = np.random.default_rng(seed)
    dense = rng.random((n, n_pl)) * (rng.random((n, n_pl)) < 0.5)
    dense[:, 0] += 1e-3  # no empty row
    pl = pd.DataFrame({"lat": rng.uniform(40, 50, n_pl), "lon": rng.uniform(0, 10, n_pl)})
    cl = rng.integers(0, 3, n_pl)
    cl = np.unique(cl, return_inverse=True)[1]
    s = sp.csr_matrix(dense)
    sums = np.stack([dense[:, cl == c].sum(axis=1) for c in range(cl.max() + 1)], axis=1)
    prob = select_locations(s, pl, cl, "prob")
    np.testing.assert_allclose(prob.cluster_prob, sums.max(axis=1))
    # the chosen place lies in the chosen cluster and is its most probable place
    assert (cl[prob.pred_place] == prob.cluster).all()
    for i in range(n):
        in_c = cl == prob.cluster[i]
        assert dense[i, prob.pred_place[i]] == dense[i, in_c].max()
    noclst = select_locations(s, pl, cl, "noclst")
    np.testing.assert_allclose(dense[np.arange(n), noclst.pred_place], dense.max(axis=1))
    cent = select_locations(s, pl, cl, "cent")
    # the (spherical) centroid of the selected cluster's points is no farther from any of
    # them than the largest distance between two of them
    from homelib.geo import haversine_km

    for i in range(n):
        in_c = (cl == cent.cluster[i]) & (dense[i] > 0)
        la, lo = pl.lat[in_c].to_numpy(), pl.lon[in_c].to_numpy()
        spread = haversine_km(la[:, None], lo[:, None], la[None, :], lo[None, :]).max()
        assert haversine_km(cent.pred_lat[i], cent.pred_lon[i], la, lo).max() <= spread + 1e-6
