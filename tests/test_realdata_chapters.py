"""Chapters 01-09, 11, 13 and 14 run on small real-format folders through their ``data`` parameter.

The folders are the committed fixtures of the "Bring your own data" layout:
``tests/fixtures/feature_table`` (``features.csv`` + ``schema.csv``: 240 people, 12 counties,
3 tasks, and the counts within 2 km chapter 13's exposure features read) and ``tests/fixtures/social_world`` (``places.csv``, ``users.csv``, ``edges.csv``,
``orgs.csv``: 744 users). Each notebook runs in a scratch copy of the project with tiny
settings; the tests check that the chapter used the folder (its numbers are the fixture's,
worked out here from the files), not the simulated world.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from homelib import pipeline

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
NOTEBOOKS = pipeline.notebook_paths()


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A scratch project (notebooks, reference tables, shared cache) whose kernels import this
    checkout's homelib."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    (root / "data").mkdir()
    (root / "data" / "reference").symlink_to(REPO / "data" / "reference")
    (REPO / "data" / "cache").mkdir(parents=True, exist_ok=True)
    (root / "data" / "cache").symlink_to(REPO / "data" / "cache")
    monkeypatch.setenv("HOMELIB_ROOT", str(root))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv("HOMELIB_RESULTS_DIR", raising=False)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(var, "1")
    return root


def _run(project, name, parameters):
    import papermill as pm

    out = project / f"{name}.out.ipynb"
    pm.execute_notebook(str(project / "notebooks" / f"{name}.ipynb"), str(out), parameters=parameters,
                        kernel_name="python3", cwd=str(project), progress_bar=False)
    return nbformat.read(out, as_version=4)


def _scratch(project, name):
    """The one result file ``name`` a standalone run wrote (``data/scratch/<run id>/``)."""
    found = sorted((project / "data" / "scratch").glob(f"*/{name}"))
    assert len(found) == 1, found
    return found[0]


def _glued(nb, mime: str = "text/plain") -> dict[str, str]:
    """Every ``glue`` value of an executed notebook of type ``mime`` (text, or markdown), by key."""
    found = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            book = out.get("metadata", {}).get("scrapbook", {})
            key = book.get("mime_prefix", "") + mime
            if book.get("name") and key in out.get("data", {}):
                found[book["name"]] = out["data"][key].strip("'\"")
    return found


def _people_folder(tmp_path, weights=True):
    """A tiny simulated survey's kept people as people.csv (age blank where not answered)."""
    from homelib.h2sea.world import SurveyConfig, simulate_survey

    world = simulate_survey(SurveyConfig(provinces=("Zhejiang",), years=(2015,), counties_per_province=4,
                                         households_per_village=15), seed=3)
    p = world.people
    people = p[["lat", "lon", "province", "city", "county", "urban_type", "personal_income",
                "family_income", "education", "occupation"]].assign(
        age=p.age.where(p.age_answered).astype("Int64")).reset_index()
    if weights:  # a design weight: rural people count three times
        people["weight"] = np.where(people.urban_type == "rural", 3.0, 1.0)
    folder = tmp_path / "survey"
    folder.mkdir()
    people.to_csv(folder / "people.csv", index=False)
    return folder, people


def test_chapter_01_runs_on_a_people_folder(project, tmp_path):
    folder, people = _people_folder(tmp_path)
    nb = _run(project, "01_survey", {"data": str(folder), "mc_reps": 10, "scale": 0.05})
    glued = _glued(nb)
    assert glued["01-sample-sentence"].startswith(f"The folder `{folder}` holds {len(people):,} people")
    assert "weighted by the column" in glued["01-table2-note"]
    assert glued["01-mc-ratio"].startswith("not computed on a folder")
    assert "true home" in glued["01-err-sentence"]
    assert "simulated survey at scale 0.05" in glued["01-exercise-note"]
    rural = people.urban_type == "rural"
    w = np.where(rural, 3.0, 1.0)
    table = next(o for c in nb.cells if "sample.table2(people)" in c.source for o in c.outputs
                 if "text/plain" in o.get("data", {}))["data"]["text/plain"]
    low_edu = 100 * w[people.education.eq(0).fillna(False).to_numpy()].sum() / w.sum()
    assert f"{low_edu:.2f}" in table  # the weighted share of lower secondary, from the file
    assert not list((project / "data" / "scratch").glob("*/h2sea_calibration.csv"))  # no calibration


