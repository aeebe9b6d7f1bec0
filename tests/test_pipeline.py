"""The pipeline: strict profiles, parameters checked before anything runs, and
transactional results (nothing half-published, whatever interrupts a run)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from homelib import params, paths, pipeline, store
from homelib.__main__ import main

ROOT = Path(__file__).resolve().parent.parent


class First(params.NotebookParams):
    x: params.Int(0, 10)
    name: params.OneOf("a", "b")
    rate: params.Float(0.0, 1.0)


class Second(params.NotebookParams):
    seed: params.Int(0)
    x: params.Int(0, 10)


def _notebook(path, source="x = 1\nname = 'a'\nrate = 0.5", body="print(x)"):
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[cell, new_code_cell(body)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture()
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMELIB_ROOT", str(tmp_path))
    monkeypatch.delenv(paths.RESULTS_ENV, raising=False)
    monkeypatch.setitem(params.NOTEBOOK_PARAMETERS, "00_first", First)
    monkeypatch.setitem(params.NOTEBOOK_PARAMETERS, "01_second", Second)
    nbdir = tmp_path / "notebooks"
    (nbdir / "profiles").mkdir(parents=True)
    _notebook(nbdir / "00_first.ipynb")
    _notebook(nbdir / "01_second.ipynb", "seed = 0\nx = 2")
    (nbdir / "profiles" / "ci.yml").write_text(
        "description: tiny\nseed: 7\nnotebooks:\n  00_first: {x: 3}\n  01_second: {}\n"
    )
    (tmp_path / "book").mkdir()
    return tmp_path


def results(root):
    """Every published file's bytes, by name."""
    folder = root / "data" / "results"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


class Recorder:
    """Stands in for Papermill: writes one result per notebook where the pipeline says."""

    def __init__(self, fail_on=None, interrupt_on=None, value="1"):
        self.calls = []
        self.fail_on = fail_on
        self.interrupt_on = interrupt_on
        self.value = value

    def __call__(self, src, dst, parameters):
        self.calls.append((src.stem, dict(parameters)))
        out = paths.results_dir()
        assert out.parent.name == ".results"  # a staging folder, never data/results
        (out / f"{src.stem}.csv").write_text(f"a\n{self.value}\n")
        nb = nbformat.read(src, as_version=4)
        injected = new_code_cell("# Parameters\nx = 3\n")
        injected.metadata["tags"] = ["injected-parameters"]
        nb.cells.insert(1, injected)
        nbformat.write(nb, dst)
        if src.stem == self.fail_on:
            (out / "half_written.csv").write_text("a\n")
            err = RuntimeError("boom")
            err.cell_index, err.exec_count, err.ename, err.evalue = 4, 3, "ValueError", "bad seed"
            raise err
        if src.stem == self.interrupt_on:
            raise KeyboardInterrupt


def quiet(_):
    pass


def test_runs_in_order_with_seed_and_manifest(root):
    rec = Recorder()
    manifest = pipeline.run("ci", log=quiet, execute=rec)
    assert rec.calls == [("00_first", {"x": 3}), ("01_second", {"seed": 7})]
    published = root / "data" / "results"
    assert published.is_symlink()
    on_disk = json.loads((published / "manifest.json").read_text())
    assert on_disk == manifest
    assert on_disk["profile"] == "ci" and on_disk["seed"] == 7
    assert on_disk["notebooks"]["00_first"]["parameters"] == {"x": 3}
    assert "wall_time_s" in on_disk["notebooks"]["01_second"]
    assert "numpy" in on_disk["packages"] and "git_commit" in on_disk
    assert manifest["notebooks"]["00_first"]["status"] == "ok"
    # the manifest proves which run wrote each file
    for name in ("00_first.csv", "01_second.csv"):
        info = on_disk["files"][name]
        assert info["sha256"] == paths.file_sha256(published / name)
        assert info["notebook"] == name[:-4] and info["run_id"] == paths.run_id()
    assert store.verify() == []
    out = nbformat.read(root / "book" / "00_first.ipynb", as_version=4)
    tags = [c.metadata.get("tags", []) for c in out.cells]
    assert ["injected-parameters"] in tags and ["parameters", "hide-cell"] in tags
    shown = out.cells[tags.index(["injected-parameters"])].source.splitlines()
    assert shown[0] == "# Parameters of this run: profile 'ci' (notebooks/profiles/ci.yml)."
    assert shown[1] == "# The other parameters keep their defaults (the folded cell above): name = 'a', rate = 0.5"
    assert shown[2:] == ["x = 3"]
    status = (root / "book" / "status.md").read_text()
    assert "00_first" in status and "matches the SHA-256" in status


