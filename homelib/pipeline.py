"""Run the book's notebooks in order with Papermill, so that the results cannot lie.

A *profile* (``notebooks/profiles/<name>.yml``) lists the notebooks to run and
the parameters of each::

    description: small and fast
    seed: 0
    notebooks:
      00_overview: {metric: f1}
      01_survey: {scale: 0.25}

The global ``seed`` is passed to every notebook that has a ``seed`` parameter
unless the notebook's block sets its own. Each notebook is executed from the
repository root into ``book/<name>.ipynb``. There the book shows what ran: the
cell Papermill injects with the profile's parameters stays visible, headed by a
comment naming the profile and listing the parameters left at their defaults,
and the notebook's own cell of defaults is folded (:func:`present_parameters`).

**Checked before anything runs.** The profile is read strictly (YAML syntax,
tabs, duplicate keys, unknown keys, shapes, encoding: one line naming the file,
line and key) and every notebook's parameters (its defaults updated by the
profile) are validated against :data:`homelib.params.NOTEBOOK_PARAMETERS`
for the whole profile, before the first notebook starts and before anything
is written.

**Transactional.** Each notebook is executed from the repository root into
``book/.<name>.running.ipynb`` with ``$HOMELIB_RESULTS_DIR`` pointing at a
staging folder; when it succeeds, its results, its manifest entry and its
executed copy ``book/<name>.ipynb`` are published together
(:func:`homelib.store.publish`: one atomic switch of ``data/results``). A
notebook that raises leaves its previous results in place and is recorded
as failed, naming the failing cell; Ctrl-C, ``SIGTERM``, ``SIGHUP``,
``SIGKILL`` or a power cut leave ``data/results`` and the manifest exactly as
they were, and the next run cleans what was left behind and recomputes the
interrupted notebook. The manifest records, per notebook, the profile,
parameters, seed, git commit, fingerprint, wall time and the SHA-256 of every
result file it wrote, so it proves which run produced each file.

A notebook whose source, parameters, ``homelib`` code and package versions
are unchanged since its last successful run, whose executed copy and
results are still on disk unchanged, is skipped unless ``force=True``
(``FORCE=1`` in ``make``).

Examples
--------
>>> coerce_matches(0.5, 3), coerce_matches(3, 0.5), coerce_matches("a", 1)
(True, False, False)
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from tqdm import tqdm

from . import params as nbparams
from . import progress, store
from .paths import (
    RESULTS_ENV,
    atomic_write_text,
    cache_dir,
    code_hash,
    file_sha256,
    package_versions,
    param_hash,
    project_root,
    published_results_dir,
    run_id,
)

__all__ = [
    "PipelineError",
    "ProfileError",
    "NotebookFailed",
    "Interrupted",
    "Profile",
    "TOP_LEVEL_KEYS",
    "available_profiles",
    "profile_path",
    "load_profile",
    "notebook_paths",
    "select_notebooks",
    "notebook_parameters",
    "validate_parameters",
    "validate_profile",
    "coerce_matches",
    "fingerprint",
    "run",
    "write_status_page",
    "present_parameters",
    "strip_outputs",
]

TOP_LEVEL_KEYS = ("description", "seed", "notebooks")


class PipelineError(ValueError):
    """A profile, notebook selection or parameter is wrong (nothing was run or written).

    Examples
    --------
    >>> try:
    ...     run("no_such_profile", log=lambda line: None)
    ... except PipelineError as err:
    ...     print(type(err).__name__, "no_such_profile" in str(err))
    PipelineError True
    """


class ProfileError(PipelineError):
    """A profile file cannot be read: YAML syntax, encoding, shape or an unknown key.

    Examples
    --------
    >>> import tempfile
    >>> bad = Path(tempfile.mkdtemp()) / "bad.yml"
    >>> _ = bad.write_text("seed: [1\\n")
    >>> try:
    ...     load_profile(str(bad))
    ... except ProfileError as err:
    ...     print(isinstance(err, PipelineError), "bad.yml" in str(err))
    True True
    """


class NotebookFailed(RuntimeError):
    """A notebook raised while executing.

    :func:`run` raises it after recording the failure in the manifest; the notebook's previous
    results stay published.

    Examples
    --------
    >>> str(NotebookFailed("08_pfli failed: ValueError: scale must be positive"))
    '08_pfli failed: ValueError: scale must be positive'
    """


class Interrupted(KeyboardInterrupt):
    """The run received SIGINT, SIGTERM or SIGHUP; ``signum`` says which.

    Parameters
    ----------
    signum : int
        The signal number.

    Examples
    --------
    >>> err = Interrupted(signal.SIGTERM)
    >>> str(err), err.signum == signal.SIGTERM
    ('interrupted by SIGTERM', True)
    """

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


@dataclass(frozen=True)
class Profile:
    """A named set of notebooks and their parameters, with where each key was written.

    Read one with :func:`load_profile`.

    Parameters
    ----------
    name : str
        The profile's name (``"ci"``, ``"full"``).
    description : str
        What the profile is for.
    seed : int
        The global seed, given to every notebook that declares a ``seed`` parameter.
    notebooks : dict of str to dict
        Parameters per notebook (``NN_name`` -> parameter -> value).
    source : Path, optional
        The YAML file it was read from.
    lines : dict of str to int
        Line of each key in ``source``: ``"seed"``, ``"03_h2sea"``, ``"03_h2sea.scale"``.

    Examples
    --------
    >>> prof = Profile("x", "a demo", 7, {"01_a": {"n": 1}}, lines={"01_a": 4})
    >>> prof.parameters("01_a", ["n", "seed"]), prof.where("01_a.n")
    ({'n': 1, 'seed': 7}, "profile 'x':4")
    """

    name: str
    description: str
    seed: int
    notebooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: Path | None = None
    lines: dict[str, int] = field(default_factory=dict)

    def parameters(self, notebook: str, accepted: Iterable[str]) -> dict[str, Any]:
        """Parameters for ``notebook``: its block, plus the global seed if accepted.

        Parameters
        ----------
        notebook : str
        accepted : iterable of str
            The parameters the notebook declares.

        Returns
        -------
        dict

        Examples
        --------
        >>> Profile("x", "", 7, {"01_a": {"n": 1}}).parameters("01_a", ["n", "seed"])
        {'n': 1, 'seed': 7}
        """
        params = dict(self.notebooks.get(notebook) or {})
        if "seed" in set(accepted) and "seed" not in params:
            params["seed"] = self.seed
        return params

    def where(self, key: str) -> str:
        """``file:line`` of ``key`` (or of its notebook, or just the file)."""
        rel = _rel(self.source) if self.source else f"profile {self.name!r}"
        line = self.lines.get(key) or self.lines.get(key.split(".", 1)[0])
        return f"{rel}:{line}" if line else rel


def _rel(path: Path | None) -> str:
    if path is None:
        return "?"
    try:
        return str(path.resolve().relative_to(project_root()))
    except ValueError:
        return str(path)


def notebooks_dir() -> Path:
    """Return ``notebooks/`` under the project root."""
    return project_root() / "notebooks"


def book_dir() -> Path:
    """Return ``book/`` under the project root (executed copies and the status page)."""
    return project_root() / "book"


def available_profiles() -> list[str]:
    """Names of the profiles in ``notebooks/profiles``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> "ci" in available_profiles() or "HOMELIB_ROOT" in os.environ
    True
    """
    return sorted(p.stem for p in (notebooks_dir() / "profiles").glob("*.yml"))


def profile_path(name: str) -> Path:
    """Path of profile ``name`` (a name in ``notebooks/profiles`` or a ``.yml`` path).

    Parameters
    ----------
    name : str

    Returns
    -------
    Path

    Raises
    ------
    PipelineError
        No such profile.

    Examples
    --------
    >>> profile_path("ci").name
    'ci.yml'
    """
    if name.endswith((".yml", ".yaml")) or os.sep in name:
        path = Path(name)
    else:
        path = notebooks_dir() / "profiles" / f"{name}.yml"
    if not path.is_file():
        raise PipelineError(f"unknown profile {name!r}; available: {available_profiles()}")
    return path


# ---------------------------------------------------------------------------
# reading a profile strictly
# ---------------------------------------------------------------------------


class _LineDict(dict):
    """A mapping that remembers the line of each key."""

    lines: dict[str, int]


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that rejects duplicate and non-string keys and records key lines."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    out = _LineDict()
    out.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise ProfileError(f"{loader.name}:{line}: key {key!r} must be a name (a string); "
                               f"got {type(key).__name__}")
        if key in out:
            raise ProfileError(f"{loader.name}:{line}: duplicate key {key!r} "
                               f"(first at line {out.lines[key]})")
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = line
    return out


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path) -> Any:
    rel = _rel(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ProfileError(f"{rel}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                           f"offset {exc.start}); save the profile as UTF-8") from None
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#")
                               for ln in text.splitlines()):
        raise ProfileError(f"{rel}: the profile is empty; expected the keys "
                           f"{', '.join(TOP_LEVEL_KEYS)}")
    loader = _StrictLoader(text)
    loader.name = rel
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{rel}:{mark.line + 1}:{mark.column + 1}" if mark else rel
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        if "\\t" in what or "\t" in what or "tab" in what:
            what += " (YAML does not allow tabs for indentation; use spaces)"
        raise ProfileError(f"{where}: YAML syntax error: {what}") from None
    except yaml.YAMLError as exc:
        raise ProfileError(f"{rel}: YAML error: {exc}") from None
    finally:
        loader.dispose()


def _kind(value: Any) -> str:
    return {dict: "a mapping", _LineDict: "a mapping", list: "a list", str: "a string",
            type(None): "nothing"}.get(type(value), type(value).__name__)


def load_profile(name: str) -> Profile:
    """Read a profile strictly.

    Parameters
    ----------
    name : str
        A profile name (``notebooks/profiles/<name>.yml``) or a path to a ``.yml`` file.

    Returns
    -------
    Profile

    Raises
    ------
    ProfileError
        One line naming the file, the line and the key: YAML syntax (tabs
        included), not UTF-8, empty file, top level not a mapping, unknown or
        duplicate keys, ``notebooks`` not a mapping or empty, a notebook
        block that is not a mapping, an unknown notebook, a bad seed.
    PipelineError
        The profile does not exist.

    Examples
    --------
    >>> load_profile("ci").notebooks["00_overview"]["metric"]
    'f1'
    """
    path = profile_path(name)
    rel = _rel(path)
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise ProfileError(f"{rel}:1: the top level must be a mapping with the keys "
                           f"{', '.join(TOP_LEVEL_KEYS)}; got {_kind(raw)}")
    lines = dict(raw.lines)
    for key in raw:
        if key not in TOP_LEVEL_KEYS:
            near = difflib.get_close_matches(key, TOP_LEVEL_KEYS, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ProfileError(f"{rel}:{lines[key]}: unknown key {key!r}{hint}; allowed: "
                               f"{', '.join(TOP_LEVEL_KEYS)}")
    if "notebooks" not in raw:
        raise ProfileError(f"{rel}: no 'notebooks' key: the profile must list the notebooks "
                           "to run and their parameters")
    notebooks = raw["notebooks"]
    if not isinstance(notebooks, dict):
        raise ProfileError(f"{rel}:{lines['notebooks']}: 'notebooks' must be a mapping of "
                           f"notebook name to parameters; got {_kind(notebooks)}")
    if not notebooks:
        raise ProfileError(f"{rel}:{lines['notebooks']}: 'notebooks' lists no notebook")
    known = notebook_paths()
    blocks: dict[str, dict[str, Any]] = {}
    for nb, block in notebooks.items():
        line = notebooks.lines[nb]
        lines[nb] = line
        if nb not in known:
            near = difflib.get_close_matches(nb, list(known), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ProfileError(f"{rel}:{line}: unknown notebook {nb!r}{hint}; known: "
                               f"{', '.join(known)}")
        if block is None:
            block = _LineDict()
            block.lines = {}
        if not isinstance(block, dict):
            raise ProfileError(f"{rel}:{line}: notebooks.{nb} must be a mapping of parameter "
                               f"to value (or {{}}); got {_kind(block)}")
        for key in block:
            lines[f"{nb}.{key}"] = block.lines.get(key, line)
        blocks[nb] = {k: _plain(v) for k, v in block.items()}
    seed = raw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ProfileError(f"{rel}:{lines.get('seed', 1)}: seed must be a non-negative integer; "
                           f"got {seed!r}")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise ProfileError(f"{rel}:{lines['description']}: description must be text; "
                           f"got {_kind(description)}")
    return Profile(name=path.stem, description=description, seed=seed, notebooks=blocks,
                   source=path, lines=lines)


def _plain(value: Any) -> Any:
    """Turn :class:`_LineDict` values back into plain dicts."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def notebook_paths() -> dict[str, Path]:
    """Source notebooks by name (``NN_name``), in order.

    Returns
    -------
    dict

    Examples
    --------
    >>> next(iter(notebook_paths()))
    '00_overview'
    """
    return {p.stem: p for p in sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb"))}


def select_notebooks(profile: Profile, only: Iterable[str] | None = None) -> list[str]:
    """The profile's notebooks in order, optionally restricted by ``only``.

    Parameters
    ----------
    profile : Profile
    only : iterable of str, optional
        Full names (``03_h2sea``) or number prefixes (``03``).

    Returns
    -------
    list of str

    Raises
    ------
    PipelineError
        An item of ``only`` matches no notebook of the profile.

    Examples
    --------
    >>> select_notebooks(load_profile("ci"), ["08", "00_overview"])
    ['00_overview', '08_pfli']
    """
    names = [nb for nb in notebook_paths() if nb in profile.notebooks]
    if not only:
        return names
    chosen: list[str] = []
    for item in only:
        matches = [nb for nb in names if nb == item or nb.split("_", 1)[0] == item]
        if not matches:
            raise PipelineError(
                f"unknown notebook {item!r} in --only; profile {profile.name!r} has {names}"
            )
        chosen.extend(m for m in matches if m not in chosen)
    return [nb for nb in names if nb in chosen]


def notebook_parameters(path: Path) -> dict[str, dict[str, Any]]:
    """Parameters declared in the notebook's cell tagged ``parameters``.

    Parameters
    ----------
    path : Path
        A notebook.

    Returns
    -------
    dict
        ``name -> {"default": value, "type": str}`` with the default
        evaluated as a Python literal (the notebook is not executed).

    Raises
    ------
    PipelineError
        Not exactly one ``parameters`` cell, or a default that is not a literal.

    Examples
    --------
    >>> notebook_parameters(notebook_paths()["00_overview"])["metric"]["default"]
    'f1'
    """
    cells = [c for c in _cells(path) if "parameters" in c["tags"]]
    if len(cells) != 1:
        raise PipelineError(f"{path.name}: expected one cell tagged 'parameters', found {len(cells)}")
    out: dict[str, dict[str, Any]] = {}
    for node in ast.parse(cells[0]["source"]).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                value = ast.literal_eval(node.value)
            except ValueError as exc:
                raise PipelineError(
                    f"{path.name}: parameter {node.targets[0].id!r} is not a plain literal"
                ) from exc
            out[node.targets[0].id] = {"default": value, "type": type(value).__name__}
    return out


def coerce_matches(default: Any, value: Any) -> bool:
    """Whether ``value`` has a type compatible with the default's type.

    Parameters
    ----------
    default, value : object

    Returns
    -------
    bool

    Examples
    --------
    >>> coerce_matches(1, True), coerce_matches([1], [2])
    (False, True)
    """
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    if isinstance(default, int):
        return isinstance(value, int)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    if default is None:
        return True
    return isinstance(value, type(default))


def validate_parameters(name: str, path: Path, params: Mapping[str, Any],
                        profile: Profile | None = None) -> list[str]:
    """Problems of one notebook's parameters (its defaults updated by ``params``).

    Parameters
    ----------
    name : str
        ``NN_name``.
    path : Path
        The notebook (its ``parameters`` cell gives the defaults).
    params : mapping
        The values the profile sets.
    profile : Profile, optional
        Used to name the file and line of each bad value.

    Returns
    -------
    list of str
        One line per problem (empty if all is well).

    Examples
    --------
    >>> nb = notebook_paths()["02_enrich"]
    >>> validate_parameters("02_enrich", nb, {"scale": 0.5})
    []
    >>> validate_parameters("02_enrich", nb, {"scale": float("inf")})
    ["02_enrich: parameter 'scale' = inf: input should be a finite number"]
    """
    defaults = {k: v["default"] for k, v in notebook_parameters(path).items()}
    try:
        spec = set(nbparams.declared(name))
    except KeyError as exc:
        return [f"{_rel(path)}: {exc.args[0]}"]
    out = []
    undeclared = sorted(set(defaults) - spec)
    if undeclared:
        out.append(f"{_rel(path)}: the parameters cell sets {undeclared}, which "
                   f"homelib.params.NOTEBOOK_PARAMETERS[{name!r}] does not declare; add them there")
    unset = sorted(spec - set(defaults))
    if unset:
        out.append(f"{_rel(path)}: the parameters cell lacks {unset}, declared in "
                   f"homelib.params.NOTEBOOK_PARAMETERS[{name!r}]")
    values = {**{k: v for k, v in defaults.items() if k in spec}, **params}
    for p in nbparams.problems(name, values):
        if p.name in params and profile is not None:
            key = f"{name}.{p.name}" if f"{name}.{p.name}" in profile.lines else "seed"
            out.append(f"{profile.where(key)}: {name}: {p.message}")
        elif p.name in params:
            out.append(f"{name}: {p.message}")
        else:
            out.append(f"{_rel(path)}: the default of {p.message}")
    return out


def validate_profile(profile: Profile) -> list[tuple[str, dict[str, Any]]]:
    """Check every notebook of ``profile``; return ``(name, parameters)`` in order.

    Parameters
    ----------
    profile : Profile

    Returns
    -------
    list of (str, dict)

    Raises
    ------
    PipelineError
        Listing every problem of every notebook (one per line).

    Examples
    --------
    >>> [name for name, _ in validate_profile(load_profile("ci"))][:2]
    ['00_overview', '01_survey']
    """
    paths = notebook_paths()
    plan, problems = [], []
    for name in select_notebooks(profile):
        params = profile.parameters(name, notebook_parameters(paths[name]))
        problems += validate_parameters(name, paths[name], params, profile)
        plan.append((name, params))
    if problems:
        raise PipelineError("\n".join(problems))
    return plan


def _cells(path: Path) -> list[dict[str, Any]]:
    """``cell_type, source, tags`` of every cell, read as JSON (nbformat is slow to import)."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PipelineError(f"{_rel(path)}: not a readable notebook ({exc})") from None
    out = []
    for c in cells:
        src = c.get("source", "")
        out.append({"cell_type": c.get("cell_type"),
                    "source": "".join(src) if isinstance(src, list) else src,
                    "tags": list(c.get("metadata", {}).get("tags", []))})
    return out


def _source_hash(path: Path) -> str:
    text = json.dumps([(c["cell_type"], c["source"], c["tags"]) for c in _cells(path)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(name: str, path: Path, profile: str, params: Mapping[str, Any]) -> str:
    """Hash of a notebook's source, parameters, profile, homelib's code and package versions.

    Parameters
    ----------
    name : str
    path : Path
    profile : str
    params : mapping

    Returns
    -------
    str
        16 hex digits.

    Examples
    --------
    >>> nb = notebook_paths()["00_overview"]
    >>> fingerprint("00_overview", nb, "ci", {"metric": "f1"}) != fingerprint(
    ...     "00_overview", nb, "ci", {"metric": "auc"})
    True
    """
    return param_hash({"name": name, "source": _source_hash(path), "profile": profile,
                       "params": dict(params), "homelib": code_hash(),
                       "packages": package_versions()}, length=16)


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project_root(),
                             capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "homelib", "notebooks"],
                               cwd=project_root(), capture_output=True, text=True).stdout
        return out.stdout.strip() + ("+dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def present_parameters(nb: Any, profile: str, declared: dict[str, dict[str, Any]]) -> Any:
    """Make an executed notebook show the parameters it ran with (changes ``nb`` in place).

    The injected cell (tag ``injected-parameters``) keeps its code and gets a
    header comment naming the profile and listing, as comments, the parameters
    left at their defaults; the notebook's cell of defaults (tag
    ``parameters``) is folded (``hide-cell``). Without an injected cell nothing
    changes: the defaults are what ran.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook.
    profile : str
        The profile's name.
    declared : dict
        :func:`notebook_parameters` of the source notebook.

    Returns
    -------
    nbformat.NotebookNode
        ``nb``.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> nb = new_notebook(cells=[new_code_cell("x = 1\\ny = 2", metadata={"tags": ["parameters"]}),
    ...                          new_code_cell("# Parameters\\nx = 3\\n",
    ...                                        metadata={"tags": ["injected-parameters"]})])
    >>> nb = present_parameters(nb, "ci", {"x": {"default": 1}, "y": {"default": 2}})
    >>> print(nb.cells[1].source)
    # Parameters of this run: profile 'ci' (notebooks/profiles/ci.yml).
    # The other parameters keep their defaults (the folded cell above): y = 2
    x = 3
    >>> nb.cells[0].metadata["tags"]
    ['parameters', 'hide-cell']
    """
    injected = [c for c in nb.cells if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    if not injected:
        return nb
    cell = injected[0]
    code = "\n".join(line for line in cell.source.splitlines() if line.strip() != "# Parameters")
    given = {node.targets[0].id for node in ast.parse(code).body
             if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}
    rest = [f"{k} = {v['default']!r}" for k, v in declared.items() if k not in given]
    head = [f"# Parameters of this run: profile {profile!r} (notebooks/profiles/{profile}.yml)."]
    if rest:
        text = "The other parameters keep their defaults (the folded cell above): " + ", ".join(rest)
        head += ["# " + line for line in textwrap.wrap(text, 88, break_long_words=False)]
    cell.source = "\n".join(head) + "\n" + code.strip()
    tags = cell.metadata.setdefault("tags", [])
    if "hide-cell" in tags:
        tags.remove("hide-cell")
    for c in nb.cells:
        tags = c.get("metadata", {}).get("tags", [])
        if "parameters" in tags and "hide-cell" not in tags:
            tags.append("hide-cell")
    return nb


def _present_parameters(path: Path, profile: str, declared: dict[str, dict[str, Any]]) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nbformat.write(present_parameters(nb, profile, declared), path)


def _failure_message(name: str, exc: BaseException) -> str:
    cell = getattr(exc, "cell_index", None)
    count = getattr(exc, "exec_count", None)
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    where = f"cell {cell}" if cell is not None else "a cell"
    if count is not None:
        where += f" (execution count {count})"
    return f"notebook {name} failed in {where}: {ename}: {evalue}"


def _execute(src: Path, dst: Path, params: dict[str, Any]) -> None:
    # heavy imports, only needed when a notebook really runs
    import uuid

    import papermill as pm
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    runtime = store.kernel_runtime_dir()

    class KernelManager(AsyncKernelManager):
        """Writes its connection file where the pipeline can find it after a crash."""

        @default("connection_file")
        def _connection_file_default(self) -> str:
            return str(runtime / f"kernel-{uuid.uuid4()}.json")

    pm.execute_notebook(str(src), str(dst), parameters=params, kernel_name="python3",
                        cwd=str(project_root()), progress_bar=False,
                        kernel_manager_class=KernelManager)


# ---------------------------------------------------------------------------
# executing one notebook under supervision
# ---------------------------------------------------------------------------


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def _interruptible() -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into :class:`Interrupted` in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Interrupted(signum)

    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    old = {s: signal.signal(s, handler) for s in sigs}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _supervise(execute: Callable[[Path, Path, dict[str, Any]], None], src: Path, dst: Path,
               params: dict[str, Any], staging: Path) -> None:
    """Run ``execute`` in a worker thread, so that signals reach the main thread.

    Papermill's client would otherwise take SIGINT and SIGTERM over while a
    notebook runs. On :class:`Interrupted` the notebook's kernel is killed
    (the worker then returns) and the exception propagates.
    """
    outcome: dict[str, BaseException] = {}

    def target() -> None:
        try:
            execute(src, dst, params)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            outcome["exc"] = exc

    runtime = store.kernel_runtime_dir()
    with _environ(**{RESULTS_ENV: str(staging)}):
        worker = threading.Thread(target=target, name=f"execute-{src.stem}", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.1)
        except BaseException:
            with store.signals_deferred():
                store.kill_kernels(runtime)
                worker.join(30)
            raise
    if "exc" in outcome:
        raise outcome["exc"]


def _stale_reason(name: str, fp: str, manifest: Mapping[str, Any], force: bool) -> str | None:
    """Why ``name`` must run again, or None when its last run still stands."""
    old = manifest.get("notebooks", {}).get(name, {})
    owners = manifest.get("files", {})
    if force:
        return "forced"
    if not old:
        return "never run"
    if old.get("status") != "ok":
        return f"its last run {old.get('status')}"
    if old.get("fingerprint") != fp:
        return "its source, parameters, homelib code or package versions changed"
    out = book_dir() / f"{name}.ipynb"
    if not out.exists() or (old.get("notebook_sha256") and file_sha256(out) != old["notebook_sha256"]):
        return "its executed copy is missing or changed"
    results = published_results_dir()
    for f, sha in old.get("outputs", {}).items():
        if owners.get(f, {}).get("notebook") not in (name, None):
            continue  # a later notebook wrote this file again; the manifest says which
        if not (results / f).is_file() or (sha and file_sha256(results / f) != sha):
            return f"its result {f} is missing or changed on disk"
    return None


def run(
    profile: str = "ci",
    only: Iterable[str] | None = None,
    *,
    force: bool = False,
    log: Callable[[str], None] = print,
    execute: Callable[[Path, Path, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Execute the profile's notebooks in order; return the published manifest.

    Parameters
    ----------
    profile : str
        Name of a file in ``notebooks/profiles`` (or a path to one).
    only : iterable of str, optional
        Restrict to these notebooks (names or number prefixes).
    force : bool
        Re-run notebooks even when nothing changed.
    log : callable
        Where progress lines go.
    execute : callable, optional
        ``execute(src, dst, params)``; defaults to Papermill (tests pass a
        stub). It runs in a worker thread with ``$HOMELIB_RESULTS_DIR`` set.

    Returns
    -------
    dict
        The manifest published by the last notebook (the previous one if
        everything was up to date).

    Raises
    ------
    PipelineError
        Bad profile, notebook name or parameter (before anything runs or is
        written), or another run holds the lock.
    NotebookFailed
        A notebook raised; its previous results stay published.
    Interrupted
        SIGINT, SIGTERM or SIGHUP; ``data/results`` is as it was before the
        interrupted notebook.

    Examples
    --------
    A bad selection is refused before anything runs:

    >>> try:
    ...     run("ci", only=["99"], log=lambda line: None)
    ... except PipelineError as err:
    ...     print(type(err).__name__)
    PipelineError
    """
    prof = load_profile(profile)
    plan = validate_profile(prof)
    names = select_notebooks(prof, only)
    plan = [(n, p) for n, p in plan if n in names]
    execute = execute or _execute
    paths = notebook_paths()
    header = {"profile": prof.name, "description": prof.description, "seed": prof.seed,
              "git_commit": _git_commit(),
              "started": datetime.now(UTC).isoformat(timespec="seconds"),
              "python": sys.version.split()[0], "packages": package_versions()}
    book = book_dir()
    book.mkdir(exist_ok=True)
    try:
        with store.lock(), _interruptible():
            store.recover(log)
            manifest = store.read_manifest()
            bar = progress.bar(total=len(plan), unit="notebook")
            say = tqdm.write if not bar.disable else log
            try:
                for i, (name, params) in enumerate(plan, start=1):
                    bar.set_description(name)
                    manifest = _run_one(name, paths[name], params, prof, header, manifest,
                                        force=force, tag=f"[{i}/{len(plan)}]", log=say,
                                        execute=execute)
                    bar.update()
            finally:
                bar.close()
    except store.StoreBusy as exc:
        raise PipelineError(str(exc)) from None
    write_status_page(manifest)
    return manifest