def test_chapter_01_refuses_a_people_table_with_a_bad_level(project, tmp_path):
    import papermill as pm

    folder, people = _people_folder(tmp_path, weights=False)
    people.assign(education=people.education.astype("Int64").where(people.index != 2, 5)).to_csv(
        folder / "people.csv", index=False)
    with pytest.raises(pm.PapermillExecutionError, match=r"column 'education', row 2 \(line 4\), value '5'"):
        _run(project, "01_survey", {"data": str(folder)})


def _collected_sources(tmp_path):
    """A tiny simulated survey's collected sources, written as a folder (the layout of load_sources)."""
    from homelib.h2sea.collection import simulate_sources
    from homelib.h2sea.sources import write_sources
    from homelib.h2sea.world import SurveyConfig, simulate_survey

    world = simulate_survey(SurveyConfig(provinces=("Zhejiang",), years=(2015,), counties_per_province=4,
                                         households_per_village=15), seed=3)
    return write_sources(simulate_sources(world, seed=3), tmp_path / "collected")


def test_chapter_02_runs_on_a_folder_of_collected_sources(project, tmp_path):
    folder = _collected_sources(tmp_path)
    homes, sale = pd.read_csv(folder / "homes.csv"), pd.read_csv(folder / "sale.csv")
    nb = _run(project, "02_enrich", {"data": str(folder), "map_homes": 10, "scale": 0.05})
    glued = _glued(nb)
    assert glued["02-n-homes"] == f"{len(homes):,}"  # the folder's 38 homes, not a survey world's
    assert glued["02-data-note"].startswith(f"These are the homes of the folder `{folder}`")
    assert glued["02-market-note"].startswith(f"The folder lists {len(sale):,} homes for sale")
    income = pd.read_csv(folder / "county_income.csv")[["city", "county"]].drop_duplicates()
    published = homes[["city", "county"]].drop_duplicates().merge(income, how="left", indicator=True)
    share = (published._merge == "both").mean()
    assert glued["02-stats-note"].startswith(f"Here {100 * share:.0f}% of the homes' counties publish")
    assert "corr_price_vs_income_level_china, corr_price_vs_exact_income_2800" in glued["02-vs-note"]
    assert "holds no ground truth" in glued["02-ex4-note"]
    assert not list((project / "data" / "scratch").glob("*/h2sea_calibration.csv"))  # no calibration


def test_chapter_02_refuses_a_folder_without_a_column(project, tmp_path):
    import papermill as pm

    folder = _collected_sources(tmp_path)
    pd.read_csv(folder / "pois.csv").drop(columns="category").to_csv(folder / "pois.csv", index=False)
    with pytest.raises(pm.PapermillExecutionError, match=r"pois\.csv: missing column\(s\) \['category'\]"):
        _run(project, "02_enrich", {"data": str(folder)})


def test_chapter_03_runs_on_a_feature_table_folder(project):
    folder = FIXTURES / "feature_table"
    raw = pd.read_csv(folder / "features.csv")
    nb = _run(project, "03_h2sea", {
        "data": str(folder), "tasks": ["personal_income", "education"], "repeats": 1,
        "grid_profile": "ci", "max_epochs": 3, "dropout_values": [0.3], "lambda_values": [0.5],
        "sensitivity_repeats": 1})
    glued = _glued(nb)
    assert glued["03-n-people"] == f"{len(raw):,}"  # 240, not the survey world's ~4,500
    assert glued["03-n-features"] == "6"  # 3 numeric + 1 aggregate + region + urban type
    assert glued["03-n-categorical"] == "2"
    labelled = next(o for c in nb.cells if "labelled people" in c.source for o in c.outputs
                    if "text/plain" in o.get("data", {}))["data"]["text/plain"]
    assert str(int(raw.education.notna().sum())) in labelled  # 231: 9 people gave no answer
    performance = pd.read_csv(_scratch(project, "h2sea_performance.csv"))
    assert sorted(performance.task.unique()) == ["education", "personal_income"]
    assert performance.repeats.eq(1).all()


