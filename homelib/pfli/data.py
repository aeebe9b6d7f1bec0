"""The social network the PFLI study works on, simulated or real (PFLI Sec 3, 7.1.1).

:class:`SocialWorld` holds places, users (current city, hometown, work,
visibility flags), organisations and friendships; the simulator of
:mod:`homelib.pfli.world` builds one, and :func:`world_from_tables` /
:func:`read_social_world` load real tables into the same shape, validating
them. :func:`friend_distance_km` and :func:`friendship_probability_by_distance`
describe any world.

Examples
--------
>>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 45.76], "lon": [2.35, 4.84]})
>>> us = pd.DataFrame({"user_id": [0, 1], "current_place": [0, 1], "hometown": -1, "work": -1,
...     "current_visible": True, "hometown_visible": False, "work_visible": False,
...     "friends_visible": True})
>>> w = world_from_tables(pl, us, [[0, 1]])
>>> w.n_users, w.n_places, int(w.degree.sum())
(2, 2, 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from ..geo import haversine_km, validate_coords
from ..io import require_columns

__all__ = [
    "KM_PER_MILE",
    "SocialWorld",
    "world_from_tables",
    "read_social_world",
    "friend_distance_km",
]


KM_PER_MILE = 1.609344


@dataclass
class SocialWorld:
    """A social network with places, users, organisations and friendships.

    Attributes
    ----------
    places : DataFrame
        ``place_id`` (= row position), ``name, country, lat, lon, population``.
    users : DataFrame
        ``user_id`` (= row position), ``current_place`` (ground truth),
        ``hometown`` (place id, -1 if none), ``work`` (organisation id, -1 if
        none), ``current_visible`` (LA user), ``hometown_visible``,
        ``work_visible``, ``friends_visible``.
    edges : ndarray, shape (E, 2)
        Friend pairs ``u < v``, no duplicates or self loops.
    adjacency : scipy.sparse.csr_matrix
        Symmetric 0/1 ``U x U`` matrix of ``edges``.
    orgs : DataFrame
        ``org_id`` (= row position), ``kind`` ("local" / "multi"),
        ``n_sites``, ``sites`` (tuple of place ids).
    config : SocialConfig or None
        The generating config (None for loaded real data).
    stats : dict
        Counts of the generation or loading (e.g. dropped self loops).
    """

    places: pd.DataFrame
    users: pd.DataFrame
    edges: NDArray
    adjacency: sp.csr_matrix
    orgs: pd.DataFrame
    config: Any = None
    stats: dict = field(default_factory=dict)

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_places(self) -> int:
        return len(self.places)

    @property
    def degree(self) -> NDArray:
        """Number of friends of every user (ground truth)."""
        return np.asarray(self.adjacency.sum(axis=1)).ravel().astype(int)


def _adjacency(edges: NDArray, n: int) -> sp.csr_matrix:
    u, v = edges[:, 0], edges[:, 1]
    data = np.ones(2 * u.size, dtype=np.float32)
    a = sp.csr_matrix((data, (np.concatenate([u, v]), np.concatenate([v, u]))), shape=(n, n))
    a.sum_duplicates()
    return a


_USER_COLUMNS = ["user_id", "current_place", "hometown", "work", "current_visible",
                 "hometown_visible", "work_visible", "friends_visible"]


def world_from_tables(
    places: pd.DataFrame,
    users: pd.DataFrame,
    edges: pd.DataFrame | NDArray,
    orgs: pd.DataFrame | None = None,
) -> SocialWorld:
    """Validate real data in the world's schema and return a :class:`SocialWorld`.

    Places need ``place_id, lat, lon`` (``name, country, population`` are
    filled if missing), users the columns of :class:`SocialWorld`, edges two
    columns of user ids. Handling of bad input:

    * unknown place or user ids, out-of-range coordinates, ids that are not
      ``0..n-1`` in row order: ``ValueError`` naming the field and value;
    * self loops and duplicate edges (in either direction): dropped and counted
      in ``stats`` (``self_loops_dropped``, ``duplicates_dropped``);
    * a user without any visible field is kept (PFLI gives them the prior) and
      counted in ``stats["users_without_information"]``.

    For a user whose current city is not known at all (real LN users), set
    ``current_place`` to -1: such users can be scored but never evaluated.

    >>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 48.63], "lon": [2.35, 2.45]})
    >>> us = pd.DataFrame({"user_id": [0, 1, 2], "current_place": [0, 1, 1],
    ...     "hometown": [0, -1, 1], "work": [-1, -1, -1], "current_visible": [True, True, False],
    ...     "hometown_visible": [True, False, True], "work_visible": False,
    ...     "friends_visible": True})
    >>> w = world_from_tables(pl, us, [[0, 1], [1, 0], [2, 2], [1, 2]])
    >>> w.edges.tolist(), w.stats["self_loops_dropped"], w.stats["duplicates_dropped"]
    ([[0, 1], [1, 2]], 1, 1)
    >>> world_from_tables(pl, us, [[0, 7]])
    Traceback (most recent call last):
    ...
    ValueError: edges: unknown user id 7 (users are 0..2)
    """
    places = places.copy()
    require_columns(places, ["place_id", "lat", "lon"], "places")
    validate_coords(places["lat"], places["lon"], "places")
    if not np.array_equal(places["place_id"].to_numpy(), np.arange(len(places))):
        raise ValueError("places: place_id must be 0..N-1 in row order")
    for col, default in (("name", ""), ("country", ""), ("population", 0)):
        if col not in places:
            places[col] = default
    users = users.copy()
    require_columns(users, _USER_COLUMNS, "users")
    if not np.array_equal(users["user_id"].to_numpy(), np.arange(len(users))):
        raise ValueError("users: user_id must be 0..U-1 in row order")
    n, n_pl = len(users), len(places)
    for col in ("current_place", "hometown"):
        bad = (users[col] < -1) | (users[col] >= n_pl)
        if bad.any():
            v = users.loc[bad, col].iloc[0]
            raise ValueError(f"users.{col}: unknown place id {v} (places are 0..{n_pl - 1})")
    for col in _USER_COLUMNS[4:]:
        users[col] = users[col].astype(bool)
    if (users["current_visible"] & (users["current_place"] < 0)).any():
        raise ValueError("users: current_visible is True for a user with current_place -1")
    if orgs is None:
        n_org = int(users["work"].max()) + 1 if len(users) else 0
        orgs = pd.DataFrame({"org_id": np.arange(n_org), "kind": "unknown", "n_sites": 0,
                             "sites": [()] * n_org})
    if ((users["work"] < -1) | (users["work"] >= len(orgs))).any():
        v = users.loc[(users["work"] < -1) | (users["work"] >= len(orgs)), "work"].iloc[0]
        raise ValueError(f"users.work: unknown organisation id {v} (orgs are 0..{len(orgs) - 1})")
    e = np.asarray(edges.to_numpy() if isinstance(edges, pd.DataFrame) else edges)
    if e.size == 0:
        e = np.zeros((0, 2), dtype=np.int64)
    if e.ndim != 2 or e.shape[1] != 2:
        raise ValueError(f"edges: expected shape (E, 2); got {e.shape}")
    e = e.astype(np.int64)
    bad = (e < 0) | (e >= n)
    if bad.any():
        raise ValueError(f"edges: unknown user id {e[bad][0]} (users are 0..{n - 1})")
    loops = e[:, 0] == e[:, 1]
    e = e[~loops]
    lo, hi = np.minimum(e[:, 0], e[:, 1]), np.maximum(e[:, 0], e[:, 1])
    key = np.unique(lo * n + hi)
    clean = np.column_stack([key // n, key % n]).astype(np.int64)
    none = ~(users["current_visible"] | (users["hometown_visible"] & (users["hometown"] >= 0))
             | (users["work_visible"] & (users["work"] >= 0)) | users["friends_visible"])
    stats = {
        "self_loops_dropped": int(loops.sum()),
        "duplicates_dropped": int(e.shape[0] - key.size),
        "edges": int(key.size),
        "users_without_information": int(none.sum()),
    }
    return SocialWorld(places=places, users=users, edges=clean, adjacency=_adjacency(clean, n),
                       orgs=orgs, config=None, stats=stats)


def read_social_world(folder) -> SocialWorld:
    """Load real data from ``places.csv``, ``users.csv``, ``edges.csv`` (columns
    ``u, v``) and optionally ``orgs.csv`` (``org_id, kind, n_sites``) in
    ``folder``, validated by :func:`world_from_tables`.
    """

    folder = Path(folder)
    missing = [f for f in ("places.csv", "users.csv", "edges.csv") if not (folder / f).exists()]
    if missing:
        raise FileNotFoundError(f"{folder}: missing {missing}")
    places = pd.read_csv(folder / "places.csv")
    users = pd.read_csv(folder / "users.csv")
    edges = pd.read_csv(folder / "edges.csv")
    require_columns(edges, ["u", "v"], "edges.csv")
    orgs = None
    if (folder / "orgs.csv").exists():
        orgs = pd.read_csv(folder / "orgs.csv")
        require_columns(orgs, ["org_id"], "orgs.csv")
        if "sites" not in orgs:
            orgs["sites"] = [()] * len(orgs)
    return world_from_tables(places, users, edges[["u", "v"]], orgs)


def friend_distance_km(world: SocialWorld) -> NDArray:
    """Distance in km between the current cities of the two ends of every edge."""
    p = world.places
    cu = world.users["current_place"].to_numpy()
    a, b = cu[world.edges[:, 0]], cu[world.edges[:, 1]]
    lat, lon = p["lat"].to_numpy(), p["lon"].to_numpy()
    return haversine_km(lat[a], lon[a], lat[b], lon[b])