def _run_one(name: str, path: Path, params: dict[str, Any], prof: Profile,
             header: Mapping[str, Any], manifest: dict[str, Any], *, force: bool, tag: str,
             log: Callable[[str], None],
             execute: Callable[[Path, Path, dict[str, Any]], None]) -> dict[str, Any]:
    fp = fingerprint(name, path, prof.name, params)
    old = manifest.get("notebooks", {}).get(name, {})
    reason = _stale_reason(name, fp, manifest, force)
    if reason is None:
        log(f"{tag} {name}: unchanged since its last run, skipped (FORCE=1 re-runs)")
        return manifest
    log(f"{tag} {name}: running ({reason}) with {params}")
    out = book_dir() / f"{name}.ipynb"
    tmp_out = out.with_name(f".{name}.running.ipynb")
    staging = store.new_staging(name)
    record = {"profile": prof.name, "parameters": params, "fingerprint": fp,
              "git_commit": header["git_commit"], "run_id": run_id()}
    start = time.perf_counter()
    try:
        _supervise(execute, path, tmp_out, params, staging)
    except Exception as exc:  # noqa: BLE001 - recorded, then re-raised as NotebookFailed
        wall = time.perf_counter() - start
        failed = cache_dir() / "failed" / f"{name}.ipynb"
        failed.parent.mkdir(parents=True, exist_ok=True)
        if tmp_out.exists():
            shutil.move(tmp_out, failed)
        shutil.rmtree(staging, ignore_errors=True)
        msg = _failure_message(name, exc)
        kept = " (its previous results stay published)" if old.get("outputs") else ""
        log(f"{tag} {name}: FAILED after {wall:.1f} s{kept}; executed copy kept in "
            f"{_rel(failed)}")
        record.update(status="failed", wall_time_s=round(wall, 2), error=msg,
                      finished=datetime.now(UTC).isoformat(timespec="seconds"))
        if old.get("status") == "ok":
            record["last_ok"] = {k: old[k] for k in ("run_id", "executed", "parameters")
                                 if k in old}
        manifest = store.publish(name, record, None, header)
        write_status_page(manifest)
        raise NotebookFailed(msg) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        tmp_out.unlink(missing_ok=True)
        log(f"{tag} {name}: interrupted; data/results and the manifest are unchanged")
        raise
    wall = time.perf_counter() - start
    _present_parameters(tmp_out, prof.name, notebook_parameters(path))
    record.update(status="ok", wall_time_s=round(wall, 2),
                  executed=datetime.now(UTC).isoformat(timespec="seconds"),
                  notebook_sha256=file_sha256(tmp_out))
    manifest = store.publish(name, record, staging, header,
                             before_switch=lambda: os.replace(tmp_out, out))
    write_status_page(manifest)
    n_out = len(manifest["notebooks"][name]["outputs"])
    log(f"{tag} {name}: done in {wall:.1f} s; {n_out} result file(s) published")
    for f, other in manifest["notebooks"][name].get("replaced", {}).items():
        log(f"{tag} {name}: note: {f} was last written by {other}, with different content; "
            f"the published file is now {name}'s")
    return manifest


