"""The five baselines PFLI is compared with (Han et al., Sec 7.1.2).

Every method is an estimator of the shape of :class:`homelib.pfli.model.LocationPredictor`:
``fit(world, known)`` learns only from what an observer of the ``known``
users sees, ``predict(world, users)`` gives a place id per user (``-1`` when
the method has no answer, e.g. no friend with a known city;
:func:`homelib.pfli.evaluation.evaluate_pfli` gives such users the most
common known city). Only friends whose city is ``known`` are used, and a
user's friends only if the user shows the friend list (as in
:func:`homelib.pfli.model.observed_friends`).

* ``Base_freq`` (:class:`BaseFreq`, :func:`base_freq`): the most frequent city
  among LA friends.
* ``Base_freq+`` (:class:`BaseFreqPlus`, :func:`base_freq_plus`): the same after
  neighbourhood smoothing: a friend city counts for every friend city within
  ``radius_km`` (20 km, Sec 7.1.2).
* ``Base_knn`` (:class:`BaseKNN`, :func:`base_knn`): the most frequent city
  among the ``k`` LA friends with the most common friends, counted on the
  friendships an observer can see (:func:`homelib.pfli.model.visible_adjacency`).
  The paper does not give ``k``; the book reads 10.
* ``Base_dist`` (:class:`BaseDist`, :func:`base_dist`): Backstrom et al.'s
  maximum likelihood location: the friend city ``l`` maximising
  ``sum_v log p(d(l, l(v)))`` with ``p(d) = a (d + b)^-c`` (``d`` in miles),
  the law fitted by :func:`fit_backstrom` from the known users' visible
  friend pairs, as Backstrom et al. (2010) fitted it on theirs.
* ``Base_ann`` (:class:`BaseANN`): each attribute value is mapped to one
  location (its most common known city) and a neural network
  (``sklearn.neural_network.MLPClassifier``) decides which of the candidate
  locations (hometown's, work-education's, friends' most frequent) to trust;
  the maps are built without the training user's own city.

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
>>> base_freq(w, [0], known).tolist(), BaseFreqPlus().fit(w, known).predict(w, [0]).tolist()
([1], [1])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize, minimize_scalar
from sklearn.neural_network import MLPClassifier
from sklearn.utils.validation import check_is_fitted

from ..geo import SphereIndex, haversine_km
from .data import KM_PER_MILE
from .model import (
    LocationPredictor,
    _check_known,
    _n_values,
    observed_friends,
    observed_values,
    visible_adjacency,
)

__all__ = [
    "BASELINES",
    "DEFAULT_BINS_MILES",
    "friend_city_counts",
    "neighbourhood_matrix",
    "base_freq",
    "base_freq_plus",
    "base_knn",
    "BackstromFit",
    "friend_pairs_by_distance",
    "fit_backstrom_bins",
    "fit_backstrom",
    "base_dist",
    "BaseFreq",
    "BaseFreqPlus",
    "BaseKNN",
    "BaseDist",
    "BaseANN",
    "fit_base_ann",
    "make_baselines",
    "predict_baselines",
]

BASELINES = ("Base_dist", "Base_ann", "Base_freq", "Base_freq+", "Base_knn")
"""The baselines' names, in the order of the paper's Tables 1-2."""

DEFAULT_BINS_MILES = np.concatenate([[0.0, 1e-6], np.logspace(-1, np.log10(12_500), 61)])
"""Distance bins of the Backstrom fit (miles): same place, then 60 log-spaced bins."""


# ----------------------------------------------------------------------------- friends


def _known_friends(world, users, known) -> sp.csr_matrix:
    a = observed_friends(world, users)
    a = a.multiply(np.asarray(known, dtype=np.float32)[None, :]).tocsr()
    a.eliminate_zeros()
    return a


def friend_city_counts(world, users: ArrayLike, known: ArrayLike) -> sp.csr_matrix:
    """Number of known friends per (user, city): ``A_known @ onehot(city)``.

    Parameters
    ----------
    world : SocialWorld
    users : array of int
    known : bool array (U,)

    Returns
    -------
    scipy.sparse.csr_matrix, shape (len(users), n_places)

    Examples
    --------
    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 45.76], "lon": [2.35, 4.84]})
    >>> us = pd.DataFrame({"user_id": range(3), "current_place": [0, 1, 1], "hometown": -1,
    ...     "work": -1, "current_visible": True, "hometown_visible": False,
    ...     "work_visible": False, "friends_visible": True})
    >>> w = world_from_tables(pl, us, [[0, 1], [0, 2]])
    >>> friend_city_counts(w, [0], np.array([False, True, True])).toarray().tolist()
    [[0.0, 2.0]]
    """
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
        keep = np.asarray(mask.tocsr()[rows, cols]).ravel() > 0 if rows.size else np.zeros(0, bool)
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
    """Base_freq: the most frequent city among the user's known friends.

    Parameters
    ----------
    world : SocialWorld
    users : array of int
    known : bool array (U,)

    Returns
    -------
    int array
        Place id per user, -1 without a known friend.

    Examples
    --------
    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 45.76], "lon": [2.35, 4.84]})
    >>> us = pd.DataFrame({"user_id": range(3), "current_place": [0, 1, 0], "hometown": -1,
    ...     "work": -1, "current_visible": True, "hometown_visible": False,
    ...     "work_visible": False, "friends_visible": True})
    >>> w = world_from_tables(pl, us, [[0, 1], [0, 2]])
    >>> base_freq(w, [0], np.array([False, True, True])).tolist()  # tie: smaller id
    [0]
    """
    return _csr_argmax(friend_city_counts(world, users, known))


def neighbourhood_matrix(places: pd.DataFrame, radius_km: float) -> sp.csr_matrix:
    """0/1 ``N x N`` matrix of place pairs closer than ``radius_km`` (incl. the diagonal).

    Parameters
    ----------
    places : DataFrame with ``lat, lon``
    radius_km : float

    Returns
    -------
    scipy.sparse.csr_matrix

    Examples
    --------
    >>> pl = pd.DataFrame({"lat": [0.0, 0.0, 0.0], "lon": [0.0, 0.17, 0.19]})  # ~18.9, ~21.1 km
    >>> neighbourhood_matrix(pl, 20.0).toarray().astype(int).tolist()
    [[1, 1, 0], [1, 1, 1], [0, 1, 1]]
    """
    idx = SphereIndex.from_coords(places["lat"], places["lon"])
    nb = idx.query_radius(places["lat"], places["lon"], radius_km)
    rows = np.repeat(np.arange(len(places)), [len(x) for x in nb])
    cols = np.concatenate(list(nb)).astype(np.int64) if len(nb) else np.zeros(0, np.int64)
    return sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(len(places),) * 2)


def base_freq_plus(world, users: ArrayLike, known: ArrayLike, radius_km: float = 20.0) -> NDArray:
    """Base_freq+: the friend city with the most friends within ``radius_km`` of it.

    Parameters
    ----------
    world : SocialWorld
    users : array of int
    known : bool array (U,)
    radius_km : float
        The neighbourhood (20 km in the paper, Sec 7.1.2).

    Returns
    -------
    int array
        Place id per user, -1 without a known friend.

    Examples
    --------
    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": range(3), "lat": [0.0, 0.0, 5.0], "lon": [0.0, 0.17, 0.0]})
    >>> us = pd.DataFrame({"user_id": range(5), "current_place": [2, 0, 1, 2, 2], "hometown": -1,
    ...     "work": -1, "current_visible": True, "hometown_visible": False,
    ...     "work_visible": False, "friends_visible": True})
    >>> w = world_from_tables(pl, us, [[0, 1], [0, 2], [0, 3], [0, 4]])
    >>> k = np.array([False, True, True, True, True])
    >>> base_freq_plus(w, [0], k).tolist(), base_freq(w, [0], k).tolist()  # 0 and 1 are 18.9 km apart
    ([0], [2])
    """
    counts = friend_city_counts(world, users, known)
    smooth = counts @ neighbourhood_matrix(world.places, radius_km)
    return _csr_argmax(smooth, mask=counts)


def base_knn(world, users: ArrayLike, known: ArrayLike, k: int = 10) -> NDArray:
    """Base_knn: most frequent city among the ``k`` known friends with most common friends.

    Common friends of ``u`` and its friend ``v`` are counted between ``u``'s
    shown list and the friendships of ``v`` an observer can see (shown by
    ``v`` or by the other end, :func:`homelib.pfli.model.visible_adjacency`);
    ties in the count go to the smaller user id.

    Parameters
    ----------
    world : SocialWorld
    users : array of int
    known : bool array (U,)
    k : int

    Returns
    -------
    int array
        Place id per user, -1 without a known friend.

    Examples
    --------
    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 45.76], "lon": [2.35, 4.84]})
    >>> us = pd.DataFrame({"user_id": range(5), "current_place": [0, 1, 1, 0, 0], "hometown": -1,
    ...     "work": -1, "current_visible": True, "hometown_visible": False,
    ...     "work_visible": False, "friends_visible": True})
    >>> w = world_from_tables(pl, us, [[0, 1], [0, 2], [0, 3], [0, 4], [1, 2]])
    >>> kn = np.array([False, True, True, True, True])
    >>> base_knn(w, [0], kn, k=2).tolist(), base_freq(w, [0], kn).tolist()
    ([1], [0])
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an integer >= 1; got {k!r}")
    users = np.asarray(users, dtype=np.int64)
    a = _known_friends(world, users, known)
    common = (observed_friends(world, users) @ visible_adjacency(world)).multiply(a).tocsr()
    r, v = a.nonzero()
    cnt = np.asarray(common[r, v]).ravel() if r.size else np.zeros(0)
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


