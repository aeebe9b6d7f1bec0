"""Malformed inputs for every loader, every profile field and every notebook parameter.

The cases are data (``tests/fuzz_corpus.yml``, one line each) plus cases generated from
the parameter specs and hypothesis strategies over the table schemas. Every case must
fail with a clear error naming the field (file and line, key, column and row, or
parameter); none may be accepted silently.
"""

from __future__ import annotations

import io as stdio
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homelib import io, params, paths, pipeline, schemas
from homelib.__main__ import main
from homelib.exposure import estimator as exp_estimator
from homelib.h2sea import features, sources
from homelib.pfli import data as social_data

REPO = Path(__file__).resolve().parent.parent
CORPUS = yaml.safe_load((REPO / "tests" / "fuzz_corpus.yml").read_text(encoding="utf-8"))


def _ids(section):
    return [f"{i:02d}-{c[0]}" for i, c in enumerate(CORPUS[section])]


# ---------------------------------------------------------------------------
# good tables, which each case breaks in one place
# ---------------------------------------------------------------------------


def good_tables() -> dict[str, pd.DataFrame]:
    homes = pd.DataFrame({
        "person_id": [1, 2, 3], "lat": [30.0, 30.1, 30.2], "lon": [120.0, 120.1, 120.2],
        "province": ["Zhejiang"] * 3, "city": ["杭州市"] * 3, "county": ["西湖区"] * 3,
        "town": ["t1", "t2", "t3"], "street": ["s1", "s2", "s3"],
        "zip_code": ["310000", "310001", "310002"],
        "urban_type": ["city_center", "rural", "city_border"]})
    listing = pd.DataFrame({"lat": [30.0, 30.1, 30.2], "lon": [120.0, 120.1, 120.2],
                            "price": [9000.0, 12000.0, 15000.0], "city": ["杭州市"] * 3})
    feat = pd.DataFrame({c: [0.0, 1.0, 0.0] for c in features.feature_columns()
                         if c not in features.CATEGORICAL})
    feat.insert(0, "person_id", [1, 2, 3])
    for c, v in zip(features.CATEGORICAL, ["100001", "Hebei", "c", "k", "t", "s", "rural"],
                    strict=True):
        feat[c] = v
    return {
        "sources/homes": homes,
        "sources/sale": listing,
        "sources/rent": listing.assign(price=[30.0, 40.0, 50.0]),
        "sources/city_prices": pd.DataFrame({"city": ["杭州市", "宁波市"],
                                             "avg_price": [20000.0, 15000.0]}),
        "sources/county_income": pd.DataFrame({"city": ["杭州市"] * 2, "county": ["西湖区"] * 2,
                                               "year": [2012, 2013], "income": [5e4, 5.2e4]}),
        "sources/town_stats": pd.DataFrame({"city": ["杭州市"] * 2, "county": ["西湖区"] * 2,
                                            "town": ["t1", "t1"], "year": [2012, 2013],
                                            "budget": [1e6, np.nan], "tax": [2e5, 3e5]}),
        "sources/pois": pd.DataFrame({"lat": [30.0, 30.1], "lon": [120.0, 120.1],
                                      "category": ["food/bar", "education/university"]}),
        "features": feat,
        "social/places": pd.DataFrame({"place_id": [0, 1], "name": ["Paris", "Lyon"],
                                       "lat": [48.85, 45.76], "lon": [2.35, 4.84],
                                       "population": [2_100_000, 520_000]}),
        "social/users": pd.DataFrame({
            "user_id": [0, 1, 2], "current_place": [0, 1, 1], "hometown": [0, -1, 1],
            "work": [-1, 0, -1], "current_visible": [True, False, False],
            "hometown_visible": [True, False, True], "work_visible": [False, True, False],
            "friends_visible": [True, False, True]}),
        "social/edges": pd.DataFrame({"u": [0, 1], "v": [1, 2]}),
        "social/orgs": pd.DataFrame({"org_id": [0], "kind": ["local"], "n_sites": [1]}),
        "survey/people": pd.DataFrame({
            "person_id": [0, 1], "survey_year": [2015, 2016], "province": ["Zhejiang"] * 2,
            "city": ["杭州市"] * 2, "county": ["西湖区"] * 2, "urban_type": ["rural", "city_center"],
            "age": [30, 54], "male": [True, False], "personal_income": [0, pd.NA],
            "family_income": [1, 2], "education": [2, 0], "occupation": [pd.NA, 1],
            "lat": [30.0, 30.1], "lon": [120.0, 120.1]}),
        "survey/counties": pd.DataFrame({
            "county_id": [0, 1], "province": ["Zhejiang"] * 2, "city": ["杭州市"] * 2,
            "county": ["西湖区", "上城区"], "lat": [30.2, 30.25], "lon": [120.1, 120.17],
            "zip_code": ["310000", "310002"], "households": [300000, 250000]}),
        "survey/cities": pd.DataFrame({"city": ["杭州市", "宁波市"], "province": ["Zhejiang"] * 2,
                                       "avg_price": [20000.0, np.nan]}),
        "survey/towns": pd.DataFrame({
            "town_id": [0, 1], "county_id": [0, 0], "name": ["a", "b"],
            "zip_code": ["310001", "310003"], "urban_type": ["city_center", "rural"],
            "lat": [30.2, 30.3], "lon": [120.1, 120.2], "households": [7000, 3000]}),
        "survey/villages": pd.DataFrame({
            "village_id": [0, 1], "town_id": [0, 1], "street": ["a1", "b1"],
            "name": ["a1c1", "b1c1"], "lat": [30.2, 30.3], "lon": [120.1, 120.2],
            "households": [1000, 500]}),
    }


