"""PFLI: profile and friend location indication (Han et al., Sec 5-7).

The model gives every user a probability over the candidate locations:

* **PLI** (PFLI Eq 1): ``p_Prof(u, l) = sum_k alpha_k sigma_k(u, l)`` where
  ``sigma_k(u, l) = p(l | a_k(u))`` is read from the *location-attribute
  indication matrix* ``R_k`` (:func:`indication_matrix`; attributes ``HT``
  hometown and ``WE`` work-education).
* **LA-FLI** (PFLI Eq 2): ``p_LA-F(u, l) = sum_{v in F_LA(u)} sum_k beta_k w_k(u, v) [l(v) = l]``
  where ``w_k(u, v) = p(l(u) = l(v) | a_k(u), a_k(v))`` is read from the
  *attribute-based location similarity matrix* ``W_k`` (incl. ``null``;
  :func:`similarity_matrix`).
* **LN-FLI** (PFLI Eq 3): ``p_LN-F(u, l) = sum_{v in F_LN(u)} p_Prof(v, l)``.
* **PFLI** (PFLI Eq 5-6): ``p(u, l) = sum_k mu_k sigma_k + nu_k delta_k + lambda_alpha alpha_k eta_k``
  with ``delta_k(u, l) = sum_{v in F_LA(u)} w_k(u, v) [l(v) = l]`` and
  ``eta_k(u, l) = sum_{v in F_LN(u)} sigma_k(v, l)``. ``mu_k, nu_k`` are
  trained together by logistic regression on (user, location) items labelled
  close / far (Sec 5.3), ``alpha_k`` separately the same way, ``lambda_alpha``
  is a small regulator (a parameter). Rows are normalised to sum to 1 (PFLI Eq 7).

Everything is computed with ``scipy.sparse`` products for all users of a batch
at once: ``sigma = onehot(values) @ R_k^T``, ``delta`` from the weighted
known-friend adjacency, ``eta = (A_LN @ onehot(values)) @ R_k^T``.

Training (Sec 5.3) uses known users as if their city were unknown: their
``sigma, delta, eta`` are computed with ``R_k`` and ``W_k`` rebuilt without
the user's own city (an exact leave-one-out, :meth:`PFLIModel.components`).
What the trainer does to the logistic coefficients (clipping negative ones,
falling back to weight 1, leaving out features without evidence) is recorded
in ``PFLIModel.train_info`` and warned about (:class:`PFLITrainingWarning`).

Current-city prediction (Sec 6): candidate locations are clustered by UPGMA
(:func:`homelib.pfli.clusters.cluster_places`), the cluster with the largest
summed probability is selected, and a location in it. :class:`PFLI` wraps it
all as an estimator: ``PFLI(config, seed).fit(world, known)``, then
``predict_proba`` (Eq 7 probabilities), ``predict`` (a place id per user) and
``predict_coords`` (coordinates, also for the centroid selector).

Examples
--------
>>> r = indication_matrix(np.array([0] * 100), np.array([1] * 10 + [0] * 90), 1, 2)
>>> float(r[1, 0])  # 10 of 100 Telecom SudParis employees live in Evry
0.1
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from ..geo import haversine_km
from .clusters import cluster_places, select_locations

__all__ = [
    "ATTRIBUTES",
    "PFLIConfig",
    "PFLITrainingWarning",
    "observed_values",
    "observed_friends",
    "visible_adjacency",
    "indication_matrix",
    "SimilarityMatrix",
    "similarity_matrix",
    "close_far_labels",
    "PFLIModel",
    "fit_pfli",
    "LocationPredictor",
    "PFLI",
]

ATTRIBUTES: dict[str, tuple[str, str]] = {
    "HT": ("hometown", "hometown_visible"),
    "WE": ("work", "work_visible"),
}
"""Location sensitive attributes: name -> (users column, visibility column)."""

_HIDE = frozenset({"HT", "WE", "F"})


class PFLITrainingWarning(UserWarning):
    """The PFLI trainer changed or replaced the logistic coefficients (see ``train_info``)."""


@dataclass(frozen=True)
class PFLIConfig:
    """Parameters of PFLI training and prediction.

    Attributes
    ----------
    close_km : float
        Sec 5.3's distance threshold: a location within ``close_km`` of the
        user's real city is a *close* item (label 1), else *far* (label 0).
        The paper does not give it; the book reads 100 km.
    lambda_alpha : float
        The LN-friend regulator ``lambda_alpha = lambda theta_F`` of PFLI Eq 6.
    w_smoothing : float
        Pseudo-count pulling ``w_k^{ij}`` of rarely seen value pairs toward
        the overall same-city share of friends (0 = the paper's raw ratio;
        the book's reading is 1.0).
    train_users : int
        Known users sampled to build the logistic-regression items.
    max_items : int
        At most this many (user, location) items (a seeded sample) per
        logistic regression.
    prior_top : int
        A user with no usable information gets the known users' city
        distribution restricted to its ``prior_top`` most common cities.
    cluster_km : float
        UPGMA cut height in km (Fig 3 uses 100 km).
    cmb_switch_km : float
        PFLI_cmb: ``prob`` below this K, ``cent`` from it on (40 km, Sec 7.2.2).
    batch_size : int
        Users scored per sparse batch in :func:`homelib.pfli.evaluation.evaluate_pfli`.

    Examples
    --------
    >>> PFLIConfig().close_km, PFLIConfig().w_smoothing, PFLIConfig().cmb_switch_km
    (100.0, 1.0, 40.0)
    >>> PFLIConfig(close_km=0)
    Traceback (most recent call last):
    ...
    ValueError: PFLIConfig.close_km must be positive; got 0
    """

    close_km: float = 100.0
    lambda_alpha: float = 0.05
    w_smoothing: float = 1.0
    train_users: int = 20_000
    max_items: int = 2_000_000
    prior_top: int = 100
    cluster_km: float = 100.0
    cmb_switch_km: float = 40.0
    batch_size: int = 50_000

    def __post_init__(self) -> None:
        for name in ("close_km", "cluster_km", "cmb_switch_km"):
            if getattr(self, name) <= 0:
                raise ValueError(f"PFLIConfig.{name} must be positive; got {getattr(self, name)}")
        for name in ("lambda_alpha", "w_smoothing"):
            if getattr(self, name) < 0:
                raise ValueError(f"PFLIConfig.{name} must be >= 0; got {getattr(self, name)}")
        for name in ("train_users", "max_items", "prior_top", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"PFLIConfig.{name} must be >= 1; got {getattr(self, name)}")


# ----------------------------------------------------------------------------- inputs


def _check_hide(hide) -> frozenset:
    hide = frozenset(hide)
    if not hide <= _HIDE:
        raise ValueError(f"hide must be a subset of {sorted(_HIDE)}; got {sorted(hide)}")
    return hide


def _check_users(world, users: ArrayLike) -> NDArray:
    users = np.asarray(users, dtype=np.int64).ravel()
    bad = (users < 0) | (users >= world.n_users)
    if bad.any():
        raise ValueError(f"users: unknown user id {users[bad][0]} (users are 0..{world.n_users - 1})")
    return users


def observed_values(world, users: ArrayLike | None = None, hide=frozenset()) -> dict[str, NDArray]:
    """Visible attribute values (``-1`` = null) per attribute, for ``users`` (default all).

    Parameters
    ----------
    world : SocialWorld
    users : array of int, optional
        User ids (default: every user, in id order).
    hide : subset of {"HT", "WE", "F"}
        Blank these attributes too (``"F"`` does not concern attributes).

    Returns
    -------
    dict of str to int array
        ``{"HT": ..., "WE": ...}``: the value where the user shows it, else -1.
        A world without a hometown or work column (a friend-only network)
        has -1 everywhere for that attribute.

    Examples
    --------
    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 45.76], "lon": [2.35, 4.84]})
    >>> us = pd.DataFrame({"user_id": [0, 1], "current_place": [0, 1], "hometown": [1, 0],
    ...     "work": -1, "current_visible": True, "hometown_visible": [True, False],
    ...     "work_visible": False, "friends_visible": True})
    >>> w = world_from_tables(pl, us, [[0, 1]])
    >>> {k: v.tolist() for k, v in observed_values(w).items()}
    {'HT': [1, -1], 'WE': [-1, -1]}
    >>> observed_values(w, [0], hide={"HT"})["HT"].tolist()
    [-1]
    """
    hide = _check_hide(hide)
    u = world.users if users is None else world.users.iloc[_check_users(world, users)]
    out = {}
    for k, (col, vis) in ATTRIBUTES.items():
        if col not in u or vis not in u:
            out[k] = np.full(len(u), -1, dtype=np.int64)
            continue
        v = u[col].to_numpy(np.int64)
        ok = u[vis].to_numpy(bool) & (v >= 0) & (k not in hide)
        out[k] = np.where(ok, v, -1)
    return out


def observed_friends(world, users: ArrayLike, hide=frozenset()) -> sp.csr_matrix:
    """Rows of the adjacency for ``users``: a user's friends are used only if the list is shown.

    Parameters
    ----------
    world : SocialWorld
    users : array of int
    hide : subset of {"HT", "WE", "F"}
        With ``"F"`` every row is empty.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``len(users) x U`` 0/1 matrix; rows of users with a hidden friend list
        are empty.

    Examples
    --------
    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": [0], "lat": [48.85], "lon": [2.35]})
    >>> us = pd.DataFrame({"user_id": range(3), "current_place": 0, "hometown": -1, "work": -1,
    ...     "current_visible": True, "hometown_visible": False, "work_visible": False,
    ...     "friends_visible": [True, False, True]})
    >>> w = world_from_tables(pl, us, [[0, 1], [1, 2]])
    >>> observed_friends(w, [0, 1]).toarray().tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    hide = _check_hide(hide)
    users = _check_users(world, users)
    vis = world.users["friends_visible"].to_numpy(bool)[users] & ("F" not in hide)
    a = world.adjacency[users]
    return (sp.diags(vis.astype(np.float32)) @ a).tocsr()