# ----------------------------------------------------------------------------- Base_dist


@dataclass(frozen=True)
class BackstromFit:
    """Backstrom et al.'s law ``p(d) = a (d + b)^-c`` (``d`` in miles) fitted to friend pairs.

    Attributes
    ----------
    a, b, c : float
        NaN when there is no visible friend pair among the known users.
    n_friend_pairs, n_user_pairs : int
        Visible friend pairs and observable user pairs behind the fit.
    bins : DataFrame
        Per distance bin: ``d_low_mi, d_high_mi, d_mean_mi, friend_pairs,
        user_pairs, p_friend, p_fit``.
    method : str
    """

    a: float
    b: float
    c: float
    n_friend_pairs: int
    n_user_pairs: float
    bins: pd.DataFrame = field(repr=False)
    method: str = "binned Poisson maximum likelihood"

    @property
    def ok(self) -> bool:
        """True when the law could be fitted."""
        return bool(np.isfinite(self.a) and np.isfinite(self.b) and np.isfinite(self.c))


def friend_pairs_by_distance(world, known: ArrayLike,
                             bins_miles: ArrayLike = DEFAULT_BINS_MILES) -> pd.DataFrame:
    """Friend pairs and user pairs among the ``known`` users, by distance bin (miles).

    As Backstrom et al. (2010) counted: for each distance, the pairs of users
    who are friends and all pairs of users that far apart. An observer sees a
    friendship when one of the two shows its list, so the user pairs counted
    are those where at least one user shows its list (the pairs whose
    friendship, if any, would be seen). Pairs are counted through place pairs
    (chunked; users of the same place are 0 miles apart), never one by one.

    Parameters
    ----------
    world : SocialWorld
    known : bool array (U,)
    bins_miles : array of float
        Increasing bin edges; the first bin ``[0, 1e-6)`` holds same-place pairs.

    Returns
    -------
    DataFrame
        ``d_low_mi, d_high_mi, d_mean_mi`` (pair-weighted mean distance,
        NaN for an empty bin), ``friend_pairs, user_pairs, p_friend``.

    Examples
    --------
    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [0.0, 0.0], "lon": [0.0, 1.0]})  # 69 mi
    >>> us = pd.DataFrame({"user_id": range(4), "current_place": [0, 0, 1, 1], "hometown": -1,
    ...     "work": -1, "current_visible": True, "hometown_visible": False,
    ...     "work_visible": False, "friends_visible": True})
    >>> w = world_from_tables(pl, us, [[0, 1], [0, 2]])
    >>> t = friend_pairs_by_distance(w, np.ones(4, bool), [0, 1e-6, 50, 100])
    >>> t[["friend_pairs", "user_pairs"]].values.tolist()  # 2 same-place pairs, 4 pairs 69 mi apart
    [[1.0, 2.0], [0.0, 0.0], [1.0, 4.0]]
    """
    known = np.asarray(known, dtype=bool)
    edges = np.asarray(bins_miles, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or (np.diff(edges) <= 0).any() or edges[0] != 0:
        raise ValueError("bins_miles must be increasing edges starting at 0")
    lat, lon = world.places["lat"].to_numpy(float), world.places["lon"].to_numpy(float)
    cur = world.users["current_place"].to_numpy(np.int64)
    fv = world.users["friends_visible"].to_numpy(bool)
    n_pl = world.n_places
    n_at = np.bincount(cur[known], minlength=n_pl).astype(float)
    h_at = np.bincount(cur[known & ~fv], minlength=n_pl).astype(float)
    pl = np.flatnonzero(n_at > 0)
    nb = edges.size - 1
    pairs, dsum = np.zeros(nb), np.zeros(nb)
    same = float((n_at * (n_at - 1) / 2 - h_at * (h_at - 1) / 2).sum())
    pairs[0] += same
    chunk = max(1, 2_000_000 // max(pl.size, 1))
    for c0 in range(0, pl.size, chunk):  # chunks of places, upper triangle only
        rows = pl[c0:c0 + chunk]
        cols = pl[c0:]
        d = haversine_km(lat[rows, None], lon[rows, None], lat[None, cols], lon[None, cols]) / KM_PER_MILE
        w = n_at[rows, None] * n_at[None, cols] - h_at[rows, None] * h_at[None, cols]
        upper = np.arange(c0, c0 + rows.size)[:, None] < np.arange(c0, pl.size)[None, :]
        w = np.where(upper, w, 0.0)
        pairs += np.histogram(d, bins=edges, weights=w)[0]
        dsum += np.histogram(d, bins=edges, weights=w * d)[0]
    e = visible_adjacency(world)
    e = sp.triu(e, k=1).tocoo()
    both = known[e.row] & known[e.col]
    a, b = cur[e.row[both]], cur[e.col[both]]
    fd = haversine_km(lat[a], lon[a], lat[b], lon[b]) / KM_PER_MILE
    fd = np.where(a == b, 0.0, fd)
    fr = np.histogram(fd, bins=edges)[0].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(pairs > 0, dsum / np.where(pairs > 0, pairs, 1), np.nan)
        prob = np.where(pairs > 0, fr / np.where(pairs > 0, pairs, 1), np.nan)
    return pd.DataFrame({"d_low_mi": edges[:-1], "d_high_mi": edges[1:], "d_mean_mi": mean,
                         "friend_pairs": fr, "user_pairs": pairs, "p_friend": prob})


def _profile_nll(b: float, c: float, d: NDArray, f: NDArray, n: NDArray) -> tuple[float, float]:
    """Poisson negative log-likelihood of the bins at (b, c), with ``a`` at its optimum."""
    g = (d + b) ** (-c)
    a = f.sum() / (n * g).sum()
    return float(-(f * np.log(a * g)).sum() + a * (n * g).sum()), float(a)


def fit_backstrom_bins(d_miles: ArrayLike, friend_pairs: ArrayLike, user_pairs: ArrayLike,
                       b_bounds: tuple[float, float] = (1e-3, 100.0),
                       c_bounds: tuple[float, float] = (0.0, 5.0)) -> tuple[float, float, float]:
    """Maximum-likelihood ``a, b, c`` of ``p(d) = a (d + b)^-c`` from binned pair counts.

    The friend pairs of a bin are Poisson with mean ``user_pairs * p(d)``
    (friendship is rare, so this is the binomial likelihood to first order);
    ``a`` is profiled out (``a = sum F / sum N (d + b)^-c``), ``b`` is searched
    on a log grid within ``b_bounds`` with the best ``c`` for each ``b``, and
    the best point is polished by Nelder-Mead. Bins without user pairs are
    ignored; bins without friend pairs count (their zero is information).

    Parameters
    ----------
    d_miles, friend_pairs, user_pairs : array of float
        Representative distance, friend pairs and user pairs per bin.
    b_bounds, c_bounds : (float, float)

    Returns
    -------
    (a, b, c) : floats

    Examples
    --------
    >>> d = np.array([0.0, 0.5, 1, 2, 5, 10, 50, 100, 500, 1000])
    >>> n = np.full(d.size, 1e9)
    >>> a, b, c = fit_backstrom_bins(d, n * 0.0019 * (d + 0.196) ** -1.05, n)
    >>> round(a, 4), round(b, 3), round(c, 3)
    (0.0019, 0.196, 1.05)
    """
    d = np.asarray(d_miles, float)
    f = np.asarray(friend_pairs, float)
    n = np.asarray(user_pairs, float)
    keep = (n > 0) & np.isfinite(d)
    d, f, n = d[keep], f[keep], n[keep]
    if f.sum() <= 0:
        return float("nan"), float("nan"), float("nan")
    best = (np.inf, np.nan, np.nan)
    for b in np.logspace(np.log10(b_bounds[0]), np.log10(b_bounds[1]), 61):
        r = minimize_scalar(lambda c, b=b: _profile_nll(b, c, d, f, n)[0], bounds=c_bounds,
                            method="bounded", options={"xatol": 1e-6})
        if r.fun < best[0]:
            best = (float(r.fun), float(b), float(r.x))

    def nll(theta):
        b, c = float(np.exp(theta[0])), float(theta[1])
        if not (b_bounds[0] <= b <= b_bounds[1] and c_bounds[0] <= c <= c_bounds[1]):
            return np.inf
        return _profile_nll(b, c, d, f, n)[0]

    r = minimize(nll, [np.log(best[1]), best[2]], method="Nelder-Mead",
                 options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 2000})
    b, c = (float(np.exp(r.x[0])), float(r.x[1])) if r.fun <= best[0] else best[1:]
    a = _profile_nll(b, c, d, f, n)[1]
    return float(a), float(b), float(c)


def fit_backstrom(world, known: ArrayLike, bins_miles: ArrayLike = DEFAULT_BINS_MILES) -> BackstromFit:
    """Fit Backstrom et al.'s ``p(d) = a (d + b)^-c`` to the ``known`` users' visible friend pairs.

    Backstrom et al. (2010) binned the pairs of users by distance, took the
    share of pairs that are friends in each bin and fitted the curve (they
    found ``a = 0.0019, b = 0.196, c = 1.05`` on Facebook's US users at address
    resolution). This does the same on what an observer of the ``known`` users
    sees (:func:`friend_pairs_by_distance`), by binned maximum likelihood
    (:func:`fit_backstrom_bins`). With city coordinates, users of the same
    city are 0 miles apart, so ``b`` absorbs the distances within a city and
    ``a`` the share of all pairs that the network holds; Base_dist's choice
    depends on ``b`` and ``c`` only.

    Parameters
    ----------
    world : SocialWorld
    known : bool array (U,)
    bins_miles : array of float

    Returns
    -------
    BackstromFit

    Examples
    --------
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=2000, n_places=60, n_multi_orgs=3), seed=1)
    >>> fit = fit_backstrom(w, w.users.current_visible.to_numpy())
    >>> fit.ok, fit.n_friend_pairs > 0, fit.c > 0
    (True, True, True)
    """
    known = np.asarray(known, dtype=bool)
    t = friend_pairs_by_distance(world, known, bins_miles)
    a, b, c = fit_backstrom_bins(t["d_mean_mi"], t["friend_pairs"], t["user_pairs"])
    t["p_fit"] = a * (t["d_mean_mi"] + b) ** (-c) if np.isfinite(a) else np.nan
    return BackstromFit(a=a, b=b, c=c, n_friend_pairs=int(t["friend_pairs"].sum()),
                        n_user_pairs=float(t["user_pairs"].sum()), bins=t)


def base_dist(world, users: ArrayLike, known: ArrayLike, a: float | None = None,
              b: float | None = None, c: float | None = None) -> NDArray:
    """Base_dist: Backstrom et al.'s maximum-likelihood location among friend cities.

    For each candidate city ``l`` of the user's known friends, the
    log-likelihood ``sum_v log p(d(l, l(v)))`` (friends grouped by city,
    ``d`` in miles); the largest wins. Candidate pairs are formed per user over
    distinct friend cities only (chunked, no per-user Python loop).

    Parameters
    ----------
    world : SocialWorld
    users : array of int
    known : bool array (U,)
    a, b, c : float, optional
        The law; by default fitted from the known users (:func:`fit_backstrom`).

    Returns
    -------
    int array
        Place id per user, -1 without a known friend (or without a law).

    Examples
    --------
    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": range(3), "lat": [0.0, 0.0, 0.0], "lon": [0.0, 0.3, 10.0]})
    >>> us = pd.DataFrame({"user_id": range(4), "current_place": [0, 0, 1, 2], "hometown": -1,
    ...     "work": -1, "current_visible": True, "hometown_visible": False,
    ...     "work_visible": False, "friends_visible": True})
    >>> w = world_from_tables(pl, us, [[0, 1], [0, 2], [0, 3]])
    >>> base_dist(w, [0], np.array([False, True, True, True]), 0.002, 0.2, 1.0).tolist()
    [1]
    """
    if a is None or b is None or c is None:
        fit = fit_backstrom(world, known)
        a, b, c = fit.a, fit.b, fit.c
    counts = friend_city_counts(world, users, known).tocsr()
    n = counts.shape[0]
    out = np.full(n, -1, dtype=np.int64)
    if not (np.isfinite(a) and np.isfinite(b) and np.isfinite(c)) or a <= 0 or b < 0:
        return out
    lat, lon = world.places["lat"].to_numpy(), world.places["lon"].to_numpy()
    nnz = np.diff(counts.indptr)
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
        d_mi = np.where(cols[rep] == cols[j], 0.0, d_mi)
        ll = np.bincount(rep, weights=w[j] * (np.log(a) - c * np.log(d_mi + b)), minlength=cols.size)
        order = np.lexsort((cols, -ll, rows))
        rr = rows[order]
        first = np.ones(rr.size, dtype=bool)
        first[1:] = rr[1:] != rr[:-1]
        out[r0 + rr[first]] = cols[order][first]
        r0 = r1
    return out


# ----------------------------------------------------------------------------- Base_ann


def _value_counts(values: NDArray, city: NDArray, n_values: int, n_places: int) -> sp.csr_matrix:
    ok = (values >= 0) & (city >= 0)
    m = sp.csr_matrix((np.ones(int(ok.sum())), (values[ok], city[ok])), shape=(n_values, n_places))
    m.sum_duplicates()
    return m


def _mode_city(values: NDArray, city: NDArray, n_values: int, n_places: int) -> tuple[NDArray, NDArray]:
    """Most common known city per attribute value and its share (-1 / 0 if none)."""
    m = _value_counts(values, city, n_values, n_places)
    top = _csr_argmax(m)
    tot = np.asarray(m.sum(axis=1)).ravel()
    share = np.zeros(n_values)
    has = top >= 0
    share[has] = np.asarray(m[np.flatnonzero(has), top[has]]).ravel() / tot[has]
    return top, share


def _mode_city_loo(values: NDArray, city: NDArray, n_values: int, n_places: int,
                   users: NDArray) -> tuple[NDArray, NDArray]:
    """For each of ``users`` (known), the map of its own value built without it:
    the most common known city of the value and its share, once the user's own
    (value, city) is removed (-1 / 0 if nothing is left)."""
    m = _value_counts(values, city, n_values, n_places).tocoo()
    order = np.lexsort((m.col, -m.data, m.row))
    r, c, d = m.row[order], m.col[order], m.data[order]
    start = np.searchsorted(r, np.arange(n_values))
    end = np.searchsorted(r, np.arange(n_values), side="right")
    size = end - start
    i1 = np.where(size > 0, c[np.minimum(start, c.size - 1)] if c.size else -1, -1)
    t1 = np.where(size > 0, d[np.minimum(start, d.size - 1)] if d.size else 0.0, 0.0)
    i2 = np.where(size > 1, c[np.minimum(start + 1, c.size - 1)] if c.size else -1, -1)
    t2 = np.where(size > 1, d[np.minimum(start + 1, d.size - 1)] if d.size else 0.0, 0.0)
    tot = np.bincount(r, weights=d, minlength=n_values)
    v = values[users]
    cu = city[users]
    has = (v >= 0) & (cu >= 0)
    vv = np.maximum(v, 0)
    own_top = has & (cu == i1[vv])
    t1m = t1[vv] - 1
    first_wins = (t1m > t2[vv]) | ((t1m == t2[vv]) & (i1[vv] < i2[vv])) | (i2[vv] < 0)
    top = np.where(own_top, np.where(first_wins, i1[vv], i2[vv]), i1[vv])
    cnt = np.where(own_top, np.where(first_wins, t1m, t2[vv]), t1[vv])
    rest = tot[vv] - has
    ok = (v >= 0) & (cnt > 0) & (rest > 0) & (top >= 0)
    return (np.where(ok, top, -1).astype(np.int64),
            np.where(ok, cnt / np.where(rest > 0, rest, 1), 0.0))


class BaseANN(LocationPredictor):
    """Base_ann (Han et al.'s earlier model): one location per attribute value + an MLP.

    Candidates per user: the hometown's location, the work-education's
    location (each attribute value's most common known city) and the most
    frequent known friend city. The MLP learns from known users which
    candidate to trust from each candidate's availability and confidence and
    the distances between candidates. A training user's candidates come from
    maps built without the user's own city (leave the user out), as for a
    user to predict.

    Parameters
    ----------
    seed : int
    max_train : int
        Known users (a seeded sample) the network is trained on.
    hidden : tuple of int
        Hidden layer sizes of the MLP.

    Attributes
    ----------
    maps_ : dict
        Per attribute, (most common city, its share) per value.
    net_ : MLPClassifier or None
        None when fewer than 20 training users have two candidates (the
        first available candidate is taken).
    known_ : bool array

    Examples
    --------
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=600, n_places=30, n_multi_orgs=3), seed=2)
    >>> la = w.users.current_visible.to_numpy(); test = np.flatnonzero(la)[:5]
    >>> known = la.copy(); known[test] = False
    >>> BaseANN(seed=0).fit(w, known).predict(w, test).shape
    (5,)
    """

    def __init__(self, seed: int = 0, max_train: int = 10_000, hidden: tuple[int, ...] = (16, 16)):
        self.seed = seed
        self.max_train = max_train
        self.hidden = hidden

    def _candidates(self, world, users, loo: bool = False):
        users = np.asarray(users, dtype=np.int64)
        vals = observed_values(world, users)
        cand, conf = [], []
        for k in ("HT", "WE"):
            if loo:
                top, share = self._loo_maps[k]
                cand.append(top)
                conf.append(share)
                continue
            top, share = self.maps_[k]
            v = vals[k]
            cand.append(np.where(v >= 0, top[np.maximum(v, 0)], -1))
            conf.append(np.where(v >= 0, share[np.maximum(v, 0)], 0.0))
        counts = friend_city_counts(world, users, self.known_)
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

    def fit(self, world, known: ArrayLike | None = None) -> BaseANN:
        """Build the value -> location maps from the known users and train the MLP.

        Parameters
        ----------
        world : SocialWorld
        known : bool array, optional
            Default: the LA users.

        Returns
        -------
        BaseANN
            ``self``.
        """
        known = _check_known(world, known)
        city = np.where(known, world.users["current_place"].to_numpy(), -1)
        vals = observed_values(world)
        nv = _n_values(world)
        self.known_ = known
        self.maps_ = {k: _mode_city(vals[k], city, nv[k], world.n_places) for k in ("HT", "WE")}
        self.net_ = None
        rng = np.random.default_rng(self.seed)
        pool = np.flatnonzero(known)
        train = np.sort(rng.choice(pool, size=min(self.max_train, pool.size), replace=False))
        self._loo_maps = {k: _mode_city_loo(vals[k], city, nv[k], world.n_places, train)
                          for k in ("HT", "WE")}
        cand, x = self._candidates(world, train, loo=True)
        del self._loo_maps
        avail = cand >= 0
        keep = avail.sum(axis=1) >= 2
        self.n_train_ = int(keep.sum())
        if keep.sum() < 20:
            return self
        lat, lon = world.places["lat"].to_numpy(), world.places["lon"].to_numpy()
        t = world.users["current_place"].to_numpy()[train]
        err = np.where(avail, haversine_km(lat[t][:, None], lon[t][:, None],
                                           lat[np.maximum(cand, 0)], lon[np.maximum(cand, 0)]), np.inf)
        y = err.argmin(axis=1)
        if np.unique(y[keep]).size < 2:
            return self
        net = MLPClassifier(hidden_layer_sizes=tuple(self.hidden), max_iter=200, early_stopping=True,
                            n_iter_no_change=5, random_state=self.seed)
        net.fit(x[keep], y[keep])
        self.net_ = net
        return self

    def predict(self, world, users: ArrayLike) -> NDArray:
        """Predicted place per user (-1 if no candidate).

        Parameters
        ----------
        world : SocialWorld
        users : array of int

        Returns
        -------
        int array
        """
        check_is_fitted(self, "maps_")
        cand, x = self._candidates(world, users)
        avail = cand >= 0
        if self.net_ is None:
            choice = np.argmax(avail, axis=1)
        else:
            proba = np.zeros(avail.shape)
            proba[:, self.net_.classes_] = self.net_.predict_proba(x)
            proba = np.where(avail, proba + 1e-9, -1.0)
            choice = proba.argmax(axis=1)
        out = cand[np.arange(cand.shape[0]), choice]
        return np.where(avail.any(axis=1), out, -1)


def fit_base_ann(world, known: ArrayLike, *, seed: int = 0, max_train: int = 10_000,
                 hidden: tuple[int, ...] = (16, 16)) -> BaseANN:
    """Fit :class:`BaseANN` on (up to ``max_train``) known users (a thin wrapper).

    Parameters
    ----------
    world : SocialWorld
    known : bool array (U,)
    seed, max_train : int
    hidden : tuple of int

    Returns
    -------
    BaseANN

    Examples
    --------
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=600, n_places=30, n_multi_orgs=3), seed=2)
    >>> fit_base_ann(w, w.users.current_visible.to_numpy()).maps_.keys()
    dict_keys(['HT', 'WE'])
    """
    return BaseANN(seed=seed, max_train=max_train, hidden=hidden).fit(world, known)


# ----------------------------------------------------------------------------- estimators


class _KnownOnly(LocationPredictor):
    """A baseline whose only fitted state is who is known."""

    def fit(self, world, known: ArrayLike | None = None):
        """Remember the known users (what the method may read).

        Parameters
        ----------
        world : SocialWorld
        known : bool array, optional
            Default: the LA users.

        Returns
        -------
        self
        """
        self.known_ = _check_known(world, known)
        return self


class BaseFreq(_KnownOnly):
    """Base_freq as an estimator (:func:`base_freq`).

    Examples
    --------
    >>> from sklearn.base import clone
    >>> clone(BaseFreq()).get_params()
    {}
    """

    def predict(self, world, users: ArrayLike) -> NDArray:
        """Place id per user (-1 without a known friend); see :func:`base_freq`."""
        check_is_fitted(self, "known_")
        return base_freq(world, users, self.known_)


class BaseFreqPlus(_KnownOnly):
    """Base_freq+ as an estimator (:func:`base_freq_plus`).

    Parameters
    ----------
    radius_km : float
        The neighbourhood, 20 km (Sec 7.1.2).

    Examples
    --------
    >>> BaseFreqPlus().radius_km
    20.0
    """

    def __init__(self, radius_km: float = 20.0):
        self.radius_km = radius_km

    def predict(self, world, users: ArrayLike) -> NDArray:
        """Place id per user (-1 without a known friend); see :func:`base_freq_plus`."""
        check_is_fitted(self, "known_")
        return base_freq_plus(world, users, self.known_, self.radius_km)


class BaseKNN(_KnownOnly):
    """Base_knn as an estimator (:func:`base_knn`).

    Parameters
    ----------
    k : int
        Friends with the most common friends that vote (the book's reading: 10).

    Examples
    --------
    >>> BaseKNN().k
    10
    """

    def __init__(self, k: int = 10):
        self.k = k

    def predict(self, world, users: ArrayLike) -> NDArray:
        """Place id per user (-1 without a known friend); see :func:`base_knn`."""
        check_is_fitted(self, "known_")
        return base_knn(world, users, self.known_, self.k)


class BaseDist(_KnownOnly):
    """Base_dist as an estimator: fit Backstrom's law from the known users, then :func:`base_dist`.

    Parameters
    ----------
    bins_miles : array of float, optional
        Distance bins of the fit (default :data:`DEFAULT_BINS_MILES`).

    Attributes
    ----------
    fit_ : BackstromFit
    a_, b_, c_ : float

    Examples
    --------
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=2000, n_places=60, n_multi_orgs=3), seed=1)
    >>> est = BaseDist().fit(w, w.users.current_visible.to_numpy())
    >>> bool(est.c_ > 0), est.fit_.n_friend_pairs > 0
    (True, True)
    """

    def __init__(self, bins_miles: ArrayLike | None = None):
        self.bins_miles = bins_miles

    def fit(self, world, known: ArrayLike | None = None) -> BaseDist:
        """Fit ``p(d) = a (d + b)^-c`` from the known users' visible friend pairs.

        Parameters
        ----------
        world : SocialWorld
        known : bool array, optional

        Returns
        -------
        BaseDist
            ``self``.
        """
        super().fit(world, known)
        bins = DEFAULT_BINS_MILES if self.bins_miles is None else self.bins_miles
        self.fit_ = fit_backstrom(world, self.known_, bins)
        self.a_, self.b_, self.c_ = self.fit_.a, self.fit_.b, self.fit_.c
        return self

    def predict(self, world, users: ArrayLike) -> NDArray:
        """Place id per user (-1 without a known friend or a fitted law); see :func:`base_dist`."""
        check_is_fitted(self, "fit_")
        return base_dist(world, users, self.known_, self.a_, self.b_, self.c_)


def make_baselines(*, seed: int = 0, freq_plus_km: float = 20.0, knn_k: int = 10) -> dict:
    """The five baselines, unfitted, by name (:data:`BASELINES` order).

    Parameters
    ----------
    seed : int
        Seed of Base_ann.
    freq_plus_km : float
        Base_freq+'s neighbourhood (20 km).
    knn_k : int
        Base_knn's ``k`` (10).

    Returns
    -------
    dict of str to LocationPredictor

    Examples
    --------
    >>> list(make_baselines())
    ['Base_dist', 'Base_ann', 'Base_freq', 'Base_freq+', 'Base_knn']
    """
    return {"Base_dist": BaseDist(), "Base_ann": BaseANN(seed=seed), "Base_freq": BaseFreq(),
            "Base_freq+": BaseFreqPlus(freq_plus_km), "Base_knn": BaseKNN(knn_k)}


def predict_baselines(world, users: ArrayLike, known: ArrayLike, *, seed: int = 0,
                      freq_plus_km: float = 20.0, knn_k: int = 10,
                      return_models: bool = False):
    """All five baselines fitted on ``known`` and their predicted place ids for ``users``.

    Parameters
    ----------
    world : SocialWorld
    users : array of int
        Users to predict; none may be known (the no-leakage rule).
    known : bool array (U,)
    seed, freq_plus_km, knn_k
        See :func:`make_baselines`.
    return_models : bool
        Also return the fitted estimators.

    Returns
    -------
    dict of str to int array (``-1``: no answer), and the dict of fitted
    estimators with ``return_models=True``.

    Examples
    --------
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=600, n_places=30, n_multi_orgs=3), seed=2)
    >>> la = w.users.current_visible.to_numpy(); test = np.flatnonzero(la)[:5]
    >>> known = la.copy(); known[test] = False
    >>> sorted(predict_baselines(w, test, known))
    ['Base_ann', 'Base_dist', 'Base_freq', 'Base_freq+', 'Base_knn']
    """
    users = np.asarray(users, dtype=np.int64)
    known = np.asarray(known, dtype=bool)
    if known[users].any():
        raise ValueError(f"predict_baselines: user {int(users[known[users]][0])} to predict is "
                         "marked known (leakage)")
    models = {name: est.fit(world, known) for name, est in
              make_baselines(seed=seed, freq_plus_km=freq_plus_km, knn_k=knn_k).items()}
    preds = {name: est.predict(world, users) for name, est in models.items()}
    return (preds, models) if return_models else preds
