"""The five baselines PFLI is compared with (Han et al., Sec 7.1.2).

Every function predicts a place id per user (``-1`` when the method has no
answer, e.g. no friend with a known city); :func:`homelib.pfli.evaluation.evaluate_pfli`
gives such users the most common known city. Only friends whose city is
``known`` are used, and a user's friends only if the user shows the friend
list (as in :func:`homelib.pfli.model.observed_friends`).

* ``Base_freq`` (:func:`base_freq`): the most frequent city among LA friends.
* ``Base_freq+`` (:func:`base_freq_plus`): the same after neighbourhood
  smoothing: a friend city counts for every friend city within ``radius_km``
  (20 km).
* ``Base_knn`` (:func:`base_knn`): the most frequent city among the ``k`` LA
  friends with the most common friends.
* ``Base_dist`` (:func:`base_dist`): Backstrom et al.'s maximum likelihood
  location: the friend city ``l`` maximising ``sum_v log p(d(l, l(v)))`` with
  ``p(d) = a (d + b)^-c`` (miles).
* ``Base_ann`` (:class:`BaseANN`): each attribute value is mapped to one
  location (its most common known city) and a neural network
  (``sklearn.neural_network.MLPClassifier``) decides which of the candidate
  locations (hometown's, work-education's, friends' most frequent) to trust.

Ties are broken toward the smaller place id, so results are deterministic.

Examples
--------
>>> from homelib.pfli.data import world_from_tables
>>> pl = pd.DataFrame({"place_id": [0, 1, 2], "lat": [48.85, 48.63, 45.76], "lon": [2.35, 2.45, 4.84]})
>>> us = pd.DataFrame({"user_id": range(4), "current_place": [0, 1, 1, 2], "hometown": -1,
...     "work": -1, "current_visible": [False, True, True, True], "hometown_visible": False,
...     "work_visible": False, "friends_visible": True})
>>> w = world_from_tables(pl, us, [[0, 1], [0, 2], [0, 3]])
>>> known = np.array([False, True, True, True])
>>> base_freq(w, [0], known).tolist(), base_freq_plus(w, [0], known).tolist()
([1], [1])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ..geo import SphereIndex, haversine_km
from .data import KM_PER_MILE
from .model import _n_values, observed_friends, observed_values

BACKSTROM_A = 0.0019
"""Backstrom et al. (2010)'s published scale ``a`` of ``p(d) = a (d + b)^-c``."""
BACKSTROM_B = 0.196
"""Backstrom et al. (2010)'s published offset ``b`` (miles)."""
BACKSTROM_C = 1.05
"""Backstrom et al. (2010)'s published exponent ``c``."""

__all__ = [
    "BACKSTROM_A",
    "BACKSTROM_B",
    "BACKSTROM_C",
    "friend_city_counts",
    "base_freq",
    "base_freq_plus",
    "base_knn",
    "base_dist",
    "BaseANN",
    "fit_base_ann",
    "predict_baselines",
]


def _known_friends(world, users, known) -> sp.csr_matrix:

    a = observed_friends(world, users)
    a = a.multiply(np.asarray(known, dtype=np.float32)[None, :]).tocsr()
    a.eliminate_zeros()
    return a


def friend_city_counts(world, users: ArrayLike, known: ArrayLike) -> sp.csr_matrix:
    """Number of known friends per (user, city): ``A_known @ onehot(city)``."""
    users = np.asarray(users, dtype=np.int64)
    a = _known_friends(world, users, known)
    r, v = a.nonzero()
    city = world.users["current_place"].to_numpy()
    m = sp.csr_matrix((np.ones(r.size), (r, city[v])), shape=(users.size, world.n_places))
    m.sum_duplicates()
    return m


def _csr_argmax(m: sp.csr_matrix, mask: sp.csr_matrix | None = None) -> NDArray:
    """Column of the largest entry per row (ties: smaller column); -1 for empty rows."""
    m = m.tocsr()
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    cols, data = m.indices, m.data
    if mask is not None:
        keep = np.asarray(mask.tocsr()[rows, cols]).ravel() > 0
        rows, cols, data = rows[keep], cols[keep], data[keep]
    keep = data > 0
    rows, cols, data = rows[keep], cols[keep], data[keep]
    order = np.lexsort((cols, -data, rows))
    r = rows[order]
    first = np.ones(r.size, dtype=bool)
    first[1:] = r[1:] != r[:-1]
    out = np.full(m.shape[0], -1, dtype=np.int64)
    out[r[first]] = cols[order][first]
    return out


def base_freq(world, users: ArrayLike, known: ArrayLike) -> NDArray:
    """Base_freq: the most frequent city among the user's known friends."""
    return _csr_argmax(friend_city_counts(world, users, known))


