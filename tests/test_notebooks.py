"""Every notebook: stored clean, one `parameters` cell, in both profiles; and a smoke
run of all of them with the `ci` profile through the pipeline, forced (every notebook
executes, whatever the manifest says) in a scratch copy of the project, so that the
developer's data/results and book/ are never touched."""

import json
import os
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from homelib import io, pipeline, store

NOTEBOOKS = pipeline.notebook_paths()
REPO = Path(__file__).resolve().parent.parent


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
    assert "{solution}" in text or "{solution-start}" in text, f"{name} has no solutions"


@pytest.mark.parametrize("profile", ["ci", "full"])
def test_profiles_cover_every_notebook(profile):
    raw = yaml.safe_load((io.project_root() / "notebooks" / "profiles" / f"{profile}.yml").read_text())
    assert sorted(raw["notebooks"]) == sorted(NOTEBOOKS)
    prof = pipeline.load_profile(profile)
    assert len(pipeline.validate_profile(prof)) == len(NOTEBOOKS)


def test_toc_lists_every_notebook():
    toc = (io.project_root() / "_toc.yml").read_text()
    for name in NOTEBOOKS:
        assert f"book/{name}" in toc


@pytest.fixture(scope="module")
def ci_project(tmp_path_factory):
    """The ci profile run, forced, in a scratch copy of the project.

    The copy has the notebooks, the reference tables, the test fixtures and (shared) the cache;
    its kernels import this checkout's homelib.
    """
    root = tmp_path_factory.mktemp("ci_project")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    (root / "data").mkdir()
    (root / "data" / "reference").symlink_to(REPO / "data" / "reference")
    (REPO / "data" / "cache").mkdir(parents=True, exist_ok=True)
    (root / "data" / "cache").symlink_to(REPO / "data" / "cache")  # keys include the code
    (root / "book").mkdir()
    # chapter 14 runs the profile command on the book's example profile
    shutil.copy(REPO / "book" / "example_profile.yml", root / "book" / "example_profile.yml")
    (root / "tests").mkdir()  # chapter 12's ci profile reads the check-in fixture
    (root / "tests" / "fixtures").symlink_to(REPO / "tests" / "fixtures")
    mp = pytest.MonkeyPatch()
    mp.setenv("HOMELIB_ROOT", str(root))
    mp.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    mp.delenv("HOMELIB_RESULTS_DIR", raising=False)
    lines = []
    try:
        manifest = pipeline.run("ci", force=True, log=lines.append)
        yield root, manifest, lines
    finally:
        mp.undo()


def test_smoke_run_ci_profile(ci_project):
    root, manifest, lines = ci_project
    assert sum("running (forced)" in line for line in lines) == len(NOTEBOOKS)
    assert all(rec["status"] == "ok" for rec in manifest["notebooks"].values())
    assert sorted(manifest["notebooks"]) == sorted(NOTEBOOKS)
    for name in NOTEBOOKS:
        assert (root / "book" / f"{name}.ipynb").exists()


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


# The file contracts of shared/design.md, read by the project's checks, with the
# notebook that writes each.
CONTRACTS = {
    "h2sea_calibration.csv": ("01_survey", ["quantity", "published", "simulated", "unit", "within"]),
    "h2sea_performance.csv": ("03_h2sea", ["task", "method", "f1", "auc", "gmean", "accuracy",
                                           "f1_std", "auc_std", "gmean_std", "accuracy_std",
                                           "repeats"]),
    "h2sea_feature_importance.csv": ("04_feature_importance",
                                     ["task", "rank", "feature", "f1", "auc", "gmean", "accuracy"]),
    "h2sea_city_village.csv": ("05_city_village", ["dataset", "task", "f1", "change_ratio_pct"]),
    "housing_income_correlation.csv": ("06_housing_income",
                                       ["scope", "n", "pearson_r", "ci_low", "ci_high", "p_value"]),
    "pfli_calibration.csv": ("07_social_world",
                             ["quantity", "published", "simulated", "unit", "within"]),
    "pfli_aed.csv": ("08_pfli", ["user_set", "method", "aed60", "aed80", "aed100", "n_users"]),
    "pfli_acc_at_k.csv": ("08_pfli", ["user_set", "method", "k_km", "acc"]),
    "exposure_models.csv": ("09_exposure", ["model", "mae", "rmse"]),
    "exposure_cases.csv": ("09_exposure", ["user", "category", "cluster_confidence",
                                           "error_distance_km", "pct_friends_with_attributes",
                                           "exposure_probability", "risk_level"]),
    "realdata_h2sea.csv": ("12_real_data", ["dataset", "task", "method", "f1", "auc", "gmean",
                                            "accuracy", "f1_std", "repeats"]),
    "realdata_correlation.csv": ("12_real_data", ["dataset", "level", "n", "pearson_r", "ci_low",
                                                  "ci_high"]),
    "home_exposure.csv": ("13_home_exposure", ["task", "disclosure", "exposure_probability",
                                               "risk_level", "utility", "n"]),
    "home_exposure_models.csv": ("13_home_exposure", ["model", "mae", "rmse"]),
    "claims.csv": ("10_claims", ["paper", "claim_id", "section", "claim", "scope", "verdict",
                                 "effect", "ci_low", "ci_high", "n_worlds", "chapter"]),
}


