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
from homelib.pfli.model import (
    PFLI,
    PFLIConfig,
    PFLITrainingWarning,
    _matrices,
    close_far_labels,
    fit_pfli,
    indication_matrix,
    similarity_matrix,
)
from homelib.pfli.world import SocialConfig, build_social_world

quiet = pytest.mark.filterwarnings("ignore::homelib.pfli.model.PFLITrainingWarning")

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


@quiet
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


@quiet
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


@quiet
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


@quiet
def test_training_leaves_own_city_out():
    w, m = _hand_model()
    # u4 (hometown 2, Evry): hometown 2 is held by u2 (Lyon) and u4 itself -> Lyon 1.0
    sig = m.components(w, [4], loo=True)["sigma_HT"].toarray()[0]
    np.testing.assert_allclose(sig, [0, 0, 1.0])


@quiet
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


@quiet
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


# --------------------------------------------------------------------------- exact leave-one-out


def test_loo_components_equal_a_model_fitted_without_the_user():
    # independent implementation: rebuild R_k and W_k with the user unknown and score it
    w = build_social_world(SocialConfig(n_users=800, n_places=30, n_multi_orgs=3), seed=3)
    known = w.users.current_visible.to_numpy().copy()
    cfg = PFLIConfig(w_smoothing=1.0)
    m = _matrices(w, known, cfg)
    users = np.flatnonzero(known)[:40]
    loo = m.components(w, users, loo=True)
    full = m.components(w, users)
    for i, u in enumerate(users):
        k2 = known.copy()
        k2[u] = False
        ref = _matrices(w, k2, cfg).components(w, [u])
        for name, mat in loo.items():
            np.testing.assert_allclose(mat[i].toarray(), ref[name].toarray(), atol=1e-12,
                                       err_msg=f"{name} of user {u}")
    # the leave-one-out is not a no-op: every piece moves for some user
    for name in loo:
        assert abs(loo[name] - full[name]).max() > 1e-3, name


def test_loo_removes_the_users_other_pairs_from_w():
    # u0 (Paris, HT 0) has two known friends in Paris with HT 0: W_HT[0, 0] is built from the
    # pairs (0,1), (1,0), (0,2), (2,0), (1,2), (2,1). Without u0 only (1,2), (2,1) remain.
    pl = PLACES
    us = pd.DataFrame({"user_id": range(4), "current_place": [0, 0, 0, 2], "hometown": [0, 0, 0, 0],
                       "work": -1, "current_visible": True, "hometown_visible": True,
                       "work_visible": False, "friends_visible": True})
    w = world_from_tables(pl, us, [[0, 1], [0, 2], [1, 2], [1, 3]])
    m = _matrices(w, np.ones(4, bool), PFLIConfig(w_smoothing=0.0))
    # full W_HT[0, 0]: 6 Paris-Paris pairs + (1,3), (3,1) Paris-Lyon -> 6 / 8
    assert m.W["HT"].lookup([0], [0])[0] == pytest.approx(6 / 8)
    d = m.components(w, [0], loo=True)["delta_HT"].toarray()[0]
    # without u0: (1,2), (2,1) same city, (1,3), (3,1) not -> 2 / 4 for each of the two friends
    np.testing.assert_allclose(d, [2 * 2 / 4, 0, 0])


def test_loo_needs_known_users_and_no_hide():
    w = tiny_world()
    m = _matrices(w, w.users.current_visible.to_numpy(), PFLIConfig())
    with pytest.raises(ValueError, match="not known"):
        m.components(w, [0], loo=True)
    with pytest.raises(ValueError, match="hide"):
        m.components(w, [1], hide={"HT"}, loo=True)


# --------------------------------------------------------------------------- the trainer