def write_status_page(manifest: Mapping[str, Any] | None = None) -> Path:
    """Write ``book/status.md``, the execution-status page, from the manifest.

    Parameters
    ----------
    manifest : mapping, optional
        Defaults to the published manifest.

    Returns
    -------
    Path

    Examples
    --------
    >>> write_status_page({}).name
    'status.md'
    """
    manifest = store.read_manifest() if manifest is None else manifest
    lines = [
        "# Execution status",
        "",
        "This page is written by `python -m homelib run` from `data/results/manifest.json`: "
        "what was executed for this build of the book, with which parameters, and how long it took.",
        "",
    ]
    if not manifest:
        lines += ["No notebook has been executed yet: run `make book`."]
    else:
        problems = store.verify(manifest) if published_results_dir().exists() else []
        lines += [
            f"- Profile: `{manifest.get('profile')}` ({manifest.get('description', '')})",
            f"- Seed: `{manifest.get('seed')}`",
            f"- Git commit: `{manifest.get('git_commit')}`",
            f"- Run `{manifest.get('run_id')}` started {manifest.get('started')}, last result "
            f"published {manifest.get('updated', '-')} (UTC)",
            "- Every result file matches the SHA-256 the manifest records." if not problems
            else "- **Results do not match the manifest:** " + "; ".join(problems),
            "",
            "| notebook | profile | status | wall time (s) | result files | parameters |",
            "|---|---|---|---|---|---|",
        ]
        for name, rec in sorted(manifest.get("notebooks", {}).items()):
            params = ", ".join(f"{k}={v!r}" for k, v in rec.get("parameters", {}).items())
            params = params.replace("|", "\\|")
            lines.append(f"| {name} | {rec.get('profile', manifest.get('profile'))} | "
                         f"{rec.get('status')} | {rec.get('wall_time_s')} | "
                         f"{len(rec.get('outputs', {}))} | {params} |")
        lines += ["", "Package versions:", "", "| package | version |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in manifest.get("packages", {}).items()]
    book_dir().mkdir(exist_ok=True)
    return atomic_write_text(book_dir() / "status.md", "\n".join(lines) + "\n")


def strip_outputs(paths: Iterable[Path] | None = None) -> list[Path]:
    """Remove outputs and execution counts from source notebooks in place.

    Source notebooks in ``notebooks/`` are stored without outputs; executed
    copies live in ``book/``.

    Parameters
    ----------
    paths : iterable of Path, optional
        Defaults to every notebook of ``notebooks/``.

    Returns
    -------
    list of Path
        The notebooks that changed.

    Examples
    --------
    >>> strip_outputs([])
    []
    """
    import nbformat  # slow to import (jsonschema)

    changed = []
    for path in paths if paths is not None else notebook_paths().values():
        nb = nbformat.read(path, as_version=4)
        dirty = False
        for cell in nb.cells:
            if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
                cell.outputs, cell.execution_count, dirty = [], None, True
        if dirty:
            nbformat.write(nb, path)
            changed.append(Path(path))
    return changed
