"""Paths, caching and file I/O shared by every chapter.

Every generated file goes under ``data/``: ``data/cache`` for intermediate
objects keyed by a parameter hash, ``data/results`` for the file contracts the
book and the checks read. Results are written with :func:`write_result_csv`
to :func:`results_dir`: a staging folder when the pipeline runs the notebook
(it publishes the folder into ``data/results`` only if the notebook
succeeds), a scratch folder ``data/scratch/<run id>`` otherwise. Every
result with a file contract is validated against its schema
(:data:`homelib.schemas.RESULT_SCHEMAS`) before it is written. Writes are
atomic: a failed run never leaves a half-written file behind.

The path helpers live in :mod:`homelib.paths` (standard library only) and are
re-exported here.

Examples
--------
>>> from homelib import io
>>> io.param_hash({"seed": 1, "n": 10}) == io.param_hash({"n": 10, "seed": 1})
True
>>> len(io.param_hash({"seed": 1}))
12
"""

from __future__ import annotations

import os
import pickle
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from . import paths, schemas

# the path helpers live in homelib.paths (standard library only); io re-exports them
project_root = paths.project_root
data_dir = paths.data_dir
cache_dir = paths.cache_dir
results_dir = paths.results_dir
published_results_dir = paths.published_results_dir
scratch_root = paths.scratch_root
run_id = paths.run_id
under_pipeline = paths.under_pipeline
reference_dir = paths.reference_dir
param_hash = paths.param_hash
file_sha256 = paths.file_sha256
code_hash = paths.code_hash
package_versions = paths.package_versions
atomic_write_bytes = paths.atomic_write_bytes
atomic_write_text = paths.atomic_write_text

__all__ = [
    "project_root",
    "data_dir",
    "cache_dir",
    "results_dir",
    "published_results_dir",
    "scratch_root",
    "run_id",
    "under_pipeline",
    "reference_dir",
    "param_hash",
    "file_sha256",
    "package_versions",
    "atomic_write_text",
    "atomic_write_bytes",
    "write_result_csv",
    "read_result_csv",
    "load_reference",
    "cached",
    "code_hash",
    "require_columns",
    "CacheWarning",
]

T = TypeVar("T")
_CACHE_FORMAT = 2


class CacheWarning(UserWarning):
    """A cache entry could not be used (corrupt, stale or unreadable) and is rebuilt.

    Issued by :func:`cached`; the message names the cache file and why it was dropped.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("survey_world-ab12.pkl is corrupt; rebuilding it", CacheWarning)
    >>> caught[0].category.__name__
    'CacheWarning'
    """


