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
    with pytest.raises(ValueError, match="grid"):
        protocol.parameter_grid({"a": []})


def test_joint_strata_merges_rare_strata():
    y = pd.DataFrame({"a": pd.array([0] * 30 + [1] * 30, dtype="Int64"),
                      "b": pd.array([0] * 25 + [1] * 5 + [0] * 15 + [1] * 15, dtype="Int64")})
    s = protocol.joint_strata(y, min_stratum=10)
    # (0,0) 25, (0,1) 5 -> merged into a=0 level, (1,0) 15, (1,1) 15
    assert len(np.unique(s)) == 3
    assert len(set(s[25:30])) == 1 and s[25] != s[30]
    lone = pd.DataFrame({"a": pd.array([0] * 20 + [1] * 3, dtype="Int64")})
    assert len(np.unique(protocol.joint_strata(lone))) == 1  # leftovers join the largest


def test_predefined_split_is_the_fixed_validation_split(tiny):
    s = protocol.stratified_split(tiny.y, seed=0)
    ps = protocol.predefined_split(s, len(tiny.y))
    keep = ps.test_fold != -2
    (tr, va), = protocol.PredefinedSplit(ps.test_fold[keep]).split()
    pos = np.flatnonzero(keep)
    np.testing.assert_array_equal(pos[tr], s["train"])
    np.testing.assert_array_equal(pos[va], s["val"])


# --------------------------------------------------------------------------- metrics
class FixedModel:
    def __init__(self, proba, pred=None):
        self.proba, self.pred = proba, pred

    def predict_proba(self, X):
        return self.proba

    def decide(self, proba):
        return self.pred if self.pred is not None else {t: p.argmax(1) for t, p in proba.items()}


def test_evaluate_model_matches_sklearn_and_imblearn():
    y_true = np.array([0, 1, 2, 2, 1, 0, 0, 2, 1, 1])
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(3), size=len(y_true))
    y = pd.DataFrame({"t": pd.array(list(y_true) + [pd.NA], dtype="Int64")})
    proba = {"t": np.vstack([p, [[1, 0, 0]]])}  # the missing-label row must be ignored
    res = protocol.evaluate_model(FixedModel(proba), pd.DataFrame(index=range(11)), y).iloc[0]
    pred = p.argmax(1)
    assert res["n"] == 10
    # a decision rule other than arg-max is what the class metrics see; AUC stays
    other = np.r_[(pred + 1) % 3, 0]
    res2 = protocol.evaluate_model(FixedModel(proba, {"t": other}), None, y).iloc[0]
    assert res2["f1"] == pytest.approx(f1_score(y_true, other[:10], average="macro"))
    assert res2["auc"] == pytest.approx(res["auc"])
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
    assert (pop["auc"].dropna() == 0.5).all() and pop["auc"].notna().sum() >= 6
    tests = protocol.paired_tests(per, "H2SEA")
    assert set(tests["baseline"]) == {"POP"} and (tests[tests.metric == "f1"]["repeats"] == 2).all()
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
    """The selected setting must be the one with the best validation F1, and its test row."""
    parts = protocol.stratified_split(tiny.y, 0)
    res = protocol.tune_and_test("LR", tiny.X, tiny.y, parts, {"C": [1e-4, 1.0]}, {"max_iter": 50})
    for t, row in res.set_index("task").iterrows():
        vals, tests = {}, {}
        for C in (1e-4, 1.0):
            m = make_model("LR", C=C, max_iter=50).fit(tiny.X.iloc[parts["train"]],
                                                       tiny.y.iloc[parts["train"]])
            v = protocol.evaluate_model(m, tiny.X.iloc[parts["val"]], tiny.y.iloc[parts["val"]])
            te = protocol.evaluate_model(m, tiny.X.iloc[parts["test"]], tiny.y.iloc[parts["test"]])
            vals[C] = float(v.set_index("task").loc[t, "f1"])
            tests[C] = float(te.set_index("task").loc[t, "f1"])
        best = max(vals, key=vals.get)
        assert row["val_f1"] == pytest.approx(vals[best])
        assert row["f1"] == pytest.approx(tests[best])
        assert row["params"] == repr({"C": best})


def test_multitask_models_share_one_setting(tiny):
    parts = protocol.stratified_split(tiny.y, 0)
    res = protocol.tune_and_test("H2SEA", tiny.X, tiny.y, parts, {"dropout": [0.0, 0.5]}, FAST)
    assert res["params"].nunique() == 1 and res["val_f1"].nunique() == 1