def test_chapter_03_refuses_a_task_with_two_classes(project):
    import papermill as pm

    with pytest.raises(pm.PapermillExecutionError, match="task 'occupation' has 2 classes"):
        _run(project, "03_h2sea", {"data": str(FIXTURES / "feature_table"), "tasks": ["occupation"],
                                   "repeats": 1, "grid_profile": "ci", "max_epochs": 1})


def _table_copy(tmp_path, name="feature_table"):
    """A scratch copy of the committed feature table fixture (to edit)."""
    folder = tmp_path / name
    shutil.copytree(FIXTURES / "feature_table", folder)
    return folder


def test_chapter_04_ranks_the_families_of_the_schema(project):
    folder = FIXTURES / "feature_table"
    nb = _run(project, "04_feature_importance", {"data": str(folder), "repeats": 1, "max_epochs": 2,
                                                 "n_jobs": 1})
    glued = _glued(nb)
    assert glued["04-n-families"] == "5"  # the schema's 4 named families + region alone
    note = _glued(nb, "text/markdown")["04-data-note"]
    assert "County statistics (`county_income`, `county_education_mean`)" in note
    assert "region (`region`)" in note and "Left out: occupation (2 classes)" in note
    assert "a different table from yours" in note
    assert glued["04-claims-summary"].startswith("not evaluated")
    top = pd.read_csv(_scratch(project, "h2sea_feature_importance.csv"))
    assert top.task.unique().tolist() == ["personal_income", "education"]
    assert sorted(top.feature.unique()) == ["County statistics", "Housing price", "POI", "Urban type",
                                            "region"]
    assert top.groupby("task")["rank"].apply(list).map(sorted).tolist() == [[1, 2, 3, 4, 5]] * 2


def test_chapter_04_refuses_a_folder_without_a_three_class_task(project, tmp_path):
    import papermill as pm

    folder = _table_copy(tmp_path)
    schema = pd.read_csv(folder / "schema.csv", keep_default_na=False)
    schema.loc[schema.column.isin(["personal_income", "education"]), ["role", "classes", "label_source"]] = \
        ["meta", "", ""]
    schema.to_csv(folder / "schema.csv", index=False)
    with pytest.raises(pm.PapermillExecutionError, match="no task with 3 classes"):
        _run(project, "04_feature_importance", {"data": str(folder), "repeats": 1, "max_epochs": 1})


def test_chapter_05_splits_the_folder_by_urban_type(project):
    folder = FIXTURES / "feature_table"
    raw = pd.read_csv(folder / "features.csv")
    nb = _run(project, "05_city_village", {"data": str(folder), "repeats": 1, "dropout_grid": [0.3],
                                           "max_epochs": 2, "rank_repeats": 1, "n_jobs": 1})
    glued = _glued(nb)
    city = raw.urban_type.isin(["city_center", "city_border"])
    assert glued["05-n-city"] == f"{int(city.sum()):,}" and glued["05-n-village"] == f"{int((~city).sum()):,}"
    assert glued["05-cov-city"] == f"{100 * raw.has_sale_price_2km[city].mean():.0f}%"
    assert glued["05-cov-village"] == f"{100 * raw.has_sale_price_2km[~city].mean():.0f}%"
    assert glued["05-ex4-family"] == "housing price"  # the family of price_mean in the schema
    note = _glued(nb, "text/markdown")["05-data-note"]
    assert "Left out: occupation (2 classes)" in note and "a different table from yours" in note
    assert glued["05-claims-summary"].startswith("not evaluated")
    tab = pd.read_csv(_scratch(project, "h2sea_city_village.csv"))
    assert sorted(tab.task.unique()) == ["education", "personal_income"]
    assert tab.dataset.unique().tolist() == ["city+village", "city-only", "village-only"]