def test_result_contracts_after_ci_run(ci_project):
    """Each contract file of a notebook that ran is there, with its columns in order,
    not empty, and exactly as the manifest records it."""
    root, manifest, _ = ci_project
    results = root / "data" / "results"
    assert json.loads((results / "manifest.json").read_text()) == manifest
    assert {"profile", "notebooks", "seed", "git_commit", "packages", "files"} <= set(manifest)
    checked = 0
    for name, (notebook, columns) in CONTRACTS.items():
        if notebook not in NOTEBOOKS:
            continue
        df = pd.read_csv(results / name)
        assert list(df.columns[: len(columns)]) == columns, name
        assert len(df) > 0, name
        assert name in manifest["notebooks"][notebook]["outputs"]  # the contract's notebook wrote it
        owner = manifest["files"][name]["notebook"]
        assert name in manifest["notebooks"][owner]["outputs"]  # and so did the last writer
        checked += 1
    assert checked == sum(nb in NOTEBOOKS for nb, _ in CONTRACTS.values())
    mp = pytest.MonkeyPatch()
    mp.setenv("HOMELIB_ROOT", str(root))
    try:
        assert store.verify() == []
    finally:
        mp.undo()


def test_claims_ledger_after_ci_run(ci_project, monkeypatch):
    """Run after the smoke run: claims.csv has exactly its contract's columns, every claim of
    data/reference/claims.csv once, a known verdict, and an interval around every effect
    from at least 3 worlds (the ci profile runs 3 worlds too)."""
    monkeypatch.setenv("HOMELIB_ROOT", str(ci_project[0]))  # the smoke run's results
    import numpy as np
    import pandas as pd

    from homelib.claims import engine

    led = pd.read_csv(io.project_root() / "data" / "results" / "claims.csv")
    assert list(led.columns) == engine.LEDGER_COLUMNS
    assert led["claim_id"].tolist() == engine.load_claims()["claim_id"].tolist()
    assert set(led["verdict"]) <= set(engine.VERDICTS)
    tested = led[led["verdict"] != "not testable"]
    assert (tested["n_worlds"] >= 3).mean() > 0.9, tested.loc[tested.n_worlds < 3, "claim_id"]
    ok = tested["ci_low"].notna()
    assert (tested.loc[ok, "ci_low"] <= tested.loc[ok, "effect"] + 1e-12).all()
    assert (tested.loc[ok, "effect"] <= tested.loc[ok, "ci_high"] + 1e-12).all()
    decided = tested["verdict"].isin(["holds", "does not hold"])
    assert (np.sign(tested.loc[decided, "ci_low"]) == np.sign(tested.loc[decided, "ci_high"])).all()


# Chapters whose "this book vs the paper" verdicts come from the claims ledger (glued as
# claim-<claim_id>): every chapter that discusses a claim of data/reference/claims.csv.
LEDGER_CHAPTERS = ("03_h2sea", "04_feature_importance", "05_city_village", "06_housing_income",
                   "08_pfli", "09_exposure")


def _glued(path):
    """Glue names and text values of an executed notebook."""
    nb = nbformat.read(path, as_version=4)
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            text = o.get("data", {}).get("application/papermill.record/text/plain")
            if name and text is not None:
                out[name] = text.strip("'\"")
    return out


def test_chapter_verdicts_match_the_ledger_after_ci_run(ci_project, monkeypatch):
    """Run after the smoke run: every chapter that discusses claims glues each of them as
    claim-<claim_id>, with the verdict of data/results/claims.csv (so no chapter can state a
    verdict the ledger does not have), and glues no claim the ledger does not know."""
    monkeypatch.setenv("HOMELIB_ROOT", str(ci_project[0]))  # the smoke run's results
    import pandas as pd

    led = pd.read_csv(io.project_root() / "data" / "results" / "claims.csv").set_index("claim_id")
    # every chapter the ledger names is checked here (a new chapter with claims joins the list)
    assert set(led["chapter"]) <= set(LEDGER_CHAPTERS), set(led["chapter"]) - set(LEDGER_CHAPTERS)
    for chapter in LEDGER_CHAPTERS:
        if chapter not in NOTEBOOKS:
            continue
        glued = {k[len("claim-"):]: v for k, v in
                 _glued(io.project_root() / "book" / f"{chapter}.ipynb").items()
                 if k.startswith("claim-")}
        expected = led.index[led["chapter"] == chapter]
        assert set(glued) == set(expected), (chapter, sorted(set(expected) ^ set(glued))[:5])
        wrong = {c: (v, led.loc[c, "verdict"]) for c, v in glued.items()
                 if v != led.loc[c, "verdict"]}
        assert not wrong, (chapter, wrong)


def test_published_facts_shown_in_the_calibration_after_ci_run(ci_project, monkeypatch):
    """Run after the smoke run: every survey fact and Table 2 share that
    homelib.claims.published says is shown has a row (or rows, for the three-way class
    shares) in h2sea_calibration.csv."""
    monkeypatch.setenv("HOMELIB_ROOT", str(ci_project[0]))  # the smoke run's results
    import pandas as pd

    from homelib.claims import published

    cal = pd.read_csv(io.project_root() / "data" / "results" / "h2sea_calibration.csv")["quantity"].astype(str)
    c = published.coverage()
    shown = c[(c["file"] == "h2sea_facts") & (c["status"] == "shown")]["row"]
    missing = [k for k in shown if not cal.str.startswith(k).any()]
    t2 = c[c["file"] == "h2sea_table2_demographics"]["row"].str.replace("|", ": ", regex=False)
    missing += [k for k in t2 if f"table2_{k}" not in set(cal)]
    assert not missing, missing
