import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from homelib import pipeline


def _notebook(path, source="x = 1\nname = 'a'\nrate = 0.5"):
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[cell, new_code_cell("print(x)")])
    nbformat.write(nb, path)


@pytest.fixture()
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMELIB_ROOT", str(tmp_path))
    nbdir = tmp_path / "notebooks"
    (nbdir / "profiles").mkdir(parents=True)
    _notebook(nbdir / "00_first.ipynb")
    _notebook(nbdir / "01_second.ipynb", "seed = 0\nx = 2")
    (nbdir / "profiles" / "ci.yml").write_text(
        "description: tiny\nseed: 7\nnotebooks:\n  00_first: {x: 3}\n  01_second: {}\n"
    )
    (tmp_path / "book").mkdir()
    return tmp_path


class Recorder:
    def __init__(self, fail_on=None):
        self.calls = []
        self.fail_on = fail_on

    def __call__(self, src, dst, params):
        self.calls.append((src.stem, dict(params)))
        results = src.parent.parent / "data" / "results"
        results.mkdir(parents=True, exist_ok=True)
        (results / f"{src.stem}.csv").write_text("a\n1\n")
        if src.stem == self.fail_on:
            (results / "half_written.csv").write_text("a\n")
            err = RuntimeError("boom")
            err.cell_index, err.exec_count, err.ename, err.evalue = 4, 3, "ValueError", "bad seed"
            raise err
        nb = nbformat.read(src, as_version=4)
        injected = new_code_cell("# Parameters\nx = 3\n")
        injected.metadata["tags"] = ["injected-parameters"]
        nb.cells.insert(1, injected)
        nbformat.write(nb, dst)


def test_runs_in_order_with_seed_and_manifest(root):
    rec = Recorder()
    manifest = pipeline.run("ci", log=lambda s: None, execute=rec)
    assert rec.calls == [("00_first", {"x": 3}), ("01_second", {"seed": 7})]
    on_disk = json.loads((root / "data" / "results" / "manifest.json").read_text())
    assert on_disk["profile"] == "ci" and on_disk["seed"] == 7
    assert on_disk["notebooks"]["00_first"]["parameters"] == {"x": 3}
    assert "wall_time_s" in on_disk["notebooks"]["01_second"]
    assert "numpy" in on_disk["packages"] and "git_commit" in on_disk
    assert manifest["notebooks"]["00_first"]["status"] == "ok"
    out = nbformat.read(root / "book" / "00_first.ipynb", as_version=4)
    tags = [c.metadata.get("tags", []) for c in out.cells]
    assert ["injected-parameters"] in tags and ["parameters", "hide-cell"] in tags
    shown = out.cells[tags.index(["injected-parameters"])].source.splitlines()
    assert shown[0] == "# Parameters of this run: profile 'ci' (notebooks/profiles/ci.yml)."
    assert shown[1] == "# The other parameters keep their defaults (the folded cell above): name = 'a', rate = 0.5"
    assert shown[2:] == ["x = 3"]
    assert "00_first" in (root / "book" / "status.md").read_text()


def test_unchanged_notebooks_are_skipped_unless_forced(root):
    rec = Recorder()
    pipeline.run("ci", log=lambda s: None, execute=rec)
    lines = []
    pipeline.run("ci", log=lines.append, execute=rec)
    assert len(rec.calls) == 2
    assert any("skipped" in line for line in lines)
    pipeline.run("ci", only=["01"], force=True, log=lambda s: None, execute=rec)
    assert rec.calls[-1][0] == "01_second" and len(rec.calls) == 3
    # a changed parameter re-runs that notebook only
    (root / "notebooks" / "profiles" / "ci.yml").write_text(
        "seed: 7\nnotebooks:\n  00_first: {x: 4}\n  01_second: {}\n"
    )
    pipeline.run("ci", log=lambda s: None, execute=rec)
    assert [c[0] for c in rec.calls[3:]] == ["00_first"]


def test_failure_names_notebook_and_cell_and_restores_results(root):
    rec = Recorder(fail_on="01_second")
    with pytest.raises(pipeline.NotebookFailed, match=r"01_second failed in cell 4 .*ValueError: bad seed"):
        pipeline.run("ci", log=lambda s: None, execute=rec)
    results = root / "data" / "results"
    assert (results / "00_first.csv").exists()
    assert not (results / "01_second.csv").exists()
    assert not (results / "half_written.csv").exists()
    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["notebooks"]["01_second"]["status"] == "failed"
    assert not (root / "book" / "01_second.ipynb").exists()


@pytest.mark.parametrize(
    ("profile_text", "only", "msg"),
    [
        (None, None, "unknown profile 'nope'"),
        ("notebooks:\n  00_first: {}\n", ["09"], "unknown notebook '09' in --only"),
        ("notebooks:\n  99_ghost: {}\n", None, r"unknown notebook\(s\) \['99_ghost'\]"),
        ("notebooks:\n  00_first: {y: 1}\n", None, "unknown parameter 'y'"),
        ("notebooks:\n  00_first: {x: 'three'}\n", None, "parameter 'x' = 'three' has type str"),
        ("notebooks:\n  00_first: {rate: true}\n", None, "parameter 'rate' = True"),
        ("seed: one\nnotebooks: {}\n", None, "seed must be an integer"),
    ],
)
def test_bad_input_fails_before_running(root, profile_text, only, msg):
    name = "nope"
    if profile_text is not None:
        name = "bad"
        (root / "notebooks" / "profiles" / "bad.yml").write_text(profile_text)
    rec = Recorder()
    with pytest.raises(pipeline.PipelineError, match=msg):
        pipeline.run(name, only=only, log=lambda s: None, execute=rec)
    assert rec.calls == []
    assert not (root / "data" / "results" / "manifest.json").exists()


def test_cli_exit_codes(root, capsys):
    assert pipeline.main(["run", "--profile", "nope"]) == 2
    assert "unknown profile" in capsys.readouterr().err
    assert pipeline.main(["profiles"]) == 0
    assert "ci" in capsys.readouterr().out


def test_strip_outputs(root):
    path = root / "notebooks" / "00_first.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nb.cells[1].execution_count = 1
    nbformat.write(nb, path)
    assert pipeline.strip_outputs() == [path]
    assert pipeline.strip_outputs() == []