RESULT_ROWS = {
    "h2sea_calibration.csv": {"quantity": "provinces", "published": 9.0, "simulated": 9.0,
                              "unit": "count", "within": True},
    "h2sea_performance.csv": {"task": "education", "method": "H2SEA", "f1": 0.4, "auc": 0.6,
                              "gmean": 0.3, "accuracy": 0.5, "f1_std": 0.01, "auc_std": 0.0,
                              "gmean_std": np.nan, "accuracy_std": 0.02, "repeats": 2},
    "h2sea_feature_importance.csv": {"task": "education", "rank": 1, "feature": "POI", "f1": 0.4,
                                     "auc": 0.6, "gmean": 0.3, "accuracy": 0.5},
    "h2sea_city_village.csv": {"dataset": "city", "task": "education", "f1": 0.4,
                               "change_ratio_pct": 3.2},
    "housing_income_correlation.csv": {"scope": "china", "n": 300, "pearson_r": 0.3,
                                       "ci_low": 0.2, "ci_high": 0.4, "p_value": 1e-6},
    "pfli_calibration.csv": {"quantity": "users", "published": 20009.0, "simulated": 20009,
                             "unit": "count", "within": True},
    "pfli_aed.csv": {"user_set": "overall", "method": "PFLI_cmb", "aed60": 0.0, "aed80": 3.3,
                     "aed100": 700.0, "n_users": 5000},
    "pfli_acc_at_k.csv": {"user_set": "overall", "method": "PFLI_cmb", "k_km": 25.0, "acc": 0.7},
    "exposure_models.csv": {"model": "RDF", "mae": 0.05, "rmse": 0.06},
    "exposure_cases.csv": {"user": 3587, "category": "WE", "cluster_confidence": 0.14,
                           "error_distance_km": 100.0, "pct_friends_with_attributes": 0.0,
                           "exposure_probability": 0.11, "risk_level": 1},
    "claims.csv": {"paper": "PFLI", "claim_id": "P1", "section": "7", "claim": "PFLI beats kNN",
                   "scope": "all", "verdict": "holds", "effect": 0.1, "ci_low": 0.05,
                   "ci_high": 0.15, "n_worlds": 5, "chapter": "10"},
    "realdata_h2sea.csv": {"dataset": "census", "task": "education", "method": "H2SEA",
                           "f1": 0.4, "auc": 0.6, "gmean": 0.3, "accuracy": 0.5,
                           "f1_std": 0.01, "repeats": 3},
    "realdata_correlation.csv": {"dataset": "columbus", "level": "tract", "n": 49,
                                 "pearson_r": 0.5, "ci_low": 0.3, "ci_high": 0.7},
    "home_exposure.csv": {"task": "education", "disclosure": "zip", "exposure_probability": 0.4,
                          "risk_level": 2, "utility": 0.8, "n": 100},
    "home_exposure_models.csv": {"model": "RDF", "mae": 0.1, "rmse": 0.2},
}