def grid_world(kind: str = "informative", n_users: int = 3000, seed: int = 0):
    """12 cities >= 300 km apart with users spread evenly over them.

    ``informative``: hometown and organisation point to the current city (70%), 70% of
    friends live in the same city; ``random``: hometown, organisation and friends are
    drawn independently of where the user lives.
    """
    rng = np.random.default_rng(seed)
    lat, lon = np.meshgrid([40.0, 44.0, 48.0], [0.0, 5.0, 10.0, 15.0])
    places = pd.DataFrame({"place_id": range(12), "lat": lat.ravel(), "lon": lon.ravel()})
    cur = np.arange(n_users) % 12
    rng.shuffle(cur)
    if kind == "informative":
        ht = np.where(rng.random(n_users) < 0.7, cur, rng.integers(0, 12, n_users))
        org = np.where(rng.random(n_users) < 0.7, 2 * cur + rng.integers(0, 2, n_users),
                       rng.integers(0, 24, n_users))
    else:
        ht, org = rng.integers(0, 12, n_users), rng.integers(0, 24, n_users)
    src = np.repeat(np.arange(n_users), 4)
    local = (rng.random(src.size) < 0.7) & (kind == "informative")
    by_city = [np.flatnonzero(cur == c) for c in range(12)]
    dst = np.where(local, [by_city[cur[u]][rng.integers(len(by_city[cur[u]]))] for u in src],
                   rng.integers(0, n_users, src.size))
    users = pd.DataFrame({"user_id": range(n_users), "current_place": cur, "hometown": ht,
                          "work": org, "current_visible": rng.random(n_users) < 0.6,
                          "hometown_visible": rng.random(n_users) < 0.8,
                          "work_visible": rng.random(n_users) < 0.6,
                          "friends_visible": rng.random(n_users) < 0.8})
    return world_from_tables(places, users, np.column_stack([src, dst]))


