"""A home per user from check-ins: the H2SEA night rule or the most-frequent-cell rule.

Two rules, chosen by ``rule`` in :func:`homes_from_checkins`:

* ``"night"`` (H2SEA Sec 2): "we combine the most visited check-in location
  during the night and the collected home location information". The world is
  cut into cells of ``cell_km``; among a user's *night* check-ins the most
  visited cell gives the home (the mean position of its check-ins). When a
  recorded home location is given (``community``, the survey's community
  location in the paper), a night cell farther than ``combine_radius_km`` from
  it, or no night check-in at all, falls back to the recorded location. The
  paper does not give the night hours; the default ``night=(22, 6)`` (22:00 to
  06:00 local time) is a common choice, and a parameter.
* ``"frequent_cell"`` (Cho, Myers and Leskovec 2011, on the SNAP Gowalla and
  Brightkite data): the cell of about 25 km x 25 km with the most check-ins at
  any time; the home is the mean position of the check-ins in it.

Public check-in times are UTC. Night is judged in local time: ``clock="solar"``
(default) shifts each check-in by its mean solar offset ``lon / 15`` hours,
which needs no time-zone database and is within about an hour of civil time
in most places; ``clock="as_given"`` uses the times as they are.

Examples
--------
>>> ci = pd.DataFrame({"user": [1, 1, 1], "lat": [48.85, 48.85, 48.80], "lon": [2.35, 2.35, 2.13],
...                    "time": pd.to_datetime(["2010-01-01T23:00Z", "2010-01-02T01:00Z",
...                                            "2010-01-02T14:00Z"])})
>>> homes_from_checkins(ci, rule="night")[["lat", "lon", "n_in_cell", "method"]].values.tolist()
[[48.85, 2.35, 2, 'night_checkin']]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ..geo import EARTH_RADIUS_KM, haversine_km, validate_coords
from ..io import require_columns

__all__ = [
    "HOME_RULES",
    "DEFAULT_CELL_KM",
    "HOME_COLUMNS",
    "local_hours",
    "is_night",
    "grid_cells",
    "homes_from_checkins",
]

HOME_RULES = ("night", "frequent_cell")
DEFAULT_CELL_KM = {"night": 0.25, "frequent_cell": 25.0}
"""Default cell size per rule: a 250 m cell for a street-level home (the H2SEA use), the
25 km cell of Cho et al. (2011) for a city-level one."""
HOME_COLUMNS = ["lat", "lon", "method", "n_checkins", "n_candidates", "n_in_cell", "share_in_cell"]
_KM_PER_DEG = np.pi * EARTH_RADIUS_KM / 180.0


def local_hours(time: pd.Series | ArrayLike, lon: ArrayLike, clock: str = "solar") -> NDArray:
    """Hour of the day in ``[0, 24)`` of each check-in, in local time.

    Parameters
    ----------
    time : Series or array of datetime64
        UTC times (tz-aware or naive UTC).
    lon : array_like
        Longitude of each check-in, degrees.
    clock : {"solar", "as_given"}
        ``"solar"`` adds the mean solar offset ``lon / 15`` hours; ``"as_given"``
        keeps the times' own clock.

    Returns
    -------
    ndarray of float

    Examples
    --------
    >>> t = pd.to_datetime(pd.Series(["2010-01-01T03:00:00Z"]))
    >>> local_hours(t, [-75.0]).tolist(), local_hours(t, [-75.0], "as_given").tolist()
    ([22.0], [3.0])
    """
    if clock not in ("solar", "as_given"):
        raise ValueError(f"clock must be 'solar' or 'as_given'; got {clock!r}")
    t = pd.DatetimeIndex(pd.to_datetime(time))
    hours = (t.hour + t.minute / 60.0 + t.second / 3600.0).to_numpy(dtype=float)
    lon = np.asarray(lon, dtype=float)
    if lon.shape != hours.shape:
        raise ValueError(f"time and lon must have the same length; got {hours.shape} and {lon.shape}")
    if clock == "solar":
        hours = hours + lon / 15.0
    return np.mod(hours, 24.0)


def is_night(hours: ArrayLike, night: Sequence[float] = (22, 6)) -> NDArray:
    """Whether each hour lies in the night window ``[start, end)`` (wrapping midnight).

    Parameters
    ----------
    hours : array_like
        Hours of the day in ``[0, 24)``.
    night : (start_hour, end_hour)
        The window; ``start > end`` wraps midnight (22 to 6 is 22:00-06:00).

    Returns
    -------
    bool ndarray

    Examples
    --------
    >>> is_night([21.9, 22.0, 3.0, 6.0], (22, 6)).tolist()
    [False, True, True, False]
    >>> is_night([1.0, 5.0], (0, 5)).tolist()
    [True, False]
    """
    if len(night) != 2:
        raise ValueError(f"night must be (start_hour, end_hour); got {night!r}")
    start, end = (float(v) for v in night)
    for name, v in (("start", start), ("end", end)):
        if not 0 <= v <= 24:
            raise ValueError(f"night {name} hour must be in [0, 24]; got {v}")
    if start == end:
        raise ValueError(f"night window {night!r} is empty")
    h = np.asarray(hours, dtype=float)
    return (h >= start) & (h < end) if start < end else (h >= start) | (h < end)


def grid_cells(lat: ArrayLike, lon: ArrayLike, cell_km: float) -> tuple[NDArray, NDArray]:
    """Row and column of a near-equal-area grid of ``cell_km`` cells.

    Rows are bands of ``cell_km`` of latitude; within a band, columns are
    ``cell_km`` wide at the band's central latitude. Cells never straddle
    the antimeridian.

    Parameters
    ----------
    lat, lon : array_like
        Degrees.
    cell_km : float
        Cell side.

    Returns
    -------
    row, col : ndarray of int64

    Examples
    --------
    >>> r, c = grid_cells([48.85, 48.86, 48.85], [2.35, 2.35, 2.70], 25.0)
    >>> r.tolist(), c.tolist()  # the third point is 26 km east: the next column
    ([617, 617, 617], [533, 533, 534])
    """
    if not cell_km > 0:
        raise ValueError(f"cell_km must be positive; got {cell_km}")
    lat, lon = validate_coords(lat, lon, "check-ins")
    dlat = cell_km / _KM_PER_DEG
    row = np.floor((lat + 90.0) / dlat).astype(np.int64)
    centre = np.clip(-90.0 + (row + 0.5) * dlat, -89.999, 89.999)
    dlon = np.minimum(cell_km / (_KM_PER_DEG * np.cos(np.radians(centre))), 360.0)
    col = np.floor((lon + 180.0) / dlon).astype(np.int64)
    return row, col


def _modal_cells(users: NDArray, lat: NDArray, lon: NDArray, cell_km: float,
                 community: pd.DataFrame | None) -> pd.DataFrame:
    """Per user: the most visited cell (ties: nearer the community, then lower cell key)."""
    row, col = grid_cells(lat, lon, cell_km)
    cells = pd.DataFrame({"user": users, "row": row, "col": col, "lat": lat, "lon": lon})
    g = cells.groupby(["user", "row", "col"], sort=True).agg(
        n_in_cell=("lat", "size"), lat=("lat", "mean"), lon=("lon", "mean")).reset_index()
    g["d"] = 0.0
    if community is not None and len(g):
        com = community.reindex(g["user"])
        g["d"] = np.nan_to_num(haversine_km(g["lat"], g["lon"], com["lat"].to_numpy(),
                                            com["lon"].to_numpy()), nan=np.inf)
    g = g.sort_values(["user", "n_in_cell", "d", "row", "col"],
                      ascending=[True, False, True, True, True], kind="stable")
    return g.drop_duplicates("user").set_index("user")


def _check_community(community: pd.DataFrame | None) -> pd.DataFrame | None:
    if community is None:
        return None
    require_columns(community, ["lat", "lon"], "community")
    if community.index.duplicated().any():
        raise ValueError(f"community: duplicated user(s) {community.index[community.index.duplicated()][:5].tolist()}")
    validate_coords(community["lat"], community["lon"], "community")
    return community[["lat", "lon"]]


def homes_from_checkins(
    checkins: pd.DataFrame,
    *,
    rule: str = "night",
    cell_km: float | None = None,
    night: Sequence[float] = (22, 6),
    clock: str = "solar",
    community: pd.DataFrame | None = None,
    combine_radius_km: float = 2.0,
    min_checkins: int = 1,
) -> pd.DataFrame:
    """Estimate each user's home from check-ins (see the module docstring for the rules).

    Parameters
    ----------
    checkins : DataFrame
        ``user, time, lat, lon`` (as :func:`homelib.realdata.checkins.read_checkins`
        returns; ``time`` is only needed by the night rule).
    rule : {"night", "frequent_cell"}
    cell_km : float, optional
        Cell size; default :data:`DEFAULT_CELL_KM` of the rule.
    night : (start_hour, end_hour)
        Night window in local hours, wrapping midnight (night rule only).
    clock : {"solar", "as_given"}
        How local time is obtained from the times (see :func:`local_hours`).
    community : DataFrame, optional
        Recorded home location per user (index = user, ``lat, lon``): the
        paper's "collected home location". Users only in ``community`` are
        included (method ``"community"``).
    combine_radius_km : float
        A modal cell farther than this from the recorded location falls back to it.
    min_checkins : int
        Users with fewer candidate check-ins (night ones for the night rule)
        get no home from check-ins.

    Returns
    -------
    DataFrame
        Indexed by ``user`` (sorted), columns :data:`HOME_COLUMNS`: ``lat, lon``
        (NaN when no home), ``method`` (``"night_checkin"``,
        ``"frequent_cell"``, ``"community"`` or ``"none"``), ``n_checkins``
        (all of the user's check-ins), ``n_candidates`` (those the rule
        considers), ``n_in_cell`` and ``share_in_cell`` (check-ins in the chosen
        cell, and their share of the candidates). No user is dropped.

    Examples
    --------
    >>> ci = pd.DataFrame({"user": [1, 1, 1, 2], "lat": [30.0, 30.0, 30.1, 40.0],
    ...     "lon": [120.0, 120.0, 120.1, 116.0],
    ...     "time": pd.to_datetime(["2015-01-01T16:00Z"] * 4)})  # 00:00 in Beijing solar time
    >>> com = pd.DataFrame({"lat": [30.001, 30.0], "lon": [120.0, 120.0]}, index=[1, 2])
    >>> homes_from_checkins(ci, community=com).method.tolist()
    ['night_checkin', 'community']
    >>> homes_from_checkins(ci, rule="frequent_cell").n_in_cell.tolist()  # 30.1, 120.1 is a cell apart
    [2, 1]
    """
    if rule not in HOME_RULES:
        raise ValueError(f"rule must be one of {HOME_RULES}; got {rule!r}")
    cell = DEFAULT_CELL_KM[rule] if cell_km is None else float(cell_km)
    if int(min_checkins) != min_checkins or min_checkins < 1:
        raise ValueError(f"min_checkins must be a positive integer; got {min_checkins!r}")
    if not combine_radius_km > 0:
        raise ValueError(f"combine_radius_km must be positive; got {combine_radius_km}")
    require_columns(checkins, ["user", "lat", "lon"] + (["time"] if rule == "night" else []), "checkins")
    com = _check_community(community)
    users = checkins["user"].to_numpy()
    lat, lon = validate_coords(checkins["lat"], checkins["lon"], "checkins")
    keep = np.ones(users.size, dtype=bool)
    if rule == "night":
        if checkins["time"].isna().any():
            raise ValueError(f"checkins: {int(checkins['time'].isna().sum())} missing time(s)")
        keep = is_night(local_hours(checkins["time"], lon, clock), night)
    all_users = np.unique(users)
    if com is not None:
        all_users = np.union1d(all_users, com.index.to_numpy())
    out = pd.DataFrame(index=pd.Index(all_users, name="user"))
    out["n_checkins"] = pd.Series(users).value_counts().reindex(all_users, fill_value=0).to_numpy()
    out["n_candidates"] = pd.Series(users[keep]).value_counts().reindex(all_users, fill_value=0).to_numpy()
    best = _modal_cells(users[keep], lat[keep], lon[keep], cell, com)
    best = best[best.index.isin(out.index[out["n_candidates"] >= min_checkins])]
    if com is not None:
        best = best[best["d"] <= combine_radius_km]
    out["lat"], out["lon"], out["method"] = np.nan, np.nan, "none"
    out["n_in_cell"] = 0
    out.loc[best.index, ["lat", "lon"]] = best[["lat", "lon"]].to_numpy()
    out.loc[best.index, "n_in_cell"] = best["n_in_cell"].to_numpy()
    out.loc[best.index, "method"] = "night_checkin" if rule == "night" else "frequent_cell"
    if com is not None:
        fall = out.index[(out["method"] == "none") & out.index.isin(com.index)]
        out.loc[fall, ["lat", "lon"]] = com.loc[fall, ["lat", "lon"]].to_numpy()
        out.loc[fall, "method"] = "community"
    out["share_in_cell"] = np.where(out["n_candidates"] > 0,
                                    out["n_in_cell"] / np.maximum(out["n_candidates"], 1), 0.0)
    return out[HOME_COLUMNS]