def test_parallel_and_cached_runs_equal_the_serial_run(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("HOMELIB_ROOT", str(tmp_path))
    kw = dict(methods=["POP", "H2SEA"], grids={"H2SEA": {"dropout": [0.1, 0.3]}}, repeats=2,
              base_params={"H2SEA": FAST})
    serial = protocol.run_protocol(tiny.X, tiny.y, **kw)
    par = protocol.run_protocol(tiny.X, tiny.y, **kw, n_jobs=2, cache=True)
    cols = ["repeat", "task", "method", "f1", "auc", "gmean", "accuracy", "params"]
    pd.testing.assert_frame_equal(serial[cols], par[cols])
    files = sorted((tmp_path / "data" / "cache").glob("h2sea_fit-*.pkl"))
    assert len(files) == 2 * (1 + 2)  # (POP + 2 grid points) per repeat
    again = protocol.run_protocol(tiny.X, tiny.y, **kw, cache=True)  # read back, not refitted
    pd.testing.assert_frame_equal(again[cols], par[cols])
    assert sorted((tmp_path / "data" / "cache").glob("h2sea_fit-*.pkl")) == files
    # a sensitivity setting equal to a grid point of the protocol is the same cached fit
    sens = analyses.sensitivity(tiny.X, tiny.y, [{"dropout": 0.3}], ["d"], FAST, repeats=1, cache=True)
    assert sorted((tmp_path / "data" / "cache").glob("h2sea_fit-*.pkl")) == files
    assert len(sens) == 4


def test_fit_cache_key_changes_with_data_split_and_params(tiny):
    parts = protocol.stratified_split(tiny.y, 0)
    other = protocol.stratified_split(tiny.y, 1)
    m = make_model("H2SEA", **FAST)
    fp = protocol.data_fingerprint(tiny.X, tiny.y)
    base = protocol._cache_key("H2SEA", m, fp, parts, list(tiny.y.columns))
    assert protocol._cache_key("H2SEA", m, fp, other, list(tiny.y.columns)) != base
    fp2 = protocol.data_fingerprint(tiny.X.assign(county_income=tiny.X.county_income + 1), tiny.y)
    assert protocol._cache_key("H2SEA", m, fp2, parts, list(tiny.y.columns)) != base
    m2 = make_model("H2SEA", **{**FAST, "dropout": 0.5})
    assert protocol._cache_key("H2SEA", m2, fp, parts, list(tiny.y.columns)) != base
    uniform = make_model("H2SEA", **FAST, task_weights={t: 0.25 for t in tiny.y.columns})
    assert protocol._cache_key("H2SEA", uniform, fp, parts, list(tiny.y.columns)) == base


def test_feature_importance_and_top_features(tiny):
    fams = {k: tiny.families[k] for k in ("County-income", "Urban type", "Town budget")}
    imp = analyses.feature_family_importance(tiny.X, tiny.y, fams, "XGBoost",
                                       {"n_estimators": 10, "max_depth": 2}, repeats=1)
    np.testing.assert_allclose(imp["score"], imp["f1"] + imp["auc"] + imp["gmean"])
    top = analyses.top_features(imp, 2)
    assert list(top.columns[:7]) == analyses.FEATURE_IMPORTANCE_COLUMNS
    assert (top.groupby("task")["rank"].max() == 2).all()
    for t, sub in top.groupby("task"):  # rank 1 = the highest score of all families
        assert sub.set_index("rank").loc[1, "score"] == imp[imp.task == t]["score"].max()
    with pytest.raises(KeyError, match="nope"):
        analyses.feature_family_importance(tiny.X, tiny.y, {"x": ["nope"]})


def test_table4_score_and_sort_direction_by_hand():
    """Table 4 ranks by F1 + AUC + G-Mean, highest first (accuracy does not count)."""
    m = pd.DataFrame({"f1": [0.40, 0.50, 0.45], "auc": [0.70, 0.60, 0.70],
                      "gmean": [0.30, 0.20, 0.40], "accuracy": [0.9, 0.1, 0.5]})
    np.testing.assert_allclose(analyses.family_score(m), [1.40, 1.30, 1.55])
    imp = m.assign(task="education", feature=["A", "B", "C"], score=analyses.family_score(m))
    top = analyses.top_features(imp, 3)
    assert top["feature"].tolist() == ["C", "A", "B"] and top["rank"].tolist() == [1, 2, 3]
    assert analyses.top_features(imp, 1)["feature"].tolist() == ["C"]


def test_readings_are_scored_on_validation_rows_only(tiny):
    settings = {"book": {}, "arg-max": {"decision": "argmax"}}
    per = analyses.readings(tiny.X, tiny.y, settings, FAST, repeats=1)
    parts = protocol.stratified_split(tiny.y, 0)
    n_val = tiny.y.iloc[parts["val"]].notna().sum()
    for t, n in per.groupby("task")["n"]:
        assert (n == n_val[t]).all()
    tab = analyses.summarise_readings(per)
    assert tab["reading"].tolist() == ["book", "arg-max", *analyses.DECISION_READINGS]
    book = per[per.reading == "book"]
    same_nets = per[per.reading == list(analyses.DECISION_READINGS)[0]]
    assert (same_nets["best_epoch"].to_numpy() == book["best_epoch"].to_numpy()).all()
    np.testing.assert_allclose(same_nets["auc"], book["auc"])  # same probabilities, other rule
    assert tab.loc[0, "gmean_min"] == book["gmean"].min()
    assert tab.loc[0, "f1"] == pytest.approx(book["f1"].mean())
    assert list(analyses.READINGS)[0] == "book" and analyses.READINGS["book"] == {}


def test_city_village_change_ratio(tiny):
    tab, per = analyses.city_village(tiny.X, tiny.y, tiny.meta["is_city"], None,
                               FAST, repeats=1, method="H2SEA")
    full_run = protocol.run_protocol(tiny.X, tiny.y, ["H2SEA"], None, 1, 0, {"H2SEA": FAST})
    np.testing.assert_allclose(tab[tab.dataset == "city+village"].set_index("task")["f1"],
                               full_run.set_index("task")["f1"].reindex(protocol.TASKS))
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