def test_chapter_05_refuses_a_folder_without_urban_type(project, tmp_path):
    import papermill as pm

    folder = _table_copy(tmp_path)
    pd.read_csv(folder / "features.csv").drop(columns="urban_type").to_csv(folder / "features.csv", index=False)
    schema = pd.read_csv(folder / "schema.csv", keep_default_na=False)
    schema[schema.column != "urban_type"].to_csv(folder / "schema.csv", index=False)
    with pytest.raises(pm.PapermillExecutionError, match="needs column\\(s\\) \\['urban_type'"):
        _run(project, "05_city_village", {"data": str(folder), "repeats": 1, "max_epochs": 1})


SMALL_06 = {"sweep_values": [0.0, 1.0], "sweep_scale": 0.05, "min_city_n": 4}


def _level_r(raw, listed_only=True):
    keep = raw.personal_income.notna() & (raw.has_sale_price_2km if listed_only else True)
    return raw.price_mean[keep].corr(raw.personal_income[keep].astype(float))


def test_chapter_06_correlates_the_folder_price_with_the_level_and_the_exact_income(project):
    folder = FIXTURES / "feature_table"
    raw = pd.read_csv(folder / "features.csv")
    nb = _run(project, "06_housing_income", {"data": str(folder), **SMALL_06})
    glued = _glued(nb)
    listed = raw[raw.has_sale_price_2km]
    assert glued["06-r-level"] == f"{_level_r(raw):.2f}"
    assert glued["06-r-exact"] == f"{listed.price_mean.corr(listed.income_exact):.2f}"
    assert glued["06-n-exact"] == f"{len(listed):,}"  # every listed home has an exact income
    assert glued["06-r-com"] == "not computed"  # the housing-type split is the world's
    note = _glued(nb, "text/markdown")["06-data-note"]
    assert "its `income_exact` column (240 people" in note and "a different table from yours" in note
    assert glued["06-claims-summary"].startswith("not evaluated")
    corr = pd.read_csv(_scratch(project, "housing_income_correlation.csv"))
    assert not corr.scope.str.startswith(("sweep_link", "china", "commercial", "own")).any()
    areas = corr[corr.scope.str.startswith("area_level_2km:")]
    assert len(areas) and set(areas.scope.str.split(":").str[1]) <= set(raw.county)


def test_chapter_06_without_the_exact_income_computes_the_level_only(project, tmp_path):
    folder = _table_copy(tmp_path)
    raw = pd.read_csv(folder / "features.csv")
    raw.drop(columns="income_exact").to_csv(folder / "features.csv", index=False)
    schema = pd.read_csv(folder / "schema.csv", keep_default_na=False)
    schema.loc[schema.column == "personal_income", "label_source"] = ""
    schema[schema.column != "income_exact"].to_csv(folder / "schema.csv", index=False)
    nb = _run(project, "06_housing_income", {"data": str(folder), **SMALL_06})
    glued = _glued(nb)
    assert glued["06-r-level"] == f"{_level_r(raw):.2f}"
    assert glued["06-r-exact"] == "not computed" and glued["06-n-exact"] == "0"
    assert "only the correlations with the income level are computed" in _glued(nb, "text/markdown")["06-data-note"]
    corr = pd.read_csv(_scratch(project, "housing_income_correlation.csv"))
    assert not corr.scope.str.contains("exact").any()


def test_chapter_06_refuses_a_folder_without_a_housing_price(project, tmp_path):
    import papermill as pm

    folder = _table_copy(tmp_path)
    pd.read_csv(folder / "features.csv").drop(columns="price_mean").to_csv(folder / "features.csv", index=False)
    schema = pd.read_csv(folder / "schema.csv", keep_default_na=False)
    schema[schema.column != "price_mean"].to_csv(folder / "schema.csv", index=False)
    with pytest.raises(pm.PapermillExecutionError, match="needs column\\(s\\) \\['price_mean'"):
        _run(project, "06_housing_income", {"data": str(folder), **SMALL_06})