def visible_adjacency(world) -> sp.csr_matrix:
    """The friendships an observer can see: those shown by at least one of the two users.

    A friendship ``(u, v)`` appears in ``u``'s list if ``u`` shows it, or in
    ``v``'s if ``v`` does; a friendship between two users who both hide their
    lists is invisible (``world.adjacency`` is the ground truth).

    Parameters
    ----------
    world : SocialWorld

    Returns
    -------
    scipy.sparse.csr_matrix
        Symmetric 0/1 ``U x U`` matrix.

    Examples
    --------
    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": [0], "lat": [48.85], "lon": [2.35]})
    >>> us = pd.DataFrame({"user_id": range(3), "current_place": 0, "hometown": -1, "work": -1,
    ...     "current_visible": True, "hometown_visible": False, "work_visible": False,
    ...     "friends_visible": [True, False, False]})
    >>> w = world_from_tables(pl, us, [[0, 1], [1, 2]])
    >>> visible_adjacency(w).toarray().astype(int).tolist()  # 1-2: both lists hidden
    [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    """
    fv = world.users["friends_visible"].to_numpy(bool)
    e = np.asarray(world.edges, dtype=np.int64).reshape(-1, 2)
    e = e[fv[e[:, 0]] | fv[e[:, 1]]]
    n = world.n_users
    rows, cols = np.concatenate([e[:, 0], e[:, 1]]), np.concatenate([e[:, 1], e[:, 0]])
    a = sp.csr_matrix((np.ones(rows.size, dtype=np.float32), (rows, cols)), shape=(n, n))
    a.sum_duplicates()
    a.data[:] = 1.0
    return a


def _n_values(world) -> dict[str, int]:
    """Number of possible values per attribute (at least 1, so that empty attributes
    still give well-formed, all-zero matrices)."""
    work = world.users["work"] if "work" in world.users else pd.Series([-1])
    n_work = max(len(world.orgs), int(work.max()) + 1 if len(work) else 0)
    return {"HT": max(1, world.n_places), "WE": max(1, n_work)}


# ----------------------------------------------------------------------------- matrices


def indication_matrix(values: ArrayLike, cities: ArrayLike, n_values: int, n_places: int) -> sp.csr_matrix:
    """Location-attribute indication matrix ``R_k`` (PFLI Sec 5.1), shape ``N x M``.

    ``R_k[l, j] = p(l(u) = l | a_k(u) = j)``: among users with value ``j``
    (``values``, -1 = null, ignored) and a known city (``cities``, -1 =
    unknown, ignored), the share living in ``l``.

    Parameters
    ----------
    values, cities : array of int
        Attribute value and known city of every user (-1 = none).
    n_values, n_places : int
        ``M`` and ``N``.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``N x M``; a column with no user is all zero.

    Examples
    --------
    >>> r = indication_matrix([0, 0, 0, 1, -1], [2, 2, 0, 1, 1], 2, 3)
    >>> r.toarray().round(3).tolist()
    [[0.333, 0.0], [0.0, 1.0], [0.667, 0.0]]
    """
    return _value_city_counts(values, cities, n_values, n_places, normalise=True).T.tocsr()