def test_unchanged_notebooks_are_skipped_unless_forced(root):
    rec = Recorder()
    pipeline.run("ci", log=quiet, execute=rec)
    lines = []
    pipeline.run("ci", log=lines.append, execute=rec)
    assert len(rec.calls) == 2
    assert sum("skipped" in line for line in lines) == 2
    pipeline.run("ci", only=["01"], force=True, log=quiet, execute=rec)
    assert rec.calls[-1][0] == "01_second" and len(rec.calls) == 3
    # a changed parameter re-runs that notebook only
    (root / "notebooks" / "profiles" / "ci.yml").write_text(
        "seed: 7\nnotebooks:\n  00_first: {x: 4}\n  01_second: {}\n"
    )
    pipeline.run("ci", log=quiet, execute=rec)
    assert [c[0] for c in rec.calls[3:]] == ["00_first"]


def test_a_result_changed_on_disk_is_recomputed(root):
    rec = Recorder()
    pipeline.run("ci", log=quiet, execute=rec)
    target = root / "data" / "results" / "01_second.csv"
    target.unlink()
    target.write_text("a\nforged\n")
    assert store.verify() == ["01_second.csv: changed since 01_second wrote it "
                              f"(run {paths.run_id()})"]
    assert main(["status"]) == 1
    lines = []
    pipeline.run("ci", log=lines.append, execute=rec)
    assert [c[0] for c in rec.calls[2:]] == ["01_second"]
    assert any("01_second.csv is missing or changed" in line for line in lines)
    assert target.read_text() == "a\n1\n" and store.verify() == []


def test_a_file_written_by_two_notebooks_belongs_to_the_last_writer(root):
    class Shared(Recorder):
        def __call__(self, src, dst, parameters):
            super().__call__(src, dst, parameters)
            (paths.results_dir() / "shared.csv").write_text(f"by\n{src.stem}\n")

    rec, lines = Shared(), []
    manifest = pipeline.run("ci", log=lines.append, execute=rec)
    assert manifest["files"]["shared.csv"]["notebook"] == "01_second"
    assert (root / "data" / "results" / "shared.csv").read_text() == "by\n01_second\n"
    assert any("shared.csv was last written by 00_first, with different content" in line
               for line in lines)
    assert store.verify() == []
    pipeline.run("ci", log=quiet, execute=rec)
    assert len(rec.calls) == 2  # neither is stale because the other rewrote the file


def test_package_versions_enter_the_fingerprint(root, monkeypatch):
    nb = root / "notebooks" / "00_first.ipynb"
    before = pipeline.fingerprint("00_first", nb, "ci", {"x": 1})
    monkeypatch.setattr(pipeline, "package_versions", lambda: {"numpy": "0.0"})
    assert pipeline.fingerprint("00_first", nb, "ci", {"x": 1}) != before