def test_chapter_08_runs_on_a_social_world_folder(project):
    folder = FIXTURES / "social_world"
    users = pd.read_csv(folder / "users.csv")
    nb = _run(project, "08_pfli", {
        "data": str(folder), "folds": 2, "train_users": 200, "ln_users": 0,
        "ks": [10, 25, 40, 100], "n_map_users": 20, "friend_only_scale": 0.001, "scale": 0.001})
    glued = _glued(nb)
    la = users[users.current_visible & (users.current_place >= 0)]
    assert glued["08-n-eval"] == f"{len(la):,}"  # every LA user of the folder, predicted once
    aed = pd.read_csv(_scratch(project, "pfli_aed.csv"))
    overall = aed[(aed.user_set == "overall") & (aed.method == "PFLI_prob")]
    assert overall.n_users.tolist() == [len(la)]


def _social_copy(tmp_path, name="social_world"):
    """A scratch copy of the committed social world fixture (to edit)."""
    folder = tmp_path / name
    shutil.copytree(FIXTURES / "social_world", folder)
    return folder


def test_chapter_07_runs_on_a_social_world_folder_with_unknown_cities(project, tmp_path):
    folder = _social_copy(tmp_path)
    users = pd.read_csv(folder / "users.csv")
    hidden = users.index % 10 == 3  # 10% of the users: nobody knows their city
    users.loc[hidden, ["current_place", "current_visible"]] = [-1, False]
    users.loc[users.index % 7 == 1, "hometown"] = -1
    users.loc[users.index % 7 == 1, "hometown_visible"] = False
    users.to_csv(folder / "users.csv", index=False)
    nb = _run(project, "07_social_world", {"data": str(folder), "n_map_places": 20})
    glued = _glued(nb)
    assert glued["07-n-users"] == f"{len(users):,}"  # the folder's 744 users, not a simulated world
    assert f"{int(hidden.sum()):,} of its users have no known current city" in glued["07-data-note"]
    assert "no simulation settings" in glued["07-config-note"]
    assert "only 2 places in the paper's box" in glued["07-box-note"]  # the fixture has 2 there
    assert glued["07-box-places"] == "50"  # the 50 places nearest its busiest place
    known = users[~hidden]
    has_home = known.hometown >= 0
    assert f"{int(has_home.sum()):,} have a hometown" in glued["07-home-note"]
    expected_stay = (known.hometown[has_home] == known.current_place[has_home]).mean()
    assert glued["07-stay"] == f"{expected_stay:.0%}"
    calib = pd.read_csv(_scratch(project, "pfli_calibration.csv"))
    row = calib.set_index("quantity").loc
    assert row["users", "simulated"] == len(users)
    assert row["LA users (current city public)", "simulated"] == int(users.current_visible.sum())


def test_chapter_07_refuses_a_folder_without_coordinates(project, tmp_path):
    import papermill as pm

    folder = _social_copy(tmp_path)
    pd.read_csv(folder / "places.csv").drop(columns="lat").to_csv(folder / "places.csv", index=False)
    with pytest.raises(pm.PapermillExecutionError, match="'lat'"):
        _run(project, "07_social_world", {"data": str(folder)})


def test_chapter_09_runs_on_a_social_world_folder(project):
    folder = FIXTURES / "social_world"
    users = pd.read_csv(folder / "users.csv")
    nb = _run(project, "09_exposure", {
        "data": str(folder), "pfli_folds": 2, "ln_users": 60, "ks": [20, 100], "min_group_size": 2,
        "cv_folds": 2, "n_estimators": 5, "n_jobs": 1, "n_whatif": 20, "cases_per_level": 1})
    glued = _glued(nb)
    la = users[users.current_visible]
    assert glued["09-n-users"] == str(len(users))  # the folder's 744 users
    assert glued["09-n-la"] == str(len(la))  # every LA user of the folder, predicted once
    ln_known = int((~users.current_visible & (users.current_place >= 0)).sum())
    assert f"gives the true city of {ln_known:,} of its LN users" in glued["09-data-note"]
    assert glued["09-claims-summary"].startswith("not tested on a folder")
    models = pd.read_csv(_scratch(project, "exposure_models.csv"))
    assert {"RDF", "LinearRegression"} <= set(models.model)
    assert models[["mae", "rmse"]].notna().all().all()
    cases = pd.read_csv(_scratch(project, "exposure_cases.csv"))
    assert set(cases.user) <= set(users.user_id[~users.current_visible])  # LN users of the folder