def test_every_good_table_and_result_row_passes(tmp_path, monkeypatch):
    """The baseline of every case: nothing is wrong before the corpus breaks it."""
    tables = good_tables()
    for name in schemas.SOURCE_SCHEMAS:
        assert sources.validate_table(tables[f"sources/{name}"], name).n_dropped == 0
    for name, schema in schemas.SURVEY_SCHEMAS.items():
        schemas.validate(tables[f"survey/{name}"], schema)
    X, bad = features.load_feature_table(tables["features"])
    assert len(X) == 3 and len(bad) == 0
    w = _social_world(tables)
    assert w.n_users == 3 and w.edges.tolist() == [[0, 1], [1, 2]]
    monkeypatch.setenv(paths.RESULTS_ENV, str(tmp_path))
    assert set(RESULT_ROWS) == set(schemas.RESULT_SCHEMAS)
    for name, row in RESULT_ROWS.items():
        io.write_result_csv(pd.DataFrame([row]), name)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(RESULT_ROWS)


def _social_world(tables):
    return social_data.world_from_tables(tables["social/places"], tables["social/users"],
                                         tables["social/edges"], tables["social/orgs"])


# ---------------------------------------------------------------------------
# loaders from files
# ---------------------------------------------------------------------------


def _write_csv(df: pd.DataFrame, path: Path, edit: dict) -> None:
    text = df.to_csv(index=False)
    rows = list(pd.read_csv(stdio.StringIO(text), dtype=str, keep_default_na=False)
                .itertuples(index=False))
    header = list(df.columns)
    if "file" in edit:
        path.write_text(edit["file"], encoding="utf-8")
        return
    grid = [list(r) for r in rows]
    if "cell" in edit:
        r, col, value = edit["cell"]
        grid[r][header.index(col)] = str(value)
    if "latin1" in edit:  # this one cell in Latin-1, the rest of the file in UTF-8
        r, col, _ = edit["latin1"]
        grid[r][header.index(col)] = "@@LATIN1@@"
    if "drop" in edit:
        j = header.index(edit["drop"])
        header.pop(j)
        for g in grid:
            g.pop(j)
    if "dup_header" in edit:
        header[header.index(edit["dup_header"]) - 1 if header.index(edit["dup_header"]) else 1] = \
            edit["dup_header"]
    if "ragged" in edit:
        n = edit["ragged"]
        grid[1] = grid[1] + ["x"] * n if n > 0 else grid[1][:n]
    out = stdio.StringIO()
    import csv

    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(grid)
    data = out.getvalue().encode("utf-8")
    if "latin1" in edit:
        data = data.replace(b"@@LATIN1@@", edit["latin1"][2].encode("latin-1"))
    path.write_bytes(data)


def _load_file(loader: str, edit: dict, folder: Path):
    tables = good_tables()
    kind, _, table = loader.partition("/")
    if kind == "social":
        for t in ("places", "users", "edges", "orgs"):
            df = tables[f"social/{t}"]
            _write_csv(df, folder / f"{t}.csv", edit if t == table else {})
        return social_data.read_social_world(folder)
    name = table or "features"
    path = folder / f"{name}.csv"
    _write_csv(tables[loader], path, edit)
    if kind == "sources":
        return sources.load_table(path, table)
    if kind == "features":
        return features.load_feature_table(path)
    if kind == "survey":
        return schemas.validate(schemas.read_csv(path), schemas.SURVEY_SCHEMAS[table],
                                what=path.name, line_offset=2)
    raise KeyError(loader)


@pytest.mark.parametrize(("loader", "edit", "expected"), CORPUS["tables"], ids=_ids("tables"))
def test_malformed_table_files(tmp_path, loader, edit, expected):
    with pytest.raises(ValueError, match=expected):
        _load_file(loader, edit, tmp_path)


def test_drop_invalid_reports_every_dropped_row(tmp_path):
    _write_csv(good_tables()["sources/sale"], tmp_path / "sale.csv", {"cell": [1, "lat", "abc"]})
    rep = sources.load_table(tmp_path / "sale.csv", "sale", drop_invalid=True)
    assert len(rep.table) == 2 and rep.table.lat.dtype == float
    assert rep.dropped[["row", "column", "value"]].values.tolist() == [[1, "lat", "abc"]]


# ---------------------------------------------------------------------------
# loaders from frames, and the result file contracts
# ---------------------------------------------------------------------------


def _load_frame(loader: str, edit: dict, tmp_path: Path, monkeypatch):
    kind, _, table = loader.partition("/")
    r, col, value = edit["cell"]
    if kind == "result":
        df = pd.DataFrame([RESULT_ROWS[table]] * 2).astype(object)
        df.loc[r, col] = value
        monkeypatch.setenv(paths.RESULTS_ENV, str(tmp_path))
        try:
            return io.write_result_csv(df, table)
        finally:
            assert not (tmp_path / table).exists()  # nothing half-written
    tables = good_tables()
    df = tables[loader].astype(object)
    df.loc[r, col] = value
    tables[loader] = df
    if kind == "social":
        return _social_world(tables)
    return sources.validate_table(df, table)