def test_failure_names_notebook_and_cell_and_keeps_previous_results(root):
    pipeline.run("ci", log=quiet, execute=Recorder())
    before = results(root)
    rec = Recorder(fail_on="01_second", value="2")
    (root / "notebooks" / "profiles" / "ci.yml").write_text(
        "seed: 8\nnotebooks:\n  00_first: {x: 3}\n  01_second: {}\n")
    with pytest.raises(pipeline.NotebookFailed, match=r"01_second failed in cell 4 .*ValueError: bad seed"):
        pipeline.run("ci", log=quiet, execute=rec)
    after = results(root)
    # 00_first (seed does not apply) was skipped; 01_second's old result stays, nothing half-written
    assert after["01_second.csv"] == before["01_second.csv"]
    assert "half_written.csv" not in after
    manifest = json.loads(after["manifest.json"])
    rec2 = manifest["notebooks"]["01_second"]
    assert rec2["status"] == "failed" and rec2["last_ok"]["parameters"] == {"seed": 7}
    assert manifest["files"]["01_second.csv"]["sha256"] == paths.file_sha256(
        root / "data" / "results" / "01_second.csv")
    assert store.verify() == []
    assert (root / "book" / "01_second.ipynb").exists()  # the last good executed copy
    assert not list((root / "data" / ".results").glob("staging-*"))


def test_failure_of_a_first_run_publishes_nothing_but_the_record(root):
    with pytest.raises(pipeline.NotebookFailed):
        pipeline.run("ci", log=quiet, execute=Recorder(fail_on="00_first"))
    assert set(results(root)) == {"manifest.json"}
    assert not (root / "book" / "00_first.ipynb").exists()


def test_interrupt_leaves_previous_state_and_next_run_recomputes(root):
    pipeline.run("ci", log=quiet, execute=Recorder())
    before = results(root)
    (root / "notebooks" / "profiles" / "ci.yml").write_text(
        "seed: 9\nnotebooks:\n  00_first: {x: 5}\n  01_second: {}\n")
    with pytest.raises(KeyboardInterrupt):
        pipeline.run("ci", log=quiet, execute=Recorder(interrupt_on="00_first", value="9"))
    assert results(root) == before
    assert not list((root / "book").glob(".*running*"))
    rec = Recorder(value="9")
    pipeline.run("ci", log=quiet, execute=rec)
    assert [c[0] for c in rec.calls] == ["00_first", "01_second"]
    assert (root / "data" / "results" / "00_first.csv").read_text() == "a\n9\n"


def test_crash_while_publishing_keeps_previous_state(root, monkeypatch):
    pipeline.run("ci", log=quiet, execute=Recorder())
    before = results(root)

    def power_cut(generation):
        raise KeyboardInterrupt  # the new generation is on disk, the link not yet switched

    switch = store._point_to
    monkeypatch.setattr(store, "_point_to", power_cut)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run("ci", force=True, log=quiet, execute=Recorder(value="5"))
    assert results(root) == before
    monkeypatch.setattr(store, "_point_to", switch)
    cleaned = []
    pipeline.run("ci", log=cleaned.append, execute=Recorder())
    assert any("cleaned up" in line and "gen-" in line for line in cleaned)
    assert len(list((root / "data" / ".results").glob("gen-*"))) == 1


def test_leftovers_are_cleaned_and_a_legacy_results_folder_adopted(root):
    legacy = root / "data" / "results"
    legacy.mkdir(parents=True)
    (legacy / "old.csv").write_text("a\n1\n")
    (root / "book" / ".00_first.running.ipynb").write_text("{}")
    (root / "data" / ".results").mkdir()
    (root / "data" / ".results" / "staging-x-00_first").mkdir()
    (root / "data" / ".kernels").mkdir(parents=True)
    (root / "data" / ".kernels" / "kernel-dead.json").write_text("{}")
    lines = []
    pipeline.run("ci", log=lines.append, execute=Recorder())
    text = "\n".join(lines)
    assert "adopted" in text and ".00_first.running.ipynb" in text
    assert "staging-x-00_first" in text and "kernel-dead.json" not in os.listdir(
        root / "data" / ".kernels")
    manifest = json.loads((legacy / "manifest.json").read_text())
    assert manifest["files"]["old.csv"]["notebook"] is None  # written before the manifest listed it
    assert (legacy / "old.csv").read_text() == "a\n1\n"