def neighbourhood_matrix(places: pd.DataFrame, radius_km: float) -> sp.csr_matrix:
    """0/1 ``N x N`` matrix of place pairs closer than ``radius_km`` (incl. the diagonal)."""
    idx = SphereIndex.from_coords(places["lat"], places["lon"])
    nb = idx.query_radius(places["lat"], places["lon"], radius_km)
    rows = np.repeat(np.arange(len(places)), [len(x) for x in nb])
    cols = np.concatenate(list(nb)).astype(np.int64) if len(nb) else np.zeros(0, np.int64)
    return sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(len(places),) * 2)


def base_freq_plus(world, users: ArrayLike, known: ArrayLike, radius_km: float = 20.0) -> NDArray:
    """Base_freq+: the friend city with the most friends within ``radius_km`` of it."""
    counts = friend_city_counts(world, users, known)
    smooth = counts @ neighbourhood_matrix(world.places, radius_km)
    return _csr_argmax(smooth, mask=counts)


def base_knn(world, users: ArrayLike, known: ArrayLike, k: int = 10) -> NDArray:
    """Base_knn: most frequent city among the ``k`` known friends with most common friends.

    Common friends are counted on the full (ground-truth) adjacency rows of
    the friends and the observed list of the user.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1; got {k}")
    users = np.asarray(users, dtype=np.int64)
    a = _known_friends(world, users, known)

    common = (observed_friends(world, users) @ world.adjacency).multiply(a).tocsr()
    r, v = a.nonzero()
    cnt = np.asarray(common[r, v]).ravel()
    order = np.lexsort((v, -cnt, r))
    r, v = r[order], v[order]
    start = np.searchsorted(r, np.arange(users.size))
    rank = np.arange(r.size) - start[r]
    keep = rank < k
    city = world.users["current_place"].to_numpy()
    m = sp.csr_matrix((np.ones(int(keep.sum())), (r[keep], city[v[keep]])),
                      shape=(users.size, world.n_places))
    m.sum_duplicates()
    return _csr_argmax(m)


def base_dist(world, users: ArrayLike, known: ArrayLike, a: float = BACKSTROM_A,
              b: float = BACKSTROM_B, c: float = BACKSTROM_C) -> NDArray:
    """Base_dist: Backstrom et al.'s maximum-likelihood location among friend cities.

    For each candidate city ``l`` of the user's known friends, the
    log-likelihood ``sum_v log p(d(l, l(v)))`` (friends grouped by city,
    ``d`` in miles); the largest wins. Candidate pairs are formed per user over
    distinct friend cities only (chunked, no per-user Python loop).
    """
    counts = friend_city_counts(world, users, known).tocsr()
    lat, lon = world.places["lat"].to_numpy(), world.places["lon"].to_numpy()
    n = counts.shape[0]
    nnz = np.diff(counts.indptr)
    out = np.full(n, -1, dtype=np.int64)
    best_ll = np.full(n, -np.inf)
    max_pairs = 5_000_000
    r0 = 0
    while r0 < n:  # chunks of users, bounded by the number of candidate pairs
        r1, tot = r0, 0
        while r1 < n and (tot + nnz[r1] ** 2 <= max_pairs or r1 == r0):
            tot += nnz[r1] ** 2
            r1 += 1
        sub = counts[r0:r1]
        rows = np.repeat(np.arange(r1 - r0), np.diff(sub.indptr))
        cols, w = sub.indices, sub.data
        k = np.diff(sub.indptr)
        start = sub.indptr[:-1]
        # all (candidate i, friend-city j) pairs of the same row
        rep = np.repeat(np.arange(cols.size), k[rows])
        off = np.arange(rep.size) - np.repeat(np.cumsum(k[rows]) - k[rows], k[rows])
        j = start[rows[rep]] + off
        d_mi = haversine_km(lat[cols[rep]], lon[cols[rep]], lat[cols[j]], lon[cols[j]]) / KM_PER_MILE
        ll = np.bincount(rep, weights=w[j] * np.log(a * (d_mi + b) ** (-c)), minlength=cols.size)
        order = np.lexsort((cols, -ll, rows))
        rr = rows[order]
        first = np.ones(rr.size, dtype=bool)
        first[1:] = rr[1:] != rr[:-1]
        out[r0 + rr[first]] = cols[order][first]
        best_ll[r0 + rr[first]] = ll[order][first]
        r0 = r1
    return out


# ----------------------------------------------------------------------------- Base_ann


def _mode_city(values: NDArray, city: NDArray, n_values: int, n_places: int) -> tuple[NDArray, NDArray]:
    """Most common known city per attribute value and its share (-1 / 0 if none)."""
    ok = (values >= 0) & (city >= 0)
    m = sp.csr_matrix((np.ones(int(ok.sum())), (values[ok], city[ok])), shape=(n_values, n_places))
    m.sum_duplicates()
    top = _csr_argmax(m)
    tot = np.asarray(m.sum(axis=1)).ravel()
    share = np.zeros(n_values)
    has = top >= 0
    share[has] = np.asarray(m[np.flatnonzero(has), top[has]]).ravel() / tot[has]
    return top, share


@dataclass
class BaseANN:
    """Base_ann (Han et al.'s earlier model): one location per attribute value + an MLP.

    Candidates per user: the hometown's location, the work-education's
    location (each attribute value's most common known city) and the most
    frequent known friend city. The MLP learns from known users which
    candidate to trust from each candidate's availability and confidence and
    the distances between candidates.
    """

    maps: dict
    known: NDArray
    net: object | None
    n_places: int

    def _candidates(self, world, users):
        users = np.asarray(users, dtype=np.int64)
        vals = observed_values(world, users)
        cand, conf = [], []
        for k in ("HT", "WE"):
            top, share = self.maps[k]
            v = vals[k]
            cand.append(np.where(v >= 0, top[np.maximum(v, 0)], -1))
            conf.append(np.where(v >= 0, share[np.maximum(v, 0)], 0.0))
        counts = friend_city_counts(world, users, self.known)
        fc = _csr_argmax(counts)
        tot = np.asarray(counts.sum(axis=1)).ravel()
        fshare = np.zeros(users.size)
        ok = fc >= 0
        fshare[ok] = np.asarray(counts[np.flatnonzero(ok), fc[ok]]).ravel() / tot[ok]
        cand.append(fc)
        conf.append(fshare)
        cand = np.column_stack(cand)
        conf = np.column_stack(conf)
        lat, lon = world.places["lat"].to_numpy(), world.places["lon"].to_numpy()
        feats = [cand >= 0, conf, np.log1p(tot)[:, None]]
        for i, j in ((0, 1), (0, 2), (1, 2)):
            both = (cand[:, i] >= 0) & (cand[:, j] >= 0)
            d = np.where(both, haversine_km(lat[np.maximum(cand[:, i], 0)], lon[np.maximum(cand[:, i], 0)],
                                            lat[np.maximum(cand[:, j], 0)], lon[np.maximum(cand[:, j], 0)]), -1.0)
            feats.append(np.where(both, np.log1p(np.maximum(d, 0.0)), -1.0)[:, None])
        return cand, np.column_stack([f.astype(float) for f in feats])

    def predict(self, world, users: ArrayLike) -> NDArray:
        """Predicted place per user (-1 if no candidate)."""
        cand, x = self._candidates(world, users)
        avail = cand >= 0
        if self.net is None:
            choice = np.argmax(avail, axis=1)
        else:
            proba = np.zeros(avail.shape)
            proba[:, self.net.classes_] = self.net.predict_proba(x)
            proba = np.where(avail, proba + 1e-9, -1.0)
            choice = proba.argmax(axis=1)
        out = cand[np.arange(cand.shape[0]), choice]
        return np.where(avail.any(axis=1), out, -1)


def fit_base_ann(world, known: ArrayLike, *, seed: int = 0, max_train: int = 10_000,
                 hidden: tuple[int, ...] = (16, 16)) -> BaseANN:
    """Fit :class:`BaseANN` on (up to ``max_train``) known users."""
    from sklearn.neural_network import MLPClassifier

    known = np.asarray(known, dtype=bool)
    city = np.where(known, world.users["current_place"].to_numpy(), -1)
    vals = observed_values(world)
    nv = _n_values(world)
    maps = {k: _mode_city(vals[k], city, nv[k], world.n_places) for k in ("HT", "WE")}
    model = BaseANN(maps=maps, known=known, net=None, n_places=world.n_places)
    rng = np.random.default_rng(seed)
    pool = np.flatnonzero(known)
    train = np.sort(rng.choice(pool, size=min(max_train, pool.size), replace=False))
    cand, x = model._candidates(world, train)
    avail = cand >= 0
    keep = avail.sum(axis=1) >= 2
    if keep.sum() < 20:
        return model
    lat, lon = world.places["lat"].to_numpy(), world.places["lon"].to_numpy()
    t = world.users["current_place"].to_numpy()[train]
    err = np.where(avail, haversine_km(lat[t][:, None], lon[t][:, None],
                                       lat[np.maximum(cand, 0)], lon[np.maximum(cand, 0)]), np.inf)
    y = err.argmin(axis=1)
    if np.unique(y[keep]).size < 2:
        return model
    net = MLPClassifier(hidden_layer_sizes=hidden, max_iter=200, early_stopping=True,
                        n_iter_no_change=5, random_state=seed)
    net.fit(x[keep], y[keep])
    model.net = net
    return model


def predict_baselines(world, users: ArrayLike, known: ArrayLike, *, seed: int = 0,
                      freq_plus_km: float = 20.0, knn_k: int = 10) -> dict[str, NDArray]:
    """All five baselines' predicted place ids (``-1``: no answer) for ``users``."""
    users = np.asarray(users, dtype=np.int64)
    known = np.asarray(known, dtype=bool)
    if known[users].any():
        raise ValueError("predict_baselines: a user to predict is marked known (leakage)")
    return {
        "Base_dist": base_dist(world, users, known),
        "Base_ann": fit_base_ann(world, known, seed=seed).predict(world, users),
        "Base_freq": base_freq(world, users, known),
        "Base_freq+": base_freq_plus(world, users, known, freq_plus_km),
        "Base_knn": base_knn(world, users, known, knn_k),
    }
