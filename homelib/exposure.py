"""Current-city exposure estimator and what to hide (PFLI paper, Sec 8).

A user who hides the current city still shows other things: a hometown
(``HT``), a work or education organisation (``WE``) and a friend list (``F``).
The paper turns the PFLI predictions of Sec 5-7 into an *exposure estimator*:

1. **Exposure features** per user (Sec 8.1): the *user category* (which of HT,
   WE, F are visible; the 7 combinations of Table 4), the *% friends with
   attributes* (share of the user's friends who show at least one location
   sensitive attribute, in percent), the *cluster confidence* ``CC(u)`` of
   Eq 9 (the PFLI probability mass of the selected location cluster) and the
   error distance ``K`` the user cares about.
2. **Exposure probability** ``EP@K`` (Eq 8): the share of users whose predicted
   current city is less than ``K`` km from the true one, computed like ACC@K
   over *groups of users sharing characteristics* (see "Binning" below).
3. **Risk levels** (Table 3): 5 for ``EP in [0.9, 1]``, 4 for ``[0.75, 0.9)``,
   3 for ``[0.5, 0.75)``, 2 for ``[0.25, 0.5)`` (the paper prints "[0.5,0.25)")
   and 1 for ``[0, 0.25)``.
4. **Exposure models** (Sec 8.2, Tables 5-6): a random forest ("RDF") and a
   linear regression of the group ``EP`` on ``(K, category, % friends with
   attributes, cluster confidence)``, scored by 10-fold cross-validated MAE and
   RMSE, and the leave-one-feature-out forests.
5. **The estimator** (Sec 8.2.2-8.3, Tables 7-8): for one user (an id of the
   simulated world or a profile given as data) the exposure probability and
   risk level now and after hiding each of the 8 subsets of {HT, WE, F}, and
   the smallest change that reaches a requested level. Hiding recomputes the
   user's PFLI probabilities (``PFLIModel.score(..., hide=...)``), the
   category, the % friends with attributes and the cluster confidence: it is
   never a table lookup.

Binning
-------
EP@K needs groups of users. A group is one user category x one bin of % friends
with attributes (``pct_width`` percentage points wide, default 5, so
``[0, 5), [5, 10), ..., [95, 100]``) x one bin of cluster confidence
(``cc_width`` wide, default 0.05, so ``[0, 0.05), ..., [0.95, 1]``). For every
``K`` of a grid, the group's EP is the share of its users with error below
``K``; the regression features of the group are ``K``, the category and the
*mean* % friends and mean cluster confidence of its users. Groups smaller than
``min_group_size`` users are left out of the regression; their number is
reported (never silently dropped).

Which error distance
--------------------
The paper runs "the proposed prediction approach", i.e. PFLI_cmb (Sec 7.2.2):
the highest-probability point of the selected cluster (PFLI_prob) for
``K < 40`` km and the cluster's probability-weighted centroid (PFLI_cent)
otherwise. A user table may carry both errors (``error_prob_km``,
``error_cent_km``) or a single ``error_km``.

A user who shows none of HT, WE, F falls outside Table 4; we give such users the
category ``"none"`` (:data:`NO_CATEGORY`) so that "hide everything" can be
estimated too.

Examples
--------
>>> risk_level(0.967), risk_level(0.503), risk_level(0.073)
(5, 3, 1)
>>> category_of(True, True, False)
'HT+WE'
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "HIDEABLE",
    "USER_CATEGORIES",
    "NO_CATEGORY",
    "ALL_CATEGORIES",
    "HIDING_SUBSETS",
    "RISK_EDGES",
    "RISK_LEVELS",
    "EXPOSURE_FEATURES",
    "FEATURE_LABELS",
    "CMB_SWITCH_KM",
    "parse_hide",
    "hide_label",
    "risk_level",
    "risk_levels",
    "risk_band",
    "category_of",
    "user_category",
    "pct_friends_with_attributes",
    "cluster_confidence",
    "ep_at_k",
    "BinSpec",
    "exposure_user_table",
    "exposure_groups",
    "design_matrix",
    "ExposureModel",
    "fit_exposure_model",
    "cross_validate_exposure",
    "evaluate_exposure_models",
    "ExposureEstimator",
    "ExposureReport",
    "exposure_features",
    "world_with_profile",
    "what_if",
    "smallest_change",
    "exposure_report",
    "pick_cases",
    "check_guidelines",
    "reliability_table",
    "world_and_evaluation",
    "pick_report_user",
    "book_vs_paper",
    "plot_ep_by_category",
    "plot_ep_by_friends",
    "plot_ep_by_confidence",
]

HIDEABLE: tuple[str, ...] = ("HT", "WE", "F")
"""The three things a user can show or hide: hometown, work-education, friends."""

USER_CATEGORIES: tuple[str, ...] = ("HT", "WE", "F", "HT+WE", "HT+F", "WE+F", "HT+WE+F")
"""The 7 user categories of Table 4 (visible combinations of HT, WE, F)."""

NO_CATEGORY = "none"
"""Category of a user who shows none of HT, WE, F (outside Table 4)."""

ALL_CATEGORIES: tuple[str, ...] = (*USER_CATEGORIES, NO_CATEGORY)

HIDING_SUBSETS: tuple[frozenset[str], ...] = tuple(
    frozenset(c) for r in range(4) for c in itertools.combinations(HIDEABLE, r)
)
"""The 8 subsets of {HT, WE, F} a user may hide, smallest first."""

RISK_EDGES: tuple[float, ...] = (0.25, 0.5, 0.75, 0.9)
"""Lower EP edges of risk levels 2-5 (Table 3); each band is closed below."""

RISK_LEVELS: tuple[int, ...] = (1, 2, 3, 4, 5)

EXPOSURE_FEATURES: tuple[str, ...] = (
    "error_distance",
    "user_category",
    "pct_friends_with_attributes",
    "cluster_confidence",
)
"""The four features of the exposure model (Sec 8.2.1)."""

FEATURE_LABELS: dict[str, str] = {
    "error_distance": "error distance",
    "user_category": "user category",
    "pct_friends_with_attributes": "% friends with attributes",
    "cluster_confidence": "cluster confidence",
}
"""Feature names as printed in Table 6 (and ``data/reference``)."""

CMB_SWITCH_KM = 40.0
"""PFLI_cmb uses PFLI_prob below this K and PFLI_cent from it on (Sec 7.2.2)."""


# ---------------------------------------------------------------------------
# small validators
# ---------------------------------------------------------------------------


def parse_hide(hide: Iterable[str] | str | None) -> frozenset[str]:
    """Return ``hide`` as a frozenset of fields from :data:`HIDEABLE`.

    A string is split on ``+`` (``"HT+WE"``); ``None`` or ``""`` is nothing.

    >>> sorted(parse_hide("WE+HT"))
    ['HT', 'WE']
    >>> parse_hide(["XX"])
    Traceback (most recent call last):
    ...
    ValueError: hide: unknown field 'XX'; allowed: ('HT', 'WE', 'F')
    """
    if hide is None:
        return frozenset()
    if isinstance(hide, str):
        hide = [h for h in hide.split("+") if h.strip()]
    items = frozenset(str(h).strip() for h in hide)
    for h in sorted(items):
        if h not in HIDEABLE:
            raise ValueError(f"hide: unknown field {h!r}; allowed: {HIDEABLE}")
    return items


def hide_label(hide: Iterable[str] | str | None) -> str:
    """``"HT+WE"``-style label in the order HT, WE, F (``""`` for nothing).

    >>> hide_label({"F", "HT"})
    'HT+F'
    """
    h = parse_hide(hide)
    return "+".join(x for x in HIDEABLE if x in h)


def _check_k(k_km: Any, name: str = "k_km") -> float:
    if isinstance(k_km, bool) or not isinstance(k_km, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} = {k_km!r} must be a number of km")
    k = float(k_km)
    if not np.isfinite(k) or k <= 0:
        raise ValueError(f"{name} = {k_km!r} must be a positive number of km")
    return k


def _check_level(level: Any, name: str = "target_level") -> int:
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)):
        raise TypeError(f"{name} = {level!r} must be an integer risk level in 1-5")
    if int(level) not in RISK_LEVELS:
        raise ValueError(f"{name} = {level!r} is outside the risk levels 1-5")
    return int(level)


def _user_ids(world: Any, users: ArrayLike | int) -> NDArray[np.int64]:
    """Validate user ids against ``world.users`` (``user_id`` = row position)."""
    arr = np.atleast_1d(np.asarray(users))
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer)
        or (np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr)))
    ):
        raise TypeError(f"user: ids must be integers; got {users!r}")
    arr = arr.astype(np.int64)
    n = len(world.users)
    bad = (arr < 0) | (arr >= n)
    if bad.any():
        raise KeyError(f"user: unknown user id {int(arr[bad][0])} (world has ids 0..{n - 1})")
    return arr


# ---------------------------------------------------------------------------
# risk levels (Table 3)
# ---------------------------------------------------------------------------


def risk_levels(ep: ArrayLike) -> NDArray[np.int64]:
    """Risk level 1-5 of each exposure probability (Table 3).

    Bands are closed below and open above, except level 5 which is
    ``[0.9, 1]``: ``0.25 -> 2``, ``0.5 -> 3``, ``0.75 -> 4``, ``0.9 -> 5``.

    >>> risk_levels([0.0, 0.2499, 0.25, 0.4999, 0.5, 0.75, 0.8999, 0.9, 1.0]).tolist()
    [1, 1, 2, 2, 3, 4, 4, 5, 5]
    """
    p = np.asarray(ep, dtype=float)
    bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    if bad.any():
        raise ValueError(
            f"exposure_probability = {p[bad].ravel()[0]!r} is outside [0, 1]"
        )
    return (np.searchsorted(RISK_EDGES, p, side="right") + 1).astype(np.int64)


def risk_level(ep: float) -> int:
    """Risk level 1-5 of one exposure probability (Table 3).

    >>> risk_level(0.883)
    4
    """
    return int(risk_levels([ep])[0])


def risk_band(level: int) -> tuple[float, float]:
    """``(low, high)`` EP band of a risk level; ``low`` is included.

    >>> risk_band(2)
    (0.25, 0.5)
    """
    level = _check_level(level, "level")
    edges = (0.0, *RISK_EDGES, 1.0)
    return (edges[level - 1], edges[level])


# ---------------------------------------------------------------------------
# exposure features (Sec 8.1)
# ---------------------------------------------------------------------------


def category_of(ht: ArrayLike, we: ArrayLike, f: ArrayLike) -> Any:
    """User category (Table 4) from visibility flags of HT, WE and F.

    Scalars give a string, arrays an object array. Nothing visible gives
    :data:`NO_CATEGORY`.

    >>> category_of([True, False, False], [False, False, True], [True, False, True]).tolist()
    ['HT+F', 'none', 'WE+F']
    """
    scalar = np.ndim(ht) == 0 and np.ndim(we) == 0 and np.ndim(f) == 0
    flags = [np.atleast_1d(np.asarray(x, dtype=bool)) for x in (ht, we, f)]
    flags = np.broadcast_arrays(*flags)
    out = np.empty(flags[0].shape, dtype=object)
    for i in range(out.size):
        parts = [name for name, fl in zip(HIDEABLE, flags, strict=True) if fl.flat[i]]
        out.flat[i] = "+".join(parts) if parts else NO_CATEGORY
    return out[0] if scalar else out


def _degrees(world: Any) -> NDArray[np.int64]:
    adj = sp.csr_matrix(world.adjacency)
    return np.diff(adj.indptr).astype(np.int64)


def _shown_all(world: Any) -> dict[str, NDArray[np.bool_]]:
    """Visibility of HT, WE, F for every user, before any hiding.

    A field counts as shown when it is visible *and* has a value: a hometown or
    organisation id other than -1, a friend list with at least one friend.
    """
    u = world.users
    return {
        "HT": u["hometown_visible"].to_numpy(bool) & (u["hometown"].to_numpy() >= 0),
        "WE": u["work_visible"].to_numpy(bool) & (u["work"].to_numpy() >= 0),
        "F": u["friends_visible"].to_numpy(bool) & (_degrees(world) > 0),
    }


def _shown(world: Any, users: NDArray[np.int64], hide: frozenset[str]) -> dict[str, NDArray]:
    shown = _shown_all(world)
    return {k: v[users] & (k not in hide) for k, v in shown.items()}


def user_category(
    world: Any, users: ArrayLike, hide: Iterable[str] | str = frozenset()
) -> NDArray[np.object_]:
    """User category (Table 4) of ``users`` after hiding ``hide``.

    Parameters
    ----------
    world : SocialWorld
        Needs ``users`` (``hometown``, ``work``, ``*_visible`` columns) and
        ``adjacency``.
    users : array of int
        User ids.
    hide : subset of {"HT", "WE", "F"}
        Fields of these users treated as hidden.

    Returns
    -------
    ndarray of str
        One of :data:`USER_CATEGORIES`, or ``"none"``.
    """
    ids = _user_ids(world, users)
    s = _shown(world, ids, parse_hide(hide))
    return np.asarray(category_of(s["HT"], s["WE"], s["F"]), dtype=object)


def pct_friends_with_attributes(
    world: Any, users: ArrayLike, hide: Iterable[str] | str = frozenset()
) -> NDArray[np.float64]:
    """% friends with attributes (Sec 8.1), in percent (0-100).

    The share of a user's friends who show at least one location sensitive
    attribute (a visible hometown or work-education). A user whose friend
    list is not shown (or hidden by ``hide``) gets 0: an observer sees no
    friends. Hiding applies to these users' own fields, not to their friends.

    The paper's users have most friends outside the crawled data set, so
    their values stay below 45%; in the simulated world every friend is known.
    """
    ids = _user_ids(world, users)
    h = parse_hide(hide)
    shown = _shown_all(world)
    with_attr = (shown["HT"] | shown["WE"]).astype(float)
    adj = sp.csr_matrix(world.adjacency)[ids]
    adj = (adj != 0).astype(float)
    deg = np.asarray(adj.sum(axis=1)).ravel()
    n_attr = adj @ with_attr
    f_shown = shown["F"][ids] & ("F" not in h)
    out = np.zeros(ids.size)
    ok = f_shown & (deg > 0)
    out[ok] = 100.0 * n_attr[ok] / deg[ok]
    return out


def cluster_confidence(scores: ArrayLike | sp.spmatrix, clusters: ArrayLike) -> NDArray[np.float64]:
    """Cluster confidence ``CC(u)`` (Eq 9) of each row of PFLI probabilities.

    ``CC(u) = sum_{l in c_h} p(u, l) / sum_l p(u, l)`` where ``c_h`` is the
    cluster of highest summed probability (the cluster selector of Sec 6.2).
    A row of zeros gets 0.

    Parameters
    ----------
    scores : (n_users, n_places) array or sparse matrix
        PFLI probabilities ``p(u, l)`` (rows need not be normalised).
    clusters : (n_places,) int array
        Cluster label of every place (e.g. UPGMA labels).

    >>> cluster_confidence([[0.1, 0.2, 0.3, 0.4], [0.5, 0.25, 0.25, 0.0]], [0, 0, 1, 2])
    array([0.4 , 0.75])
    """
    lab = np.asarray(clusters)
    if lab.ndim != 1 or not np.issubdtype(lab.dtype, np.integer):
        raise TypeError("clusters: expected a 1-d integer array of cluster labels")
    s = sp.csr_matrix(scores, dtype=float) if not sp.issparse(scores) else sp.csr_matrix(scores)
    if s.shape[1] != lab.size:
        raise ValueError(
            f"clusters: {lab.size} labels for {s.shape[1]} places (columns of scores)"
        )
    if s.nnz and s.data.min() < 0:
        raise ValueError(f"scores: negative probability {s.data.min()!r}")
    _, codes = np.unique(lab, return_inverse=True)
    ind = sp.csr_matrix(
        (np.ones(lab.size), (np.arange(lab.size), codes)), shape=(lab.size, codes.max() + 1)
    )
    per_cluster = (s @ ind).toarray()
    total = np.asarray(s.sum(axis=1)).ravel()
    best = per_cluster.max(axis=1) if per_cluster.size else np.zeros(s.shape[0])
    out = np.zeros(s.shape[0])
    ok = total > 0
    out[ok] = best[ok] / total[ok]
    return np.clip(out, 0.0, 1.0)


# ---------------------------------------------------------------------------
# EP@K (Eq 8) over groups
# ---------------------------------------------------------------------------


def _errors_for_k(table: pd.DataFrame, k: float, switch_km: float) -> NDArray[np.float64]:
    if "error_prob_km" in table and "error_cent_km" in table:
        col = "error_prob_km" if k < switch_km else "error_cent_km"
    elif "error_km" in table:
        col = "error_km"
    else:
        raise ValueError(
            "user table: needs error_km or error_prob_km and error_cent_km; "
            f"got {list(table.columns)}"
        )
    e = table[col].to_numpy(float)
    if np.isnan(e).any() or (e < 0).any():
        raise ValueError(f"user table: {col} has missing or negative error distances")
    return e


def ep_at_k(
    table: pd.DataFrame,
    ks: ArrayLike,
    by: Sequence[str] = (),
    *,
    switch_km: float = CMB_SWITCH_KM,
) -> pd.DataFrame:
    """Exposure probability EP@K (Eq 8) of groups of users, for each K.

    ``EP@K = |{u in U : ErrDist(u) < K}| / |U|`` over the users ``U`` of a
    group (users sharing the values of the ``by`` columns).

    Parameters
    ----------
    table : DataFrame
        One row per user with ``error_km`` or (``error_prob_km``,
        ``error_cent_km``), plus the ``by`` columns.
    ks : array of float
        Error distances K in km (positive).
    by : sequence of str
        Grouping columns; empty = all users in one group.
    switch_km : float
        With two error columns, PFLI_prob errors are used for ``K <
        switch_km`` and PFLI_cent errors otherwise (PFLI_cmb).

    Returns
    -------
    DataFrame
        ``by`` columns, ``k_km``, ``n_users``, ``n_exposed``, ``ep``.

    >>> t = pd.DataFrame({"g": ["a", "a", "a", "b"], "error_km": [0.0, 15.0, 300.0, 5.0]})
    >>> ep_at_k(t, [10, 100], by=["g"])
       g   k_km  n_users  n_exposed        ep
    0  a   10.0        3          1  0.333333
    1  a  100.0        3          2  0.666667
    2  b   10.0        1          1  1.000000
    3  b  100.0        1          1  1.000000
    """
    by = list(by)
    missing = [c for c in by if c not in table]
    if missing:
        raise ValueError(f"by: column(s) {missing} not in the user table")
    k_list = [_check_k(k, "ks") for k in np.atleast_1d(np.asarray(ks, dtype=float))]
    if not k_list:
        raise ValueError("ks: no error distance given")
    if len(table) == 0:
        raise ValueError("user table: no users")
    parts = []
    for k in k_list:
        hit = (_errors_for_k(table, k, switch_km) < k).astype(np.int64)
        frame = table[by].copy() if by else pd.DataFrame(index=table.index)
        frame["_hit"] = hit
        if by:
            g = frame.groupby(by, observed=True, sort=True)["_hit"].agg(["size", "sum"])
            g = g.reset_index()
        else:
            g = pd.DataFrame({"size": [len(frame)], "sum": [int(hit.sum())]})
        g.insert(len(by), "k_km", k)
        parts.append(g)
    out = pd.concat(parts, ignore_index=True).rename(columns={"size": "n_users", "sum": "n_exposed"})
    out["ep"] = out["n_exposed"] / out["n_users"]
    out = out.sort_values([*by, "k_km"], kind="stable").reset_index(drop=True)
    return out[[*by, "k_km", "n_users", "n_exposed", "ep"]]


@dataclass(frozen=True)
class BinSpec:
    """How users are grouped for EP@K (see the module docstring).

    Parameters
    ----------
    pct_width : float
        Width of the % friends with attributes bins, in percentage points.
    cc_width : float
        Width of the cluster confidence bins.
    """

    pct_width: float = 5.0
    cc_width: float = 0.05

    def __post_init__(self) -> None:
        if not 0 < self.pct_width <= 100:
            raise ValueError(f"pct_width = {self.pct_width!r} must be in (0, 100]")
        if not 0 < self.cc_width <= 1:
            raise ValueError(f"cc_width = {self.cc_width!r} must be in (0, 1]")

    def pct_bin(self, pct: ArrayLike) -> NDArray[np.int64]:
        """Bin index of % friends with attributes (last bin closed at 100).

        >>> BinSpec(pct_width=5).pct_bin([0, 4.99, 5, 100]).tolist()
        [0, 0, 1, 19]
        """
        n = int(np.ceil(100.0 / self.pct_width - 1e-9))
        x = np.asarray(pct, dtype=float)
        return np.clip(np.floor(x / self.pct_width + 1e-9).astype(np.int64), 0, n - 1)

    def cc_bin(self, cc: ArrayLike) -> NDArray[np.int64]:
        """Bin index of cluster confidence (last bin closed at 1).

        >>> BinSpec(cc_width=0.25).cc_bin([0, 0.2499, 0.25, 1.0]).tolist()
        [0, 0, 1, 3]
        """
        n = int(np.ceil(1.0 / self.cc_width - 1e-9))
        x = np.asarray(cc, dtype=float)
        return np.clip(np.floor(x / self.cc_width + 1e-9).astype(np.int64), 0, n - 1)


def exposure_user_table(world: Any, per_user: pd.DataFrame) -> pd.DataFrame:
    """Exposure features and PFLI errors of the evaluated users, one row each.

    Parameters
    ----------
    world : SocialWorld
        The world the evaluation ran on.
    per_user : DataFrame
        ``PFLIEvaluation.per_user``: columns ``user_id, method, error_km,
        cluster_prob``; rows of methods ``PFLI_prob`` and ``PFLI_cent`` are
        used (cluster confidence from ``PFLI_prob``; both select the same
        cluster).

    Returns
    -------
    DataFrame
        ``user_id, category, pct_friends_with_attributes, cluster_confidence,
        error_prob_km, error_cent_km``.
    """
    need = ["user_id", "method", "error_km", "cluster_prob"]
    missing = [c for c in need if c not in per_user]
    if missing:
        raise ValueError(f"per_user: missing column(s) {missing}; got {list(per_user.columns)}")
    rows = {}
    for method in ("PFLI_prob", "PFLI_cent"):
        sub = per_user[per_user["method"] == method]
        if sub.empty:
            raise ValueError(f"per_user: no rows of method {method!r}")
        dup = sub["user_id"].duplicated()
        if dup.any():
            raise ValueError(
                f"per_user: user_id {int(sub['user_id'][dup].iloc[0])} appears twice for {method}"
            )
        rows[method] = sub.set_index("user_id")
    prob, cent = rows["PFLI_prob"], rows["PFLI_cent"]
    if set(prob.index) != set(cent.index):
        raise ValueError("per_user: PFLI_prob and PFLI_cent rows cover different users")
    ids = _user_ids(world, prob.index.to_numpy())
    cc = prob["cluster_prob"].to_numpy(float)
    if np.isnan(cc).any() or (cc < -1e-9).any() or (cc > 1 + 1e-9).any():
        raise ValueError("per_user: cluster_prob must be in [0, 1]")
    out = pd.DataFrame(
        {
            "user_id": ids,
            "category": user_category(world, ids),
            "pct_friends_with_attributes": pct_friends_with_attributes(world, ids),
            "cluster_confidence": np.clip(cc, 0.0, 1.0),
            "error_prob_km": prob["error_km"].to_numpy(float),
            "error_cent_km": cent.loc[prob.index, "error_km"].to_numpy(float),
        }
    )
    return out.sort_values("user_id", kind="stable").reset_index(drop=True)


def exposure_groups(
    table: pd.DataFrame,
    ks: ArrayLike,
    bins: BinSpec | None = None,
    *,
    switch_km: float = CMB_SWITCH_KM,
) -> pd.DataFrame:
    """Group EP@K: the regression data of the exposure models.

    Users of ``table`` (see :func:`exposure_user_table`) are grouped by
    category x % friends bin x cluster confidence bin (:class:`BinSpec`); for
    every K the group's EP@K (Eq 8) is the target and its features are K, the
    category, and the mean % friends and mean cluster confidence of its users.

    Returns
    -------
    DataFrame
        ``category, pct_bin, cc_bin, k_km, n_users, n_exposed, ep,
        pct_friends_with_attributes, cluster_confidence``.

    >>> t = pd.DataFrame({"category": ["F", "F", "WE"],
    ...                   "pct_friends_with_attributes": [1.0, 3.0, 0.0],
    ...                   "cluster_confidence": [0.51, 0.53, 0.9],
    ...                   "error_km": [5.0, 50.0, 1.0]})
    >>> exposure_groups(t, [10])[["category", "n_users", "ep", "pct_friends_with_attributes"]]
      category  n_users   ep  pct_friends_with_attributes
    0        F        2  0.5                          2.0
    1       WE        1  1.0                          0.0
    """
    bins = bins or BinSpec()
    need = ["category", "pct_friends_with_attributes", "cluster_confidence"]
    missing = [c for c in need if c not in table]
    if missing:
        raise ValueError(f"user table: missing column(s) {missing}")
    unknown = sorted(set(table["category"]) - set(ALL_CATEGORIES))
    if unknown:
        raise ValueError(f"category: unknown value(s) {unknown}; allowed {ALL_CATEGORIES}")
    t = table.copy()
    t["pct_bin"] = bins.pct_bin(t["pct_friends_with_attributes"])
    t["cc_bin"] = bins.cc_bin(t["cluster_confidence"])
    keys = ["category", "pct_bin", "cc_bin"]
    ep = ep_at_k(t, ks, by=keys, switch_km=switch_km)
    means = t.groupby(keys, observed=True)[
        ["pct_friends_with_attributes", "cluster_confidence"]
    ].mean()
    return ep.merge(means.reset_index(), on=keys, how="left", validate="many_to_one")


# ---------------------------------------------------------------------------
# exposure models (Sec 8.2, Tables 5-6)
# ---------------------------------------------------------------------------


def _check_features(features: Iterable[str]) -> tuple[str, ...]:
    feats = tuple(features)
    for f in feats:
        if f not in EXPOSURE_FEATURES:
            raise ValueError(f"features: unknown feature {f!r}; allowed {EXPOSURE_FEATURES}")
    if not feats:
        raise ValueError("features: at least one feature is needed")
    return tuple(f for f in EXPOSURE_FEATURES if f in feats)


def design_matrix(frame: pd.DataFrame, features: Iterable[str] = EXPOSURE_FEATURES) -> NDArray:
    """Numeric design matrix of the exposure model.

    Columns: ``k_km`` (error distance), one indicator per category of
    :data:`ALL_CATEGORIES` (user category), ``pct_friends_with_attributes``
    and ``cluster_confidence``, for the selected ``features``.

    >>> f = pd.DataFrame({"k_km": [20.0], "category": ["WE"],
    ...                   "pct_friends_with_attributes": [0.0], "cluster_confidence": [0.4]})
    >>> design_matrix(f).tolist()
    [[20.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.4]]
    """
    feats = _check_features(features)
    cols = []
    if "error_distance" in feats:
        cols.append(frame["k_km"].to_numpy(float)[:, None])
    if "user_category" in feats:
        cat = frame["category"].to_numpy(object)
        unknown = sorted(set(cat) - set(ALL_CATEGORIES))
        if unknown:
            raise ValueError(f"category: unknown value(s) {unknown}; allowed {ALL_CATEGORIES}")
        cols.append(np.stack([(cat == c).astype(float) for c in ALL_CATEGORIES], axis=1))
    if "pct_friends_with_attributes" in feats:
        cols.append(frame["pct_friends_with_attributes"].to_numpy(float)[:, None])
    if "cluster_confidence" in feats:
        cols.append(frame["cluster_confidence"].to_numpy(float)[:, None])
    x = np.hstack(cols)
    if not np.isfinite(x).all():
        raise ValueError("exposure features: missing or infinite values")
    return x


def _make_regressor(kind: str, seed: int, n_estimators: int, n_jobs: int,
                    min_samples_leaf: int, max_features: float = 1.0,
                    max_samples: float | None = None) -> Any:
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import LinearRegression

    if kind == "rdf":
        return RandomForestRegressor(
            n_estimators=n_estimators,
            min_samples_leaf=min_samples_leaf,
            max_features=max_features,
            max_samples=max_samples,
            random_state=seed,
            n_jobs=n_jobs,
        )
    if kind == "linear":
        return LinearRegression()
    raise ValueError(f"kind = {kind!r} must be 'rdf' or 'linear'")


def _kept(groups: pd.DataFrame, min_group_size: int) -> tuple[pd.DataFrame, int]:
    if min_group_size < 1:
        raise ValueError(f"min_group_size = {min_group_size!r} must be at least 1")
    keep = groups["n_users"].to_numpy() >= min_group_size
    if not keep.any():
        raise ValueError(
            f"min_group_size = {min_group_size}: no group is that large "
            f"(largest has {int(groups['n_users'].max())} users)"
        )
    return groups[keep].reset_index(drop=True), int((~keep).sum())


@dataclass
class ExposureModel:
    """A fitted exposure model: EP@K from the exposure features.

    Attributes
    ----------
    kind : {"rdf", "linear"}
    features : tuple of str
        Subset of :data:`EXPOSURE_FEATURES` used.
    regressor : sklearn estimator
    n_rows, n_rows_dropped : int
        Group x K rows used, and rows left out for having fewer than
        ``min_group_size`` users.
    min_group_size : int
    ks : tuple of float
        The K grid the model was trained on.
    """

    kind: str
    features: tuple[str, ...]
    regressor: Any
    n_rows: int
    n_rows_dropped: int
    min_group_size: int
    ks: tuple[float, ...] = field(default_factory=tuple)

    def predict(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """EP for rows with ``k_km, category, pct_friends_with_attributes,
        cluster_confidence``, clipped to [0, 1]."""
        x = design_matrix(frame, self.features)
        return np.clip(self.regressor.predict(x), 0.0, 1.0)


def fit_exposure_model(
    groups: pd.DataFrame,
    *,
    kind: str = "rdf",
    features: Iterable[str] = EXPOSURE_FEATURES,
    min_group_size: int = 10,
    n_estimators: int = 50,
    min_samples_leaf: int = 1,
    max_features: float = 0.5,
    max_samples: float | None = 0.5,
    n_jobs: int = 1,
    seed: int = 0,
) -> ExposureModel:
    """Fit the RDF (random forest) or linear exposure model on group EPs.

    Parameters
    ----------
    groups : DataFrame
        From :func:`exposure_groups`.
    kind : {"rdf", "linear"}
    features : subset of :data:`EXPOSURE_FEATURES`
    min_group_size : int
        Groups with fewer users are left out (counted in ``n_rows_dropped``).
    n_estimators, min_samples_leaf, n_jobs : int
        Random forest settings.
    max_features, max_samples : float
        Share of the design columns tried at each split and share of the rows
        drawn for each tree (a faster forest of the same accuracy here).
    seed : int
        Random state of the forest.
    """
    feats = _check_features(features)
    kept, dropped = _kept(groups, min_group_size)
    reg = _make_regressor(kind, seed, n_estimators, n_jobs, min_samples_leaf,
                          max_features, max_samples)
    reg.fit(design_matrix(kept, feats), kept["ep"].to_numpy(float))
    ks = tuple(sorted(float(k) for k in kept["k_km"].unique()))
    return ExposureModel(kind, feats, reg, len(kept), dropped, min_group_size, ks)


def cross_validate_exposure(
    groups: pd.DataFrame,
    *,
    kind: str = "rdf",
    features: Iterable[str] = EXPOSURE_FEATURES,
    folds: int = 10,
    min_group_size: int = 10,
    n_estimators: int = 50,
    min_samples_leaf: int = 1,
    max_features: float = 0.5,
    max_samples: float | None = 0.5,
    n_jobs: int = 1,
    seed: int = 0,
    by_group: bool = False,
) -> dict[str, float]:
    """K-fold cross-validated MAE and RMSE of an exposure model (Table 5).

    Rows (group x K) are shuffled into ``folds`` folds with ``seed``; the
    errors of all out-of-fold predictions are pooled. With ``by_group=True``
    all K rows of a group (``category, pct_bin, cc_bin``) fall in the same
    fold, so a group is never predicted from its own EP at another K (a
    stricter test than the paper's, which does not say how it split).

    Returns
    -------
    dict
        ``mae``, ``rmse``, ``n_rows``, ``n_rows_dropped``.
    """
    from sklearn.model_selection import GroupKFold, KFold

    feats = _check_features(features)
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise ValueError(f"folds = {folds!r} must be an integer of at least 2")
    kept, dropped = _kept(groups, min_group_size)
    if len(kept) < folds:
        raise ValueError(f"folds = {folds}: only {len(kept)} rows to cross-validate")
    x = design_matrix(kept, feats)
    y = kept["ep"].to_numpy(float)
    pred = np.empty_like(y)
    if by_group:
        keys = ["category", "pct_bin", "cc_bin"]
        missing = [c for c in keys if c not in kept]
        if missing:
            raise ValueError(f"by_group: groups lack column(s) {missing}")
        gid = kept.groupby(keys, observed=True, sort=False).ngroup().to_numpy()
        if np.unique(gid).size < folds:
            raise ValueError(f"folds = {folds}: only {np.unique(gid).size} groups to split")
        splits = GroupKFold(folds, shuffle=True, random_state=seed).split(x, groups=gid)
    else:
        splits = KFold(folds, shuffle=True, random_state=seed).split(x)
    for train, test in splits:
        reg = _make_regressor(kind, seed, n_estimators, n_jobs, min_samples_leaf,
                              max_features, max_samples)
        reg.fit(x[train], y[train])
        pred[test] = np.clip(reg.predict(x[test]), 0.0, 1.0)
    err = pred - y
    return {
        "mae": float(np.abs(err).mean()),
        "rmse": float(np.sqrt((err**2).mean())),
        "n_rows": int(len(kept)),
        "n_rows_dropped": dropped,
    }


def evaluate_exposure_models(
    groups: pd.DataFrame,
    *,
    folds: int = 10,
    min_group_size: int = 10,
    n_estimators: int = 50,
    min_samples_leaf: int = 1,
    max_features: float = 0.5,
    max_samples: float | None = 0.5,
    n_jobs: int = 1,
    seed: int = 0,
    by_group: bool = False,
    models: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Tables 5-6: CV MAE/RMSE of RDF, LinearRegression and the 4 RDFs without one feature.

    ``by_group`` is passed to :func:`cross_validate_exposure`; ``models``
    restricts the runs to these names (default: all six).

    Returns
    -------
    DataFrame
        ``model, mae, rmse, n_rows, n_rows_dropped`` with models named as in
        ``data/reference/pfli_table5_6_exposure_model.csv``: ``RDF``,
        ``LinearRegression``, ``RDF without <feature>``.
    """
    common = dict(
        folds=folds, min_group_size=min_group_size, n_estimators=n_estimators,
        min_samples_leaf=min_samples_leaf, max_features=max_features,
        max_samples=max_samples, n_jobs=n_jobs, seed=seed, by_group=by_group,
    )
    runs: list[tuple[str, str, tuple[str, ...]]] = [
        ("RDF", "rdf", EXPOSURE_FEATURES),
        ("LinearRegression", "linear", EXPOSURE_FEATURES),
    ]
    for f in EXPOSURE_FEATURES:
        rest = tuple(x for x in EXPOSURE_FEATURES if x != f)
        runs.append((f"RDF without {FEATURE_LABELS[f]}", "rdf", rest))
    if models is not None:
        known = [r[0] for r in runs]
        unknown = [m for m in models if m not in known]
        if unknown:
            raise ValueError(f"models: unknown name(s) {unknown}; allowed {known}")
        runs = [r for r in runs if r[0] in set(models)]
    rows = []
    for name, kind, feats in runs:
        res = cross_validate_exposure(groups, kind=kind, features=feats, **common)
        rows.append({"model": name, **res})
    return pd.DataFrame(rows)[["model", "mae", "rmse", "n_rows", "n_rows_dropped"]]


# ---------------------------------------------------------------------------
# the estimator (Sec 8.2.2, 8.3)
# ---------------------------------------------------------------------------


@dataclass
class ExposureEstimator:
    """Everything the estimator needs: the world, PFLI and the exposure model.

    Attributes
    ----------
    world : SocialWorld
    pfli_model : PFLIModel
        Anything with ``score(world, users, *, hide) -> (n, n_places)``.
    clusters : (n_places,) int array
        Location clusters used by the cluster selector (Eq 9).
    model : ExposureModel
        The RDF exposure model.
    """

    world: Any
    pfli_model: Any
    clusters: NDArray[np.int64]
    model: ExposureModel


def exposure_features(
    world: Any,
    pfli_model: Any,
    clusters: ArrayLike,
    users: ArrayLike,
    hide: Iterable[str] | str = frozenset(),
) -> pd.DataFrame:
    """Exposure features of ``users`` after hiding ``hide``, through PFLI.

    The PFLI probabilities are recomputed with ``pfli_model.score(world,
    users, hide=hide)``; cluster confidence (Eq 9) comes from them, category
    and % friends with attributes from the world with ``hide`` applied.

    Returns
    -------
    DataFrame
        ``user_id, category, pct_friends_with_attributes, cluster_confidence``.
    """
    ids = _user_ids(world, users)
    h = parse_hide(hide)
    scores = pfli_model.score(world, ids, hide=h)
    if scores.shape[0] != ids.size:
        raise ValueError(f"pfli_model.score returned {scores.shape[0]} rows for {ids.size} users")
    return pd.DataFrame(
        {
            "user_id": ids,
            "category": user_category(world, ids, h),
            "pct_friends_with_attributes": pct_friends_with_attributes(world, ids, h),
            "cluster_confidence": cluster_confidence(scores, np.asarray(clusters)),
        }
    )


_PROFILE_KEYS = ("hometown", "work", "friends", "current_place")


def _org_ids(world: Any) -> NDArray:
    orgs = world.orgs
    for col in ("org_id", "work", "value_id", "id"):
        if col in orgs:
            return np.unique(orgs[col].to_numpy())
    return np.unique(orgs.index.to_numpy())


def world_with_profile(world: Any, profile: Mapping[str, Any]) -> tuple[Any, int]:
    """A copy of ``world`` with one extra user described by ``profile``.

    Parameters
    ----------
    world : SocialWorld
    profile : mapping
        ``hometown``: a place id or a unique place name, or None (not shown);
        ``work``: a work-education organisation id, or None; ``friends``: a
        list of existing user ids, or None (friend list not shown);
        ``current_place``: optional true current place (id or name), used
        only as ground truth. The new user hides the current city.

    Returns
    -------
    (SocialWorld, int)
        The new world and the new user's id (``len(world.users)``).
    """
    if not isinstance(profile, Mapping):
        raise TypeError(f"profile: expected a mapping; got {type(profile).__name__}")
    extra = sorted(set(profile) - set(_PROFILE_KEYS))
    if extra:
        raise KeyError(f"profile: unknown field(s) {extra}; allowed {_PROFILE_KEYS}")
    places = world.places
    n_places = len(places)

    def place(key: str) -> int:
        v = profile.get(key)
        if v is None:
            return -1
        if isinstance(v, str):
            hits = np.flatnonzero(places["name"].to_numpy(object) == v)
            if hits.size != 1:
                how = "no" if hits.size == 0 else f"{hits.size}"
                raise ValueError(f"profile[{key!r}] = {v!r} matches {how} place(s) by name")
            return int(hits[0])
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < n_places:
            raise ValueError(f"profile[{key!r}] = {v!r} is not a place id in 0..{n_places - 1}")
        return int(v)

    hometown = place("hometown")
    current = place("current_place")
    work = profile.get("work")
    if work is None:
        work = -1
    else:
        ok_ids = _org_ids(world)
        if isinstance(work, bool) or not isinstance(work, (int, np.integer)) or work not in ok_ids:
            raise ValueError(f"profile['work'] = {work!r} is not a known organisation id")
        work = int(work)
    n = len(world.users)
    friends = profile.get("friends")
    if friends is None:
        friends_arr = np.array([], dtype=np.int64)
    else:
        if isinstance(friends, (str, bytes)) or not isinstance(friends, Iterable):
            raise TypeError(f"profile['friends'] = {friends!r} must be a list of user ids")
        friends_list = list(friends)
        for fid in friends_list:
            if isinstance(fid, bool) or not isinstance(fid, (int, np.integer)) or not 0 <= fid < n:
                raise ValueError(f"profile['friends'] has unknown user id {fid!r}")
        friends_arr = np.unique(np.asarray(friends_list, dtype=np.int64))
        if friends_arr.size != len(friends_list):
            raise ValueError("profile['friends'] lists a user twice")
    row = {c: world.users[c].iloc[0] for c in world.users.columns}
    row.update(
        user_id=n,
        current_place=current if current >= 0 else -1,
        hometown=hometown,
        work=work,
        current_visible=False,
        hometown_visible=hometown >= 0,
        work_visible=work >= 0,
        friends_visible=friends is not None and friends_arr.size > 0,
    )
    users = pd.concat([world.users, pd.DataFrame([row])[world.users.columns]], ignore_index=True)
    users = users.astype(world.users.dtypes.to_dict())
    new_edges = np.stack([friends_arr, np.full(friends_arr.size, n)], axis=1)
    edges = np.vstack([np.asarray(world.edges).reshape(-1, 2), new_edges]).astype(
        np.asarray(world.edges).dtype if np.asarray(world.edges).size else np.int64
    )
    old = sp.csr_matrix(world.adjacency)
    grown = sp.csr_matrix(
        (old.data, old.indices, np.append(old.indptr, old.indptr[-1])), shape=(n + 1, n + 1)
    )
    k = friends_arr.size
    rows = np.concatenate([friends_arr, np.full(k, n)])
    cols = np.concatenate([np.full(k, n), friends_arr])
    add = sp.csr_matrix((np.ones(2 * k, dtype=old.dtype), (rows, cols)), shape=(n + 1, n + 1))
    adj = (grown + add).tocsr()
    return replace(world, users=users, edges=edges, adjacency=adj), n


def _model_for_world(pfli_model: Any, world: Any) -> Any:
    """``pfli_model`` extended to the users a profile added to ``world``.

    :class:`homelib.pfli.PFLIModel` keeps per-user arrays (``known``, ``city``,
    ``values``) sized to the world it was fitted on; a profile's new user is
    appended as unknown (city -1) with its visible attribute values. Models
    without such arrays are returned unchanged.
    """
    known = getattr(pfli_model, "known", None)
    n = len(world.users)
    if known is None or len(known) >= n:
        return pfli_model
    extra = np.arange(len(known), n)
    new_values = {}
    u = world.users.iloc[extra]
    cols = {"HT": ("hometown", "hometown_visible"), "WE": ("work", "work_visible")}
    for k, v in pfli_model.values.items():
        col, vis = cols[k]
        val = u[col].to_numpy(np.int64)
        add = np.where(u[vis].to_numpy(bool) & (val >= 0), val, -1)
        new_values[k] = np.concatenate([np.asarray(v), add])
    return replace(
        pfli_model,
        known=np.concatenate([np.asarray(known, bool), np.zeros(extra.size, bool)]),
        city=np.concatenate([np.asarray(pfli_model.city), np.full(extra.size, -1)]),
        values=new_values,
    )


def what_if(
    estimator: ExposureEstimator,
    users: ArrayLike,
    k_km: float,
    *,
    world: Any | None = None,
) -> pd.DataFrame:
    """Exposure of ``users`` now and after hiding each of the 8 subsets (Table 8).

    For every subset of {HT, WE, F} the features are recomputed through PFLI
    (:func:`exposure_features`) and the RDF model gives EP@K.

    Returns
    -------
    DataFrame
        ``user_id, hide, setting, n_changed, changed, category,
        pct_friends_with_attributes, cluster_confidence, k_km,
        exposure_probability, risk_level`` (8 rows per user); ``changed`` lists
        the hidden fields that were shown before, ``setting`` is Table 8's label.
    """
    k = _check_k(k_km)
    w = estimator.world if world is None else world
    pfli_model = _model_for_world(estimator.pfli_model, w)
    ids = _user_ids(w, users)
    shown = _shown(w, ids, frozenset())
    current = np.asarray(category_of(shown["HT"], shown["WE"], shown["F"]), dtype=object)
    parts = []
    for h in HIDING_SUBSETS:
        feats = exposure_features(w, pfli_model, estimator.clusters, ids, h)
        label = hide_label(h)
        changed = [
            "+".join(x for x in HIDEABLE if x in h and shown[x][i]) for i in range(ids.size)
        ]
        feats.insert(1, "hide", label)
        feats.insert(
            2,
            "setting",
            [f"current ({c})" for c in current] if not h else f"hide {label}",
        )
        feats.insert(3, "n_changed", [len(c.split("+")) if c else 0 for c in changed])
        feats.insert(4, "changed", changed)
        feats["k_km"] = k
        parts.append(feats)
    out = pd.concat(parts, ignore_index=True)
    out["exposure_probability"] = estimator.model.predict(out)
    out["risk_level"] = risk_levels(out["exposure_probability"])
    order = {label: i for i, label in enumerate(hide_label(h) for h in HIDING_SUBSETS)}
    out["_o"] = out["hide"].map(order)
    out = out.sort_values(["user_id", "_o"], kind="stable").drop(columns="_o")
    return out.reset_index(drop=True)


def smallest_change(variants: pd.DataFrame, target_level: int) -> pd.Series | None:
    """The smallest hiding that brings one user to ``target_level`` or below.

    Among the rows of :func:`what_if` for one user whose risk level is at most
    ``target_level``, the one hiding the fewest shown fields, then the lowest
    exposure probability. ``None`` when no hiding reaches the level.

    >>> v = pd.DataFrame({"hide": ["", "WE", "HT+WE"], "n_changed": [0, 1, 2],
    ...                   "exposure_probability": [0.97, 0.5, 0.07], "risk_level": [5, 3, 1]})
    >>> smallest_change(v, 3)["hide"], smallest_change(v, 1)["hide"]
    ('WE', 'HT+WE')
    """
    level = _check_level(target_level)
    ok = variants[variants["risk_level"] <= level]
    if ok.empty:
        return None
    ok = ok.sort_values(["n_changed", "exposure_probability"], kind="stable")
    return ok.iloc[0]


@dataclass
class ExposureReport:
    """Result of :func:`exposure_report` for one user.

    Attributes
    ----------
    user : int or str
        The user id, or ``"profile"``.
    k_km : float
    current : Series
        Features, exposure probability and risk level now.
    variants : DataFrame
        The 8 hiding variants (Table 8 style, see :func:`what_if`).
    target_level : int or None
    suggestion : Series or None
        The smallest change reaching ``target_level`` (None if none does or
        no level was asked for).
    """

    user: Any
    k_km: float
    current: pd.Series
    variants: pd.DataFrame
    target_level: int | None
    suggestion: pd.Series | None

    def table8(self) -> pd.DataFrame:
        """The variants as Table 8: ``setting, exposure_probability, risk_level``."""
        return self.variants[["setting", "exposure_probability", "risk_level"]].reset_index(
            drop=True
        )

    def advice(self) -> str:
        """One sentence of advice for the requested level."""
        if self.target_level is None:
            return "no target level requested"
        now = int(self.current["risk_level"])
        if now <= self.target_level:
            return f"already at level {now}, within the requested level {self.target_level}"
        if self.suggestion is None:
            return f"no way of hiding HT, WE, F reaches level {self.target_level} or below"
        s = self.suggestion
        return (
            f"hide {s['changed']} to go from level {now} to level {int(s['risk_level'])} "
            f"(EP {self.current['exposure_probability']:.3f} -> "
            f"{s['exposure_probability']:.3f})"
        )


def exposure_report(
    user: int | Mapping[str, Any],
    k_km: float,
    *,
    estimator: ExposureEstimator,
    target_level: int | None = None,
) -> ExposureReport:
    """Exposure probability and risk level of one user, and what to hide.

    Parameters
    ----------
    user : int or mapping
        A user id of ``estimator.world``, or a profile as data (see
        :func:`world_with_profile`), scored as a new user who hides the
        current city.
    k_km : float
        Error distance K (km) at which the user counts as exposed.
    estimator : ExposureEstimator
    target_level : int, optional
        Risk level 1-5 the user wants to reach; the smallest change reaching
        it is returned as ``suggestion``.

    Raises
    ------
    KeyError
        Unknown user id or profile field.
    ValueError
        ``k_km`` not positive, unknown profile values, level outside 1-5.

    Notes
    -----
    The estimator is meant for users who hide their city (LN users, or a
    profile). An LA user's own city is part of the matrices of a PFLI model
    fitted on all LA users, so the features of such a user are computed with
    their city known; the exposure model itself was trained on
    cross-validated predictions where it was not.
    """
    k = _check_k(k_km)
    level = None if target_level is None else _check_level(target_level)
    if isinstance(user, Mapping):
        world, uid = world_with_profile(estimator.world, user)
        label: Any = "profile"
    else:
        world = estimator.world
        uid = int(_user_ids(world, user)[0])
        label = uid
    variants = what_if(estimator, [uid], k, world=world)
    current = variants.iloc[0]
    suggestion = None if level is None else smallest_change(variants, level)
    return ExposureReport(label, k, current, variants, level, suggestion)


def pick_cases(
    estimator: ExposureEstimator,
    users: ArrayLike,
    ks: Sequence[float] = (100.0, 20.0),
    *,
    per_level: int = 2,
    seed: int = 0,
) -> pd.DataFrame:
    """Table 7 style case studies picked from ``users`` to span the risk levels.

    Features of all candidates are computed once (no hiding); for each K and
    each risk level 1-5, up to ``per_level`` users are drawn (``seed``),
    preferring categories not drawn yet for that K.

    Returns
    -------
    DataFrame
        The ``exposure_cases.csv`` contract: ``user, category,
        cluster_confidence, error_distance_km, pct_friends_with_attributes,
        exposure_probability, risk_level``.
    """
    rng = np.random.default_rng(seed)
    ids = _user_ids(estimator.world, users)
    feats = exposure_features(estimator.world, estimator.pfli_model, estimator.clusters, ids)
    rows = []
    for k in ks:
        f = feats.assign(k_km=_check_k(k, "ks"))
        f["exposure_probability"] = estimator.model.predict(f)
        f["risk_level"] = risk_levels(f["exposure_probability"])
        for level in RISK_LEVELS:
            pool = f[f["risk_level"] == level]
            seen: set[str] = set()
            for _ in range(per_level):
                if pool.empty:
                    break
                fresh = pool[~pool["category"].isin(seen)]
                cand = fresh if not fresh.empty else pool
                pick = cand.iloc[int(rng.integers(len(cand)))]
                seen.add(pick["category"])
                rows.append(pick)
                pool = pool.drop(index=pick.name)
    out = pd.DataFrame(rows).reset_index(drop=True)
    cols = [
        "user", "category", "cluster_confidence", "error_distance_km",
        "pct_friends_with_attributes", "exposure_probability", "risk_level",
    ]
    if out.empty:
        return pd.DataFrame(columns=cols)
    out = out.rename(columns={"user_id": "user", "k_km": "error_distance_km"})
    return out[cols]


def check_guidelines(whatif: pd.DataFrame, *, high_cc: float = 0.9) -> pd.DataFrame:
    """Check the paper's three guidelines (Sec 8.3) on what-if results.

    Parameters
    ----------
    whatif : DataFrame
        :func:`what_if` rows of many users at one K.
    high_cc : float
        Cluster confidence from which "most friends indicate the same place".

    Returns
    -------
    DataFrame
        ``guideline, statement, measured, holds``:

        1. Hiding HT, WE and F gives the lowest mean EP of the 8 settings.
        2. WE is the most sensitive field: among users showing all three,
           hiding WE lowers the mean EP more than hiding HT or F alone.
        3. Hiding F helps users whose friends point to one place more than
           the others: among users showing F, the mean EP drop of hiding F
           is larger when the cluster confidence of the friends alone (the
           "hide HT+WE" variant) is at least ``high_cc``.
    """
    need = ["user_id", "hide", "changed", "cluster_confidence", "exposure_probability"]
    missing = [c for c in need if c not in whatif]
    if missing:
        raise ValueError(f"whatif: missing column(s) {missing}")
    mean_ep = whatif.groupby("hide")["exposure_probability"].mean()
    all_label = hide_label(HIDEABLE)
    g1 = bool(mean_ep[all_label] <= mean_ep.min() + 1e-12)
    now = whatif[whatif["hide"] == ""].set_index("user_id")
    full = now.index[now["setting"] == "current (HT+WE+F)"] if "setting" in now else now.index
    drops = {}
    for f in HIDEABLE:
        hid = whatif[whatif["hide"] == f].set_index("user_id")
        d = (now["exposure_probability"] - hid["exposure_probability"]).loc[full]
        drops[f] = float(d.mean()) if len(d) else float("nan")
    g2 = bool(len(full) and drops["WE"] >= max(drops["HT"], drops["F"]))
    hid_f = whatif[whatif["hide"] == "F"].set_index("user_id")
    shows_f = whatif[(whatif["hide"] == "F") & (whatif["changed"] == "F")]["user_id"]
    drop_f = (now["exposure_probability"] - hid_f["exposure_probability"]).loc[shows_f]
    friends_only = whatif[whatif["hide"] == "HT+WE"].set_index("user_id")
    high = friends_only.loc[shows_f, "cluster_confidence"] >= high_cc
    d_high = float(drop_f[high.to_numpy()].mean()) if high.any() else float("nan")
    d_low = float(drop_f[~high.to_numpy()].mean()) if (~high).any() else float("nan")
    g3 = bool(np.isfinite(d_high) and np.isfinite(d_low) and d_high > d_low)
    return pd.DataFrame(
        [
            {
                "guideline": 1,
                "statement": "hide WE, F and HT for the highest security",
                "measured": (
                    f"mean EP hiding all = {mean_ep[all_label]:.3f}; "
                    f"lowest other = {mean_ep.drop(all_label).min():.3f}; "
                    f"now = {mean_ep['']:.3f}"
                ),
                "holds": g1,
            },
            {
                "guideline": 2,
                "statement": "hide the most sensitive field (WE) first",
                "measured": (
                    f"mean EP drop for {len(full)} HT+WE+F users: hide WE {drops['WE']:.3f}, "
                    f"hide HT {drops['HT']:.3f}, hide F {drops['F']:.3f}"
                ),
                "holds": g2,
            },
            {
                "guideline": 3,
                "statement": "hide F if most friends indicate the same place",
                "measured": (
                    f"mean EP drop hiding F: friends-only CC >= {high_cc:g}: {d_high:.3f} "
                    f"({int(high.sum())} users); below: {d_low:.3f} "
                    f"({int((~high).sum())} users)"
                ),
                "holds": g3,
            },
        ]
    )


def reliability_table(model: ExposureModel, table: pd.DataFrame, k_km: float,
                      *, switch_km: float = CMB_SWITCH_KM) -> pd.DataFrame:
    """Predicted EP against the observed exposure of users with known truth.

    ``table`` holds users *not* used to train ``model`` (e.g. LN users scored
    against the simulated ground truth, :func:`exposure_user_table` of
    ``PFLIEvaluation.ln_per_user``). Users are grouped by predicted risk level.

    Returns
    -------
    DataFrame
        ``risk_level, n_users, mean_predicted_ep, observed_share`` (observed
        share = users whose error is below K, Eq 8).
    """
    k = _check_k(k_km)
    f = table.assign(k_km=k)
    pred = model.predict(f)
    hit = _errors_for_k(table, k, switch_km) < k
    out = pd.DataFrame({"risk_level": risk_levels(pred), "pred": pred, "hit": hit})
    g = out.groupby("risk_level").agg(
        n_users=("pred", "size"), mean_predicted_ep=("pred", "mean"), observed_share=("hit", "mean")
    )
    return g.reindex(list(RISK_LEVELS)).fillna({"n_users": 0}).reset_index()


# ---------------------------------------------------------------------------
# chapter helpers
# ---------------------------------------------------------------------------


def world_and_evaluation(
    scale: float,
    seed: int = 0,
    *,
    folds: int = 5,
    ln_users: int = 1000,
    world_params: Mapping[str, Any] | None = None,
    **pfli_config: Any,
) -> tuple[Any, Any]:
    """The social world and its cross-validated PFLI evaluation (cached).

    Calls :func:`homelib.worlds.social.social_world` and
    :func:`homelib.pfli.pfli_evaluation` (``data/cache``, shared with
    chapter 08 when the parameters agree). With ``ln_users > 0`` the last of
    ``evaluation.models`` is fitted on all LA users: the model the estimator
    uses for LN users, whose errors are in ``evaluation.ln_per_user``.

    Returns
    -------
    (SocialWorld, PFLIEvaluation)
    """
    from . import pfli
    from .worlds.social import social_world

    if isinstance(ln_users, bool) or not isinstance(ln_users, (int, np.integer)) or ln_users < 1:
        raise ValueError(f"ln_users = {ln_users!r}: at least 1 LN user is needed")
    wp = dict(world_params or {})
    world = social_world(scale, seed, **wp)
    evaluation = pfli.pfli_evaluation(scale, seed, folds=folds, ln_users=ln_users,
                                      world_params=wp, **pfli_config)
    return world, evaluation


def pick_report_user(
    estimator: ExposureEstimator,
    users: ArrayLike,
    k_km: float,
    category: str = "HT+WE+F",
    *,
    max_candidates: int = 500,
) -> int:
    """A user like the paper's U1: shows ``category``, is at the top risk level,
    and hiding matters.

    Among ``users`` of ``category`` (any category if none), the
    ``max_candidates`` most exposed at ``k_km`` are run through the 8 hiding
    variants (:func:`what_if`); the pick is the one at the highest current
    level whose variants span the most risk levels (ties: higher EP, then
    lower id).
    """
    if category not in ALL_CATEGORIES:
        raise ValueError(f"category = {category!r} is not one of {ALL_CATEGORIES}")
    if max_candidates < 1:
        raise ValueError(f"max_candidates = {max_candidates!r} must be at least 1")
    ids = _user_ids(estimator.world, users)
    f = exposure_features(estimator.world, estimator.pfli_model, estimator.clusters, ids)
    f["k_km"] = _check_k(k_km)
    f["ep"] = estimator.model.predict(f)
    sub = f[f["category"] == category]
    sub = sub if not sub.empty else f
    sub = sub.sort_values(["ep", "user_id"], ascending=[False, True]).head(max_candidates)
    wi = what_if(estimator, sub["user_id"].to_numpy(), k_km)
    now = wi[wi["hide"] == ""].set_index("user_id")
    spread = wi.groupby("user_id")["risk_level"].nunique()
    score = pd.DataFrame({"level": now["risk_level"], "spread": spread,
                          "ep": now["exposure_probability"]}).reset_index()
    score = score.sort_values(["level", "spread", "ep", "user_id"],
                              ascending=[False, False, False, True])
    return int(score["user_id"].iloc[0])


def book_vs_paper(
    models: pd.DataFrame,
    ep_by_category: pd.DataFrame,
    report: ExposureReport,
    guidelines: pd.DataFrame,
) -> pd.DataFrame:
    """The chapter's closing table: the paper's numbers beside this book's.

    Parameters
    ----------
    models : DataFrame
        :func:`evaluate_exposure_models` output.
    ep_by_category : DataFrame
        :func:`ep_at_k` by ``category`` including K = 100 and 20.
    report : ExposureReport
        The one-user report (Table 8 analogue, at its own K).
    guidelines : DataFrame
        :func:`check_guidelines` output.

    Returns
    -------
    DataFrame
        ``quantity, paper, book``.
    """
    from .io import load_reference

    ref = load_reference("pfli_table5_6_exposure_model.csv").set_index("model")
    mine = models.set_index("model")
    rows = []
    for name in ref.index:
        for metric in ("mae", "rmse"):
            book = float(mine.loc[name, metric]) if name in mine.index else float("nan")
            rows.append({"quantity": f"{name}: {metric.upper()}",
                         "paper": float(ref.loc[name, metric]), "book": book})
    t8 = load_reference("pfli_table8_hiding_u1.csv")
    paper_settings = dict(zip(t8["setting"], t8["exposure_probability"], strict=True))
    v = report.variants.set_index("hide")
    rows.append({"quantity": "Table 8: EP now (paper U1 at 100 km; book user at "
                 f"{report.k_km:g} km)", "paper": paper_settings["current (HT+WE+F)"],
                 "book": float(report.current["exposure_probability"])})
    for h in ("WE", "F", "HT", "WE+F", "HT+WE"):
        rows.append({"quantity": f"Table 8: EP after hiding {h}",
                     "paper": paper_settings[f"hide {h}"],
                     "book": float(v.loc[h, "exposure_probability"])})
    ep = ep_by_category.set_index(["category", "k_km"])["ep"]
    claims = [("WE", 20.0, 0.834, "Table 7 U9 / Sec 8.3: EP of 'WE' alone at 20 km"),
              ("HT+WE", 100.0, 0.903, "Table 7 U7 / Fig 6: EP of 'HT+WE' at 100 km")]
    for cat, k, paper, text in claims:
        book = float(ep.get((cat, k), float("nan")))
        rows.append({"quantity": text + " (book: mean over the category)",
                     "paper": paper, "book": book})
    for g in guidelines.itertuples():
        rows.append({"quantity": f"guideline {g.guideline} holds (1 = yes)",
                     "paper": 1.0, "book": float(g.holds)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# plots (Figs 6-8)
# ---------------------------------------------------------------------------


def _k_labels(ep: pd.DataFrame) -> pd.DataFrame:
    """Add a categorical ``K`` column ("20", "100", ...) ordered by distance."""
    ks = sorted(ep["k_km"].unique())
    labels = [f"{k:g}" for k in ks]
    cat = pd.Categorical([f"{k:g}" for k in ep["k_km"]], categories=labels, ordered=True)
    return ep.assign(K=cat)


def plot_ep_by_category(table: pd.DataFrame, ks: ArrayLike, *, switch_km: float = CMB_SWITCH_KM):
    """Fig 6: EP@K by user category (one bar per category and K)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    ep = _k_labels(ep_at_k(table, ks, by=["category"], switch_km=switch_km))
    order = [c for c in ALL_CATEGORIES if c in set(ep["category"])]
    fig, ax = plt.subplots(figsize=(8, 4))
    sns.barplot(data=ep, x="category", y="ep", hue="K", order=order, ax=ax, palette="viridis")
    ax.set(xlabel="user category", ylabel="exposure probability EP@K", ylim=(0, 1))
    ax.legend(title="K (km)", ncols=2, fontsize="small")
    fig.tight_layout()
    return fig


def plot_ep_by_friends(
    table: pd.DataFrame,
    ks: ArrayLike,
    bins: BinSpec | None = None,
    *,
    max_pct: float = 100.0,
    min_users: int = 10,
    switch_km: float = CMB_SWITCH_KM,
):
    """Fig 7: EP@K by % friends with attributes (bins) and K, as a heatmap.

    Only users who show a friend list (categories with ``F``) are drawn: for
    the others the share is not defined. Bins with fewer than ``min_users``
    users are blank.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    bins = bins or BinSpec()
    with_f = table["category"].astype(str).str.contains("F", regex=False)
    t = table[with_f & (table["pct_friends_with_attributes"] <= max_pct)].copy()
    if t.empty:
        raise ValueError("table: no user shows a friend list")
    t["pct_bin"] = bins.pct_bin(t["pct_friends_with_attributes"]) * bins.pct_width
    ep = ep_at_k(t, ks, by=["pct_bin"], switch_km=switch_km)
    ep = ep[ep["n_users"] >= min_users]
    grid = ep.pivot(index="k_km", columns="pct_bin", values="ep").sort_index(ascending=False)
    grid.columns = [f"{c:g}" for c in grid.columns]
    grid.index = [f"{k:g}" for k in grid.index]
    fig, ax = plt.subplots(figsize=(9, 4))
    sns.heatmap(grid, vmin=0, vmax=1, cmap="rocket_r", ax=ax,
                cbar_kws={"label": "EP@K"})
    ax.set(xlabel="% friends with attributes (bin start)", ylabel="error distance K (km)")
    fig.tight_layout()
    return fig


def plot_ep_by_confidence(
    table: pd.DataFrame,
    ks: ArrayLike,
    bins: BinSpec | None = None,
    *,
    min_users: int = 10,
    switch_km: float = CMB_SWITCH_KM,
):
    """Fig 8: EP@K by cluster confidence (bins) per user category, one line per K."""
    import seaborn as sns

    bins = bins or BinSpec(cc_width=0.1)
    t = table.copy()
    t["cc_bin"] = (bins.cc_bin(t["cluster_confidence"]) + 0.5) * bins.cc_width
    ep = _k_labels(ep_at_k(t, ks, by=["category", "cc_bin"], switch_km=switch_km))
    ep = ep[ep["n_users"] >= min_users]
    order = [c for c in ALL_CATEGORIES if c in set(ep["category"])]
    g = sns.relplot(
        data=ep, x="cc_bin", y="ep", hue="K", col="category", col_order=order,
        col_wrap=4, kind="line", marker="o", palette="viridis", height=2.4, aspect=1.1,
    )
    g.set(xlim=(0, 1), ylim=(0, 1))
    g.set_axis_labels("cluster confidence", "EP@K")
    g.set_titles("{col_name}")
    if g.legend is not None:
        g.legend.set_title("K (km)")
    return g.figure
