"""Tests of homelib.pfli.baselines on tiny hand-computed graphs."""

import numpy as np
import pandas as pd
import pytest

from homelib.pfli.baselines import (
    base_dist,
    base_freq,
    base_freq_plus,
    base_knn,
    fit_base_ann,
    predict_baselines,
)
from homelib.pfli.data import world_from_tables
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
    assert base_dist(w, [0], known).tolist() == [0]
    # hand check of the log-likelihoods
    from homelib.geo import haversine_km
    from homelib.pfli.world import backstrom_p

    lat, lon = PLACES.lat.to_numpy(), PLACES.lon.to_numpy()
    ll = [np.log(backstrom_p(haversine_km(lat[c], lon[c], lat[[0, 2, 1, 4]], lon[[0, 2, 1, 4]]))).sum()
          for c in (0, 2, 1, 4)]
    assert int(np.argmax(ll)) == 0


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
