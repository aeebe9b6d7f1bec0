"""Every notebook: stored clean, one `parameters` cell, in both profiles; and a smoke
run of all of them with the `ci` profile through the pipeline (as `make book PROFILE=ci`
does, so that the book build afterwards finds them up to date)."""

import nbformat
import pytest
import yaml

from homelib import io, pipeline

NOTEBOOKS = pipeline.notebook_paths()


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_stored_without_outputs_and_with_parameters(name):
    nb = nbformat.read(NOTEBOOKS[name], as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), f"{name} has outputs"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert pipeline.notebook_parameters(NOTEBOOKS[name])
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for heading in ("This book vs the paper", "Summary", "Exercises"):
        assert heading in text, f"{name} lacks the section {heading!r}"
    assert "{solution}" in text


@pytest.mark.parametrize("profile", ["ci", "full"])
def test_profiles_cover_every_notebook(profile):
    raw = yaml.safe_load((io.project_root() / "notebooks" / "profiles" / f"{profile}.yml").read_text())
    assert sorted(raw["notebooks"]) == sorted(NOTEBOOKS)
    prof = pipeline.load_profile(profile)
    for name in NOTEBOOKS:
        params = prof.parameters(name, pipeline.notebook_parameters(NOTEBOOKS[name]))
        pipeline.validate_parameters(name, NOTEBOOKS[name], params)


def test_toc_lists_every_notebook():
    toc = (io.project_root() / "_toc.yml").read_text()
    for name in NOTEBOOKS:
        assert f"book/{name}" in toc


def test_smoke_run_ci_profile():
    manifest = pipeline.run("ci", log=print)
    assert all(rec["status"] == "ok" for rec in manifest["notebooks"].values())
    for name in NOTEBOOKS:
        assert (io.project_root() / "book" / f"{name}.ipynb").exists()


def test_first_chapter_runs_standalone_with_changed_parameter(tmp_path):
    import papermill as pm

    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(NOTEBOOKS["00_overview"]), str(out), parameters={"metric": "auc"},
                        kernel_name="python3", cwd=str(io.project_root()), progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert 'metric = "auc"' in injected[0].source


def test_bad_parameter_fails_in_the_notebook(tmp_path):
    import papermill as pm

    with pytest.raises(pm.PapermillExecutionError, match="parameter 'metric' = 'rmse'"):
        pm.execute_notebook(str(NOTEBOOKS["00_overview"]), str(tmp_path / "o.ipynb"),
                            parameters={"metric": "rmse"}, kernel_name="python3",
                            cwd=str(io.project_root()), progress_bar=False)