@pytest.mark.parametrize(("loader", "edit", "expected"), CORPUS["frames"], ids=_ids("frames"))
def test_malformed_frames_and_results(tmp_path, monkeypatch, loader, edit, expected):
    with pytest.raises(ValueError, match=expected):
        _load_frame(loader, edit, tmp_path, monkeypatch)


# hypothesis: a bad value of the column's kind, anywhere, is reported at its column and row

_BAD_TEXT = {
    "float": st.sampled_from(["abc", "1,5", "inf", "-inf", "nan", "", "--1", "True"]),
    "int": st.sampled_from(["1.5", "abc", "", "nan", "True", "1e400", "0x1"]),
    "bool": st.sampled_from(["yes", "no", "1", "0", "", "Y", "t", "nan"]),
    "str": st.just(""),
}
_COLUMNS = [(t, c, (col.metadata or {}).get("kind"), (col.metadata or {}).get("nullable"))
            for t, schema in schemas.SOURCE_SCHEMAS.items()
            for c, col in schema.columns.items()] + [
    (f"social/{t}", c, (col.metadata or {}).get("kind"), (col.metadata or {}).get("nullable"))
    for t, schema in schemas.SOCIAL_SCHEMAS.items() for c, col in schema.columns.items()
    if t in ("users", "edges")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_COLUMNS), st.data())
def test_any_bad_cell_is_named_by_column_and_row(target, data):
    table, col, kind, nullable = target
    key = table if table.startswith("social/") else f"sources/{table}"
    good = good_tables()[key]
    text = pd.read_csv(stdio.StringIO(good.to_csv(index=False)), dtype=str, keep_default_na=False)
    row = data.draw(st.integers(0, len(text) - 1))
    bad = data.draw(_BAD_TEXT[kind].filter(lambda v: not nullable or v not in ("", "nan")))
    text.loc[row, col] = bad
    if key.startswith("social/"):
        tables = good_tables()
        tables[key] = text
        call = lambda: _social_world(tables)  # noqa: E731
    else:
        call = lambda: sources.validate_table(text, table)  # noqa: E731
    with pytest.raises(schemas.TableError) as err:
        call()
    f = err.value.failures
    assert ((f.column == col) & (f.row == row)).any(), (col, row, bad, str(err.value))


# ---------------------------------------------------------------------------
# profiles
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the notebooks and profiles; nothing here ever runs."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    return root


@pytest.fixture()
def in_project(project, monkeypatch):
    monkeypatch.setenv("HOMELIB_ROOT", str(project))

    def never(*a, **k):
        raise AssertionError("a malformed profile must be rejected before anything runs")

    monkeypatch.setattr(pipeline, "_execute", never)
    return project