def test_another_run_holding_the_lock_is_refused(root):
    with store.lock():
        with pytest.raises(pipeline.PipelineError, match=r"another `python -m homelib run` \(pid"):
            pipeline.run("ci", log=quiet, execute=Recorder())


def test_standalone_results_go_to_scratch(root, monkeypatch):
    scratch = paths.results_dir()
    assert scratch.parent == root / "data" / "scratch" and scratch.name == paths.run_id()
    monkeypatch.setenv(paths.RESULTS_ENV, str(root / "data" / "results"))
    with pytest.raises(RuntimeError, match="only `python -m homelib run` publishes there"):
        paths.results_dir()


@pytest.mark.parametrize(
    ("profile_text", "only", "msg"),
    [
        (None, None, "unknown profile 'nope'"),
        ("notebooks:\n  00_first: {}\n", ["09"], "unknown notebook '09' in --only"),
        ("notebooks:\n  99_ghost: {}\n", None, r"bad.yml:2: unknown notebook '99_ghost'"),
        ("notebooks:\n  00_first: {y: 1}\n", None, r"bad.yml:2: 00_first: unknown parameter 'y'"),
        ("notebooks:\n  00_first: {x: 'three'}\n", None,
         r"bad.yml:2: 00_first: parameter 'x' = 'three': input should be a valid integer"),
        ("notebooks:\n  00_first:\n    rate: true\n", None,
         r"bad.yml:3: 00_first: parameter 'rate' = True: input should be a valid number"),
        ("notebooks:\n  00_first:\n    rate: .nan\n", None, r"bad.yml:3: .*'rate' = nan: .*finite"),
        ("seed: one\nnotebooks: {00_first: {}}\n", None, "bad.yml:1: seed must be a non-negative"),
        ("notebook:\n  00_first: {}\n", None, r"bad.yml:1: unknown key 'notebook' \(did you mean"),
        ("", None, "bad.yml: the profile is empty"),
        ("notebooks:\n  00_first: {}\n  00_first: {}\n", None, "bad.yml:3: duplicate key '00_first'"),
    ],
)
def test_bad_input_fails_before_running(root, profile_text, only, msg):
    name = "nope"
    if profile_text is not None:
        name = "bad"
        (root / "notebooks" / "profiles" / "bad.yml").write_text(profile_text)
    rec = Recorder()
    with pytest.raises(pipeline.PipelineError, match=msg):
        pipeline.run(name, only=only, log=quiet, execute=rec)
    assert rec.calls == []
    assert not (root / "data" / "results").exists()
    assert not (root / "data" / ".results").exists()


def test_every_notebook_of_the_profile_is_checked_even_with_only(root):
    (root / "notebooks" / "profiles" / "ci.yml").write_text(
        "notebooks:\n  00_first: {}\n  01_second: {x: 11}\n")
    with pytest.raises(pipeline.PipelineError, match=r"ci.yml:3: 01_second: parameter 'x' = 11"):
        pipeline.run("ci", only=["00"], log=quiet, execute=Recorder())


def test_the_parameters_cell_and_the_spec_must_agree(root):
    _notebook(root / "notebooks" / "00_first.ipynb", "x = 1\nname = 'a'\nrate = 0.5\nextra = 2")
    with pytest.raises(pipeline.PipelineError, match=r"sets \['extra'\], which homelib.params"):
        pipeline.run("ci", log=quiet, execute=Recorder())
    _notebook(root / "notebooks" / "00_first.ipynb", "x = 1\nname = 'c'\nrate = 0.5")
    with pytest.raises(pipeline.PipelineError, match=r"00_first.ipynb: the default of parameter 'name'"):
        pipeline.run("ci", log=quiet, execute=Recorder())


