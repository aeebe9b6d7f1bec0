"""The published results: ``data/results`` changes in one atomic step, or not at all.

``data/results`` is a symbolic link to one *generation*, a complete folder
``data/.results/gen-<run id>-<n>`` holding every result file and the
``manifest.json`` that describes them (per file: its SHA-256, the notebook and
the run that produced it). A notebook run by the pipeline writes into a
staging folder ``data/.results/staging-<run id>-<notebook>``; when it
succeeds, :func:`publish` builds the next generation (the previous one's
files, hard-linked, minus the notebook's old outputs, plus its staged
outputs, plus the updated manifest), flushes it to disk and switches the link
with one ``rename``. Readers therefore see either the previous complete state
or the next one, whatever happens: an exception, Ctrl-C, ``SIGTERM``,
``SIGKILL`` or a power cut.

Leftovers of an interrupted run (staging folders, unpublished generations,
``book/.NN_*.running.ipynb`` executed copies, Jupyter kernel connection files
and the kernels behind them) are removed by :func:`recover`, which the
pipeline calls under :func:`lock` before it runs anything. A folder
``data/results`` written by an older version of the pipeline (a plain
directory) is adopted as the first generation.

Examples
--------
>>> import tempfile
>>> from homelib import paths
>>> os.environ["HOMELIB_ROOT"] = tempfile.mkdtemp()
>>> staged = new_staging("00_demo")
>>> _ = paths.atomic_write_text(staged / "demo.csv", "a\\n1\\n")
>>> m = publish("00_demo", {"status": "ok"}, staged, {"profile": "ci"})
>>> sorted(p.name for p in paths.published_results_dir().iterdir())
['demo.csv', 'manifest.json']
>>> m["files"]["demo.csv"]["notebook"], verify()
('00_demo', [])
>>> del os.environ["HOMELIB_ROOT"]
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from .paths import (
    atomic_write_text,
    data_dir,
    file_sha256,
    project_root,
    published_results_dir,
    run_id,
)

__all__ = [
    "StoreBusy",
    "store_dir",
    "kernel_runtime_dir",
    "current_generation",
    "read_manifest",
    "lock",
    "recover",
    "new_staging",
    "publish",
    "verify",
    "kill_kernels",
    "signals_deferred",
]

MANIFEST = "manifest.json"


class StoreBusy(RuntimeError):
    """Another pipeline run holds the lock on ``data/results``."""


def store_dir() -> Path:
    """Return ``data/.results``: the generations and staging folders (created if missing).

    Returns
    -------
    Path

    Examples
    --------
    >>> store_dir().name
    '.results'
    """
    path = data_dir() / ".results"
    path.mkdir(parents=True, exist_ok=True)
    return path


def kernel_runtime_dir() -> Path:
    """Return ``data/.kernels``: where the pipeline's kernels write their connection files.

    Every connection file found here belongs to one of this project's
    pipeline kernels, so it (and the kernel behind it) can be cleaned after
    a crash. It is not under ``data/cache``, which may be shared.

    Returns
    -------
    Path

    Examples
    --------
    >>> kernel_runtime_dir().parts[-2:]
    ('data', '.kernels')
    """
    path = data_dir() / ".kernels"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def current_generation() -> Path | None:
    """The generation ``data/results`` points to, or None if nothing is published.

    Returns
    -------
    Path or None

    Examples
    --------
    >>> current_generation() is None or current_generation().name.startswith("gen-")
    True
    """
    link = published_results_dir()
    if not link.is_symlink():
        return None
    target = link.parent / os.readlink(link)
    return target if target.is_dir() else None


def read_manifest() -> dict[str, Any]:
    """The published manifest (``{}`` if nothing is published or it cannot be read).

    Returns
    -------
    dict

    Examples
    --------
    >>> isinstance(read_manifest(), dict)
    True
    """
    path = published_results_dir() / MANIFEST
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _point_to(generation: Path) -> None:
    """Switch ``data/results`` to ``generation`` with one rename."""
    link = published_results_dir()
    tmp = link.with_name(".results-link.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(os.path.relpath(generation, link.parent), tmp)
    os.replace(tmp, link)
    _fsync_dir(link.parent)


def _adopt_legacy(log: Callable[[str], None]) -> None:
    """Make a plain ``data/results`` folder (older pipelines) the first generation."""
    link = published_results_dir()
    if link.is_symlink():
        return
    if link.is_dir():
        gen = store_dir() / f"gen-{run_id()}-legacy"
        os.rename(link, gen)
        _point_to(gen)
        log(f"data/results adopted as generation {gen.name} (results are now published "
            "atomically)")
        return
    legacy = sorted(store_dir().glob("gen-*-legacy"))
    if legacy:  # a crash between the rename and the link above
        _point_to(legacy[-1])


@contextlib.contextmanager
def lock() -> Iterator[Path]:
    """Hold the exclusive lock on ``data/results`` (released even on ``SIGKILL``).

    Yields
    ------
    Path
        The lock file.

    Raises
    ------
    StoreBusy
        Another process holds it.

    Examples
    --------
    >>> with lock() as path:
    ...     path.name
    'lock'
    """
    path = store_dir() / "lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            other = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            raise StoreBusy(f"another `python -m homelib run` (pid {other}) is running in "
                            f"{project_root()}; wait for it or stop it") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield path
    finally:
        os.close(fd)


def kill_kernels(runtime: Path | None = None) -> list[int]:
    """Kill the kernels whose connection files are in ``runtime`` and remove the files.

    Only processes whose command line names one of these files are touched
    (the pipeline's own kernels), each by its pid.

    Parameters
    ----------
    runtime : Path, optional
        Defaults to :func:`kernel_runtime_dir`.

    Returns
    -------
    list of int
        The pids killed.

    Examples
    --------
    >>> import tempfile
    >>> kill_kernels(Path(tempfile.mkdtemp()))
    []
    """
    runtime = runtime or kernel_runtime_dir()
    files = [str(p) for p in runtime.glob("kernel-*.json")]
    killed = []
    if files:
        me = os.getpid()
        for proc in psutil.process_iter(["pid", "cmdline"]):
            cmd = " ".join(proc.info.get("cmdline") or [])
            if proc.info["pid"] != me and any(f in cmd for f in files):
                with contextlib.suppress(psutil.Error):
                    proc.kill()
                    proc.wait(timeout=5)
                    killed.append(proc.info["pid"])
    for f in files:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f)
    return killed


def recover(log: Callable[[str], None] = print) -> list[str]:
    """Remove what an interrupted run left behind; call it under :func:`lock`.

    Parameters
    ----------
    log : callable
        Receives one line per thing cleaned.

    Returns
    -------
    list of str
        What was removed (paths relative to the root, ``kernel pid N``).

    Examples
    --------
    >>> with lock():
    ...     isinstance(recover(log=lambda s: None), list)
    True
    """
    _adopt_legacy(log)
    root = project_root()
    current = current_generation()
    cleaned: list[str] = []
    for entry in sorted(store_dir().iterdir()):
        if entry.name == "lock" or (current is not None and entry == current):
            continue
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        cleaned.append(str(entry.relative_to(root)))
    tmp_link = published_results_dir().with_name(".results-link.tmp")
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
        cleaned.append(str(tmp_link.relative_to(root)))
    for running in sorted((root / "book").glob(".[0-9][0-9]_*.running.ipynb")):
        running.unlink()
        cleaned.append(str(running.relative_to(root)))
    cleaned += [f"kernel pid {pid}" for pid in kill_kernels()]
    for leftover in sorted(kernel_runtime_dir().iterdir()):
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        cleaned.append(str(leftover.relative_to(root)))
    for item in cleaned:
        log(f"cleaned up after an interrupted run: {item}")
    return cleaned


def new_staging(notebook: str) -> Path:
    """A fresh, empty staging folder for ``notebook``'s results.

    Parameters
    ----------
    notebook : str

    Returns
    -------
    Path
        ``data/.results/staging-<run id>-<notebook>``.

    Examples
    --------
    >>> s = new_staging("00_x"); (s.name.startswith("staging-"), list(s.iterdir()))
    (True, [])
    """
    path = store_dir() / f"staging-{run_id()}-{notebook}"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir()
    return path


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Block SIGINT, SIGTERM and SIGHUP inside the block; deliver them after it.

    Examples
    --------
    >>> with signals_deferred():
    ...     1 + 1
    2
    """
    sigs = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _link_or_copy(src: Path, dst: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dst, copy_function=_link_file)
    else:
        _link_file(src, dst)


def _link_file(src: str | Path, dst: str | Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _fsync_tree(path: Path) -> None:
    for sub in [path, *sorted(p for p in path.rglob("*") if p.is_dir())]:
        for f in sub.iterdir():
            if f.is_file():
                fd = os.open(f, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        _fsync_dir(sub)


def publish(
    notebook: str,
    record: Mapping[str, Any],
    staged: Path | None,
    header: Mapping[str, Any],
    *,
    before_switch: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Publish ``notebook``'s staged results and its manifest entry in one atomic step.

    Parameters
    ----------
    notebook : str
        The notebook whose run is recorded.
    record : mapping
        Its manifest entry (``status``, ``parameters``, ...). ``outputs``
        (file -> SHA-256) is filled in here.
    staged : Path or None
        Its staging folder. With a folder, the notebook's previous outputs
        are replaced by the folder's files; with None (a failed run) they are
        kept, still attributed to the run that produced them. A file that
        another notebook wrote before is attributed to this one from now on
        (``record["replaced"]`` names the other when the content differs).
    header : mapping
        Top-level manifest fields of this run (profile, seed, git commit, ...).
    before_switch : callable, optional
        Called once the new generation is on disk, just before the switch
        (the pipeline moves the executed notebook into ``book/`` there).

    Returns
    -------
    dict
        The manifest now published.
    """
    with signals_deferred():
        current = current_generation()
        manifest = read_manifest()
        files: dict[str, Any] = dict(manifest.get("files", {}))
        notebooks: dict[str, Any] = dict(manifest.get("notebooks", {}))
        staged_names = sorted(p.name for p in staged.iterdir()) if staged else []
        own_old = ({f for f, v in files.items() if v.get("notebook") == notebook}
                   if staged is not None else set())
        files = {f: v for f, v in files.items() if f not in own_old}
        gen = store_dir() / f"gen-{run_id()}-{time.time_ns()}-{notebook}"
        gen.mkdir()
        if current is not None:
            for f in sorted(current.iterdir()):
                if f.name == MANIFEST or f.name in staged_names or f.name in own_old:
                    continue
                _link_or_copy(f, gen / f.name)
                if f.name not in files:  # written before the manifest listed files
                    files[f.name] = {"sha256": file_sha256(gen / f.name) if f.is_file()
                                     else None, "notebook": None, "run_id": None}
        rec = dict(record)
        if staged is not None:
            outputs, replaced = {}, {}
            for name in staged_names:
                os.replace(staged / name, gen / name)
                sha = file_sha256(gen / name) if (gen / name).is_file() else None
                outputs[name] = sha
                before = files.get(name, {})
                if before.get("notebook") not in (None, notebook) and before.get("sha256") != sha:
                    replaced[name] = before["notebook"]
                files[name] = {"sha256": sha, "notebook": notebook, "run_id": run_id()}
            rec["outputs"] = outputs
            if replaced:
                rec["replaced"] = replaced
        else:
            rec["outputs"] = dict(notebooks.get(notebook, {}).get("outputs", {}))
        notebooks[notebook] = rec
        new = {**manifest, **header, "run_id": run_id(),
               "updated": datetime.now(UTC).isoformat(timespec="seconds"),
               "notebooks": dict(sorted(notebooks.items())), "files": dict(sorted(files.items()))}
        atomic_write_text(gen / MANIFEST, json.dumps(new, indent=2, default=str) + "\n")
        _fsync_tree(gen)
        if before_switch is not None:
            before_switch()
        _point_to(gen)
        if current is not None:
            shutil.rmtree(current, ignore_errors=True)
        if staged is not None:
            shutil.rmtree(staged, ignore_errors=True)
    return new


def verify(manifest: Mapping[str, Any] | None = None) -> list[str]:
    """Check that ``data/results`` is exactly what its manifest says.

    Parameters
    ----------
    manifest : mapping, optional
        Defaults to the published manifest.

    Returns
    -------
    list of str
        One line per problem: a file the manifest does not know, a file it
        lists that is missing, or one whose SHA-256 differs.

    Examples
    --------
    >>> verify({"files": {}}) == [] or published_results_dir().exists()
    True
    """
    manifest = read_manifest() if manifest is None else manifest
    folder = published_results_dir()
    files = manifest.get("files", {})
    on_disk = {p.name for p in folder.iterdir()} - {MANIFEST} if folder.is_dir() else set()
    out = [f"{name}: in data/results but not in the manifest" for name in sorted(on_disk - set(files))]
    for name, info in sorted(files.items()):
        path = folder / name
        if not path.exists():
            out.append(f"{name}: listed in the manifest but missing")
        elif path.is_file() and info.get("sha256") and file_sha256(path) != info["sha256"]:
            out.append(f"{name}: changed since {info.get('notebook')} wrote it "
                       f"(run {info.get('run_id')})")
    return out