def _write_profile(root: Path, text: str) -> Path:
    path = root / "notebooks" / "profiles" / "bad.yml"
    if text.startswith("latin1: "):
        path.write_bytes(text[len("latin1: "):].encode("latin-1"))
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("case", "text", "expected"), CORPUS["profiles"], ids=_ids("profiles"))
def test_malformed_profiles(in_project, capsys, case, text, expected):
    _write_profile(in_project, text)
    with pytest.raises(pipeline.PipelineError, match=expected):
        pipeline.run("bad", log=lambda s: None)
    # the command line: exit code 2, one line naming file, line and key; nothing written
    assert main(["run", "--profile", "bad"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: notebooks/profiles/bad.yml"), err
    assert not (in_project / "data").exists() and not (in_project / "book").exists()


def test_the_real_profiles_pass(in_project):
    for name in ("ci", "full"):
        assert len(pipeline.validate_profile(pipeline.load_profile(name))) == len(
            pipeline.notebook_paths())


def test_every_profile_problem_is_reported_at_once(in_project):
    _write_profile(in_project, "notebooks:\n  08_pfli: {cluster_km: .nan, ks: []}\n"
                               "  09_exposure: {ks: [true]}\n")
    with pytest.raises(pipeline.PipelineError) as err:
        pipeline.run("bad", log=lambda s: None)
    lines = str(err.value).splitlines()
    assert len(lines) == 3
    assert {ln.split(": parameter ")[1].split(" ")[0] for ln in lines} == {
        "'cluster_km'", "'ks'"}


# ---------------------------------------------------------------------------
# notebook parameters
# ---------------------------------------------------------------------------


def _defaults(name):
    paths_ = pipeline.notebook_paths()
    return {k: v["default"] for k, v in pipeline.notebook_parameters(paths_[name]).items()}


def _generated_parameter_cases():
    """NaN, inf, a bool and a string for every number; [] and [True] for every list;
    a wrong type for every choice; an unknown name per notebook."""
    cases = []
    for nb, model in params.NOTEBOOK_PARAMETERS.items():
        defaults = _defaults(nb)
        for name in model.model_fields:
            default = defaults[name]
            if isinstance(default, bool):
                bad = [1, "yes"]
            elif isinstance(default, (int, float)):
                bad = [math.nan, math.inf, -math.inf, True, "3"]
                if isinstance(default, int):
                    bad.append(float(default) + 0.5)
            elif isinstance(default, list):
                bad = [[], [True], default[:1] * 2, tuple(default), None]
            else:
                bad = [5, True, None, default + "_typo"]
            cases += [(nb, name, value) for value in bad]
        cases.append((nb, "no_such_parameter", 1))
    return cases


GENERATED = _generated_parameter_cases()


@pytest.mark.parametrize(("notebook", "name", "value"), GENERATED,
                         ids=[f"{n}-{p}-{v!r}" for n, p, v in GENERATED])
def test_every_bad_parameter_is_named(notebook, name, value):
    found = params.problems(notebook, {**_defaults(notebook), name: value})
    assert found, f"{notebook}: {name} = {value!r} was accepted"
    assert all(p.name == name for p in found), found
    assert all(f"'{name}'" in p.message for p in found), found


@pytest.mark.parametrize(("notebook", "change", "expected"), CORPUS["parameters"],
                         ids=_ids("parameters"))
def test_corpus_parameters(notebook, change, expected):
    values = {**_defaults(notebook), **change}
    with pytest.raises(params.ParameterError, match=expected):
        params.validate(notebook, values)
    # the notebook's check cell says the same, from the notebook's globals
    with pytest.raises(params.ParameterError, match=expected):
        params.check_notebook(notebook, {**values, "pd": pd}, quiet=True)


_NUMERIC = [(nb, name) for nb, model in params.NOTEBOOK_PARAMETERS.items()
            for name in model.model_fields
            if isinstance(_defaults(nb)[name], (int, float))
            and not isinstance(_defaults(nb)[name], bool)]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_NUMERIC),
       st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**9, 10**9),
                 st.booleans(), st.text(max_size=5), st.none()))
def test_numeric_parameters_take_only_finite_numbers_in_range(target, value):
    nb, name = target
    found = params.problems(nb, {**_defaults(nb), name: value})
    field = params.spec_for(nb).model_fields[name]
    bounds = {type(m).__name__: m for m in field.metadata}
    wants_int = field.annotation is int
    ok = (not isinstance(value, (bool, str)) and value is not None
          and (isinstance(value, int) or (not wants_int and math.isfinite(value)))
          and ("Ge" not in bounds or value >= bounds["Ge"].ge)
          and ("Le" not in bounds or value <= bounds["Le"].le)
          and ("Gt" not in bounds or value > bounds["Gt"].gt))
    assert (found == []) == ok, (nb, name, value, found)
    assert all(p.name == name for p in found)


# ---------------------------------------------------------------------------
# exposure profiles and reports
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def estimator():
    w = _social_world(good_tables())
    return exp_estimator.ExposureEstimator(w, None, np.zeros(w.n_places, dtype=np.int64), None)


@pytest.mark.parametrize(("call", "arg", "expected"), CORPUS["exposure"], ids=_ids("exposure"))
def test_malformed_exposure_inputs(estimator, call, arg, expected):
    with pytest.raises((TypeError, ValueError, KeyError), match=expected):
        if call == "report":
            exp_estimator.exposure_report(arg, 100, estimator=estimator)
        else:
            schemas.validate_profile(arg)


def test_corpus_size():
    """Report the corpus size (the issue asked for at least 20 profiles and 64 tables)."""
    sizes = {k: len(v) for k, v in CORPUS.items()}
    assert sizes["profiles"] >= 20 and sizes["tables"] + sizes["frames"] >= 64
    assert len(GENERATED) > 200
    print(f"fuzz corpus: {sizes}, generated parameter cases: {len(GENERATED)}")