def _value_city_counts(values, cities, n_values, n_places, normalise=False) -> sp.csr_matrix:
    v = np.asarray(values, dtype=np.int64)
    c = np.asarray(cities, dtype=np.int64)
    ok = (v >= 0) & (c >= 0)
    if (v >= n_values).any():
        raise ValueError(f"values: value {v[v >= n_values][0]} >= n_values {n_values}")
    m = sp.csr_matrix((np.ones(int(ok.sum())), (v[ok], c[ok])), shape=(n_values, n_places))
    m.sum_duplicates()
    if normalise:
        n = np.asarray(m.sum(axis=1)).ravel()
        m = sp.diags(np.where(n > 0, 1.0 / np.maximum(n, 1), 0.0)) @ m
    return m.tocsr()


@dataclass(frozen=True)
class SimilarityMatrix:
    """Attribute-based location similarity matrix ``W_k`` (PFLI Sec 5.2.1), stored sparsely.

    ``w^{ij} = p(l(u) = l(v) | a_k(u) = i, a_k(v) = j)`` over directed friend
    pairs with both cities known; value ``M`` stands for ``null``. Pairs never
    seen get ``default`` (the overall same-city share); with ``smoothing`` s,
    ``w = (same + s default) / (total + s)`` (the book's reading: s = 1, a
    pseudo-count; the paper's raw ratio is s = 0).
    """

    keys: NDArray  # sorted i * (M + 1) + j
    same: NDArray
    total: NDArray
    n_values: int
    default: float
    smoothing: float

    def lookup(self, i: ArrayLike, j: ArrayLike, minus_total=None, minus_same=None,
               default=None) -> NDArray:
        """``w^{ij}`` for arrays of values (-1 = null).

        Parameters
        ----------
        i, j : array of int
            Values of the user and of the friend (-1 = null).
        minus_total, minus_same : array of float, optional
            Pair counts to leave out of the cell (leave-one-out training).
        default : float or array, optional
            The unseen-pair value to use instead of :attr:`default` (the
            leave-one-out same-city share).

        Returns
        -------
        ndarray of float

        Examples
        --------
        >>> W = similarity_matrix([0, 0], [5, 5], np.array([[0, 1]]), 1, smoothing=1.0)
        >>> W.lookup([0], [0]).tolist()  # (1 + 1 * 1.0) / (1 + 1)
        [1.0]
        >>> W.lookup([0], [0], [1.0], [1.0], default=0.25).tolist()  # pair left out
        [0.25]
        """
        m = self.n_values
        i = np.where(np.asarray(i) < 0, m, i).astype(np.int64)
        j = np.where(np.asarray(j) < 0, m, j).astype(np.int64)
        key = i * (m + 1) + j
        same = np.zeros(key.shape)
        total = np.zeros(key.shape)
        if self.keys.size:
            pos = np.minimum(np.searchsorted(self.keys, key), self.keys.size - 1)
            hit = self.keys[pos] == key
            same = np.where(hit, self.same[pos], 0.0)
            total = np.where(hit, self.total[pos], 0.0)
        if minus_total is not None:
            total = total - minus_total
            same = same - minus_same
        d = self.default if default is None else np.asarray(default, dtype=float)
        s = self.smoothing
        denom = total + s
        return np.where(denom > 0, (same + s * d) / np.where(denom > 0, denom, 1), d)

    def to_sparse(self) -> sp.csr_matrix:
        """The observed ratios ``same / total`` as an ``(M+1) x (M+1)`` matrix (null last).

        Returns
        -------
        scipy.sparse.csr_matrix

        Examples
        --------
        >>> similarity_matrix([0, 1], [5, 5], np.array([[0, 1]]), 2).to_sparse().toarray().tolist()
        [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
        """
        m = self.n_values + 1
        return sp.csr_matrix((self.same / self.total, (self.keys // m, self.keys % m)), shape=(m, m))


def similarity_matrix(
    values: ArrayLike, cities: ArrayLike, pairs: NDArray, n_values: int, smoothing: float = 0.0
) -> SimilarityMatrix:
    """Build ``W_k`` (PFLI Sec 5.2.1) from directed friend ``pairs`` (u, v) whose two cities are known.

    Parameters
    ----------
    values, cities : array of int
        Attribute value (-1 = null) and known city (-1 = unknown) per user.
    pairs : (P, 2) int array
        Directed friend pairs; pairs with an unknown city are ignored.
    n_values : int
        ``M``; value ``M`` in the matrix stands for null.
    smoothing : float
        Pseudo-count ``s`` of :class:`SimilarityMatrix`.

    Returns
    -------
    SimilarityMatrix

    Examples
    --------
    >>> W = similarity_matrix([0, 0, 1, -1], [5, 5, 7, 5], np.array([[0, 1], [0, 2], [1, 3]]), 2)
    >>> W.to_sparse().toarray().tolist()  # rows/cols: value 0, value 1, null
    [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    >>> round(float(W.lookup([0], [1])[0]), 3)
    0.0
    """
    v = np.asarray(values, dtype=np.int64)
    c = np.asarray(cities, dtype=np.int64)
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    u_, w_ = pairs[:, 0], pairs[:, 1]
    ok = (c[u_] >= 0) & (c[w_] >= 0)
    u_, w_ = u_[ok], w_[ok]
    m = n_values
    i = np.where(v[u_] < 0, m, v[u_])
    j = np.where(v[w_] < 0, m, v[w_])
    same = (c[u_] == c[w_]).astype(float)
    keys, inv = np.unique(i * (m + 1) + j, return_inverse=True)
    total = np.bincount(inv, minlength=keys.size).astype(float)
    s = np.bincount(inv, weights=same, minlength=keys.size)
    default = float(same.mean()) if same.size else 0.0
    return SimilarityMatrix(keys=keys, same=s, total=total, n_values=m, default=default,
                            smoothing=float(smoothing))


def close_far_labels(lat: ArrayLike, lon: ArrayLike, truth: ArrayLike, cols: ArrayLike,
                     close_km: float) -> NDArray:
    """Sec 5.3's training labels: 1 (close) where location ``cols`` lies within ``close_km``
    of the true city ``truth`` (both place ids), else 0 (far).

    Parameters
    ----------
    lat, lon : array of float
        Coordinates of every place.
    truth, cols : array of int
        True city and candidate location of every (user, location) item.
    close_km : float
        The threshold (inclusive).

    Returns
    -------
    int array of 0/1

    Examples
    --------
    >>> lat, lon = [0.0, 0.0, 0.0], [0.0, 0.89, 0.91]  # ~99 km and ~101 km east
    >>> close_far_labels(lat, lon, [0, 0, 0], [0, 1, 2], 100.0).tolist()
    [1, 1, 0]
    """
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    t, c = np.asarray(truth, np.int64), np.asarray(cols, np.int64)
    return (haversine_km(lat[t], lon[t], lat[c], lon[c]) <= close_km).astype(int)


# ----------------------------------------------------------------------------- model


def _onehot(val: NDArray, n_cols: int, data: float = 1.0, dtype=np.float64) -> sp.csr_matrix:
    has = val >= 0
    return sp.csr_matrix((np.full(int(has.sum()), data, dtype=dtype), (np.flatnonzero(has), val[has])),
                         shape=(val.size, n_cols))


@dataclass
class PFLIModel:
    """A fitted PFLI model (see :func:`fit_pfli`); score users with :meth:`score`.

    Attributes
    ----------
    config : PFLIConfig
    known : bool array (U,)
        Users whose city the matrices use.
    city : int array (U,)
        Current place of known users, -1 otherwise.
    n_places : int
    RT : dict of str to csr_matrix
        ``R_k`` transposed (``M x N``), rows ``p(. | value)``.
    W : dict of str to SimilarityMatrix
    alpha, mu, nu : dict of str to float
        The Eq 6 weights per attribute.
    prior : float array (N,)
        The prior row of users without evidence.
    values : dict of str to int array
        Observed values of every user (as friends).
    counts : dict of str to csr_matrix
        Value x city counts behind ``R_k`` (for the leave-one-out).
    train_info : dict
        What the trainer did (items, raw and clipped coefficients, left-out
        features, fallbacks), see :func:`fit_pfli`.
    """

    config: PFLIConfig
    known: NDArray
    city: NDArray
    n_places: int
    RT: dict[str, sp.csr_matrix]
    W: dict[str, SimilarityMatrix]
    alpha: dict[str, float]
    mu: dict[str, float]
    nu: dict[str, float]
    prior: NDArray
    values: dict[str, NDArray]
    counts: dict[str, sp.csr_matrix] = field(default_factory=dict)
    train_info: dict = field(default_factory=dict)

    def components(self, world, users: ArrayLike, hide=frozenset(), loo: bool = False) -> dict:
        """The unweighted pieces ``sigma_k, delta_k, eta_k`` of PFLI Eq 5 (sparse, users x places).

        Parameters
        ----------
        world : SocialWorld
        users : array of int
        hide : subset of {"HT", "WE", "F"}
        loo : bool
            Training: every user must be known, and its pieces are computed
            as if its city were unknown everywhere, i.e. with ``R_k`` and
            ``W_k`` rebuilt without it (an exact leave-one-out: the same
            numbers as a model fitted with the user unknown).

        Returns
        -------
        dict
            ``sigma_HT, delta_HT, eta_HT, sigma_WE, ...``, each a
            ``len(users) x N`` CSR matrix.

        Examples
        --------
        >>> from homelib.pfli.world import SocialConfig, build_social_world
        >>> w = build_social_world(SocialConfig(n_users=300, n_places=20, n_multi_orgs=3), seed=1)
        >>> m = fit_pfli(w, config=PFLIConfig(train_users=50))
        >>> sorted(m.components(w, [0, 1]))
        ['delta_HT', 'delta_WE', 'eta_HT', 'eta_WE', 'sigma_HT', 'sigma_WE']
        """
        users, own, a_known, a_ln = self._evidence(world, users, hide)
        if loo:
            if hide:
                raise ValueError("components: loo=True scores training users; hide must be empty")
            if not self.known[users].all():
                bad = users[~self.known[users]][0]
                raise ValueError(f"components: loo=True needs known users; user {bad} is not known")
            loo_pairs = self._loo_pair_counts(world, users)
        n, n_pl = users.size, self.n_places
        out = {}
        r, v = a_known.nonzero()
        for k in ATTRIBUTES:
            rt = self.RT[k]
            sig_full = (_onehot(own[k], rt.shape[0]) @ rt).tocsr()
            sig = self._sigma_loo(k, users) if loo else sig_full
            out[f"sigma_{k}"] = sig
            # delta_k: known friends weighted by w_k(u, v)
            if loo:
                w = self._w_loo(k, users, r, v, loo_pairs)
            else:
                w = self.W[k].lookup(own[k][r], self.values[k][v])
            out[f"delta_{k}"] = sp.csr_matrix((w, (r, self.city[v])), shape=(n, n_pl))
            # eta_k: LN friends through their own sigma_k
            eta = ((a_ln @ self._onehot_all(k)) @ rt).tocsr()
            if loo:
                # LN friends sharing the user's value read R_k's column of that value,
                # which without the user is the user's own leave-one-out sigma
                cnt = self._ln_friends_with_value(a_ln, k, own[k])
                eta = (eta + sp.diags(cnt) @ (sig - sig_full)).tocsr()
                eta.eliminate_zeros()
            out[f"eta_{k}"] = eta
        return out

    def _ln_friends_with_value(self, a_ln: sp.csr_matrix, k: str, val: NDArray) -> NDArray:
        """Per row, the number of LN friends whose value of ``k`` equals the user's (>= 0)."""
        rr, vv = a_ln.nonzero()
        hit = (val[rr] >= 0) & (self.values[k][vv] == val[rr])
        return np.bincount(rr[hit], minlength=val.size).astype(float)

    def _sigma_loo(self, k: str, users: NDArray) -> sp.csr_matrix:
        """``sigma_k`` of known ``users`` with ``R_k`` rebuilt without each user's own city."""
        val = self.values[k][users]
        counts = self.counts[k]
        n, n_pl = users.size, self.n_places
        has = val >= 0
        sig = (_onehot(val, counts.shape[0]) @ counts).tocsr()
        rows = np.flatnonzero(has)
        sub = sp.csr_matrix((np.ones(rows.size), (rows, self.city[users][rows])), shape=(n, n_pl))
        sig = (sig - sub).tocsr()
        n_value = np.asarray(counts.sum(axis=1)).ravel()
        nval = np.zeros(n)
        nval[has] = n_value[val[has]] - 1
        scale = np.where(nval > 0, 1.0 / np.maximum(nval, 1), 0.0)
        sig = (sp.diags(scale) @ sig).tocsr()
        sig.eliminate_zeros()
        return sig

    def _loo_pair_counts(self, world, users: NDArray) -> dict:
        """The directed ``W_k`` pairs each training user takes part in.

        ``W_k`` counts the pair (x, y) when x shows its list and both are
        known. For a known user u these are (u, x) for its known friends x
        if u shows its list (``out``) and (x, u) for its known friends x who
        show theirs (``inn``); ``*_same`` keeps the pairs with x in u's city.
        """
        fv = world.users["friends_visible"].to_numpy(bool)
        adj = world.adjacency[users].tocsr()
        kn = self.known.astype(np.float64)
        out = (sp.diags(fv[users].astype(float)) @ adj @ sp.diags(kn)).tocsr()
        inn = (adj @ sp.diags(kn * fv)).tocsr()
        cu = self.city[users]

        def same_city(m):
            m = m.tocoo()
            keep = self.city[m.col] == cu[m.row]
            return sp.csr_matrix((m.data[keep], (m.row[keep], m.col[keep])), shape=m.shape)

        out.eliminate_zeros()
        inn.eliminate_zeros()
        return {"out": out, "inn": inn, "out_same": same_city(out), "inn_same": same_city(inn)}

    def _w_loo(self, k: str, users: NDArray, r: NDArray, v: NDArray, pairs: dict) -> NDArray:
        """``w_k(u, v)`` for the known-friend pairs (row r of ``users``, friend v), with every
        ``W_k`` pair of u left out of the cell and of the default same-city share."""
        W = self.W[k]
        m = W.n_values
        allval = np.where(self.values[k] < 0, m, self.values[k])
        oh = sp.csr_matrix((np.ones(allval.size), (np.arange(allval.size), allval)),
                           shape=(allval.size, m + 1))
        iu = allval[users]
        jv = allval[v]
        by_val = {name: (pairs[name] @ oh).tocsr() for name in pairs}

        def at(name, rows, cols):
            if rows.size == 0:
                return np.zeros(0)
            return np.asarray(by_val[name][rows, cols]).ravel()

        own_cell = jv == iu[r]
        mt = at("out", r, jv) + np.where(own_cell, at("inn", r, iu[r]), 0.0)
        ms = at("out_same", r, jv) + np.where(own_cell, at("inn_same", r, iu[r]), 0.0)
        tot_u = np.asarray((pairs["out"] + pairs["inn"]).sum(axis=1)).ravel()
        same_u = np.asarray((pairs["out_same"] + pairs["inn_same"]).sum(axis=1)).ravel()
        big_t, big_s = float(W.total.sum()), float(W.same.sum())
        rest = big_t - tot_u
        default = np.where(rest > 0, (big_s - same_u) / np.where(rest > 0, rest, 1), 0.0)
        return W.lookup(iu[r], jv, mt, ms, default=default[r])

    def _onehot_all(self, k: str) -> sp.csr_matrix:
        return _onehot(self.values[k], self.RT[k].shape[0], dtype=np.float32)

    def _evidence(self, world, users: ArrayLike, hide) -> tuple:
        """Checked user ids, their visible values, and their shown friends split into
        LA (city known to the model) and LN adjacency rows."""
        users = _check_users(world, users)
        hide = _check_hide(hide)
        own = observed_values(world, users, hide)
        a = observed_friends(world, users, hide)
        kn = self.known.astype(np.float32)
        a_known = a.multiply(kn[None, :]).tocsr()
        a_known.eliminate_zeros()
        a_ln = (a - a_known).tocsr()
        a_ln.eliminate_zeros()
        return users, own, a_known, a_ln

    def raw_scores(self, world, users: ArrayLike, hide=frozenset()) -> sp.csr_matrix:
        """PFLI Eq 6 before normalisation (all-zero rows for users without evidence).

        Parameters
        ----------
        world : SocialWorld
        users : array of int
        hide : subset of {"HT", "WE", "F"}

        Returns
        -------
        scipy.sparse.csr_matrix, shape (len(users), n_places)

        Examples
        --------
        >>> from homelib.pfli.world import SocialConfig, build_social_world
        >>> w = build_social_world(SocialConfig(n_users=300, n_places=20, n_multi_orgs=3), seed=1)
        >>> m = fit_pfli(w, config=PFLIConfig(train_users=50))
        >>> m.raw_scores(w, [0, 1], hide={"HT", "WE", "F"}).nnz  # nothing shown: no evidence
        0
        """
        users, own, a_known, a_ln = self._evidence(world, users, hide)
        n = users.size
        r, v = a_known.nonzero()
        wsum = np.zeros(r.size)
        total = sp.csr_matrix((n, self.n_places))
        for k in ATTRIBUTES:
            rt = self.RT[k]
            oh = _onehot(own[k], rt.shape[0], data=self.mu[k])
            mix = oh + (self.config.lambda_alpha * self.alpha[k]) * (a_ln @ self._onehot_all(k))
            total = total + mix @ rt
            wsum += self.nu[k] * self.W[k].lookup(own[k][r], self.values[k][v])
        total = total + sp.csr_matrix((wsum, (r, self.city[v])), shape=(n, self.n_places))
        total = total.tocsr()
        total.eliminate_zeros()
        return total

    def has_evidence(self, world, users: ArrayLike, hide=frozenset()) -> NDArray:
        """True where PFLI Eq 6 gives a non-zero row (else :meth:`score` uses the prior).

        Parameters
        ----------
        world : SocialWorld
        users : array of int
        hide : subset of {"HT", "WE", "F"}

        Returns
        -------
        bool array

        Examples
        --------
        >>> from homelib.pfli.world import SocialConfig, build_social_world
        >>> w = build_social_world(SocialConfig(n_users=300, n_places=20, n_multi_orgs=3), seed=1)
        >>> m = fit_pfli(w, config=PFLIConfig(train_users=50))
        >>> m.has_evidence(w, [0], hide={"HT", "WE", "F"}).tolist()
        [False]
        """
        raw = self.raw_scores(world, users, hide)
        return np.diff(raw.indptr) > 0

    def score(self, world, users: ArrayLike, *, hide=frozenset(), return_prior: bool = False):
        """PFLI probabilities ``p(u, l)`` (PFLI Eq 5-7), each row summing to 1.

        The batch scoring entry point (also used by the exposure estimator
        and the scale-out code).

        Parameters
        ----------
        world : SocialWorld
        users : array of int
            User ids to score.
        hide : subset of {"HT", "WE", "F"}
            Remove these fields of these users (their own row only) first.
        return_prior : bool
            Also return which users got the prior.

        Returns
        -------
        scipy.sparse.csr_matrix, shape (len(users), n_places)
            A user with no usable evidence gets the prior row (the known
            users' city distribution over its ``prior_top`` most common cities).
            With ``return_prior=True``, also a bool array marking those users.

        Examples
        --------
        >>> from homelib.pfli.world import SocialConfig, build_social_world
        >>> w = build_social_world(SocialConfig(n_users=300, n_places=20, n_multi_orgs=3), seed=1)
        >>> m = fit_pfli(w, config=PFLIConfig(train_users=50))
        >>> s = m.score(w, [0, 1, 2])
        >>> s.shape, np.allclose(s.sum(axis=1), 1)
        ((3, 20), True)
        """
        raw = self.raw_scores(world, users, hide)
        s = np.asarray(raw.sum(axis=1)).ravel()
        empty = s <= 0
        out = sp.diags(np.where(empty, 0.0, 1.0 / np.where(empty, 1.0, s))) @ raw
        if empty.any():
            nz = np.flatnonzero(self.prior)
            rows = np.repeat(np.flatnonzero(empty), nz.size)
            cols = np.tile(nz, int(empty.sum()))
            pri = sp.csr_matrix((np.tile(self.prior[nz], int(empty.sum())), (rows, cols)),
                                shape=out.shape)
            out = out + pri
        return (out.tocsr(), empty) if return_prior else out.tocsr()


# ----------------------------------------------------------------------------- training


def _items(comps: dict, names: list[str], n_places: int) -> tuple[NDArray, NDArray, NDArray]:
    """(row, col, X) of the (user, location) items where any component is > 0."""
    rows, cols, feat, data = [], [], [], []
    for f, name in enumerate(names):
        c = comps[name].tocoo()
        keep = c.data > 0
        rows.append(c.row[keep])
        cols.append(c.col[keep])
        feat.append(np.full(int(keep.sum()), f))
        data.append(c.data[keep])
    rows, cols = np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64)
    feat, data = np.concatenate(feat), np.concatenate(data)
    key, inv = np.unique(rows * n_places + cols, return_inverse=True)
    x = np.zeros((key.size, len(names)))
    for f in range(len(names)):
        sel = feat == f
        x[:, f] = np.bincount(inv[sel], weights=data[sel], minlength=key.size)
    return key // n_places, key % n_places, x


def _warn(message: str) -> None:
    warnings.warn(message, PFLITrainingWarning, stacklevel=4)


def _fit_logistic(x: NDArray, y: NDArray, names: list[str], seed: int,
                  max_items: int = 2_000_000, what: str = "weights") -> tuple[dict[str, float], dict]:
    """Sec 5.3's logistic regression of close/far labels on the features ``names``.

    Columns that are zero on every item (no evidence) or equal to an earlier
    column are left out and get weight 0 (``info["dropped"]``); negative
    coefficients are clipped to 0 (``info["clipped"]``) with a warning; with
    no item or only one class the kept features get weight 1
    (``info["fallback"]``), also with a warning.
    """
    n_all = int(y.size)
    info: dict = {"features": list(names), "n_items": n_all, "n_used": n_all, "share_close": None,
                  "dropped": {}, "clipped": [], "fallback": None, "raw_coef": {}, "intercept": None}
    weights = dict.fromkeys(names, 0.0)
    if n_all == 0:
        info["fallback"] = "no training item: every weight 0"
        _warn(f"PFLI {what}: no (user, location) training item; every weight set to 0")
        return weights, info
    if n_all > max_items:
        keep = np.random.default_rng(seed).choice(n_all, size=max_items, replace=False)
        x, y = x[keep], y[keep]
        info["n_used"] = int(y.size)
    info["share_close"] = float(y.mean())
    kept = []
    for f, name in enumerate(names):
        col = x[:, f]
        if not (col > 0).any():
            info["dropped"][name] = "no evidence (zero on every item)"
            continue
        twin = next((names[g] for g in kept if np.array_equal(x[:, g], col)), None)
        if twin is not None:
            info["dropped"][name] = f"identical to {twin}"
            continue
        kept.append(f)
    kept_names = [names[f] for f in kept]
    if not kept:
        info["fallback"] = "no feature has evidence: every weight 0"
        _warn(f"PFLI {what}: no feature has evidence; every weight set to 0")
        return weights, info
    if y.min() == y.max():
        info["fallback"] = f"one class only (all {'close' if y[0] else 'far'}): kept weights 1"
        _warn(f"PFLI {what}: the training items are all {'close' if y[0] else 'far'}; "
              f"weights of {kept_names} set to 1")
        weights.update(dict.fromkeys(kept_names, 1.0))
        return weights, info
    lr = LogisticRegression(C=100.0, max_iter=500, random_state=seed)
    lr.fit(x[:, kept], y)
    coef = lr.coef_.ravel()
    info["raw_coef"] = {name: float(c) for name, c in zip(kept_names, coef, strict=True)}
    info["intercept"] = float(lr.intercept_[0])
    info["clipped"] = [name for name, c in zip(kept_names, coef, strict=True) if c < 0]
    if info["clipped"]:
        raw = ", ".join(f"{n} = {info['raw_coef'][n]:.3g}" for n in info["clipped"])
        _warn(f"PFLI {what}: negative logistic coefficient(s) clipped to 0 ({raw})")
    weights.update({name: float(max(c, 0.0)) for name, c in zip(kept_names, coef, strict=True)})
    return weights, info


def _matrices(world, known: NDArray, cfg: PFLIConfig) -> PFLIModel:
    """``R_k``, ``W_k`` and the prior from the ``known`` users; weights all 1."""
    n_pl = world.n_places
    cur = world.users["current_place"].to_numpy(np.int64)
    city = np.where(known, cur, -1)
    values = observed_values(world)
    nv = _n_values(world)
    counts = {k: _value_city_counts(values[k], city, nv[k], n_pl) for k in ATTRIBUTES}
    RT = {k: _value_city_counts(values[k], city, nv[k], n_pl, normalise=True) for k in ATTRIBUTES}
    # directed observed friend pairs (u shows the list), both known
    fv = world.users["friends_visible"].to_numpy(bool)
    e = np.asarray(world.edges, dtype=np.int64).reshape(-1, 2)
    pairs = np.concatenate([e, e[:, ::-1]])
    pairs = pairs[fv[pairs[:, 0]] & known[pairs[:, 0]] & known[pairs[:, 1]]]
    W = {k: similarity_matrix(values[k], city, pairs, nv[k], cfg.w_smoothing) for k in ATTRIBUTES}
    counts_prior = np.bincount(city[city >= 0], minlength=n_pl).astype(float)
    top = np.argsort(-counts_prior, kind="stable")[: cfg.prior_top]
    prior = np.zeros(n_pl)
    prior[top] = counts_prior[top]
    prior = prior / prior.sum() if prior.sum() > 0 else np.full(n_pl, 1.0 / n_pl)
    return PFLIModel(config=cfg, known=known, city=city, n_places=n_pl, RT=RT, W=W,
                     alpha=dict.fromkeys(ATTRIBUTES, 1.0), mu=dict.fromkeys(ATTRIBUTES, 1.0),
                     nu=dict.fromkeys(ATTRIBUTES, 1.0), prior=prior, values=values, counts=counts,
                     train_info={"n_pairs_W": int(pairs.shape[0])})


def _check_known(world, known) -> NDArray:
    n = world.n_users
    known = world.users["current_visible"].to_numpy(bool) if known is None else np.asarray(known)
    if known.shape != (n,) or known.dtype != bool:
        raise ValueError(f"known must be a bool array of length {n}; got {known.dtype} of shape "
                         f"{known.shape}")
    cur = world.users["current_place"].to_numpy(np.int64)
    if (known & (cur < 0)).any():
        raise ValueError(f"known: known user {int(np.flatnonzero(known & (cur < 0))[0])} has "
                         "current_place -1")
    if not known.any():
        raise ValueError("known: no known user to train on")
    return known.copy()


def fit_pfli(world, *, known: ArrayLike | None = None, config: PFLIConfig | None = None,
             seed: int = 0) -> PFLIModel:
    """Build ``R_k`` and ``W_k`` from the ``known`` users and train ``alpha, mu, nu`` (Sec 5.3).

    Parameters
    ----------
    world : SocialWorld
    known : bool array, optional
        Users whose current city may be used (default: the LA users). Users
        to be evaluated must not be known (the no-leakage rule).
    config : PFLIConfig, optional
    seed : int
        Seed of the training-user sample and of the logistic regressions.

    Returns
    -------
    PFLIModel

    Warns
    -----
    PFLITrainingWarning
        When a coefficient is clipped or a fallback replaces the fitted weights.

    Notes
    -----
    Training items (Sec 5.3) are the (user, location) pairs with a non-zero
    component for up to ``config.train_users`` known users; a location within
    ``close_km`` of the user's city is close (label 1). Each training user's
    ``sigma, delta, eta`` are those of a model in which the user's city is
    unknown (exact leave-one-out of ``R_k`` and ``W_k``). ``alpha`` is fitted
    on the ``sigma`` columns, ``mu, nu`` together on ``sigma`` and ``delta``.
    ``train_info`` records, per regression (``alpha_fit``, ``mu_nu_fit``):
    the raw coefficients, the clipped ones (a negative weight on a
    probability is not a mixture weight, so they become 0), features left
    out for having no evidence or duplicating another (weight 0; e.g. in a
    friend-only network ``delta_HT`` and ``delta_WE`` coincide), and any
    fallback; ``fallback`` at the top level says whether all ``mu, nu`` were
    0 and were reset to 1 for the features with evidence (Eq 6 would
    otherwise give every user the prior).

    Examples
    --------
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=400, n_places=30, n_multi_orgs=3), seed=1)
    >>> m = fit_pfli(w, config=PFLIConfig(train_users=100), seed=0)
    >>> sorted(m.mu), m.train_info["fallback"] is None
    (['HT', 'WE'], True)
    """
    cfg = config or PFLIConfig()
    known = _check_known(world, known)
    rng = np.random.default_rng(seed)
    n_pl = world.n_places
    cur = world.users["current_place"].to_numpy(np.int64)
    model = _matrices(world, known, cfg)
    pool = np.flatnonzero(known)
    train = np.sort(rng.choice(pool, size=min(cfg.train_users, pool.size), replace=False))
    comps = model.components(world, train, loo=True)
    lat, lon = world.places["lat"].to_numpy(), world.places["lon"].to_numpy()
    keys = list(ATTRIBUTES)
    sig_names = [f"sigma_{k}" for k in keys]
    mn_names = sig_names + [f"delta_{k}" for k in keys]
    rows, cols, x = _items(comps, sig_names, n_pl)
    y = close_far_labels(lat, lon, cur[train[rows]], cols, cfg.close_km)
    w_a, info_a = _fit_logistic(x, y, sig_names, seed, cfg.max_items, "alpha")
    rows, cols, x = _items(comps, mn_names, n_pl)
    y = close_far_labels(lat, lon, cur[train[rows]], cols, cfg.close_km)
    w_mn, info_mn = _fit_logistic(x, y, mn_names, seed, cfg.max_items, "mu, nu")
    model.alpha = {k: w_a[f"sigma_{k}"] for k in keys}
    model.mu = {k: w_mn[f"sigma_{k}"] for k in keys}
    model.nu = {k: w_mn[f"delta_{k}"] for k in keys}
    fallback = None
    with_evidence = [f for f in mn_names if f not in info_mn["dropped"]]
    if info_mn["fallback"] is None and sum(w_mn.values()) == 0 and with_evidence:
        fallback = f"every mu, nu was <= 0: {with_evidence} reset to 1"
        _warn(f"PFLI mu, nu: every fitted weight is <= 0; {with_evidence} reset to 1 "
              "(Eq 6 would otherwise give every user the prior)")
        model.mu = {k: float(f"sigma_{k}" in with_evidence) for k in keys}
        model.nu = {k: float(f"delta_{k}" in with_evidence) for k in keys}
    model.train_info.update({"alpha_fit": info_a, "mu_nu_fit": info_mn, "fallback": fallback,
                             "n_train_users": int(train.size), "seed": seed})
    return model


# ----------------------------------------------------------------------------- estimators


class LocationPredictor(BaseEstimator):
    """The shape every current-city method shares (PFLI and the five baselines).

    ``fit(world, known)`` learns from the users whose city is ``known`` (what
    an observer sees) and returns the estimator; ``predict(world, users)``
    gives one place id per user (-1: no answer); ``predict_coords`` gives
    ``(lat, lon)`` per user (NaN: no answer). Subclasses store their
    ``__init__`` arguments unchanged (scikit-learn's ``clone``,
    ``get_params`` and ``set_params`` work) and end fitted attributes in ``_``.
    """

    def fit(self, world, known: ArrayLike | None = None):  # pragma: no cover - interface
        raise NotImplementedError

    def predict(self, world, users: ArrayLike) -> NDArray:  # pragma: no cover - interface
        raise NotImplementedError

    def predict_coords(self, world, users: ArrayLike) -> NDArray:
        """``(lat, lon)`` of each user's predicted place, NaN where there is no answer.

        Parameters
        ----------
        world : SocialWorld
        users : array of int

        Returns
        -------
        float array, shape (len(users), 2)
        """
        place = self.predict(world, users)
        lat, lon = world.places["lat"].to_numpy(float), world.places["lon"].to_numpy(float)
        ok = place >= 0
        out = np.full((place.size, 2), np.nan)
        out[ok, 0], out[ok, 1] = lat[place[ok]], lon[place[ok]]
        return out


_PLACE_SELECTORS = ("prob", "dist", "noclst")


class PFLI(LocationPredictor):
    """PFLI as an estimator: ``PFLI(config, seed).fit(world, known)``, then predict.

    Parameters
    ----------
    config : PFLIConfig, optional
        Training and prediction parameters (default ``PFLIConfig()``).
    seed : int
        Seed of the training sample and the logistic regressions.
    selector : {"prob", "cent", "dist", "noclst"}
        The location selector of :meth:`predict` / :meth:`predict_coords`
        (Sec 6.3; ``cent`` has coordinates only).
    clusters : int array, optional
        UPGMA cluster of every place; computed at ``config.cluster_km`` in
        :meth:`fit` when not given.

    Attributes
    ----------
    model_ : PFLIModel
        The fitted matrices and weights.
    clusters_ : int array
    train_info_ : dict
        ``model_.train_info``.

    Examples
    --------
    >>> from sklearn.base import clone
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=400, n_places=30, n_multi_orgs=3), seed=1)
    >>> test = np.flatnonzero(w.users.current_visible)[:5]
    >>> known = w.users.current_visible.to_numpy().copy(); known[test] = False
    >>> est = PFLI(PFLIConfig(train_users=100), seed=0).fit(w, known)
    >>> est.predict_proba(w, test).shape, est.predict(w, test).shape
    ((5, 30), (5,))
    >>> clone(est).get_params()["selector"]
    'prob'
    """

    def __init__(self, config: PFLIConfig | None = None, seed: int = 0, selector: str = "prob",
                 clusters: ArrayLike | None = None):
        self.config = config
        self.seed = seed
        self.selector = selector
        self.clusters = clusters

    def fit(self, world, known: ArrayLike | None = None) -> PFLI:
        """Fit ``R_k``, ``W_k`` and the weights (:func:`fit_pfli`) and the clusters.

        Parameters
        ----------
        world : SocialWorld
        known : bool array, optional
            Default: the LA users.

        Returns
        -------
        PFLI
            ``self``.
        """
        if self.selector not in _PLACE_SELECTORS + ("cent",):
            raise ValueError(f"selector must be one of {_PLACE_SELECTORS + ('cent',)}; "
                             f"got {self.selector!r}")
        self.model_ = fit_pfli(world, known=known, config=self.config, seed=self.seed)
        cfg = self.model_.config
        if self.clusters is None:
            self.clusters_ = cluster_places(world.places["lat"], world.places["lon"], cfg.cluster_km)
        else:
            self.clusters_ = np.asarray(self.clusters, dtype=np.int64)
            if self.clusters_.shape != (world.n_places,):
                raise ValueError(f"clusters must have length {world.n_places}; "
                                 f"got {self.clusters_.shape}")
        self.train_info_ = self.model_.train_info
        return self

    def predict_proba(self, world, users: ArrayLike, *, hide=frozenset()) -> sp.csr_matrix:
        """PFLI Eq 7 probabilities (:meth:`PFLIModel.score`).

        Parameters
        ----------
        world : SocialWorld
        users : array of int
        hide : subset of {"HT", "WE", "F"}

        Returns
        -------
        scipy.sparse.csr_matrix, shape (len(users), n_places)
        """
        check_is_fitted(self, "model_")
        return self.model_.score(world, users, hide=hide)

    def locate(self, world, users: ArrayLike, selector: str | None = None, *,
               hide=frozenset(), scores: sp.spmatrix | None = None) -> pd.DataFrame:
        """Cluster and location selection (Sec 6) for ``users``.

        Parameters
        ----------
        world : SocialWorld
        users : array of int
        selector : str, optional
            Default: ``self.selector``; also ``"cmb"``
            (:func:`homelib.pfli.clusters.select_locations`).
        hide : subset of {"HT", "WE", "F"}
        scores : sparse matrix, optional
            Precomputed :meth:`predict_proba` rows of ``users``.

        Returns
        -------
        DataFrame
            As :func:`homelib.pfli.clusters.select_locations`.
        """
        check_is_fitted(self, "model_")
        s = self.predict_proba(world, users, hide=hide) if scores is None else scores
        return select_locations(s, world.places, self.clusters_, selector or self.selector)

    def predict(self, world, users: ArrayLike, *, hide=frozenset()) -> NDArray:
        """The predicted place id of every user (selector ``prob``, ``dist`` or ``noclst``).

        Parameters
        ----------
        world : SocialWorld
        users : array of int
        hide : subset of {"HT", "WE", "F"}

        Returns
        -------
        int array
        """
        if self.selector not in _PLACE_SELECTORS:
            raise ValueError(f"selector {self.selector!r} predicts coordinates, not a place; "
                             "use predict_coords")
        return self.locate(world, users, hide=hide)["pred_place"].to_numpy(np.int64)

    def predict_coords(self, world, users: ArrayLike, *, hide=frozenset()) -> NDArray:
        """``(lat, lon)`` of every user's prediction with ``self.selector`` (any selector).

        Parameters
        ----------
        world : SocialWorld
        users : array of int
        hide : subset of {"HT", "WE", "F"}

        Returns
        -------
        float array, shape (len(users), 2)
        """
        d = self.locate(world, users, hide=hide)
        return d[["pred_lat", "pred_lon"]].to_numpy(float)
