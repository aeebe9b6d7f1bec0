"""Exposure features and the exposure probability EP@K (PFLI Sec 8.1, Eq 8-9).

A user who hides the current city still shows other things: a hometown
(``HT``), a work or education organisation (``WE``) and a friend list (``F``).
Per user (Sec 8.1): the *user category* (which of HT, WE, F are visible; the 7
combinations of Table 4, plus ``"none"``), the *% friends with attributes*
(share of the user's friends who show at least one location sensitive
attribute, in percent), the *cluster confidence* ``CC(u)`` of PFLI Eq 9 (the
probability mass of the selected location cluster) and the error distance
``K`` the user cares about.

**Exposure probability** ``EP@K`` (PFLI Eq 8): the share of users whose
predicted current city is less than ``K`` km from the true one, computed like
ACC@K over *groups of users sharing characteristics*.

Binning
-------
A group is one user category x one bin of % friends with attributes
(``pct_width`` percentage points wide, default 5, so ``[0, 5), ..., [95, 100]``)
x one bin of cluster confidence (``cc_width`` wide, default 0.05). For every
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

Examples
--------
>>> category_of(True, True, False)
'HT+WE'
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
    "EXPOSURE_FEATURES",
    "FEATURE_LABELS",
    "CMB_SWITCH_KM",
    "parse_hide",
    "hide_label",
    "category_of",
    "user_category",
    "pct_friends_with_attributes",
    "cluster_confidence",
    "ep_at_k",
    "BinSpec",
    "exposure_user_table",
    "exposure_groups",
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


def parse_hide(hide: Iterable[str] | str | None) -> frozenset[str]:
    """Return ``hide`` as a frozenset of fields from :data:`HIDEABLE`.

    A string is split on ``+`` (``"HT+WE"``); ``None`` or ``""`` is nothing.

    Parameters
    ----------
    hide : iterable of str, str or None
        Fields to hide: ``HT`` (hometown), ``WE`` (work-education), ``F`` (friend list).

    Returns
    -------
    frozenset of str
        The fields.

    Raises
    ------
    ValueError
        For an unknown field, naming it.

    Examples
    --------
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

    Parameters
    ----------
    hide : iterable of str, str or None
        Fields, as :func:`parse_hide` takes them.

    Returns
    -------
    str
        The label.

    Examples
    --------
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


def category_of(ht: ArrayLike, we: ArrayLike, f: ArrayLike) -> Any:
    """User category (Table 4) from visibility flags of HT, WE and F.

    Scalars give a string, arrays an object array. Nothing visible gives
    :data:`NO_CATEGORY`.

    Parameters
    ----------
    ht, we, f : bool or array-like of bool
        Whether the hometown, the work-education and the friend list are shown.

    Returns
    -------
    str or numpy.ndarray of object
        ``"HT"``, ``"WE+F"``, ... (PFLI Table 4's user categories).

    Examples
    --------
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

    Examples
    --------
    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 45.76], "lon": [2.35, 4.84]})
    >>> us = pd.DataFrame({"user_id": [0, 1, 2], "current_place": [0, 1, 1],
    ...     "hometown": [1, 0, -1], "work": -1, "current_visible": False,
    ...     "hometown_visible": [True, True, False], "work_visible": False,
    ...     "friends_visible": True})
    >>> w = world_from_tables(pl, us, [[0, 1], [0, 2]])
    >>> user_category(w, [0, 1, 2]).tolist(), user_category(w, [0], hide="F").tolist()
    (['HT+F', 'HT+F', 'F'], ['HT'])
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

    Parameters
    ----------
    world : SocialWorld
        Gives the users' visibility and ``adjacency``.
    users : array-like of int
        User ids.
    hide : iterable of str or str, optional
        Fields of these users treated as hidden (:func:`parse_hide`).

    Returns
    -------
    numpy.ndarray of float
        The percentage per user.

    Examples
    --------
    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 45.76], "lon": [2.35, 4.84]})
    >>> us = pd.DataFrame({"user_id": [0, 1, 2], "current_place": [0, 1, 1],
    ...     "hometown": [1, 0, -1], "work": -1, "current_visible": False,
    ...     "hometown_visible": [True, True, False], "work_visible": False,
    ...     "friends_visible": True})
    >>> w = world_from_tables(pl, us, [[0, 1], [0, 2]])
    >>> pct_friends_with_attributes(w, [0, 1, 2]).tolist()  # 0's friends: 1 shows HT, 2 nothing
    [50.0, 100.0, 100.0]
    >>> pct_friends_with_attributes(w, [0], hide="F").tolist()
    [0.0]
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

    Examples
    --------
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

    Examples
    --------
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

    Examples
    --------
    >>> BinSpec().pct_width, BinSpec(cc_width=0.1).cc_width
    (5.0, 0.1)
    >>> BinSpec(pct_width=0)
    Traceback (most recent call last):
    ...
    ValueError: pct_width = 0 must be in (0, 100]
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

        Examples
        --------
        >>> BinSpec(pct_width=5).pct_bin([0, 4.99, 5, 100]).tolist()
        [0, 0, 1, 19]
        """
        n = int(np.ceil(100.0 / self.pct_width - 1e-9))
        x = np.asarray(pct, dtype=float)
        return np.clip(np.floor(x / self.pct_width + 1e-9).astype(np.int64), 0, n - 1)

    def cc_bin(self, cc: ArrayLike) -> NDArray[np.int64]:
        """Bin index of cluster confidence (last bin closed at 1).

        Examples
        --------
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

    Examples
    --------
    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 45.76], "lon": [2.35, 4.84]})
    >>> us = pd.DataFrame({"user_id": [0, 1, 2], "current_place": [0, 1, 1],
    ...     "hometown": [1, 0, -1], "work": -1, "current_visible": False,
    ...     "hometown_visible": [True, True, False], "work_visible": False,
    ...     "friends_visible": True})
    >>> w = world_from_tables(pl, us, [[0, 1], [0, 2]])
    >>> pu = pd.DataFrame({"user_id": [0, 0], "method": ["PFLI_prob", "PFLI_cent"],
    ...                    "error_km": [5.0, 8.0], "cluster_prob": [0.7, 0.7]})
    >>> t = exposure_user_table(w, pu)
    >>> t.category.tolist(), t.pct_friends_with_attributes.tolist(), t.error_cent_km.tolist()
    (['HT+F'], [50.0], [8.0])
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

    Parameters
    ----------
    table : DataFrame
        ``category, pct_friends_with_attributes, cluster_confidence`` and the errors (an
        ``error_km`` column, or ``error_prob_km`` and ``error_cent_km``).
    ks : array-like of float
        The distances K in km.
    bins : BinSpec, optional
        The bin widths (default ``BinSpec()``).
    switch_km : float, default 40.0
        With two error columns: ``prob`` errors below this K, ``cent`` errors from it on
        (PFLI_cmb).

    Returns
    -------
    DataFrame
        ``category, pct_bin, cc_bin, k_km, n_users, n_exposed, ep,
        pct_friends_with_attributes, cluster_confidence``.

    Examples
    --------
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