def test_chapter_09_refuses_a_folder_without_visibility_flags(project, tmp_path):
    import papermill as pm

    folder = _social_copy(tmp_path)
    users = pd.read_csv(folder / "users.csv").drop(columns="friends_visible")
    users.to_csv(folder / "users.csv", index=False)
    with pytest.raises(pm.PapermillExecutionError, match="friends_visible"):
        _run(project, "09_exposure", {"data": str(folder)})


SMALL_11 = {"scales": [0.5, 1.0], "n_workers": [1], "processes": False, "partition_size": 100,
            "train_users": 100, "eval_folds": 2}
"""Chapter 11's smallest settings: two shares of the folder, one threaded Dask worker."""


def test_chapter_11_measures_shares_of_a_social_world_folder(project):
    from homelib.pfli.data import read_social_world, subsample_world

    folder = FIXTURES / "social_world"
    network = read_social_world(folder)
    nb = _run(project, "11_pfli_scale", {"data": str(folder), **SMALL_11})
    glued = _glued(nb)
    half = subsample_world(network, 0.5, seed=0)
    note = glued["11-worlds-note"]
    assert note.startswith(f"The chapter measures the network in {folder} (744 users, "
                           f"{len(network.edges):,} friendships, {network.n_places} places)")
    assert "2 seeded random subsamples of 50%, 100% of its users (seed 0)" in note
    assert note.endswith(f"from {half.n_users} to 744 users.")
    assert glued["11-identical"] == "identical"
    assert glued["11-eval-users"] == f"{int(half.users.current_visible.sum()):,}"  # the half's LA users
    assert "on the network in" in glued["11-vs-paper"] and "up to 744" in glued["11-vs-paper"]
    tables = [o["data"]["text/plain"] for c in nb.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "execute_result"]
    prep = next(t for t in tables if "n_places" in t)
    assert "world (s)" not in prep  # the subsamples are drawn before, not built
    assert f"{len(half.edges)}" in prep and f"{len(network.edges)}" in prep


def test_chapter_11_refuses_a_folder_without_a_column(project, tmp_path):
    import papermill as pm

    folder = _social_copy(tmp_path)
    pd.read_csv(folder / "users.csv").drop(columns="hometown").to_csv(folder / "users.csv", index=False)
    with pytest.raises(pm.PapermillExecutionError, match=r"users.csv: missing column\(s\) \['hometown'\]"):
        _run(project, "11_pfli_scale", {"data": str(folder), **SMALL_11})


def test_chapter_11_refuses_shares_above_one_on_a_folder(project):
    import papermill as pm

    with pytest.raises(pm.PapermillExecutionError, match=r"scales: on a data folder .* \(0, 1\]"):
        _run(project, "11_pfli_scale", {"data": str(FIXTURES / "social_world"),
                                        **SMALL_11, "scales": [0.5, 2.0]})


_CH13 = {"tasks": ["personal_income", "education"], "repeats": 2,
         "attacker_methods": ["XGBoost", "H2SEA"], "max_epochs": 3, "min_group_size": 2,
         "cv_folds": 2, "n_estimators": 5, "n_jobs": 1, "scale": 0.25, "profile_scale": 0.01,
         "pfli_folds": 3, "ln_users": 300, "chain_users": 100}
"""Chapter 13's smallest settings (the social world and the survey world at chapter 13's ci
sizes, so that a run after the ci profile reuses their cache)."""


