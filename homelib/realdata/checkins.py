"""The common public check-in format (SNAP Gowalla / Brightkite style).

Two tab-separated files without a header:

* an edge list, one friendship per line: ``user<TAB>user`` (SNAP lists each
  friendship in both directions; duplicates and self loops are dropped later
  by :func:`homelib.pfli.data.world_from_tables`, which counts them);
* a check-in log, one check-in per line:
  ``user<TAB>time<TAB>latitude<TAB>longitude<TAB>place``, the time in ISO 8601
  (``2010-10-19T23:55:27Z``, UTC).

:func:`read_checkins` reads both (plain or gzip-compressed), validates every
field and raises naming the file, line and value of the first bad one. The
only rows it removes are check-ins at exactly (0, 0), which Brightkite uses for
"no location" (``drop_null_island``); they are counted in ``stats``.

Examples
--------
>>> import io
>>> e = io.StringIO("0\\t1\\n1\\t0\\n")
>>> c = io.StringIO("0\\t2010-10-19T23:55:27Z\\t48.85\\t2.35\\t22847\\n")
>>> data = read_checkins(e, c)
>>> len(data.edges), len(data.checkins), str(data.checkins.time.dt.tz)
(2, 1, 'UTC')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

__all__ = [
    "CHECKIN_COLUMNS",
    "EDGE_COLUMNS",
    "CheckinData",
    "read_edges",
    "read_checkin_log",
    "read_checkins",
    "find_checkin_files",
]

CHECKIN_COLUMNS = ["user", "time", "lat", "lon", "place"]
"""Columns of a check-in log, in file order."""
EDGE_COLUMNS = ["u", "v"]
"""Columns of an edge list, in file order."""

Source = str | Path | IO[str]


@dataclass(frozen=True)
class CheckinData:
    """A friendship graph and a check-in log, as read from the files.

    Attributes
    ----------
    edges : DataFrame
        ``u, v`` (int64 user ids as in the file).
    checkins : DataFrame
        ``user`` (int64), ``time`` (UTC ``datetime64``), ``lat, lon`` (float
        degrees), ``place`` (string id as in the file).
    stats : dict
        Counts: ``edge_lines``, ``checkin_lines``, ``null_island_dropped``,
        ``users_in_edges``, ``users_with_checkins``.

    Examples
    --------
    >>> d = CheckinData(edges=pd.DataFrame({"u": [0], "v": [3]}),
    ...                 checkins=pd.DataFrame({"user": [5], "time": pd.to_datetime(["2010-01-01"]),
    ...                                        "lat": [1.0], "lon": [2.0], "place": ["p"]}))
    >>> d.users.tolist()  # everyone in either file
    [0, 3, 5]
    """

    edges: pd.DataFrame
    checkins: pd.DataFrame
    stats: dict = field(default_factory=dict)

    @property
    def users(self) -> np.ndarray:
        """Sorted ids of every user in the edge list or the check-in log."""
        return np.union1d(np.union1d(self.edges["u"], self.edges["v"]), self.checkins["user"])


def _name(source: Source) -> str:
    return str(source) if isinstance(source, (str, Path)) else getattr(source, "name", "<stream>")


def _read_tsv(source: Source, names: list[str]) -> pd.DataFrame:
    """All fields as strings; a line with too many or too few fields raises."""
    what = _name(source)
    try:
        df = pd.read_csv(source, sep="\t", header=None, names=names, dtype=str,
                         keep_default_na=False, na_filter=False, compression="infer",
                         on_bad_lines="error", engine="c")
    except pd.errors.ParserError as exc:
        raise ValueError(f"{what}: expected {len(names)} tab-separated fields per line: {exc}") from exc
    except pd.errors.EmptyDataError:
        df = pd.DataFrame({c: pd.Series(dtype=str) for c in names})
    if df.shape[1] != len(names):
        raise ValueError(f"{what}: expected {len(names)} fields per line; got {df.shape[1]}")
    for col in names:
        empty = df[col].str.strip() == ""
        if empty.any():
            line = int(np.flatnonzero(empty.to_numpy())[0]) + 1
            raise ValueError(f"{what}: line {line}: field {col!r} is empty (expected {len(names)} fields)")
    return df


def _integers(values: pd.Series, what: str, col: str) -> np.ndarray:
    num = pd.to_numeric(values, errors="coerce")
    bad = num.isna() | (num != np.floor(num)) | (num < 0)
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise ValueError(f"{what}: line {line}: {col} {values.iloc[line - 1]!r} is not a "
                         "non-negative integer user id")
    return num.to_numpy().astype(np.int64)


def read_edges(source: Source) -> pd.DataFrame:
    """Read an edge list ``user<TAB>user`` into a frame ``u, v`` (int64).

    Parameters
    ----------
    source : path or text stream
        Plain or ``.gz`` file.

    Returns
    -------
    DataFrame
        One row per line, in file order (nothing removed).

    Examples
    --------
    >>> import io
    >>> read_edges(io.StringIO("3\\t5\\n5\\t3\\n")).values.tolist()
    [[3, 5], [5, 3]]
    >>> read_edges(io.StringIO("3\\tx\\n"))
    Traceback (most recent call last):
    ...
    ValueError: <stream>: line 1: v 'x' is not a non-negative integer user id
    """
    what = _name(source)
    raw = _read_tsv(source, EDGE_COLUMNS)
    return pd.DataFrame({c: _integers(raw[c], what, c) for c in EDGE_COLUMNS})


def read_checkin_log(source: Source, *, drop_null_island: bool = True) -> tuple[pd.DataFrame, dict]:
    """Read a check-in log ``user<TAB>time<TAB>lat<TAB>lon<TAB>place``.

    Parameters
    ----------
    source : path or text stream
        Plain or ``.gz`` file.
    drop_null_island : bool
        Remove check-ins at exactly ``lat = lon = 0`` (Brightkite's "no
        location"), counted in the returned stats; with False they are kept.

    Returns
    -------
    checkins : DataFrame
        ``user, time, lat, lon, place`` (see :class:`CheckinData`), in file order.
    stats : dict
        ``checkin_lines`` and ``null_island_dropped``.

    Examples
    --------
    >>> import io
    >>> log = io.StringIO("7\\t2010-10-19T23:55:27Z\\t0.0\\t0.0\\ta1\\n"
    ...                   "7\\t2010-10-20T01:00:00Z\\t40.7\\t-74.0\\tb2\\n")
    >>> df, st = read_checkin_log(log)
    >>> df.place.tolist(), st["null_island_dropped"]
    (['b2'], 1)
    >>> read_checkin_log(io.StringIO("7\\tyesterday\\t40.7\\t-74.0\\tb2\\n"))
    Traceback (most recent call last):
    ...
    ValueError: <stream>: line 1: time 'yesterday' is not an ISO 8601 time
    """
    what = _name(source)
    raw = _read_tsv(source, CHECKIN_COLUMNS)
    user = _integers(raw["user"], what, "user")
    time = pd.to_datetime(raw["time"], utc=True, format="ISO8601", errors="coerce")
    if time.isna().any():
        line = int(np.flatnonzero(time.isna().to_numpy())[0]) + 1
        raise ValueError(f"{what}: line {line}: time {raw['time'].iloc[line - 1]!r} is not an ISO 8601 time")
    coords = {}
    for col, bound in (("lat", 90.0), ("lon", 180.0)):
        num = pd.to_numeric(raw[col], errors="coerce")
        bad = num.isna() | ~np.isfinite(num) | (num.abs() > bound)
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + 1
            raise ValueError(f"{what}: line {line}: {col} {raw[col].iloc[line - 1]!r} is not a "
                             f"number in [-{bound:g}, {bound:g}]")
        coords[col] = num.to_numpy(dtype=float)
    df = pd.DataFrame({"user": user, "time": time.reset_index(drop=True), "lat": coords["lat"],
                       "lon": coords["lon"], "place": raw["place"].to_numpy()})
    null = (df["lat"] == 0) & (df["lon"] == 0)
    stats = {"checkin_lines": int(len(df)), "null_island_dropped": 0}
    if drop_null_island and null.any():
        df = df[~null].reset_index(drop=True)
        stats["null_island_dropped"] = int(null.sum())
    return df, stats


def read_checkins(edges: Source, checkins: Source, *, drop_null_island: bool = True) -> CheckinData:
    """Read an edge list and a check-in log (see the module docstring).

    Parameters
    ----------
    edges, checkins : path or text stream
        The two files (plain or ``.gz``), e.g. SNAP's ``loc-gowalla_edges.txt.gz``
        and ``loc-gowalla_totalCheckins.txt.gz``.
    drop_null_island : bool
        See :func:`read_checkin_log`.

    Returns
    -------
    CheckinData

    Examples
    --------
    >>> import io
    >>> d = read_checkins(io.StringIO("0\\t1\\n"), io.StringIO("2\\t2010-01-01T03:00:00Z\\t1\\t2\\tp\\n"))
    >>> d.users.tolist(), d.stats["users_with_checkins"]
    ([0, 1, 2], 1)
    """
    e = read_edges(edges)
    c, st = read_checkin_log(checkins, drop_null_island=drop_null_island)
    stats: dict[str, Any] = {"edge_lines": int(len(e)), **st,
                             "users_in_edges": int(np.union1d(e["u"], e["v"]).size),
                             "users_with_checkins": int(c["user"].nunique())}
    return CheckinData(edges=e, checkins=c, stats=stats)


def find_checkin_files(folder: str | Path) -> tuple[Path, Path]:
    """The edge list and the check-in log in ``folder``.

    The files are ``edges.txt`` and ``checkins.txt`` (or ``.gz``), or SNAP's
    names as downloaded (``loc-gowalla_edges.txt.gz`` and
    ``loc-gowalla_totalCheckins.txt.gz``; any ``*edges.txt*`` and
    ``*heckins.txt*``). Exactly one of each must be there.

    Parameters
    ----------
    folder : str or Path
        The folder holding the two files.

    Returns
    -------
    (Path, Path)
        The edge list and the check-in log.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> for f in ("loc-gowalla_edges.txt.gz", "loc-gowalla_totalCheckins.txt.gz"):
    ...     _ = (d / f).write_bytes(b"")
    >>> [p.name for p in find_checkin_files(d)]
    ['loc-gowalla_edges.txt.gz', 'loc-gowalla_totalCheckins.txt.gz']
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a folder")
    found = []
    for pattern in ("*edges.txt*", "*heckins.txt*"):
        hits = sorted(p for p in folder.glob(pattern) if p.suffix in (".txt", ".gz"))
        if len(hits) != 1:
            raise FileNotFoundError(f"{folder}: expected one file matching {pattern!r}; found "
                                    f"{[p.name for p in hits]}")
        found.append(hits[0])
    return found[0], found[1]
