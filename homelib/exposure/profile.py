"""A profile given as data, turned into a user of a social world (PFLI Sec 8.3).

:func:`world_with_profile` returns a *new* world (the input is never changed)
with one more user whose hometown, work-education and friends are those of the
profile, so that the estimator can score someone who is not in the world.

Examples
--------
>>> sorted(_PROFILE_KEYS)
['current_place', 'friends', 'hometown', 'work']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

__all__ = [
    "world_with_profile",
]


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

    Raises
    ------
    TypeError, KeyError, ValueError
        For a profile that is not a mapping, an unknown field or an unknown id or name.

    Examples
    --------
    >>> import pandas as pd
    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 45.76], "lon": [2.35, 4.84]})
    >>> us = pd.DataFrame({"user_id": [0, 1], "current_place": [0, 1], "hometown": -1,
    ...     "work": -1, "current_visible": True, "hometown_visible": False,
    ...     "work_visible": False, "friends_visible": True})
    >>> world = world_from_tables(pl, us, [[0, 1]])
    >>> new, uid = world_with_profile(world, {"hometown": 1, "friends": [0, 1]})
    >>> uid, int(new.users.hometown.iloc[uid]), bool(new.users.current_visible.iloc[uid])
    (2, 1, False)
    >>> len(world.users)  # the input world is not modified
    2
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
