"""Tests of homelib.pfli.baselines on tiny hand-computed graphs."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from homelib.geo import haversine_km
from homelib.pfli.baselines import (
    BASELINES,
    BaseANN,
    BaseDist,
    BaseFreq,
    BaseFreqPlus,
    BaseKNN,
    _mode_city_loo,
    base_dist,
    base_freq,
    base_freq_plus,
    base_knn,
    fit_backstrom,
    fit_backstrom_bins,
    fit_base_ann,
    friend_pairs_by_distance,
    make_baselines,
    predict_baselines,
)
from homelib.pfli.data import KM_PER_MILE, world_from_tables
from homelib.pfli.model import visible_adjacency
from homelib.pfli.world import SocialConfig, build_social_world

# places: 0 Paris, 1 Evry (~28 km from Paris), 2 Versailles (~17 km from Paris), 3 Lyon, 4 Beijing
PLACES = pd.DataFrame({"place_id": range(5), "lat": [48.8566, 48.6333, 48.8049, 45.764, 39.9042],
                       "lon": [2.3522, 2.45, 2.1204, 4.8357, 116.4074]})


def _world(current, edges, friends_visible=True):
    n = len(current)
    us = pd.DataFrame({"user_id": range(n), "current_place": current, "hometown": -1, "work": -1,
                       "current_visible": True, "hometown_visible": False, "work_visible": False,
                       "friends_visible": friends_visible})
    return world_from_tables(PLACES, us, edges)


def test_freq_and_freq_plus():
    # user 0: friends in Lyon x2, Paris, Evry, Versailles -> freq Lyon; freq+ (20 km): Paris
    # gets Paris + Versailles = 2, Versailles 2, Evry 1, Lyon 2 -> tie broken to smaller id: Paris
    w = _world([0, 3, 3, 0, 1, 2], [[0, 1], [0, 2], [0, 3], [0, 4], [0, 5]])
    known = np.array([False, True, True, True, True, True])
    assert base_freq(w, [0], known).tolist() == [3]
    assert base_freq_plus(w, [0], known, 20.0).tolist() == [0]
    # with 30 km, Paris also collects Evry: 3 > 2
    assert base_freq_plus(w, [0], known, 30.0).tolist() == [0]


def test_no_known_friend_gives_minus_one():
    w = _world([0, 3], [[0, 1]])
    assert base_freq(w, [0], np.array([False, False])).tolist() == [-1]
    # a hidden friend list is not used
    w = _world([0, 3], [[0, 1]], friends_visible=[False, True])
    assert base_freq(w, [0], np.array([False, True])).tolist() == [-1]


def test_knn_uses_friends_with_most_common_friends():
    # user 0 friends: 1 (Lyon), 2 (Lyon), 3 (Paris), 4 (Paris), 5 (Paris).
    # 1 and 2 share friends with 0 (each other and 6), 3-5 share none.
    edges = [[0, 1], [0, 2], [0, 3], [0, 4], [0, 5], [1, 2], [0, 6], [1, 6], [2, 6]]
    w = _world([0, 3, 3, 0, 0, 0, 4], edges)
    known = np.array([False, True, True, True, True, True, False])
    assert base_freq(w, [0], known).tolist() == [0]
    assert base_knn(w, [0], known, k=2).tolist() == [3]
    with pytest.raises(ValueError):
        base_knn(w, [0], known, k=0)


def test_dist_maximum_likelihood():
    # friends: Paris, Versailles, Evry, Beijing -> the ML point is a Paris-region city;
    # Paris is central (17 + 28 km) vs Versailles (17 + 40) and Evry (28 + 40)
    w = _world([3, 0, 2, 1, 4], [[0, 1], [0, 2], [0, 3], [0, 4]])
    known = np.array([False, True, True, True, True])
    a, b, c = 0.0019, 0.196, 1.05
    assert base_dist(w, [0], known, a, b, c).tolist() == [0]
    # hand check of the log-likelihoods
    lat, lon = PLACES.lat.to_numpy(), PLACES.lon.to_numpy()

    def ll(cand, b, c):
        d = haversine_km(lat[cand], lon[cand], lat[[0, 2, 1, 4]], lon[[0, 2, 1, 4]]) / KM_PER_MILE
        return np.log(a * (d + b) ** -c).sum()

    assert int(np.argmax([ll(x, b, c) for x in (0, 2, 1, 4)])) == 0
    # the law's shape decides: with a flat law (c ~ 0) and a huge offset every candidate ties
    assert base_dist(w, [0], known, a, 1e6, 1e-9).tolist() == [0]
    # no friend pair among the known users: no law can be fitted, so no answer
    assert not fit_backstrom(w, known).ok
    assert base_dist(w, [0], known).tolist() == [-1]


def test_ann_and_leakage_guard():
    w = build_social_world(SocialConfig(n_users=1200, n_places=40, n_multi_orgs=3), seed=2)
    la = w.users.current_visible.to_numpy()
    test = np.flatnonzero(la)[:50]
    known = la.copy()
    known[test] = False
    m = fit_base_ann(w, known, seed=0)
    pred = m.predict(w, test)
    assert pred.shape == (50,) and pred.max() < w.n_places
    out = predict_baselines(w, test, known)
    assert set(out) == {"Base_dist", "Base_ann", "Base_freq", "Base_freq+", "Base_knn"}
    with pytest.raises(ValueError, match="leakage"):
        predict_baselines(w, test, la)


# --------------------------------------------------------------------------- Base_knn: visible only


def test_knn_counts_only_visible_friendships():
    # user 0 (shows its list) has friends 1, 2 (Lyon), 3, 4 (Paris) and 5 (Evry). 1-2 is shown
    # by 1; 3-4, 3-5 and 4-5 are friendships between users who all hide their lists: invisible.
    edges = [[0, 1], [0, 2], [0, 3], [0, 4], [0, 5], [1, 2], [3, 5], [4, 5], [3, 4]]
    fv = [True, True, False, False, False, False]
    w = _world([0, 3, 3, 0, 0, 1], edges, friends_visible=fv)
    known = np.array([False, True, True, True, True, True])
    va = visible_adjacency(w).toarray()
    assert va[3, 5] == 0 and va[3, 4] == 0 and va[1, 2] == 1
    # visible: 1 and 2 share one friend with 0 (each other); 3, 4, 5 none -> k=2 picks Lyon
    assert base_knn(w, [0], known, k=2).tolist() == [3]
    # had the hidden edges counted, 3 and 4 (2 common friends each) would win: Paris
    w_all = _world([0, 3, 3, 0, 0, 1], edges, friends_visible=True)
    assert base_knn(w_all, [0], known, k=2).tolist() == [0]


def test_hidden_edge_share_matches_visibility():
    w = build_social_world(SocialConfig(n_users=1500, n_places=40, n_multi_orgs=3), seed=4)
    fv = w.users.friends_visible.to_numpy()
    hidden = ~(fv[w.edges[:, 0]] | fv[w.edges[:, 1]])
    assert visible_adjacency(w).nnz == 2 * int((~hidden).sum())
    assert 0 < hidden.mean() < 0.2


# --------------------------------------------------------------------------- Base_dist: fitted law


def test_backstrom_bins_recover_the_law_from_poisson_counts():
    rng = np.random.default_rng(0)
    d = np.r_[0.0, np.logspace(-1, 3.5, 40)]
    n = rng.integers(10**6, 10**8, d.size).astype(float)
    for a, b, c in ((0.0019, 0.196, 1.05), (0.01, 2.0, 0.7)):
        f = rng.poisson(n * a * (d + b) ** -c)
        fa, fb, fc = fit_backstrom_bins(d, f, n)
        assert fa == pytest.approx(a, rel=0.05) and fb == pytest.approx(b, rel=0.1)
        assert fc == pytest.approx(c, abs=0.02)
    assert np.isnan(fit_backstrom_bins(d, np.zeros(d.size), n)[0])


def test_friend_pairs_by_distance_matches_brute_force():
    w = build_social_world(SocialConfig(n_users=300, n_places=25, n_multi_orgs=3), seed=8)
    known = w.users.current_visible.to_numpy()
    edges = [0, 1e-6, 10, 50, 200, 1000, 13000]
    t = friend_pairs_by_distance(w, known, edges)
    ids = np.flatnonzero(known)
    cur = w.users.current_place.to_numpy()
    fv = w.users.friends_visible.to_numpy()
    lat, lon = w.places.lat.to_numpy(), w.places.lon.to_numpy()
    adj = w.adjacency.toarray() > 0
    i, j = np.triu_indices(ids.size, k=1)
    u, v = ids[i], ids[j]
    seen = fv[u] | fv[v]
    d = np.where(cur[u] == cur[v], 0.0,
                 haversine_km(lat[cur[u]], lon[cur[u]], lat[cur[v]], lon[cur[v]]) / KM_PER_MILE)
    pairs = np.histogram(d[seen], bins=edges)[0]
    friends = np.histogram(d[seen & adj[u, v]], bins=edges)[0]
    np.testing.assert_allclose(t.user_pairs, pairs)
    np.testing.assert_allclose(t.friend_pairs, friends)
    # an LN user's friendships and a hidden friendship never count
    assert t.friend_pairs.sum() == (seen & adj[u, v]).sum() < adj[np.ix_(ids, ids)].sum() / 2 + 1


def test_base_dist_is_fitted_from_the_known_users():
    w = build_social_world(SocialConfig(n_users=2000, n_places=60, n_multi_orgs=3), seed=1)
    la = w.users.current_visible.to_numpy()
    test = np.flatnonzero(la)[::5]
    known = la.copy()
    known[test] = False
    est = BaseDist().fit(w, known)
    ref = fit_backstrom(w, known)
    assert (est.a_, est.b_, est.c_) == (ref.a, ref.b, ref.c)
    assert 0.3 < est.c_ < 2.0 and est.b_ > 0
    np.testing.assert_array_equal(est.predict(w, test), base_dist(w, test, known, ref.a, ref.b, ref.c))
    # the fit reads only the known users: changing a test user's city changes nothing
    w2 = build_social_world(SocialConfig(n_users=2000, n_places=60, n_multi_orgs=3), seed=1)
    w2.users.loc[test, "current_place"] = 0
    assert fit_backstrom(w2, known).c == ref.c


# --------------------------------------------------------------------------- Base_ann: leave the user out


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 30), n_values=st.integers(1, 4),
       n_places=st.integers(1, 5))
def test_mode_city_loo_matches_recount(seed, n, n_values, n_places):
    rng = np.random.default_rng(seed)
    values = rng.integers(-1, n_values, n)
    city = rng.integers(0, n_places, n)
    users = np.arange(n)
    top, share = _mode_city_loo(values, city, n_values, n_places, users)
    for u in users:
        others = (np.arange(n) != u) & (values == values[u]) & (values[u] >= 0)
        if not others.any():
            assert (top[u], share[u]) == (-1, 0.0)
            continue
        cnt = np.bincount(city[others], minlength=n_places)
        assert top[u] == int(np.argmax(cnt))  # argmax: first (smallest id) among ties
        assert share[u] == pytest.approx(cnt.max() / others.sum())


def test_base_ann_training_maps_leave_the_user_out():
    # hometown 1 is shown by user 0 only: its map (Lyon) must not reach user 0's training row
    w = _world([3, 0, 0, 3], [[0, 1], [2, 3]])
    u = w.users.assign(hometown=[1, 2, 2, -1], hometown_visible=True)
    w = world_from_tables(PLACES, u, w.edges)
    city = w.users.current_place.to_numpy()
    top, _ = _mode_city_loo(np.array([1, 2, 2, -1]), city, 5, 5, np.arange(4))
    assert top.tolist() == [-1, 0, 0, -1]


# --------------------------------------------------------------------------- estimator shape


def test_baseline_estimators_match_functions_and_clone():
    w = build_social_world(SocialConfig(n_users=1200, n_places=40, n_multi_orgs=3), seed=2)
    la = w.users.current_visible.to_numpy()
    test = np.flatnonzero(la)[:60]
    known = la.copy()
    known[test] = False
    models = make_baselines(seed=0)
    assert list(models) == list(BASELINES)
    assert models["Base_freq+"].radius_km == 20.0 and models["Base_knn"].k == 10
    for name, est in models.items():
        assert clone(est).get_params() == est.get_params(), name
        with pytest.raises(Exception, match="not fitted"):
            est.predict(w, test)
        est.fit(w, known)
        xy = est.predict_coords(w, test)
        p = est.predict(w, test)
        ok = p >= 0
        np.testing.assert_allclose(xy[ok, 0], w.places.lat.to_numpy()[p[ok]])
        assert np.isnan(xy[~ok]).all()
    np.testing.assert_array_equal(models["Base_freq"].predict(w, test), base_freq(w, test, known))
    np.testing.assert_array_equal(models["Base_freq+"].predict(w, test), base_freq_plus(w, test, known, 20.0))
    np.testing.assert_array_equal(models["Base_knn"].predict(w, test), base_knn(w, test, known, 10))
    assert isinstance(models["Base_ann"], BaseANN) and isinstance(models["Base_dist"], BaseDist)
    assert isinstance(BaseFreq(), BaseFreq) and BaseKNN(3).k == 3 and BaseFreqPlus(5.0).radius_km == 5.0


def test_freq_plus_radius_by_hand():
    # places: 0 Paris, 1 Lyon, 2 19.5 km east of Paris, 3 20.5 km west of Paris
    km_per_deg = 111.195 * np.cos(np.radians(48.8566))
    pl = pd.DataFrame({"place_id": range(4), "lat": [48.8566, 45.764, 48.8566, 48.8566],
                       "lon": [2.3522, 4.8357, 2.3522 + 19.5 / km_per_deg, 2.3522 - 20.5 / km_per_deg]})
    d = haversine_km(pl.lat[0], pl.lon[0], pl.lat[[2, 3]], pl.lon[[2, 3]])
    assert 19.4 < d[0] < 19.6 and 20.4 < d[1] < 20.6
    # user 0: friends in Paris, east, Lyon x2; user 1: Paris, east, west, Lyon x3
    current = [1, 0, 2, 1, 1, 0, 2, 3, 1, 1, 1]
    edges = [[0, 1], [0, 2], [0, 3], [0, 4], [5, 1], [5, 6], [5, 7], [5, 8], [5, 9], [5, 10]]
    us = pd.DataFrame({"user_id": range(11), "current_place": current, "hometown": -1,
                       "work": -1, "current_visible": True, "hometown_visible": False,
                       "work_visible": False, "friends_visible": True})
    w = world_from_tables(pl, us, edges)
    known = np.ones(11, bool)
    known[[0, 5]] = False
    # 20 km (the paper's): user 0's Paris collects east (2 = Lyon's 2, smaller id wins);
    # user 1's Paris collects east but not west (2 < Lyon's 3)
    assert base_freq_plus(w, [0, 5], known).tolist() == [0, 1]
    assert BaseFreqPlus().fit(w, known).predict(w, [0, 5]).tolist() == [0, 1]
    assert base_freq_plus(w, [0, 5], known, 19.0).tolist() == [1, 1]
    assert base_freq_plus(w, [0, 5], known, 21.0).tolist() == [0, 0]
    assert base_freq(w, [0, 5], known).tolist() == [1, 1]