def _table_copy(tmp_path, with_city=False):
    """A scratch copy of the committed feature table fixture; ``with_city`` adds an area column
    ``city`` (4 cities of 3 counties each)."""
    folder = tmp_path / "feature_table"
    shutil.copytree(FIXTURES / "feature_table", folder)
    if with_city:
        df = pd.read_csv(folder / "features.csv")
        df.insert(2, "city", "T" + (df.county.str[1:].astype(int) // 3).astype(str))
        df.to_csv(folder / "features.csv", index=False)
        schema = pd.read_csv(folder / "schema.csv", keep_default_na=False)
        row = pd.DataFrame([{**{c: "" for c in schema.columns}, "column": "city", "role": "area"}])
        pd.concat([schema.iloc[:2], row, schema.iloc[2:]]).to_csv(folder / "schema.csv", index=False)
    return folder


def test_chapter_13_runs_on_a_feature_table_folder(project, tmp_path):
    folder = _table_copy(tmp_path, with_city=True)
    raw = pd.read_csv(folder / "features.csv")
    nb = _run(project, "13_home_exposure", {"data": str(folder), **_CH13})
    glued = _glued(nb)
    assert glued["13-n-people"] == f"{len(raw):,}"  # 240, not the survey world's
    assert glued["13-data-what"] == f"The folder {folder}"
    assert "only the exact home is measured" in glued["13-ladder-text"]
    assert glued["13-ex5-up"].startswith("not measurable")
    assert glued["13-gap-03"].startswith("a number not computed here")
    # the chain's prior: the folder's 4 cities, with labelled personal income in each
    assert glued["13-n-survey-cities"] == str(raw.loc[raw.personal_income.notna(), "city"].nunique())
    assert glued["13-chain-data"].startswith(f"The attacker's prior comes from the folder {folder}")
    whatif = pd.read_csv(_scratch(project, "home_exposure.csv"))
    assert whatif.disclosure.unique().tolist() == ["exact"]
    assert sorted(whatif.task) == ["education", "personal_income"]
    tested = 2 * round(0.1 * len(raw))  # two splits' test people (10%), about
    assert abs(int(whatif.set_index("task").loc["personal_income", "n"]) - tested) <= 4
    models = pd.read_csv(_scratch(project, "home_exposure_models.csv"))
    assert {"RDF", "LinearRegression"} <= set(models.model)
    assert models[["mae", "rmse"]].notna().all().all()


def test_chapter_13_chain_stays_simulated_without_a_city_column(project):
    folder = FIXTURES / "feature_table"
    nb = _run(project, "13_home_exposure", {"data": str(folder), **_CH13})
    glued = _glued(nb)
    assert glued["13-chain-data"].startswith(f"The folder {folder} has no area column city")
    assert int(glued["13-n-survey-cities"]) > 4  # the survey world's cities


def test_chapter_13_refuses_a_folder_without_poi_counts(project, tmp_path):
    import papermill as pm

    folder = _table_copy(tmp_path)
    pd.read_csv(folder / "features.csv").drop(columns="poi_count").to_csv(
        folder / "features.csv", index=False)
    schema = pd.read_csv(folder / "schema.csv", keep_default_na=False)
    schema[schema.column != "poi_count"].to_csv(folder / "schema.csv", index=False)
    with pytest.raises(pm.PapermillExecutionError, match=r"missing column\(s\) \['poi_count'\]"):
        _run(project, "13_home_exposure", {"data": str(folder), **_CH13})


def test_chapter_14_checks_a_profile_against_a_social_world_folder(project):
    folder = FIXTURES / "social_world"
    users = pd.read_csv(folder / "users.csv")
    nb = _run(project, "14_check_your_profile", {"data": str(folder), "world": "ci"})
    glued = _glued(nb)
    assert glued["14-users"] == f"{len(users):,}"  # the folder's 744 users
    assert glued["14-places"] == str(len(pd.read_csv(folder / "places.csv")))
    assert glued["14-world-what"] == f"The folder {folder}"
    assert glued["14-honesty"].startswith("That is the estimator's honesty on the LN users of your folder")
    ln_known = int((~users.current_visible & (users.current_place >= 0)).sum())
    assert glued["14-n-ln"] == f"{min(ln_known, 300):,}"  # the ci preset's ln_users, at most
    assert 1 <= int(glued["14-level"]) <= 5
    assert any("Not run here" in o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def test_chapter_14_refuses_a_work_city_without_local_organisations(project, tmp_path):
    import papermill as pm

    folder = _social_copy(tmp_path)
    orgs = pd.read_csv(folder / "orgs.csv")
    orgs.assign(kind="multi").to_csv(folder / "orgs.csv", index=False)  # no local organisation
    with pytest.raises(pm.PapermillExecutionError, match=r"profile\['work'\]: the world has no local"):
        _run(project, "14_check_your_profile", {"data": str(folder), "world": "ci"})
