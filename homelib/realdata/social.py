"""A check-in network in the PFLI world schema, with a visible vs hidden city split.

:func:`checkin_world` turns a :class:`~homelib.realdata.checkins.CheckinData`
and a home per user (:func:`homelib.realdata.homes.homes_from_checkins`) into
a :class:`homelib.pfli.data.SocialWorld`: the current city of a user is the
nearest gazetteer place within ``radius_km`` of the home; a seeded share of
the users with a city show it (the LA users of PFLI), the others hide it (LN
users whose city is kept as ground truth). A public check-in network has no
hometown and no work or education field, and its friend lists are public:
``hometown = work = -1`` and ``friends_visible = True`` for everyone.
:func:`write_world` writes the world as the folder that
:func:`homelib.pfli.data.read_social_world` (and chapter 08's ``data``
parameter) reads.

Examples
--------
>>> split_visible(np.array([True, True, True, False]), 0.5, seed=0).sum()
np.int64(2)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ..io import atomic_write_text
from ..pfli.data import SocialWorld, world_from_tables
from .checkins import CheckinData
from .places import nearest_places, places_table

__all__ = [
    "USER_COLUMNS",
    "split_visible",
    "checkin_world",
    "write_world",
]

USER_COLUMNS = ["user_id", "current_place", "hometown", "work", "current_visible",
                "hometown_visible", "work_visible", "friends_visible"]
"""The user columns of the PFLI world schema (:class:`homelib.pfli.data.SocialWorld`)."""


def split_visible(eligible: ArrayLike, visible_share: float, seed: int) -> NDArray:
    """Choose which eligible users show their city: exactly ``round(share * n)`` of them.

    Parameters
    ----------
    eligible : bool array
        Users that have a city to show.
    visible_share : float
        Share in ``[0, 1]`` of the eligible users that show it.
    seed : int

    Returns
    -------
    bool ndarray
        True for the visible (LA) users; never True where ``eligible`` is False.

    Examples
    --------
    >>> split_visible([True] * 4 + [False], 0.25, seed=1).tolist()
    [False, True, False, False, False]
    """
    el = np.asarray(eligible, dtype=bool).ravel()
    if not 0 <= visible_share <= 1:
        raise ValueError(f"visible_share must be in [0, 1]; got {visible_share}")
    ids = np.flatnonzero(el)
    k = int(round(visible_share * ids.size))
    chosen = np.random.default_rng(seed).choice(ids, size=k, replace=False)
    out = np.zeros(el.size, dtype=bool)
    out[chosen] = True
    return out


def checkin_world(data: CheckinData, homes: pd.DataFrame, places: pd.DataFrame, *,
                  radius_km: float = 25.0, visible_share: float = 0.5, seed: int = 0) -> SocialWorld:
    """Build a PFLI :class:`~homelib.pfli.data.SocialWorld` from a check-in network.

    Parameters
    ----------
    data : CheckinData
        The edge list and check-in log.
    homes : DataFrame
        Indexed by user, ``lat, lon`` (NaN = no home), as returned by
        :func:`homelib.realdata.homes.homes_from_checkins`.
    places : DataFrame
        The gazetteer (``lat, lon``, optionally ``name, country, population``).
    radius_km : float
        A home farther than this from every gazetteer place has no city.
    visible_share : float
        Share of the users with a city who show it (:func:`split_visible`).
    seed : int
        Seed of the visible / hidden split.

    Returns
    -------
    SocialWorld
        Users are renumbered ``0..U-1`` in the order of their original ids
        (kept in ``users.source_id``), with ``home_lat, home_lon,
        home_distance_km`` beside the schema columns; places are the
        gazetteer places someone lives in (``places.gazetteer_row``). The
        candidate set therefore contains the hidden users' cities too (they are
        the ground truth); PFLI and the frequency baselines only ever predict
        cities of known users. ``stats`` adds the counts of users with a home,
        with a city, beyond the radius, visible and hidden.

    Examples
    --------
    >>> import io
    >>> from homelib.realdata.checkins import read_checkins
    >>> d = read_checkins(io.StringIO("10\\t20\\n"), io.StringIO(""))
    >>> h = pd.DataFrame({"lat": [48.85, np.nan], "lon": [2.35, np.nan]}, index=[10, 20])
    >>> gz = pd.DataFrame({"name": ["Paris"], "lat": [48.857], "lon": [2.352]})
    >>> w = checkin_world(d, h, gz, visible_share=1.0)
    >>> w.users[["source_id", "current_place", "current_visible"]].values.tolist()
    [[10, 0, True], [20, -1, False]]
    """
    if not radius_km > 0:
        raise ValueError(f"radius_km must be positive; got {radius_km}")
    missing = [c for c in ("lat", "lon") if c not in homes.columns]
    if missing:
        raise ValueError(f"homes: missing column(s) {missing}; got {list(homes.columns)}")
    if homes.index.duplicated().any():
        raise ValueError(f"homes: duplicated user(s) {homes.index[homes.index.duplicated()][:5].tolist()}")
    source = np.union1d(data.users, homes.index.to_numpy(dtype=np.int64))
    h = homes.reindex(source)
    near = nearest_places(h["lat"].to_numpy(), h["lon"].to_numpy(), places, radius_km)
    rows = np.unique(near["place"][near["place"] >= 0])
    pl = places_table(places, rows)
    pid = np.full(len(places), -1, dtype=np.int64)
    pid[rows] = np.arange(rows.size)
    current = np.where(near["place"] >= 0, pid[np.maximum(near["place"], 0)], -1)
    visible = split_visible(current >= 0, visible_share, seed)
    n = source.size
    users = pd.DataFrame({
        "user_id": np.arange(n), "current_place": current, "hometown": -1, "work": -1,
        "current_visible": visible, "hometown_visible": False, "work_visible": False,
        "friends_visible": True, "source_id": source, "home_lat": h["lat"].to_numpy(),
        "home_lon": h["lon"].to_numpy(), "home_distance_km": near["distance_km"].to_numpy(),
    })
    edges = np.column_stack([np.searchsorted(source, data.edges["u"].to_numpy()),
                             np.searchsorted(source, data.edges["v"].to_numpy())]).astype(np.int64)
    world = world_from_tables(pl, users, edges)
    has_home = ~np.isnan(users["home_lat"].to_numpy())
    world.stats.update({
        "users": int(n), "users_with_home": int(has_home.sum()),
        "users_with_city": int((current >= 0).sum()),
        "homes_beyond_radius": int((has_home & (current < 0)).sum()),
        "visible_users": int(visible.sum()), "hidden_users_with_city": int(((current >= 0) & ~visible).sum()),
        "places": int(len(pl)), "radius_km": float(radius_km), "visible_share": float(visible_share),
        "seed": int(seed),
    })
    return world


def write_world(world: SocialWorld, folder: str | Path) -> Path:
    """Write a world as ``places.csv``, ``users.csv``, ``edges.csv`` (+ ``orgs.csv``).

    The folder is what :func:`homelib.pfli.data.read_social_world` reads back
    (edges as columns ``u, v``; an empty organisation table is not written).

    Parameters
    ----------
    world : SocialWorld
    folder : path
        Created if needed; existing files of these names are replaced.

    Returns
    -------
    Path
        The folder.

    Examples
    --------
    >>> import tempfile
    >>> from homelib.pfli.data import read_social_world
    >>> pl = pd.DataFrame({"place_id": [0], "lat": [48.85], "lon": [2.35]})
    >>> us = pd.DataFrame({"user_id": [0, 1], "current_place": [0, 0], "hometown": -1, "work": -1,
    ...     "current_visible": True, "hometown_visible": False, "work_visible": False,
    ...     "friends_visible": True})
    >>> w = world_from_tables(pl, us, [[0, 1]])
    >>> read_social_world(write_world(w, tempfile.mkdtemp())).edges.tolist()
    [[0, 1]]
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = {"places.csv": world.places, "users.csv": world.users,
              "edges.csv": pd.DataFrame(world.edges, columns=["u", "v"])}
    if len(world.orgs):
        tables["orgs.csv"] = world.orgs.drop(columns=["sites"], errors="ignore")
    for name, df in tables.items():
        atomic_write_text(folder / name, df.to_csv(index=False))
    return folder