def require_columns(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise ``ValueError`` naming the missing columns of ``df``.

    Parameters
    ----------
    df : DataFrame
    columns : iterable of str
        The columns that must be present.
    what : str
        Name of the table, used in the message.

    Raises
    ------
    ValueError
        Naming the missing columns and the columns present.

    Examples
    --------
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
    """Validate a result table and write it to ``results_dir()/<name>`` atomically.

    Parameters
    ----------
    df : DataFrame
        The table; it is not modified.
    name : str
        File name, e.g. ``"pfli_aed.csv"``.
    columns : iterable of str, optional
        The file contract: when given, these columns must all be present and
        are written first, in this order (extra columns follow). For a file
        with a contract in :data:`homelib.schemas.RESULT_SCHEMAS` the contract's
        columns are used, ``columns`` must equal them when given, and every
        row is validated against the schema first.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    homelib.schemas.TableError
        A value breaks the contract (the message names column, row and value).
    ValueError
        Missing columns, or ``columns`` different from the file contract.

    Examples
    --------
    >>> t = pd.DataFrame({"model": ["RDF"], "mae": [0.1], "rmse": [0.2]})
    >>> write_result_csv(t, "exposure_models.csv").name
    'exposure_models.csv'
    >>> write_result_csv(t.assign(mae=-1.0), "exposure_models.csv")
    Traceback (most recent call last):
    ...
    homelib.schemas.TableError: exposure_models.csv: column 'mae', row 0, value -1.0: not a finite number >= 0
    """
    schema = schemas.RESULT_SCHEMAS.get(name)
    if schema is not None:
        contract = list(schemas.RESULT_COLUMNS[name])
        if columns is not None and list(columns) != contract:
            raise ValueError(
                f"{name}: columns {list(columns)} differ from the file contract {contract}"
            )
        columns = contract
        require_columns(df, columns, name)
        schemas.validate(df, schema, what=name)
    if columns is not None:
        columns = list(columns)
        require_columns(df, columns, name)
        df = df[columns + [c for c in df.columns if c not in columns]]
    return atomic_write_text(results_dir() / name, df.to_csv(index=False))


def read_result_csv(name: str) -> pd.DataFrame:
    """Read a result: this run's own copy if it wrote one, else the published one.

    Parameters
    ----------
    name : str
        File name in ``data/results``.

    Returns
    -------
    DataFrame

    Raises
    ------
    FileNotFoundError
        With a hint naming the command that produces it.

    Examples
    --------
    >>> read_result_csv("never_written.csv")
    Traceback (most recent call last):
    ...
    FileNotFoundError: never_written.csv was never produced: run the notebook that writes it (python -m homelib run --only NN) first
    """
    for folder in (results_dir(), published_results_dir()):
        if (folder / name).exists():
            return pd.read_csv(folder / name)
    raise FileNotFoundError(
        f"{name} was never produced: run the notebook that writes it "
        "(python -m homelib run --only NN) first"
    )


def load_reference(name: str) -> pd.DataFrame:
    """Load one of the papers' published tables from ``data/reference``.

    Parameters
    ----------
    name : str
        File name, with or without ``.csv``.

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> load_reference("pfli_table3_risk_levels.csv").shape[0]
    5
    """
    path = reference_dir() / (name if name.endswith(".csv") else f"{name}.csv")
    if not path.exists():
        known = sorted(p.name for p in reference_dir().glob("*.csv"))
        raise FileNotFoundError(f"unknown reference table {name!r}; known: {known}")
    return pd.read_csv(path)


def _load_entry(path: Path, key: str) -> tuple[bool, Any]:
    """``(True, object)`` from a valid cache file, ``(False, None)`` (with a warning) otherwise."""
    try:
        with path.open("rb") as fh:
            entry = pickle.load(fh)
        if not isinstance(entry, dict) or entry.get("format") != _CACHE_FORMAT:
            raise ValueError("not a homelib cache entry of the current format")
        if entry.get("key") != key:
            raise ValueError("its key does not match (stale entry)")
        return True, entry["object"]
    except Exception as exc:  # noqa: BLE001 - any unreadable entry is rebuilt, with a warning
        warnings.warn(f"cache entry {path.name} cannot be used ({type(exc).__name__}: {exc}); "
                      "rebuilding it", CacheWarning, stacklevel=3)
        return False, None


def cached(
    name: str,
    params: Mapping[str, Any],
    build: Callable[[], T],
    *,
    refresh: bool = False,
    code: str | None = None,
) -> T:
    """Build an object once per parameter set and keep it in ``data/cache``.

    The cache key hashes ``params`` together with :func:`code_hash` (of the
    whole library, or of the module ``code`` and what it imports) and the
    versions of the tracked packages (:func:`homelib.paths.package_versions`),
    so an object built by an older library or package is never reused: the
    file is ``<name>-<hash>.pkl``, written atomically, and stores its key. A
    corrupt, unreadable or stale entry is rebuilt with a :class:`CacheWarning`.
    Set ``refresh=True`` (or ``HOMELIB_REFRESH=1``) to rebuild anyway.

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
    code : str, optional
        The dotted homelib module whose code ``build`` runs (e.g.
        ``"homelib.pfli.world"``): the key then hashes only that module and
        the homelib modules it imports (:func:`homelib.paths.module_closure`),
        so an expensive world survives changes to the models that read it.
        Give it only when ``build`` calls nothing outside that closure.
        Default: every module of the library.

    Returns
    -------
    object
        The cached or freshly built object.

    Examples
    --------
    >>> cached("doctest_square", {"x": 3}, lambda: 3 * 3)
    9
    """
    key = param_hash({"name": name, "params": dict(params), "homelib_code": code_hash(code),
                      "packages": package_versions()}, length=64)
    path = cache_dir() / f"{name}-{key[:12]}.pkl"
    refresh = refresh or os.environ.get("HOMELIB_REFRESH") == "1"
    if path.exists() and not refresh:
        ok, obj = _load_entry(path, key)
        if ok:
            return obj
    obj = build()
    entry = {"format": _CACHE_FORMAT, "key": key, "object": obj}
    atomic_write_bytes(path, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
    return obj
