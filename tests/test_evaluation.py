"""Tests of homelib.h2sea.protocol: splits, grids, metrics against scikit-learn / imbalanced-learn,
summaries, paired tests and the Table 4/5 helpers on a tiny synthetic world."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import synthetic
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.metrics import geometric_mean_score
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from homelib.h2sea import analyses, protocol
from homelib.h2sea.models import make_model

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tiny():
    return synthetic.synthetic_dataset(n=200, seed=5, n_poi=3, n_counties=6)


# --------------------------------------------------------------------------- splits
def test_split_is_a_partition_with_paper_fractions(tiny):
    s = protocol.stratified_split(tiny.y, seed=1)
    allpos = np.concatenate([s["train"], s["val"], s["test"]])
    assert sorted(allpos.tolist()) == list(range(len(tiny.y)))
    n = len(tiny.y)
    assert abs(len(s["train"]) - 0.7 * n) <= 6
    assert abs(len(s["val"]) - 0.2 * n) <= 6


def test_split_keeps_class_shares_per_task():
    ds = synthetic.synthetic_dataset(n=2000, seed=2, n_poi=3)
    s = protocol.stratified_split(ds.y, seed=0)
    for t in protocol.TASKS:
        full = ds.y[t].value_counts(normalize=True, dropna=False)
        test = ds.y[t].iloc[s["test"]].value_counts(normalize=True, dropna=False)
        assert (full - test.reindex(full.index).fillna(0)).abs().max() < 0.03, t


def test_split_seeds_differ_and_repeat(tiny):
    a, b = protocol.stratified_split(tiny.y, 1), protocol.stratified_split(tiny.y, 2)
    assert not np.array_equal(a["test"], b["test"])
    np.testing.assert_array_equal(a["test"], protocol.stratified_split(tiny.y, 1)["test"])


@settings(max_examples=20, deadline=None)
@given(st.integers(10, 120), st.integers(0, 1000))
def test_split_partition_property(n, seed):
    rng = np.random.default_rng(seed)
    y = pd.DataFrame({"a": pd.array(rng.integers(0, 3, n), dtype="Int64"),
                      "b": pd.array(np.where(rng.random(n) < 0.2, -1, rng.integers(0, 3, n)),
                                    dtype="Int64").astype("Int64")})
    y.loc[y["b"] == -1, "b"] = pd.NA
    s = protocol.stratified_split(y, seed)
    allpos = np.concatenate(list(s.values()))
    assert len(allpos) == n and len(set(allpos.tolist())) == n


def test_split_bad_input(tiny):
    with pytest.raises(ValueError, match="fractions"):
        protocol.stratified_split(tiny.y, 0, (0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="at least 10"):
        protocol.stratified_split(tiny.y.iloc[:5], 0)


def test_parameter_grid():
    assert protocol.parameter_grid(None) == [{}]
    assert len(protocol.parameter_grid({"a": [1, 2], "b": [3, 4, 5]})) == 6
    with pytest.raises(ValueError, match="grid"):
        protocol.parameter_grid({"a": "x"})


# --------------------------------------------------------------------------- metrics
class FixedModel:
    def __init__(self, proba):
        self.proba = proba

    def predict_proba(self, X):
        return self.proba


def test_evaluate_model_matches_sklearn_and_imblearn():
    y_true = np.array([0, 1, 2, 2, 1, 0, 0, 2, 1, 1])
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(3), size=len(y_true))
    y = pd.DataFrame({"t": pd.array(list(y_true) + [pd.NA], dtype="Int64")})
    proba = {"t": np.vstack([p, [[1, 0, 0]]])}  # the missing-label row must be ignored
    res = protocol.evaluate_model(FixedModel(proba), pd.DataFrame(index=range(11)), y).iloc[0]
    pred = p.argmax(1)
    assert res["n"] == 10
    assert res["f1"] == pytest.approx(f1_score(y_true, pred, average="macro"))
    assert res["auc"] == pytest.approx(roc_auc_score(y_true, p, multi_class="ovr", average="macro"))
    assert res["auc_ovo"] == pytest.approx(roc_auc_score(y_true, p, multi_class="ovo", average="macro"))
    assert res["gmean"] == pytest.approx(geometric_mean_score(y_true, pred, average="multiclass"))
    assert res["gmean_macro"] == pytest.approx(geometric_mean_score(y_true, pred, average="macro"))
    assert res["accuracy"] == pytest.approx(accuracy_score(y_true, pred))


def test_pop_metrics_hand_checked():
    y = pd.DataFrame({"t": pd.array([0, 0, 0, 1, 2], dtype="Int64")})
    res = protocol.evaluate_model(FixedModel({"t": np.tile([1.0, 0, 0], (5, 1))}), None, y).iloc[0]
    assert res["accuracy"] == pytest.approx(0.6)
    assert res["f1"] == pytest.approx((0.75 + 0 + 0) / 3)  # class 0: P .6, R 1 -> F1 .75
    assert res["auc"] == pytest.approx(0.5)
    assert res["gmean"] == 0.0


# --------------------------------------------------------------------------- protocol
FAST = {"max_epochs": 3, "units": 8, "hidden_layers": 1}


def test_protocol_summary_and_paired_tests(tiny):
    per = protocol.run_protocol(tiny.X, tiny.y, ["POP", "H2SEA"], {"H2SEA": {"dropout": [0.1, 0.3]}},
                          repeats=2, seed=0, base_params={"H2SEA": FAST})
    assert set(per["repeat"]) == {0, 1}
    tab = protocol.summarise_performance(per)
    assert list(tab.columns[:11]) == protocol.PERFORMANCE_COLUMNS
    assert (tab["repeats"] == 2).all() and len(tab) == 8
    pop = per[per.method == "POP"]
    assert (pop["auc"] == 0.5).all()
    tests = protocol.paired_tests(per, "H2SEA")
    assert set(tests["baseline"]) == {"POP"} and (tests["repeats"] == 2).all()
    np.testing.assert_allclose(
        tests[tests.metric == "f1"].set_index("task")["mean_diff"],
        (per[per.method == "H2SEA"].groupby("task")["f1"].mean()
         - pop.groupby("task")["f1"].mean()).reindex(tests[tests.metric == "f1"].task), atol=1e-12)


def test_paired_tests_against_scipy():
    from scipy import stats

    per = pd.DataFrame({"repeat": [0, 1, 2, 0, 1, 2], "task": ["t"] * 6,
                        "method": ["H2SEA"] * 3 + ["LR"] * 3,
                        "f1": [0.5, 0.6, 0.55, 0.4, 0.45, 0.5]})
    res = protocol.paired_tests(per, "H2SEA", ["f1"]).iloc[0]
    assert res["mean_diff"] == pytest.approx(0.1)
    assert res["t_pvalue"] == pytest.approx(stats.ttest_rel([0.5, 0.6, 0.55], [0.4, 0.45, 0.5]).pvalue)


def test_tuning_uses_validation_only(tiny):
    """The selected setting must be the one with the best validation F1."""
    parts = protocol.stratified_split(tiny.y, 0)
    res, _ = protocol.tune_and_test("LR", tiny.X, tiny.y, parts, {"C": [1e-4, 1.0]}, {"max_iter": 50})
    for t, row in res.set_index("task").iterrows():
        vals = {}
        for C in (1e-4, 1.0):
            m = make_model("LR", C=C, max_iter=50).fit(tiny.X.iloc[parts["train"]],
                                                       tiny.y.iloc[parts["train"]])
            v = protocol.evaluate_model(m, tiny.X.iloc[parts["val"]], tiny.y.iloc[parts["val"]])
            vals[C] = float(v.set_index("task").loc[t, "f1"])
        assert row["val_f1"] == pytest.approx(max(vals.values()))


def test_feature_importance_and_top_features(tiny):
    fams = {k: tiny.families[k] for k in ("County-income", "Urban type", "Town budget")}
    imp = analyses.feature_family_importance(tiny.X, tiny.y, fams, "XGBoost",
                                       {"n_estimators": 10, "max_depth": 2}, repeats=1)
    top = analyses.top_features(imp, 2)
    assert list(top.columns[:7]) == analyses.FEATURE_IMPORTANCE_COLUMNS
    assert (top.groupby("task")["rank"].max() == 2).all()
    with pytest.raises(KeyError, match="nope"):
        analyses.feature_family_importance(tiny.X, tiny.y, {"x": ["nope"]})


def test_city_village_change_ratio(tiny):
    tab, per = analyses.city_village(tiny.X, tiny.y, tiny.meta["is_city"], None,
                               FAST, repeats=1, method="H2SEA")
    assert list(tab.columns[:4]) == analyses.CITY_VILLAGE_COLUMNS
    full = tab[tab.dataset == "city+village"]
    assert np.allclose(full["change_ratio_pct"], 100)
    c = tab[tab.dataset == "city-only"].set_index("task")
    np.testing.assert_allclose(c["change_ratio_pct"],
                               100 * c["f1"] / full.set_index("task")["f1"].reindex(c.index))


def test_lambda_settings_sum_to_one():
    s, labels = analyses.lambda_settings(list(protocol.TASKS), "education", [0.1, 0.7])
    for d in s:
        assert sum(d["task_weights"].values()) == pytest.approx(1.0)
    assert labels == ["lambda_education=0.1", "lambda_education=0.7"]


def test_housing_coverage_columns(tiny):
    cov = analyses.housing_coverage(tiny.meta)
    assert list(cov.dataset) == ["city+village", "city-only", "village-only"]
    assert cov.coverage_pct.between(0, 100).all()


def test_synthetic_shape_and_bad_input():
    ds = synthetic.synthetic_dataset(n=60, seed=0)
    assert set(ds.schema["column"]) == set(ds.X.columns)
    assert all(str(ds.y[t].dtype) == "Int64" for t in protocol.TASKS)
    with pytest.raises(ValueError, match="signal"):
        synthetic.synthetic_dataset(n=60, signal=-1)