def anti_world(groups_per_pair: int = 5):
    """Pairs of cities 1,100 km apart; in every group of 4 users (2 per city) the shared
    hometown, organisation and friend list point more to the other city than to one's own."""
    places = pd.DataFrame({"place_id": range(24), "lat": np.r_[np.full(12, 40.0), np.full(12, 50.0)],
                           "lon": np.r_[np.arange(12) * 3.0, np.arange(12) * 3.0]})
    rows, edges = [], []
    for p in range(12):
        for g in range(groups_per_pair):
            a = 4 * (p * groups_per_pair + g)
            rows += [(a + i, p if i < 2 else p + 12, p, a // 4) for i in range(4)]
            edges += [(a, a + 1), (a + 2, a + 3), (a, a + 2), (a, a + 3), (a + 1, a + 2), (a + 1, a + 3)]
    users = pd.DataFrame(rows, columns=["user_id", "current_place", "hometown", "work"]).assign(
        current_visible=True, hometown_visible=True, work_visible=True, friends_visible=True)
    return world_from_tables(places, users, np.array(edges))


def _fit_recording(world, **cfg):
    import warnings

    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        m = fit_pfli(world, config=PFLIConfig(**cfg), seed=0)
    return m, [str(r.message) for r in rec if issubclass(r.category, PFLITrainingWarning)]


def test_trainer_learns_positive_weights_when_profile_and_friends_are_informative():
    m, warned = _fit_recording(grid_world("informative"), train_users=1500)
    info = m.train_info
    assert warned == [] and info["fallback"] is None
    for fit in (info["alpha_fit"], info["mu_nu_fit"]):
        assert fit["clipped"] == [] and fit["dropped"] == {} and fit["fallback"] is None
        assert all(c > 0.5 for c in fit["raw_coef"].values()), fit["raw_coef"]
    # profile probabilities carry more weight than a single friend's vote
    assert min(m.mu.values()) > 3 and min(m.alpha.values()) > 3
    assert sum(m.nu.values()) > 2
    assert m.mu == {k: info["mu_nu_fit"]["raw_coef"][f"sigma_{k}"] for k in m.mu}


def test_trainer_weights_near_zero_clipped_and_flagged_when_uninformative():
    inf, _ = _fit_recording(grid_world("informative"), train_users=1500)
    m, warned = _fit_recording(grid_world("random"), train_users=1500)
    for key in ("alpha_fit", "mu_nu_fit"):
        raw, ref = m.train_info[key]["raw_coef"], inf.train_info[key]["raw_coef"]
        sig = [f for f in raw if f.startswith("sigma")]
        # the profile columns: near zero, far below the informative world's
        assert sum(raw[f] for f in sig) < 0.1 * sum(ref[f] for f in sig)
        dl = [f for f in raw if f.startswith("delta")]
        if dl:  # the two friend columns are nearly collinear here: their sum is what counts
            assert sum(raw[f] for f in dl) < 0.5
        neg = sorted(f for f, c in raw.items() if c < 0)
        assert neg and sorted(m.train_info[key]["clipped"]) == neg
    for k in m.mu:
        assert (m.mu[k] == 0) == (k in [f[6:] for f in m.train_info["mu_nu_fit"]["clipped"] if f[:5] == "sigma"])
    assert any("clipped to 0" in w_ for w_ in warned)


def test_trainer_all_negative_is_clipped_flagged_and_reset_to_one():
    m, warned = _fit_recording(anti_world(), train_users=1000)
    info = m.train_info
    mn = info["mu_nu_fit"]
    assert mn["raw_coef"] and all(c < 0 for c in mn["raw_coef"].values())
    assert sorted(mn["clipped"]) == sorted(mn["raw_coef"])
    assert info["fallback"] is not None and "reset to 1" in info["fallback"]
    assert any("reset to 1" in w_ for w_ in warned) and any("clipped" in w_ for w_ in warned)
    kept = [f for f in mn["features"] if f not in mn["dropped"]]
    assert {f"sigma_{k}": v for k, v in m.mu.items()} | {f"delta_{k}": v for k, v in m.nu.items()} == {
        f: float(f in kept) for f in mn["features"]}
    # alpha has no reset: clipped to 0 and flagged
    assert m.alpha == {"HT": 0.0, "WE": 0.0} and sorted(info["alpha_fit"]["clipped"]) == ["sigma_HT", "sigma_WE"]


def test_close_far_labels_at_the_threshold():
    # 0.89 and 0.91 degrees of longitude on the equator: ~99.0 and ~101.2 km
    lat, lon = [0.0, 0.0, 0.0], [0.0, 0.89, 0.91]
    assert close_far_labels(lat, lon, [0, 0, 0], [0, 1, 2], PFLIConfig().close_km).tolist() == [1, 1, 0]
    assert close_far_labels(lat, lon, [0, 0], [1, 2], 120.0).tolist() == [1, 1]


def test_paper_settings_are_pinned():
    c = PFLIConfig()
    assert (c.close_km, c.cluster_km, c.cmb_switch_km, c.w_smoothing) == (100.0, 100.0, 40.0, 1.0)
    assert (c.lambda_alpha, c.prior_top) == (0.05, 100)
    assert PFLI().get_params() == {"clusters": None, "config": None, "seed": 0, "selector": "prob"}


def test_w_smoothing_pseudo_count_by_hand():
    # cell (0, 0): 1 same-city pair of 3; overall share 2/5 (default)
    vals = [0, 0, 0, 0, 1, 1]
    cities = [0, 0, 1, 2, 0, 0]
    pairs = np.array([[0, 1], [0, 2], [0, 3], [4, 5], [4, 0]])
    w0 = similarity_matrix(vals, cities, pairs, 2, smoothing=0.0)
    w1 = similarity_matrix(vals, cities, pairs, 2, smoothing=1.0)
    assert w1.default == pytest.approx(3 / 5)
    assert w0.lookup([0], [0])[0] == pytest.approx(1 / 3)
    assert w1.lookup([0], [0])[0] == pytest.approx((1 + 3 / 5) / (3 + 1))
    assert w1.lookup([1], [0])[0] == pytest.approx((1 + 3 / 5) / (1 + 1))
    # unseen cell: the default with and without smoothing
    assert w1.lookup([1], [-1])[0] == pytest.approx(3 / 5) == w0.lookup([1], [-1])[0]


@quiet
def test_fit_uses_config_close_km():
    w = grid_world("informative", n_users=900)
    near = fit_pfli(w, config=PFLIConfig(train_users=300, close_km=100.0))
    wide = fit_pfli(w, config=PFLIConfig(train_users=300, close_km=500.0))
    # 500 km puts neighbouring grid cities (333-555 km apart) in the close class
    assert wide.train_info["mu_nu_fit"]["share_close"] > near.train_info["mu_nu_fit"]["share_close"]


def test_cluster_cut_at_100_km():
    lat = [0.0, 0.0, 10.0, 10.0]
    lon = [0.0, 0.85, 0.0, 0.95]  # ~94.5 km and ~104 km apart
    assert cluster_places(lat, lon, PFLIConfig().cluster_km).tolist() == [0, 0, 1, 2]


# --------------------------------------------------------------------------- whatever evidence


def _rebuild(w, users=None, edges=None, orgs="keep"):
    return world_from_tables(w.places, w.users if users is None else users,
                             w.edges if edges is None else edges, None if orgs is None else w.orgs)


@pytest.fixture(scope="module")
def base_world():
    return build_social_world(SocialConfig(n_users=1500, n_places=50, n_multi_orgs=4), seed=11)


def _friend_only(w):
    u = w.users.assign(hometown=-1, work=-1, hometown_visible=False, work_visible=False)
    return _rebuild(w, u, orgs=None)


def _evidence_worlds(w):
    la = w.users.current_visible.to_numpy()
    e = w.edges
    return {
        "friend_only": _friend_only(w),
        "profile_only": _rebuild(w, edges=np.zeros((0, 2), np.int64)),
        "no_friend_list_shown": _rebuild(w, w.users.assign(friends_visible=False)),
        "friends_without_visible_cities": _rebuild(w, edges=e[la[e[:, 0]] != la[e[:, 1]]]),
        "nothing_but_la_cities": _rebuild(_friend_only(w), edges=np.zeros((0, 2), np.int64), orgs=None),
    }


@quiet
@pytest.mark.parametrize("kind", ["friend_only", "profile_only", "no_friend_list_shown",
                                  "friends_without_visible_cities", "nothing_but_la_cities"])
def test_pfli_and_baselines_run_on_whatever_evidence(base_world, kind):
    w = _evidence_worlds(base_world)[kind]
    ev = evaluate_pfli(w, config=PFLIConfig(train_users=400), folds=2, seed=0, ks=[10, 100])
    pu = ev.per_user
    assert set(pu.method) == set(METHODS) and pu.error_km.notna().all()
    info = ev.models[0].train_info["mu_nu_fit"]
    dropped = set(info["dropped"])
    if kind == "friend_only":
        assert {"sigma_HT", "sigma_WE"} <= dropped
    elif kind != "nothing_but_la_cities":
        assert {"delta_HT", "delta_WE"} <= dropped  # no known friend in a shown list
    else:  # no attribute, no friend: no training item, every user gets the prior
        assert ev.per_user.pfli_prior.all()
        assert "no training item" in info["fallback"]


@quiet
def test_friend_only_pfli_reduces_to_base_freq(base_world):
    w = _evidence_worlds(base_world)["friend_only"]
    ev = evaluate_pfli(w, config=PFLIConfig(train_users=400), folds=2, seed=0, ks=[10, 100])
    info = ev.models[0].train_info["mu_nu_fit"]
    assert info["dropped"] == {"sigma_HT": "no evidence (zero on every item)",
                               "sigma_WE": "no evidence (zero on every item)",
                               "delta_WE": "identical to delta_HT"}
    m = ev.models[0]
    assert m.mu == {"HT": 0.0, "WE": 0.0} and m.nu["WE"] == 0.0 and m.nu["HT"] > 0
    pred = ev.per_user.pivot(index="user_id", columns="method", values="pred_lat")
    np.testing.assert_array_equal(pred["PFLI_noclst"], pred["Base_freq"])
    np.testing.assert_array_equal(pred["Base_ann"], pred["Base_freq"])


@quiet
def test_pfli_estimator_api(base_world):
    from sklearn.base import clone

    w = base_world
    la = w.users.current_visible.to_numpy()
    test = np.flatnonzero(la)[:30]
    known = la.copy()
    known[test] = False
    est = PFLI(PFLIConfig(train_users=300), seed=2).fit(w, known)
    assert clone(est).get_params() == est.get_params()
    proba = est.predict_proba(w, test)
    np.testing.assert_allclose(proba.toarray(), est.model_.score(w, test).toarray())
    place = est.predict(w, test)
    ref = select_locations(proba, w.places, est.clusters_, "prob")
    np.testing.assert_array_equal(place, ref.pred_place)
    cent = est.set_params(selector="cent")
    np.testing.assert_allclose(cent.predict_coords(w, test),
                               select_locations(proba, w.places, est.clusters_, "cent")[["pred_lat", "pred_lon"]])
    with pytest.raises(ValueError, match="coordinates"):
        cent.predict(w, test)
    with pytest.raises(ValueError, match="selector"):
        PFLI(selector="best").fit(w, known)
    np.testing.assert_array_equal(est.clusters_, cluster_places(w.places.lat, w.places.lon, 100.0))


def test_fit_rejects_bad_known(base_world):
    w = base_world
    with pytest.raises(ValueError, match="bool array"):
        fit_pfli(w, known=np.ones(3, bool))
    with pytest.raises(ValueError, match="no known user"):
        fit_pfli(w, known=np.zeros(w.n_users, bool))
