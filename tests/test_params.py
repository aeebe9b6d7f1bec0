import math

import pytest

from homelib import geo, params, pipeline
from homelib.h2sea import features, models

NOTEBOOKS = pipeline.notebook_paths()


def _defaults(name):
    return {k: v["default"] for k, v in pipeline.notebook_parameters(NOTEBOOKS[name]).items()}


def test_every_notebook_has_a_spec_matching_its_parameters_cell():
    assert set(params.NOTEBOOK_PARAMETERS) == set(NOTEBOOKS)
    for name in NOTEBOOKS:
        assert params.declared(name) == sorted(_defaults(name)), name
        assert params.problems(name, _defaults(name)) == [], name


def test_vocabularies_match_the_library():
    assert params.PROVINCES == tuple(geo.STUDY_PROVINCES)
    assert params.H2SEA_TASKS == features.TASKS
    assert params.H2SEA_METHODS == models.METHODS
    cols = features.feature_columns()
    assert set(params.FEATURE_FAMILIES) == set(features.feature_families(cols))


@pytest.mark.parametrize(
    ("notebook", "change", "msg"),
    [
        ("08_pfli", {"cluster_km": math.nan}, "parameter 'cluster_km' = nan: input should be a finite number"),
        ("08_pfli", {"close_km": math.inf}, "parameter 'close_km' = inf: input should be a finite number"),
        ("08_pfli", {"ks": [True, 5]}, "parameter 'ks' item 0 = True: input should be a valid number (got bool)"),
        ("08_pfli", {"ks": []}, "parameter 'ks' = []: list should have at least 1 item"),
        ("08_pfli", {"ks": [5, 5]}, "parameter 'ks' = [5, 5]: items must be unique; 5.0 appears"),
        ("08_pfli", {"folds": 3.0}, "parameter 'folds' = 3.0: input should be a valid integer (got float)"),
        ("08_pfli", {"folds": True}, "parameter 'folds' = True: input should be a valid integer (got bool)"),
        ("05_city_village", {"rank_families": []}, "'rank_families' = []: list should have at least 1"),
        ("06_housing_income", {"sweep_values": [math.nan]}, "'sweep_values' item 0 = nan: input should be a finite"),
        ("03_h2sea", {"tasks": "['education']"}, "'tasks' = \"['education']\": input should be a valid list (got str)"),
        ("00_overview", {"metric": "rmse"}, "parameter 'metric' = 'rmse': input should be 'f1', 'auc', 'gmean' or 'accuracy'"),
        ("09_exposure", {"k_km": 0}, "parameter 'k_km' = 0: input should be greater than or equal to 0.001"),
        ("07_social_world", {"no_such": 1}, "unknown parameter 'no_such' = 1 (07_social_world declares"),
        ("07_social_world", {"scael": 1.0}, "did you mean 'scale'?"),
    ],
)
def test_problems_name_the_parameter_and_value(notebook, change, msg):
    values = {**_defaults(notebook), **change}
    found = params.problems(notebook, values)
    assert len(found) == 1 and msg in found[0].message, found
    with pytest.raises(params.ParameterError, match=notebook):
        params.validate(notebook, values)


def test_an_int_is_a_valid_float_but_not_the_reverse():
    values = {**_defaults("08_pfli"), "cluster_km": 100, "close_km": 50}
    assert params.problems("08_pfli", values) == []


def test_check_notebook_rejects_unknown_injected_names(capsys, monkeypatch):
    monkeypatch.delenv("HOMELIB_RESULTS_DIR", raising=False)
    ns = {**_defaults("02_enrich"), "np": math, "_": 3, "In": ["x"], "Out": {}, "f": print}
    params.check_notebook("02_enrich", ns)
    assert "this run's results go to data/scratch/" in capsys.readouterr().out
    with pytest.raises(params.ParameterError, match="unknown parameter 'no_such' = 1"):
        params.check_notebook("02_enrich", {**ns, "no_such": 1}, quiet=True)
    with pytest.raises(params.ParameterError, match="parameter 'map_homes' is not set"):
        params.check_notebook("02_enrich", {"seed": 0, "scale": 1.0}, quiet=True)


def test_check_notebook_is_silent_under_the_pipeline(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HOMELIB_RESULTS_DIR", str(tmp_path))
    params.check_notebook("02_enrich", _defaults("02_enrich"))
    assert capsys.readouterr().out == ""


def test_unknown_notebook_says_where_to_declare_it():
    with pytest.raises(KeyError, match="add a model to homelib/params.py"):
        params.spec_for("99_ghost")


def test_accepts_good_values():
    assert params.check("n", 3, int, low=1, high=5) == 3
    assert params.check("rate", 1, float, low=0) == 1  # an int is a valid float
    assert params.check_list("tasks", ["a"], ["a", "b"]) == ["a"]


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "msg"),
    [
        (("n", "3", int), {}, TypeError, "'n' = '3' has type str; expected int"),
        (("n", True, int), {}, TypeError, "'n' = True"),
        (("n", 0, int), {"low": 1}, ValueError, "below the minimum 1"),
        (("p", 1.5, float), {"high": 1}, ValueError, "above the maximum 1"),
        (("p", math.nan, float), {"low": 0, "high": 1}, ValueError, "'p' = nan is not a finite"),
        (("p", -math.inf, float), {}, ValueError, "'p' = -inf is not a finite"),
        (("m", "x", str), {"choices": ["f1"]}, ValueError, "not one of \\['f1'\\]"),
    ],
)
def test_errors_name_parameter_and_value(args, kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        params.check(*args, **kwargs)


def test_check_list_errors():
    with pytest.raises(TypeError, match="expected list"):
        params.check_list("tasks", "education", ["education"])
    with pytest.raises(ValueError, match="at least 1"):
        params.check_list("tasks", [], ["education"])
    with pytest.raises(ValueError, match=r"unknown item\(s\) \[True\]"):
        params.check_list("ks", [True], [1, 5])
