"""PFLI: profile and friend location indication (Han et al., Sec 5-7).

The model gives every user a probability over the candidate locations:

* **PLI** (Eq 1): ``p_Prof(u, l) = sum_k alpha_k sigma_k(u, l)`` where
  ``sigma_k(u, l) = p(l | a_k(u))`` is read from the *location-attribute
  indication matrix* ``R_k`` (:func:`indication_matrix`; attributes ``HT``
  hometown and ``WE`` work-education).
* **LA-FLI** (Eq 2): ``p_LA-F(u, l) = sum_{v in F_LA(u)} sum_k beta_k w_k(u, v) [l(v) = l]``
  where ``w_k(u, v) = p(l(u) = l(v) | a_k(u), a_k(v))`` is read from the
  *attribute-based location similarity matrix* ``W_k`` (incl. ``null``;
  :func:`similarity_matrix`).
* **LN-FLI** (Eq 3): ``p_LN-F(u, l) = sum_{v in F_LN(u)} p_Prof(v, l)``.
* **PFLI** (Eq 5-6): ``p(u, l) = sum_k mu_k sigma_k + nu_k delta_k + lambda_alpha alpha_k eta_k``
  with ``delta_k(u, l) = sum_{v in F_LA(u)} w_k(u, v) [l(v) = l]`` and
  ``eta_k(u, l) = sum_{v in F_LN(u)} sigma_k(v, l)``. ``mu_k, nu_k`` are
  trained together by logistic regression on (user, location) items labelled
  close / far (Sec 5.3), ``alpha_k`` separately the same way, ``lambda_alpha``
  is a small regulator (a parameter). Rows are normalised to sum to 1 (Eq 7).

Everything is computed with ``scipy.sparse`` products for all users of a batch
at once: ``sigma = onehot(values) @ R_k^T``, ``delta`` from the weighted
known-friend adjacency, ``eta = (A_LN @ onehot(values)) @ R_k^T``.

Current-city prediction (Sec 6): candidate locations are clustered by UPGMA
(:func:`cluster_places`), the cluster with the largest summed probability is
selected, and a location in it: highest probability (``prob``), the
probability-weighted centroid (``cent``) or the centre of minimum distance
(``dist``, the medoid of the cluster's candidate locations); ``noclst`` takes
the most probable location overall; ``cmb`` uses ``prob`` below 40 km and
``cent`` above for ACC@K.

Examples
--------
>>> r = indication_matrix(np.array([0] * 100), np.array([1] * 10 + [0] * 90), 1, 2)
>>> float(r[1, 0])  # 10 of 100 Telecom SudParis employees live in Evry
0.1
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ..geo import haversine_km

__all__ = [
    "ATTRIBUTES",
    "PFLIConfig",
    "observed_values",
    "observed_friends",
    "indication_matrix",
    "SimilarityMatrix",
    "similarity_matrix",
    "PFLIModel",
    "fit_pfli",
]

ATTRIBUTES: dict[str, tuple[str, str]] = {
    "HT": ("hometown", "hometown_visible"),
    "WE": ("work", "work_visible"),
}
"""Location sensitive attributes: name -> (users column, visibility column)."""

_HIDE = frozenset({"HT", "WE", "F"})


@dataclass(frozen=True)
class PFLIConfig:
    """Parameters of PFLI training and prediction.

    Attributes
    ----------
    close_km : float
        Sec 5.3's distance threshold: a location within ``close_km`` of the
        user's real city is a *close* item (label 1), else *far* (label 0).
    lambda_alpha : float
        The LN-friend regulator ``lambda_alpha = lambda theta_F`` of Eq 6.
    w_smoothing : float
        Pseudo-count pulling ``w_k^{ij}`` of rarely seen value pairs toward
        the overall same-city share of friends (0 = the paper's raw ratio).
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
        Users scored per sparse batch in :func:`evaluate_pfli`.
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

    ``hide`` (subset of ``{"HT", "WE"}``) blanks those attributes too.
    """
    hide = _check_hide(hide)
    u = world.users if users is None else world.users.iloc[_check_users(world, users)]
    out = {}
    for k, (col, vis) in ATTRIBUTES.items():
        v = u[col].to_numpy(np.int64)
        ok = u[vis].to_numpy(bool) & (v >= 0) & (k not in hide)
        out[k] = np.where(ok, v, -1)
    return out


def observed_friends(world, users: ArrayLike, hide=frozenset()) -> sp.csr_matrix:
    """Rows of the adjacency for ``users``: a user's friends are used only if the list is shown.

    Returns a ``len(users) x U`` 0/1 CSR matrix; rows of users with a hidden
    friend list (or ``"F" in hide``) are empty.
    """
    hide = _check_hide(hide)
    users = _check_users(world, users)
    vis = world.users["friends_visible"].to_numpy(bool)[users] & ("F" not in hide)
    a = world.adjacency[users]
    return sp.diags(vis.astype(np.float32)) @ a


def _n_values(world) -> dict[str, int]:
    return {"HT": world.n_places, "WE": max(len(world.orgs), int(world.users["work"].max()) + 1)}


# ----------------------------------------------------------------------------- matrices


def indication_matrix(values: ArrayLike, cities: ArrayLike, n_values: int, n_places: int) -> sp.csr_matrix:
    """Location-attribute indication matrix ``R_k`` (Sec 5.1), shape ``N x M``.

    ``R_k[l, j] = p(l(u) = l | a_k(u) = j)``: among users with value ``j``
    (``values``, -1 = null, ignored) and a known city (``cities``, -1 =
    unknown, ignored), the share living in ``l``.

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
    """Attribute-based location similarity matrix ``W_k`` (Sec 5.2.1), stored sparsely.

    ``w^{ij} = p(l(u) = l(v) | a_k(u) = i, a_k(v) = j)`` over directed friend
    pairs with both cities known; value ``M`` stands for ``null``. Pairs never
    seen get ``default`` (the overall same-city share); with ``smoothing`` s,
    ``w = (same + s default) / (total + s)``.
    """

    keys: NDArray  # sorted i * (M + 1) + j
    same: NDArray
    total: NDArray
    n_values: int
    default: float
    smoothing: float

    def lookup(self, i: ArrayLike, j: ArrayLike, minus_total=None, minus_same=None) -> NDArray:
        """``w^{ij}`` for arrays of values (-1 = null); optionally leaving pairs out."""
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
        s = self.smoothing
        denom = total + s
        return np.where(denom > 0, (same + s * self.default) / np.where(denom > 0, denom, 1), self.default)

    def to_sparse(self) -> sp.csr_matrix:
        """The observed ratios ``same / total`` as an ``(M+1) x (M+1)`` matrix (null last)."""
        m = self.n_values + 1
        return sp.csr_matrix((self.same / self.total, (self.keys // m, self.keys % m)), shape=(m, m))


def similarity_matrix(
    values: ArrayLike, cities: ArrayLike, pairs: NDArray, n_values: int, smoothing: float = 0.0
) -> SimilarityMatrix:
    """Build ``W_k`` from directed friend ``pairs`` (u, v) whose two cities are known.

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


# ----------------------------------------------------------------------------- model


@dataclass
class PFLIModel:
    """A fitted PFLI model (see :func:`fit_pfli`); score users with :meth:`score`."""

    config: PFLIConfig
    known: NDArray  # bool per user: city usable for the matrices
    city: NDArray  # current place of known users, -1 otherwise
    n_places: int
    RT: dict[str, sp.csr_matrix]  # R_k transposed (M x N), rows p(. | value)
    W: dict[str, SimilarityMatrix]
    alpha: dict[str, float]
    mu: dict[str, float]
    nu: dict[str, float]
    prior: NDArray  # dense prior row (N,)
    values: dict[str, NDArray]  # observed values of every user (as friends)
    train_info: dict = field(default_factory=dict)

    def components(self, world, users: ArrayLike, hide=frozenset(), loo: bool = False) -> dict:
        """The unweighted pieces ``sigma_k, delta_k, eta_k`` (sparse, users x places).

        With ``loo=True`` (training), the user's own city is left out of
        ``R_k`` and ``W_k`` (the user must be known).
        """
        users, own, a_known, a_ln = self._evidence(world, users, hide)
        n, n_pl = users.size, self.n_places
        out = {}
        r, v = a_known.nonzero()
        fv = world.users["friends_visible"].to_numpy(bool)
        for k in ATTRIBUTES:
            rt = self.RT[k]
            mk = rt.shape[0]
            val = own[k]
            has = val >= 0
            oh = sp.csr_matrix((np.ones(int(has.sum())), (np.flatnonzero(has), val[has])), shape=(n, mk))
            if loo:
                counts = self.train_info["counts"][k]
                sig = (oh @ counts).tocsr()
                rows = np.flatnonzero(has & (self.city[users] >= 0))
                sub = sp.csr_matrix((np.ones(rows.size), (rows, self.city[users][rows])), shape=(n, n_pl))
                sig = (sig - sub).tocsr()
                nval = self.train_info["n_value"][k][np.maximum(val, 0)] - (has & (self.city[users] >= 0))
                scale = np.where(has & (nval > 0), 1.0 / np.maximum(nval, 1), 0.0)
                sig = (sp.diags(scale) @ sig).tocsr()
                sig.eliminate_zeros()
            else:
                sig = (oh @ rt).tocsr()
            out[f"sigma_{k}"] = sig
            # delta_k: weighted known friends
            vi, vj = own[k][r], self.values[k][v]
            if loo:
                ci, cj = self.city[users][r], self.city[v]
                mm = self.W[k].n_values
                both = fv[v] & (np.where(vi < 0, mm, vi) == np.where(vj < 0, mm, vj))
                mt = 1.0 + both
                ms = mt * (ci == cj)
                w = self.W[k].lookup(vi, vj, mt, ms)
            else:
                w = self.W[k].lookup(vi, vj)
            out[f"delta_{k}"] = sp.csr_matrix((w, (r, self.city[v])), shape=(n, n_pl))
            # eta_k: LN friends through their own sigma_k
            ohall = self._onehot_all(k)
            out[f"eta_{k}"] = ((a_ln @ ohall) @ rt).tocsr()
        return out

    def _onehot_all(self, k: str) -> sp.csr_matrix:
        val = self.values[k]
        has = val >= 0
        return sp.csr_matrix(
            (np.ones(int(has.sum()), dtype=np.float32), (np.flatnonzero(has), val[has])),
            shape=(val.size, self.RT[k].shape[0]),
        )

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
        """Eq 6 before normalisation (all-zero rows for users without evidence)."""
        users, own, a_known, a_ln = self._evidence(world, users, hide)
        n = users.size
        r, v = a_known.nonzero()
        wsum = np.zeros(r.size)
        total = sp.csr_matrix((n, self.n_places))
        for k in ATTRIBUTES:
            rt = self.RT[k]
            val = own[k]
            has = val >= 0
            oh = sp.csr_matrix((np.full(int(has.sum()), self.mu[k]), (np.flatnonzero(has), val[has])),
                               shape=(n, rt.shape[0]))
            mix = oh + (self.config.lambda_alpha * self.alpha[k]) * (a_ln @ self._onehot_all(k))
            total = total + mix @ rt
            wsum += self.nu[k] * self.W[k].lookup(own[k][r], self.values[k][v])
        total = total + sp.csr_matrix((wsum, (r, self.city[v])), shape=(n, self.n_places))
        total = total.tocsr()
        total.eliminate_zeros()
        return total

    def has_evidence(self, world, users: ArrayLike, hide=frozenset()) -> NDArray:
        """True where Eq 6 gives a non-zero row (else :meth:`score` uses the prior)."""
        raw = self.raw_scores(world, users, hide)
        return np.diff(raw.indptr) > 0

    def score(self, world, users: ArrayLike, *, hide=frozenset(), return_prior: bool = False):
        """PFLI probabilities ``p(u, l)`` (Eq 5-7), each row summing to 1.

        Parameters
        ----------
        world : SocialWorld
        users : array of int
            User ids to score.
        hide : subset of {"HT", "WE", "F"}
            Remove these fields of these users (their own row only) first.

        Returns
        -------
        scipy.sparse.csr_matrix, shape (len(users), n_places)
            A user with no usable evidence gets the prior row (the known
            users' city distribution over its ``prior_top`` most common cities).
            With ``return_prior=True``, also a bool array marking those users.
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


def _fit_logistic(x: NDArray, y: NDArray, seed: int, max_items: int = 2_000_000) -> tuple[NDArray, dict]:
    from sklearn.linear_model import LogisticRegression

    n_all = int(y.size)
    if y.size > max_items:
        keep = np.random.default_rng(seed).choice(y.size, size=max_items, replace=False)
        x, y = x[keep], y[keep]
    if y.min() == y.max():
        return np.ones(x.shape[1]), {"n_items": int(y.size), "note": "one class only; weights 1"}
    lr = LogisticRegression(C=100.0, max_iter=500, random_state=seed)
    lr.fit(x, y)
    coef = lr.coef_.ravel()
    return np.clip(coef, 0.0, None), {
        "n_items": n_all, "n_used": int(y.size), "share_close": float(y.mean()), "raw_coef": coef.tolist(),
        "intercept": float(lr.intercept_[0]),
    }


def fit_pfli(world, *, known: ArrayLike | None = None, config: PFLIConfig | None = None,
             seed: int = 0) -> PFLIModel:
    """Build ``R_k`` and ``W_k`` from the ``known`` users and train ``alpha, mu, nu``.

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

    Notes
    -----
    Training items (Sec 5.3) come from up to ``config.train_users`` known
    users; their own city is left out of ``R_k`` and ``W_k`` when computing
    their features. Negative logistic coefficients are clipped to 0 (a
    negative weight on a probability is not a mixture weight); the raw
    coefficients are kept in ``train_info``.
    """
    cfg = config or PFLIConfig()
    rng = np.random.default_rng(seed)
    n, n_pl = world.n_users, world.n_places
    known = world.users["current_visible"].to_numpy(bool) if known is None else np.asarray(known, bool)
    if known.shape != (n,):
        raise ValueError(f"known must be a bool array of length {n}; got shape {known.shape}")
    cur = world.users["current_place"].to_numpy(np.int64)
    if (known & (cur < 0)).any():
        raise ValueError("known: a known user has current_place -1")
    city = np.where(known, cur, -1)
    values = observed_values(world)
    nv = _n_values(world)
    counts = {k: _value_city_counts(values[k], city, nv[k], n_pl) for k in ATTRIBUTES}
    n_value = {k: np.asarray(counts[k].sum(axis=1)).ravel() for k in ATTRIBUTES}
    RT = {k: _value_city_counts(values[k], city, nv[k], n_pl, normalise=True) for k in ATTRIBUTES}
    # directed observed friend pairs (u shows the list), both known
    fv = world.users["friends_visible"].to_numpy(bool)
    e = world.edges
    pairs = np.concatenate([e, e[:, ::-1]])
    pairs = pairs[fv[pairs[:, 0]] & known[pairs[:, 0]] & known[pairs[:, 1]]]
    W = {k: similarity_matrix(values[k], city, pairs, nv[k], cfg.w_smoothing) for k in ATTRIBUTES}
    counts_prior = np.bincount(city[city >= 0], minlength=n_pl).astype(float)
    top = np.argsort(-counts_prior, kind="stable")[: cfg.prior_top]
    prior = np.zeros(n_pl)
    prior[top] = counts_prior[top]
    prior = prior / prior.sum() if prior.sum() > 0 else np.full(n_pl, 1.0 / n_pl)
    model = PFLIModel(config=cfg, known=known, city=city, n_places=n_pl, RT=RT, W=W,
                      alpha=dict.fromkeys(ATTRIBUTES, 1.0), mu=dict.fromkeys(ATTRIBUTES, 1.0),
                      nu=dict.fromkeys(ATTRIBUTES, 1.0), prior=prior, values=values,
                      train_info={"counts": counts, "n_value": n_value})
    pool = np.flatnonzero(known)
    if pool.size == 0:
        raise ValueError("known: no known user to train on")
    train = np.sort(rng.choice(pool, size=min(cfg.train_users, pool.size), replace=False))
    comps = model.components(world, train, loo=True)
    lat, lon = world.places["lat"].to_numpy(), world.places["lon"].to_numpy()

    def labels(rows, cols):
        truth = cur[train[rows]]
        return (haversine_km(lat[truth], lon[truth], lat[cols], lon[cols]) <= cfg.close_km).astype(int)

    keys = list(ATTRIBUTES)
    rows, cols, x = _items(comps, [f"sigma_{k}" for k in keys], n_pl)
    coef_a, info_a = _fit_logistic(x, labels(rows, cols), seed, cfg.max_items)
    rows, cols, x = _items(comps, [f"sigma_{k}" for k in keys] + [f"delta_{k}" for k in keys], n_pl)
    coef_mn, info_mn = _fit_logistic(x, labels(rows, cols), seed, cfg.max_items)
    model.alpha = {k: float(coef_a[i]) for i, k in enumerate(keys)}
    model.mu = {k: float(coef_mn[i]) for i, k in enumerate(keys)}
    model.nu = {k: float(coef_mn[len(keys) + i]) for i, k in enumerate(keys)}
    if sum(model.mu.values()) + sum(model.nu.values()) == 0:
        model.mu = dict.fromkeys(keys, 1.0)
        model.nu = dict.fromkeys(keys, 1.0)
    model.train_info.update({"alpha_fit": info_a, "mu_nu_fit": info_mn, "n_train_users": int(train.size),
                             "n_pairs_W": int(pairs.shape[0])})
    return model


# ----------------------------------------------------------------------------- clusters


# ----------------------------------------------------------------------------- evaluation


# ----------------------------------------------------------------------------- plots


