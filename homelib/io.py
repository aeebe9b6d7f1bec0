"""Paths, caching and file I/O shared by every chapter.

Every generated file goes under ``data/`` (``data/cache`` for intermediate
objects keyed by a parameter hash, ``data/results`` for the file contracts the
book and the checks read). Writes are atomic: a file is written to a temporary
name and renamed, so a failed run never leaves a half-written result behind.

Examples
--------
>>> from homelib import io
>>> io.param_hash({"seed": 1, "n": 10}) == io.param_hash({"n": 10, "seed": 1})
True
>>> len(io.param_hash({"seed": 1}))
12
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

__all__ = [
    "project_root",
    "data_dir",
    "cache_dir",
    "results_dir",
    "reference_dir",
    "param_hash",
    "atomic_write_text",
    "atomic_write_bytes",
    "write_result_csv",
    "read_result_csv",
    "load_reference",
    "cached",
    "code_hash",
    "require_columns",
]

T = TypeVar("T")


def project_root() -> Path:
    """Return the repository root.

    The root is ``$HOMELIB_ROOT`` when set, else the parent of the ``homelib``
    package folder (the layout of a source checkout).
    """
    env = os.environ.get("HOMELIB_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Return ``<root>/data`` (created if missing)."""
    path = project_root() / "data"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Return ``data/cache`` (git-ignored, created if missing)."""
    path = data_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def results_dir() -> Path:
    """Return ``data/results`` (git-ignored, created if missing)."""
    path = data_dir() / "results"
    path.mkdir(parents=True, exist_ok=True)
    return path


def reference_dir() -> Path:
    """Return ``data/reference``: the papers' published numbers (committed)."""
    return project_root() / "data" / "reference"


def param_hash(params: Mapping[str, Any], length: int = 12) -> str:
    """Stable short hash of a JSON-serialisable parameter mapping.

    Key order does not matter; values are serialised with ``json.dumps`` and
    ``default=str`` so that paths and numpy scalars hash too.

    >>> param_hash({"a": 1}) != param_hash({"a": 2})
    True
    """
    blob = json.dumps(dict(params), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:length]


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def require_columns(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise ``ValueError`` naming the missing columns of ``df``.

    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"], "toy")
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "toy")
    Traceback (most recent call last):
    ...
    ValueError: toy: missing column(s) ['b']; got ['a']
    """
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; got {list(df.columns)}")


def write_result_csv(
    df: pd.DataFrame, name: str, columns: Iterable[str] | None = None
) -> Path:
    """Write a result table to ``data/results/<name>`` atomically.

    Parameters
    ----------
    df : DataFrame
        The table; it is not modified.
    name : str
        File name, e.g. ``"pfli_aed.csv"``.
    columns : iterable of str, optional
        The file contract: when given, these columns must all be present and
        are written first, in this order (extra columns follow).
    """
    if columns is not None:
        columns = list(columns)
        require_columns(df, columns, name)
        df = df[columns + [c for c in df.columns if c not in columns]]
    return atomic_write_text(results_dir() / name, df.to_csv(index=False))


def read_result_csv(name: str) -> pd.DataFrame:
    """Read ``data/results/<name>``, with a hint if it was never produced."""
    path = results_dir() / name
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist: run the notebook that writes it "
            "(python -m homelib run --only NN) first"
        )
    return pd.read_csv(path)


def load_reference(name: str) -> pd.DataFrame:
    """Load one of the papers' published tables from ``data/reference``.

    >>> load_reference("pfli_table3_risk_levels.csv").shape[0]
    5
    """
    path = reference_dir() / (name if name.endswith(".csv") else f"{name}.csv")
    if not path.exists():
        known = sorted(p.name for p in reference_dir().glob("*.csv"))
        raise FileNotFoundError(f"unknown reference table {name!r}; known: {known}")
    return pd.read_csv(path)


@functools.lru_cache(maxsize=1)
def code_hash() -> str:
    """Hash of the source of every module of the ``homelib`` package.

    >>> len(code_hash())
    16
    """
    h = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        h.update(str(path.relative_to(package)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cached(
    name: str,
    params: Mapping[str, Any],
    build: Callable[[], T],
    *,
    refresh: bool = False,
) -> T:
    """Build an object once per parameter set and keep it in ``data/cache``.

    The cache key hashes ``params`` together with :func:`code_hash`, so an
    object built by an older version of the library is never reused: the file is
    ``<name>-<hash>.pkl``, written atomically. Set ``refresh=True`` (or
    ``HOMELIB_REFRESH=1``) to rebuild anyway.

    Parameters
    ----------
    name : str
        A short name for the object, e.g. ``"survey_world"``.
    params : mapping
        Everything the object depends on (including the seed).
    build : callable
        Zero-argument function that builds the object.
    refresh : bool
        Ignore an existing cache entry.
    """
    key = {"params": dict(params), "homelib_code": code_hash()}
    path = cache_dir() / f"{name}-{param_hash(key)}.pkl"
    refresh = refresh or os.environ.get("HOMELIB_REFRESH") == "1"
    if path.exists() and not refresh:
        with path.open("rb") as fh:
            return pickle.load(fh)
    obj = build()
    atomic_write_bytes(path, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
    return obj