def test_cli_exit_codes(root, capsys):
    assert main(["run", "--profile", "nope"]) == 2
    assert "unknown profile" in capsys.readouterr().err
    assert main(["profiles"]) == 0
    assert "ci" in capsys.readouterr().out
    (root / "notebooks" / "profiles" / "tabs.yml").write_text("notebooks:\n\t00_first: {}\n")
    assert main(["run", "--profile", "tabs"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tabs.yml:2:1: YAML syntax error" in err and "tabs" in err


def test_strip_outputs(root):
    path = root / "notebooks" / "00_first.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nb.cells[1].execution_count = 1
    nbformat.write(nb, path)
    assert pipeline.strip_outputs() == [path]
    assert pipeline.strip_outputs() == []


# ---------------------------------------------------------------------------
# real signals to a real `python -m homelib run`, with real kernels
# ---------------------------------------------------------------------------

TINY_BODY = """
import os, pathlib, time
from homelib import paths
paths.atomic_write_text(paths.results_dir() / "{out}", "value\\n" + str(tag) + "\\n")
signals = pathlib.Path(os.environ["TEST_SIGNALS"])
(signals / "{name}.wrote").touch()
while (signals / "{name}.hold").exists():
    time.sleep(0.05)
"""

SPEC = """
from homelib import params
class Tiny(params.NotebookParams):
    seed: params.Int(0)
    tag: params.OneOf("v1", "v2")
params.NOTEBOOK_PARAMETERS.update({"00_a": Tiny, "01_b": Tiny})
"""

CLI = SPEC + """
import sys
from homelib import store
if sys.argv[1] == "cut-before-switch":  # a power cut with the new generation on disk
    store._point_to = lambda gen: os.kill(os.getpid(), 9)
from homelib.__main__ import main
sys.exit(main(["run", "--profile", "ci"]))
"""


def _tiny_root(path):
    nbdir = path / "notebooks"
    (nbdir / "profiles").mkdir(parents=True)
    (path / "book").mkdir()
    (path / "signals").mkdir()
    for name, out in (("00_a", "a.csv"), ("01_b", "b.csv")):
        _notebook(nbdir / f"{name}.ipynb", "seed = 0\ntag = 'v1'",
                  TINY_BODY.format(out=out, name=name))
    return path


def _set_tag(root, tag):
    (root / "notebooks" / "profiles" / "ci.yml").write_text(
        f"seed: 0\nnotebooks:\n  00_a: {{tag: {tag}}}\n  01_b: {{tag: {tag}}}\n")


def _spawn(root, mode="run"):
    env = {**os.environ, "HOMELIB_ROOT": str(root), "PYTHONPATH": str(ROOT),
           "TEST_SIGNALS": str(root / "signals"), "PYTHONUNBUFFERED": "1"}
    env.pop(paths.RESULTS_ENV, None)
    return subprocess.Popen([sys.executable, "-c", "import os\n" + CLI, mode], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for(path, proc, timeout=120):
    end = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"pipeline exited early: {proc.stdout.read()}")
        if time.monotonic() > end:
            proc.kill()
            raise AssertionError(f"timed out waiting for {path.name}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def completed_v1(tmp_path_factory):
    """A tiny project after one complete run with tag v1."""
    root = _tiny_root(tmp_path_factory.mktemp("tiny"))
    _set_tag(root, "v1")
    proc = _spawn(root)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    return root


def _copy(src, dst):
    subprocess.run(["cp", "-a", f"{src}/.", str(dst)], check=True)  # keeps the results link
    for marker in (dst / "signals").iterdir():
        marker.unlink()
    return dst


def _kernels_of(root):
    import psutil

    runtime = str(root / "data" / ".kernels")
    return [p.pid for p in psutil.process_iter(["cmdline"])
            if runtime in " ".join(p.info.get("cmdline") or [])]


class Tiny(params.NotebookParams):
    seed: params.Int(0)
    tag: params.OneOf("v1", "v2")


def _rerun_with_stub(root, monkeypatch):
    """The next run (in-process, Papermill replaced by a stub): what does it recompute?"""
    monkeypatch.setitem(params.NOTEBOOK_PARAMETERS, "00_a", Tiny)  # as SPEC does
    monkeypatch.setitem(params.NOTEBOOK_PARAMETERS, "01_b", Tiny)
    monkeypatch.setenv("HOMELIB_ROOT", str(root))
    ran, lines = [], []

    def stub(src, dst, parameters):
        ran.append(src.stem)
        out = {"00_a": "a.csv", "01_b": "b.csv"}[src.stem]
        (paths.results_dir() / out).write_text(f"value\n{parameters['tag']}\n")
        nbformat.write(nbformat.read(src, as_version=4), dst)

    pipeline.run("ci", log=lines.append, execute=stub)
    return ran, lines


@pytest.mark.parametrize("point", ["first notebook", "second notebook"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
                         ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_signal_leaves_last_complete_state(completed_v1, tmp_path, monkeypatch, sig, point):
    """Interrupt a run that re-runs both notebooks (tag v1 -> v2) while a kernel is
    executing one of them, after it wrote its result to staging; data/results and
    the manifest must be the last complete state, and the next run recomputes
    exactly what did not complete."""
    root = _copy(completed_v1, tmp_path)
    before = results(root)
    _set_tag(root, "v2")
    target = "00_a" if point == "first notebook" else "01_b"
    (root / "signals" / f"{target}.hold").touch()
    proc = _spawn(root)
    _wait_for(root / "signals" / f"{target}.wrote", proc)
    assert _kernels_of(root)  # a kernel is executing the notebook
    os.kill(proc.pid, sig)
    out, _ = proc.communicate(timeout=120)
    expected_code = -signal.SIGKILL if sig == signal.SIGKILL else 128 + sig
    assert proc.returncode == expected_code, out
    after = results(root)
    manifest, old = json.loads(after["manifest.json"]), json.loads(before["manifest.json"])
    if target == "00_a":
        assert after == before  # exactly the previous complete state
    else:
        # 00_a completed and was published with its manifest entry; 01_b is untouched
        assert after["a.csv"] == b"value\nv2\n" and after["b.csv"] == before["b.csv"]
        assert manifest["notebooks"]["01_b"] == old["notebooks"]["01_b"]
        assert manifest["files"]["b.csv"] == old["files"]["b.csv"]
    monkeypatch.setenv("HOMELIB_ROOT", str(root))
    assert store.verify(manifest) == []
    if sig != signal.SIGKILL:
        assert "data/results and its manifest are as they were" in out
        assert not list((root / "data" / ".results").glob("staging-*"))
        assert not list((root / "book").glob(".*.running.ipynb"))
    # the kernel does not outlive its pipeline
    end = time.monotonic() + 30
    while _kernels_of(root) and time.monotonic() < end:
        time.sleep(0.2)
    assert _kernels_of(root) == []
    (root / "signals" / f"{target}.hold").unlink()
    ran, lines = _rerun_with_stub(root, monkeypatch)
    assert ran == (["00_a", "01_b"] if target == "00_a" else ["01_b"])
    assert store.verify() == []
    assert results(root)["b.csv"] == b"value\nv2\n"
    assert not list((root / "data" / ".results").glob("staging-*"))
    assert list((root / "data" / ".kernels").iterdir()) == []
    if sig == signal.SIGKILL:
        assert any("cleaned up after an interrupted run" in line for line in lines)


def test_power_cut_before_the_switch(completed_v1, tmp_path, monkeypatch):
    """SIGKILL with the next generation fully written but not yet linked."""
    root = _copy(completed_v1, tmp_path)
    before = results(root)
    _set_tag(root, "v2")
    proc = _spawn(root, "cut-before-switch")
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL, out
    assert results(root) == before
    assert len(list((root / "data" / ".results").glob("gen-*"))) == 2  # the orphan is there
    ran, lines = _rerun_with_stub(root, monkeypatch)
    assert ran == ["00_a", "01_b"]
    assert len(list((root / "data" / ".results").glob("gen-*"))) == 1
