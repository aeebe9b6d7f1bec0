"""The H2SEA evaluation protocol (Ding et al. 2021, Sec 5.1-5.4).

* :func:`stratified_split`: 70 / 20 / 10 train / validation / test split,
  stratified on the joint labels of all tasks (missing = its own level) so
  that each task's class shares are kept in every part; rare joint strata are
  merged into coarser ones (fewer tasks) first.
* :func:`tune_and_test`: grid search on the validation split only, then the
  test metrics of the selected model (multi-task models: one setting for all
  tasks, chosen by the mean validation macro-F1; single-task models: per task).
* :func:`run_protocol`: ``repeats`` splits with different seeds, per-repeat
  metrics (headline and alternatives of :func:`homelib.metrics.classification_report`).
* :func:`summarise_performance` (Table 3 file contract), :func:`paired_tests`,
  :func:`feature_family_importance` (Table 4), :func:`city_village` (Table 5),
  :func:`sensitivity` (research question 4), plotting helpers.
* :func:`synthetic_dataset`: a small world with the shape of
  ``homelib.features.H2SEADataset`` whose ``signal`` knob sets how much the
  attributes depend on location (0 = not at all), for tests and learning checks.

Metric choices (the paper does not say): AUC is the one-vs-rest macro AUC and
G-Mean imbalanced-learn's multi-class G-Mean (geometric mean of the per-class
recalls); one-vs-one AUC (``auc_ovo``) and the macro one-vs-rest G-Mean
(``gmean_macro``) are kept beside them.

Examples
--------
>>> ds = synthetic_dataset(n=200, seed=1)
>>> parts = stratified_split(ds.y, seed=0)
>>> [len(parts[k]) for k in ("train", "val", "test")]  # about 70 / 20 / 10 %
[139, 42, 19]
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .metrics import classification_report
from .models import METHODS, make_model

__all__ = [
    "TASKS",
    "METRICS",
    "PERFORMANCE_COLUMNS",
    "FEATURE_IMPORTANCE_COLUMNS",
    "CITY_VILLAGE_COLUMNS",
    "SyntheticDataset",
    "synthetic_dataset",
    "stratified_split",
    "parameter_grid",
    "evaluate_model",
    "tune_and_test",
    "run_protocol",
    "summarise_performance",
    "paired_tests",
    "compare_with_paper",
    "feature_family_importance",
    "top_features",
    "city_village",
    "housing_coverage",
    "subset_feature_ranks",
    "sensitivity",
    "lambda_settings",
    "training_histories",
    "table3_verdict",
    "performance_cached",
    "default_grids",
    "plot_architecture",
    "plot_training_curves",
    "plot_method_bars",
    "plot_sensitivity",
    "table4_verdict",
    "family_ranks",
    "plot_family_heatmap",
    "table5_side_by_side",
    "plot_change_ratios",
]

TASKS = ("personal_income", "family_income", "education", "occupation")
METRICS = ("f1", "auc", "gmean", "accuracy")
PERFORMANCE_COLUMNS = ["task", "method", "f1", "auc", "gmean", "accuracy", "f1_std", "auc_std",
                       "gmean_std", "accuracy_std", "repeats"]
FEATURE_IMPORTANCE_COLUMNS = ["task", "rank", "feature", "f1", "auc", "gmean", "accuracy"]
CITY_VILLAGE_COLUMNS = ["dataset", "task", "f1", "change_ratio_pct"]
NEURAL = ("ETNA", "H2SEA-NA", "H2SEA")


# --------------------------------------------------------------------------- synthetic world
@dataclass(frozen=True)
class SyntheticDataset:
    """Same fields as ``homelib.features.H2SEADataset``: X, y, schema, families, meta."""

    X: pd.DataFrame
    y: pd.DataFrame
    schema: pd.DataFrame
    families: dict[str, list[str]] = field(default_factory=dict)
    meta: pd.DataFrame | None = None


_SHARES = {  # Sec 5.1 class shares and Table 2 non-response
    "personal_income": ((0.312, 0.415, 0.273), 0.26),
    "family_income": ((0.376, 0.362, 0.262), 0.011),
    "education": ((0.543, 0.232, 0.225), 0.0),
    "occupation": ((0.665, 0.251, 0.084), 0.008),
}


def synthetic_dataset(n: int = 1000, signal: float = 1.0, seed: int = 0, n_poi: int = 20,
                      n_counties: int = 30) -> SyntheticDataset:
    """A small survey-like data set with known dependence on location.

    A county effect and a within-county (town) effect define each home's
    latent affluence ``z``; a person's socioeconomic position is
    ``signal * z + noise`` (plus a pairwise term ``poi_0 * urban`` so that
    feature interactions matter). Features are noisy area statistics of ``z``
    (county income, housing and renting prices, POI shares, budget) and names
    (province, city, county, zip, urban type). ``signal=0`` makes the attributes
    ignore location. Classes follow the paper's shares (Sec 5.1) and missing
    labels its non-response (Table 2).

    >>> ds = synthetic_dataset(n=50, seed=0)
    >>> ds.X.shape[0], list(ds.y.columns) == list(TASKS), str(ds.y.dtypes.iloc[0])
    (50, True, 'Int64')
    """
    if n < 20:
        raise ValueError(f"n must be at least 20; got {n}")
    if signal < 0:
        raise ValueError(f"signal must be non-negative; got {signal}")
    rng = np.random.default_rng(seed)
    county_eff = rng.normal(0, 1, n_counties)
    county_prov = np.arange(n_counties) % 5
    county_city = np.arange(n_counties) % 12
    county = rng.integers(0, n_counties, n)
    town = county * 4 + rng.integers(0, 4, n)
    town_eff = rng.normal(0, 0.6, n_counties * 4)
    urban = rng.choice(3, n, p=[0.30, 0.24, 0.46])  # centre, border, rural
    urban_eff = np.array([0.6, 0.1, -0.5])[urban]
    z = county_eff[county] + town_eff[town] + urban_eff
    poi_load = rng.normal(0, 1, n_poi)
    poi = np.exp(0.4 * np.outer(z, poi_load) + rng.normal(0, 0.5, (n, n_poi)))
    poi = poi / poi.mean(axis=0)
    has_hp = rng.random(n) < np.where(urban < 2, 0.57, 0.17)
    hp = np.exp(9.3 + 0.35 * z + rng.normal(0, 0.3, n))
    inter = 0.8 * (np.log(poi[:, 0]) * (urban == 0))
    X = pd.DataFrame({
        "county_income": 30000 + 6000 * county_eff[county] + rng.normal(0, 500, n),
        "hp_avg": np.where(has_hp, hp, np.exp(9.3 + 0.35 * county_eff[county])),
        "hp_fallback_city": (~has_hp).astype(int),
        "rp_avg": 30 + 4 * z + rng.normal(0, 3, n),
        "town_budget": np.exp(rng.normal(0, 1, n)),
        **{f"poi_{j:03d}": poi[:, j] for j in range(n_poi)},
        "province": pd.Categorical([f"P{c}" for c in county_prov[county]]),
        "city": pd.Categorical([f"C{c}" for c in county_city[county]]),
        "county": pd.Categorical([f"K{c}" for c in county]),
        "zip_code": pd.Categorical([f"{100000 + t}" for t in town]),
        "urban_type": pd.Categorical(np.array(["city_center", "city_border", "rural"])[urban]),
    }, index=pd.Index([f"s{i:05d}" for i in range(n)], name="person_id"))
    common = rng.normal(0, 1, n)
    y = {}
    for t, (shares, miss) in _SHARES.items():
        score = signal * (z + inter) + 0.8 * common + rng.normal(0, 1, n)
        cuts = np.quantile(score, np.cumsum(shares)[:-1])
        lab = pd.array(np.searchsorted(cuts, score), dtype="Int64")
        lab[rng.random(n) < miss] = pd.NA
        y[t] = lab
    y = pd.DataFrame(y, index=X.index)
    families = {
        "County-income": ["county_income"], "POI": [f"poi_{j:03d}" for j in range(n_poi)],
        "Province-name": ["province"], "City-name": ["city"], "County-name": ["county"],
        "Zip-code": ["zip_code"], "Urban type": ["urban_type"],
        "Housing price": ["hp_avg", "hp_fallback_city"], "Renting price": ["rp_avg"],
        "Town budget": ["town_budget"],
    }
    fam_of = {c: f for f, cols in families.items() for c in cols}
    schema = pd.DataFrame({
        "column": X.columns, "family": [fam_of[c] for c in X.columns],
        "kind": ["categorical" if isinstance(X[c].dtype, pd.CategoricalDtype) else "continuous"
                 for c in X.columns],
        "description": ["synthetic" for _ in X.columns],
    })
    meta = pd.DataFrame({
        "county": X["county"].astype(str), "city": X["city"].astype(str),
        "urban_type": X["urban_type"].astype(str), "is_city": urban < 2,
        "has_sale_price_2km": has_hp, "latent": z,
    }, index=X.index)
    return SyntheticDataset(X, y, schema, families, meta)


# --------------------------------------------------------------------------- splits
def stratified_split(y: pd.DataFrame, seed: int, fractions: Sequence[float] = (0.7, 0.2, 0.1),
                     min_stratum: int = 10) -> dict[str, NDArray]:
    """Positions of the train / validation / test rows (Sec 5.1: 70 / 20 / 10).

    Strata are the joint labels of all tasks (``<NA>`` a level of its own);
    a stratum smaller than ``min_stratum`` is merged into the stratum of its
    labels on one task fewer (the last task is dropped first), down to one
    stratum. Within a stratum rows are shuffled and cut at the cumulative
    fractions with a random offset, so every task keeps its class shares.

    >>> y = pd.DataFrame({"t": pd.array([0, 1] * 50, dtype="Int64")})
    >>> s = stratified_split(y, seed=3)
    >>> sorted(np.concatenate(list(s.values())).tolist()) == list(range(100))
    True
    """
    fr = np.asarray(fractions, dtype=float)
    if fr.shape != (3,) or (fr <= 0).any() or not np.isclose(fr.sum(), 1):
        raise ValueError(f"fractions must be 3 positive numbers summing to 1; got {fractions}")
    if len(y) < 10:
        raise ValueError(f"need at least 10 rows to split; got {len(y)}")
    rng = np.random.default_rng(seed)
    cols = list(y.columns)
    lab = y.astype("string").fillna("NA")
    key = pd.Series("all", index=y.index)
    assigned = pd.Series(False, index=y.index)
    for level in range(len(cols), 0, -1):
        k = lab[cols[:level]].agg("|".join, axis=1)
        counts = k[~assigned].value_counts()
        ok = (~assigned) & k.map(counts).ge(min_stratum).fillna(False)
        key[ok] = k[ok]
        assigned |= ok
    codes = pd.factorize(key)[0]
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    cum = np.cumsum(fr)[:-1]
    for s in range(codes.max() + 1):
        pos = rng.permutation(np.flatnonzero(codes == s))
        m = len(pos)
        cut = np.floor(cum * m + rng.random()).astype(int)
        cut = np.clip(cut, 0, m)
        a, b = cut
        parts["train"] += pos[:a].tolist()
        parts["val"] += pos[a:b].tolist()
        parts["test"] += pos[b:].tolist()
    return {k: np.sort(np.asarray(v, dtype=int)) for k, v in parts.items()}


def parameter_grid(grid: Mapping[str, Sequence[Any]] | None) -> list[dict[str, Any]]:
    """All combinations of a grid ``{name: [values]}`` (``None`` or ``{}`` = one empty setting).

    >>> parameter_grid({"a": [1, 2], "b": [0]})
    [{'a': 1, 'b': 0}, {'a': 2, 'b': 0}]
    """
    if not grid:
        return [{}]
    names = list(grid)
    for nm in names:
        if isinstance(grid[nm], (str, bytes)) or not isinstance(grid[nm], Sequence) or not len(grid[nm]):
            raise ValueError(f"grid[{nm!r}] must be a non-empty list; got {grid[nm]!r}")
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(grid[nm] for nm in names))]


def default_grids(profile: str = "full") -> dict[str, dict[str, list]]:
    """Hyper-parameter grids per method (``"ci"``: one or two points each).

    >>> sorted(default_grids("ci"))
    ['ETNA', 'H2SEA', 'H2SEA-NA', 'LR', 'POP', 'XGBoost']
    """
    if profile == "ci":
        return {"POP": {}, "LR": {"C": [0.05]}, "XGBoost": {"max_depth": [3]},
                "ETNA": {"dropout": [0.3]}, "H2SEA-NA": {"dropout": [0.3]},
                "H2SEA": {"dropout": [0.3]}}
    if profile != "full":
        raise ValueError(f"profile must be 'ci' or 'full'; got {profile!r}")
    nn_grid = {"dropout": [0.3, 0.5], "latent_dim": [6]}
    return {"POP": {}, "LR": {"C": [0.01, 0.1]}, "XGBoost": {"max_depth": [3, 5]},
            "ETNA": nn_grid, "H2SEA-NA": nn_grid, "H2SEA": nn_grid}


# --------------------------------------------------------------------------- evaluation
def evaluate_model(model: Any, X: pd.DataFrame, y: pd.DataFrame) -> pd.DataFrame:
    """Metrics per task on the rows whose label is observed.

    Returns one row per task: ``task, n, f1, auc, gmean, accuracy, auc_ovo, gmean_macro``.
    """
    proba = model.predict_proba(X)
    rows = []
    for t in y.columns:
        lab = pd.to_numeric(y[t], errors="coerce").to_numpy(dtype=float)
        keep = ~np.isnan(lab)
        if keep.sum() == 0:
            raise ValueError(f"task {t!r} has no observed label among the {len(y)} evaluation rows")
        rep = classification_report(lab[keep].astype(int), proba[t][keep])
        rows.append({"task": t, "n": int(keep.sum()), **rep})
    return pd.DataFrame(rows)


def _fit(method: str, params: Mapping[str, Any], X, y, parts, seed: int):
    tr, va = parts["train"], parts["val"]
    model = make_model(method, **{**params, **({"seed": seed} if method != "POP" else {})})
    return model.fit(X.iloc[tr], y.iloc[tr], X.iloc[va], y.iloc[va])


def tune_and_test(method: str, X: pd.DataFrame, y: pd.DataFrame, parts: Mapping[str, NDArray],
                  grid: Mapping[str, Sequence[Any]] | None = None,
                  base_params: Mapping[str, Any] | None = None, seed: int = 0,
                  keep_model: bool = False) -> tuple[pd.DataFrame, Any]:
    """Grid search on the validation rows only, then test metrics.

    Multi-task models (ETNA, H2SEA-NA, H2SEA) keep the setting with the best
    mean validation macro-F1 over tasks; single-task models (LR, XGBoost, POP)
    the best setting per task. Returns ``(metrics per task with a "params"
    column, fitted model of the best mean setting or None)``.
    """
    if method not in METHODS:
        raise KeyError(f"unknown method {method!r}; known: {list(METHODS)}")
    base = dict(base_params or {})
    va, te = parts["val"], parts["test"]
    best_val: dict[str, tuple[float, dict, pd.Series]] = {}
    best_mean, best_model = -np.inf, None
    for setting in parameter_grid(grid):
        params = {**base, **setting}
        model = _fit(method, params, X, y, parts, seed)
        val = evaluate_model(model, X.iloc[va], y.iloc[va]).set_index("task")
        test = evaluate_model(model, X.iloc[te], y.iloc[te]).set_index("task")
        mean_f1 = float(val["f1"].mean())
        if mean_f1 > best_mean:
            best_mean, best_model = mean_f1, model
        for t in y.columns:
            score = mean_f1 if method in NEURAL else float(val.loc[t, "f1"])
            if t not in best_val or score > best_val[t][0]:
                best_val[t] = (score, setting, test.loc[t])
    rows = []
    for t in y.columns:
        score, setting, test_row = best_val[t]
        rows.append({"task": t, "method": method, **test_row.to_dict(), "val_f1": score,
                     "params": repr(setting)})
    return pd.DataFrame(rows), (best_model if keep_model else None)


def run_protocol(X: pd.DataFrame, y: pd.DataFrame, methods: Sequence[str] = METHODS,
                 grids: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
                 repeats: int = 10, seed: int = 0,
                 base_params: Mapping[str, Mapping[str, Any]] | None = None,
                 progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Sec 5.2: ``repeats`` stratified 70/20/10 splits, each method tuned and tested.

    Returns the per-repeat metrics (columns ``repeat, task, method, n, f1, auc,
    gmean, accuracy, auc_ovo, gmean_macro, val_f1, params, seconds``). Repeat
    ``r`` uses the split seeded ``seed + r`` and models seeded ``seed + r``.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1; got {repeats}")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise KeyError(f"unknown method(s) {unknown}; known: {list(METHODS)}")
    grids = dict(grids or {})
    base_params = dict(base_params or {})
    out = []
    for r in range(repeats):
        parts = stratified_split(y, seed=seed + r)
        for m in methods:
            t0 = time.perf_counter()
            res, _ = tune_and_test(m, X, y, parts, grids.get(m), base_params.get(m), seed=seed + r)
            res.insert(0, "repeat", r)
            res["seconds"] = time.perf_counter() - t0
            out.append(res)
            if progress:
                progress(f"repeat {r} {m}: {res['f1'].round(3).tolist()}")
    return pd.concat(out, ignore_index=True)


def summarise_performance(per_repeat: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over repeats: the ``h2sea_performance.csv`` contract
    (plus the alternative metrics ``auc_ovo, gmean_macro``)."""
    g = per_repeat.groupby(["task", "method"], sort=False)
    mean = g[[*METRICS, "auc_ovo", "gmean_macro"]].mean()
    std = g[list(METRICS)].std(ddof=1).add_suffix("_std")
    out = mean.join(std)
    out["repeats"] = g.size()
    out = out.reset_index()
    return out[PERFORMANCE_COLUMNS + ["auc_ovo", "gmean_macro"]]


def paired_tests(per_repeat: pd.DataFrame, reference: str = "H2SEA",
                 metrics: Sequence[str] = ("f1", "auc", "gmean")) -> pd.DataFrame:
    """Paired tests of ``reference`` against every other method, per task and metric.

    Pairs are the repeats (same split). Reports the mean difference, the paired
    t-test p-value and the Wilcoxon signed-rank p-value (NaN when all
    differences are 0 or fewer than 2 repeats).
    """
    from scipy import stats

    rows = []
    ref = per_repeat[per_repeat["method"] == reference]
    if ref.empty:
        raise ValueError(f"reference method {reference!r} not in the results")
    for (task, method), sub in per_repeat.groupby(["task", "method"], sort=False):
        if method == reference:
            continue
        a = ref[ref["task"] == task].set_index("repeat")
        b = sub.set_index("repeat")
        common = a.index.intersection(b.index)
        for met in metrics:
            d = (a.loc[common, met] - b.loc[common, met]).astype(float).dropna()
            t_p = w_p = np.nan
            if len(d) >= 2 and d.abs().sum() > 0:
                t_p = float(stats.ttest_rel(a.loc[d.index, met], b.loc[d.index, met]).pvalue)
                w_p = float(stats.wilcoxon(d).pvalue)
            rows.append({"task": task, "baseline": method, "metric": met, "repeats": len(d),
                         "mean_diff": float(d.mean()) if len(d) else np.nan,
                         "t_pvalue": t_p, "wilcoxon_pvalue": w_p})
    return pd.DataFrame(rows)


def compare_with_paper(ours: pd.DataFrame, paper: pd.DataFrame, keys: Sequence[str],
                       metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Side-by-side table ``<metric>_book, <metric>_paper, <metric>_diff`` on ``keys``."""
    m = ours[list(keys) + list(metrics)].merge(paper[list(keys) + list(metrics)], on=list(keys),
                                               how="outer", suffixes=("_book", "_paper"))
    for met in metrics:
        m[f"{met}_diff"] = m[f"{met}_book"] - m[f"{met}_paper"]
    cols = list(keys) + [f"{met}_{s}" for met in metrics for s in ("book", "paper", "diff")]
    return m[cols]


# --------------------------------------------------------------------------- Table 4
def feature_family_importance(X: pd.DataFrame, y: pd.DataFrame, families: Mapping[str, Sequence[str]],
                              method: str = "H2SEA", params: Mapping[str, Any] | None = None,
                              repeats: int = 2, seed: int = 0) -> pd.DataFrame:
    """Metrics with one feature family at a time (Sec 5.3), averaged over repeats.

    Returns ``task, feature, f1, auc, gmean, accuracy, score`` where ``score``
    is the combined improvement ``f1 + auc + gmean`` used to rank (the paper
    ranks "mainly by the combined improvement of F1-score, AUC and G-Mean").
    """
    missing = {f: [c for c in cols if c not in X.columns] for f, cols in families.items()}
    missing = {f: c for f, c in missing.items() if c}
    if missing:
        raise KeyError(f"families name unknown feature column(s): {missing}")
    rows = []
    for r in range(repeats):
        parts = stratified_split(y, seed=seed + r)
        for fam, cols in families.items():
            model = _fit(method, dict(params or {}), X[list(cols)], y, parts, seed + r)
            te = parts["test"]
            res = evaluate_model(model, X.iloc[te][list(cols)], y.iloc[te])
            res["feature"], res["repeat"] = fam, r
            rows.append(res)
    allr = pd.concat(rows, ignore_index=True)
    out = allr.groupby(["task", "feature"], sort=False)[list(METRICS)].mean().reset_index()
    out["score"] = out["f1"] + out["auc"] + out["gmean"]
    return out


def top_features(importance: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """Rank families per task by ``score`` (descending) and keep the top ``k``:
    the ``h2sea_feature_importance.csv`` contract."""
    out = importance.sort_values(["task", "score"], ascending=[True, False]).copy()
    out["rank"] = out.groupby("task").cumcount() + 1
    out = out[out["rank"] <= k]
    order = {t: i for i, t in enumerate(TASKS)}
    out = out.sort_values(["task", "rank"], key=lambda s: s.map(order) if s.name == "task" else s)
    return out[FEATURE_IMPORTANCE_COLUMNS + ["score"]].reset_index(drop=True)


# --------------------------------------------------------------------------- Table 5
def city_village(X: pd.DataFrame, y: pd.DataFrame, is_city: pd.Series, grid=None,
                 base_params: Mapping[str, Any] | None = None, repeats: int = 2,
                 seed: int = 0, method: str = "H2SEA") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sec 5.4: H2SEA retuned on city-only and village-only subsets.

    Returns ``(table, per_repeat)``: ``table`` has the ``h2sea_city_village.csv``
    columns ``dataset, task, f1, change_ratio_pct`` (F1 relative to
    "city+village" x 100, as the paper's Table 5) plus ``n`` and ``f1_std``.
    Each subset gets its own stratified splits and its own grid search.
    """
    if not is_city.index.equals(X.index):
        raise ValueError("is_city must be indexed like X")
    subsets = {"city+village": np.ones(len(X), bool), "city-only": is_city.to_numpy(bool),
               "village-only": ~is_city.to_numpy(bool)}
    rows = []
    for name, keep in subsets.items():
        Xs, ys = X[keep], y[keep]
        res = run_protocol(Xs, ys, [method], {method: grid or {}}, repeats, seed,
                           {method: dict(base_params or {})})
        res["dataset"], res["n"] = name, int(keep.sum())
        rows.append(res)
    per = pd.concat(rows, ignore_index=True)
    tab = per.groupby(["dataset", "task"], sort=False).agg(f1=("f1", "mean"), f1_std=("f1", "std"),
                                                           n=("n", "first")).reset_index()
    full = tab[tab["dataset"] == "city+village"].set_index("task")["f1"]
    tab["change_ratio_pct"] = 100 * tab["f1"] / tab["task"].map(full)
    return tab[CITY_VILLAGE_COLUMNS + ["n", "f1_std"]], per


# --------------------------------------------------------------------------- RQ 4
def sensitivity(X: pd.DataFrame, y: pd.DataFrame, settings: Sequence[Mapping[str, Any]],
                labels: Sequence[str] | None = None, base_params: Mapping[str, Any] | None = None,
                repeats: int = 2, seed: int = 0, method: str = "H2SEA") -> pd.DataFrame:
    """Test metrics of ``method`` for each parameter setting (no tuning), per repeat.

    Returns ``setting, repeat, task, f1, auc, gmean, accuracy, ...``.
    """
    labels = list(labels) if labels is not None else [repr(dict(s)) for s in settings]
    rows = []
    for r in range(repeats):
        parts = stratified_split(y, seed=seed + r)
        for lab, s in zip(labels, settings, strict=True):
            model = _fit(method, {**(base_params or {}), **s}, X, y, parts, seed + r)
            te = parts["test"]
            res = evaluate_model(model, X.iloc[te], y.iloc[te])
            res.insert(0, "repeat", r)
            res.insert(0, "setting", lab)
            rows.append(res)
    return pd.concat(rows, ignore_index=True)


# --------------------------------------------------------------------------- chapter helpers
def performance_cached(X: pd.DataFrame, y: pd.DataFrame, key: Mapping[str, Any],
                       methods: Sequence[str], grids, repeats: int, seed: int,
                       base_params=None) -> pd.DataFrame:
    """:func:`run_protocol` through ``homelib.io.cached`` (``key`` names the data set)."""
    from . import io

    params = {"key": dict(key), "methods": list(methods), "grids": grids, "repeats": repeats,
              "seed": seed, "base": base_params, "tasks": list(y.columns), "v": 2}
    return io.cached("h2sea_protocol", params,
                     lambda: run_protocol(X, y, methods, grids, repeats, seed, base_params))


def training_histories(X: pd.DataFrame, y: pd.DataFrame, methods: Sequence[str] = NEURAL,
                       seed: int = 0, params: Mapping[str, Any] | None = None
                       ) -> dict[str, pd.DataFrame]:
    """Loss per epoch of each neural method on the first split (seed ``seed``)."""
    parts = stratified_split(y, seed=seed)
    return {m: _fit(m, dict(params or {}), X, y, parts, seed).history_ for m in methods}


def lambda_settings(tasks: Sequence[str], focus: str, weights: Sequence[float]) -> tuple[list, list]:
    """Task-weight settings (Eq 11) giving ``focus`` the weight ``w`` and the other tasks
    ``(1 - w) / (N - 1)`` each; returns ``(settings, labels)``.

    >>> lambda_settings(["a", "b"], "a", [0.5])
    ([{'task_weights': {'a': 0.5, 'b': 0.5}}], ['lambda_a=0.5'])
    """
    tasks = list(tasks)
    if focus not in tasks:
        raise KeyError(f"focus task {focus!r} not in {tasks}")
    out, labels = [], []
    for w in weights:
        if not 0 <= w <= 1:
            raise ValueError(f"task weight must be in [0, 1]; got {w}")
        rest = (1 - w) / (len(tasks) - 1) if len(tasks) > 1 else 0.0
        out.append({"task_weights": {t: (w if t == focus else rest) for t in tasks}})
        labels.append(f"lambda_{focus}={w:g}")
    return out, labels


def table3_verdict(table: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Per task: H2SEA's F1, its rank among the methods, its gain over ETNA
    (feature interactions) and H2SEA-NA (attention) and the best method, in the
    book and in the paper."""
    rows = []
    for t in [t for t in TASKS if t in set(table["task"])]:
        row = {"task": t}
        for src, tab in (("book", table), ("paper", paper)):
            s = tab[tab["task"] == t].set_index("method")["f1"]
            row[f"H2SEA_f1_{src}"] = s.get("H2SEA", np.nan)
            row[f"H2SEA_rank_{src}"] = int(s.rank(ascending=False)["H2SEA"]) if "H2SEA" in s else np.nan
            row[f"best_{src}"] = s.idxmax()
            row[f"gain_vs_ETNA_{src}"] = s.get("H2SEA", np.nan) - s.get("ETNA", np.nan)
            row[f"gain_vs_NA_{src}"] = s.get("H2SEA", np.nan) - s.get("H2SEA-NA", np.nan)
            row[f"gain_vs_POP_{src}"] = s.get("H2SEA", np.nan) - s.get("POP", np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def housing_coverage(meta: pd.DataFrame) -> pd.DataFrame:
    """Share of people with a sale listing within 2 km, per Table 5 subset (Sec 5.4:
    57 % city-only, 17 % village-only in the paper)."""
    is_city = meta["is_city"].astype(bool)
    has = meta["has_sale_price_2km"].astype(bool)
    rows = [("city+village", len(meta), has.mean(), np.nan),
            ("city-only", int(is_city.sum()), has[is_city].mean(), 57.0),
            ("village-only", int((~is_city).sum()), has[~is_city].mean(), 17.0)]
    out = pd.DataFrame(rows, columns=["dataset", "n", "coverage_pct", "paper_pct"])
    out["coverage_pct"] *= 100
    return out


def subset_feature_ranks(X: pd.DataFrame, y: pd.DataFrame, is_city: pd.Series,
                         families: Mapping[str, Sequence[str]], method: str = "H2SEA",
                         params: Mapping[str, Any] | None = None, repeats: int = 1,
                         seed: int = 0) -> pd.DataFrame:
    """Single-family importance and rank per Table 5 subset (Sec 5.4's re-calculated
    feature importance): ``dataset, task, feature, f1, auc, gmean, accuracy, score, rank``."""
    masks = {"city+village": np.ones(len(X), bool), "city-only": is_city.to_numpy(bool),
             "village-only": ~is_city.to_numpy(bool)}
    out = []
    for name, keep in masks.items():
        imp = feature_family_importance(X[keep], y[keep], families, method, params, repeats, seed)
        imp["rank"] = imp.groupby("task")["score"].rank(ascending=False, method="first").astype(int)
        imp.insert(0, "dataset", name)
        out.append(imp)
    return pd.concat(out, ignore_index=True)


# --------------------------------------------------------------------------- plots
def plot_architecture(ax=None, n_tasks: int = 4):
    """Draw H2SEA (Fig 2 of the paper, redrawn): inputs, FM shared embedding,
    per-task dense + attention layers, softmax outputs."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 6.4)
    ax.axis("off")

    def box(x, y, w, h, text, color):
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.05", fc=color, ec="k", lw=0.8))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=8)

    box(0.5, 0.2, 9, 0.7, "home-based features: prices, county income, budget, tax, POI (continuous)\n"
        "names, zip code, urban type (categorical)", "#e8eef7")
    box(0.5, 1.3, 4.3, 0.8, "field embeddings $x_iV_i$", "#cfe3cf")
    box(5.2, 1.3, 4.3, 0.8, "FM: $\\langle w,x\\rangle$ + $\\sum_{i<j}\\langle V_i,V_j\\rangle x_ix_j$ (Eq 3)",
        "#cfe3cf")
    box(0.5, 2.4, 9, 0.5, "shared embedding $e_{fm}$", "#b8d8b8")
    w = 9 / n_tasks
    names = ["personal income", "family income", "education", "occupation"][:n_tasks]
    for i, nm in enumerate(names):
        x = 0.5 + i * w
        box(x + 0.1, 3.2, w - 0.3, 0.7, "dense ReLU x3\n(Eq 4)", "#f7e3c6")
        box(x + 0.1, 4.2, w - 0.3, 0.7, "attention\n(Eq 5-7)", "#f4cfa6")
        box(x + 0.1, 5.2, w - 0.3, 0.7, f"softmax (Eq 8)\n{nm}", "#f2b8b8")
        for y0, y1 in ((2.9, 3.2), (3.9, 4.2), (4.9, 5.2)):
            ax.annotate("", (x + w / 2 - 0.05, y1), (x + w / 2 - 0.05, y0),
                        arrowprops={"arrowstyle": "->", "lw": 0.8})
    for x in (2.65, 7.35):
        ax.annotate("", (x, 1.3), (x, 0.9), arrowprops={"arrowstyle": "->", "lw": 0.8})
        ax.annotate("", (x, 2.4), (x, 2.1), arrowprops={"arrowstyle": "->", "lw": 0.8})
    ax.set_title("H2SEA: loss = sum_n lambda_n L_n (Eq 10-11) + alpha ||Theta||^2", fontsize=9)
    return ax.figure


def plot_training_curves(histories: Mapping[str, pd.DataFrame], ax=None):
    """Training and validation loss per epoch, one line pair per model."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for i, (name, h) in enumerate(histories.items()):
        c = f"C{i}"
        ax.plot(h["epoch"], h["train_loss"], color=c, ls="--", label=f"{name} train")
        ax.plot(h["epoch"], h["val_loss"], color=c, label=f"{name} validation")
        best = h["val_loss"].idxmin()
        ax.scatter([h.loc[best, "epoch"]], [h.loc[best, "val_loss"]], color=c, zorder=3)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (Eq 11, weighted)")
    ax.legend(fontsize=7)
    return ax.figure


def plot_method_bars(table: pd.DataFrame, metric: str = "f1", paper: pd.DataFrame | None = None):
    """Bars of ``metric`` per task and method (error bars = std), paper values as dots."""
    import matplotlib.pyplot as plt

    tasks = [t for t in TASKS if t in set(table["task"])]
    methods = [m for m in METHODS if m in set(table["method"])]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(methods)
    for j, m in enumerate(methods):
        sub = table[table["method"] == m].set_index("task").reindex(tasks)
        x = np.arange(len(tasks)) + (j - (len(methods) - 1) / 2) * width
        std = sub.get(f"{metric}_std")
        ax.bar(x, sub[metric], width, yerr=std, label=m, color=f"C{j}", alpha=0.85)
        if paper is not None:
            ps = paper[paper["method"] == m].set_index("task").reindex(tasks)
            ax.scatter(x, ps[metric], color="k", marker="_", s=120, zorder=3,
                       label="paper" if j == 0 else None)
    ax.set_xticks(np.arange(len(tasks)), tasks)
    ax.set_ylabel(metric)
    ax.legend(fontsize=7, ncol=4)
    return fig


def plot_sensitivity(res: pd.DataFrame, metric: str = "f1", xlabel: str = "setting"):
    """Mean ``metric`` per setting and task (lines), from :func:`sensitivity`."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    order = list(dict.fromkeys(res["setting"]))
    g = res.groupby(["task", "setting"])[metric].agg(["mean", "std"]).reset_index()
    for i, t in enumerate([t for t in TASKS if t in set(g["task"])]):
        s = g[g["task"] == t].set_index("setting").reindex(order)
        ax.errorbar(range(len(order)), s["mean"], yerr=s["std"], label=t, color=f"C{i}", marker="o",
                    capsize=3)
    ax.set_xticks(range(len(order)), order, rotation=20, fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(metric)
    ax.legend(fontsize=7)
    return fig




def family_ranks(importance: pd.DataFrame) -> pd.DataFrame:
    """Rank (1 = best score) of every family per task, as ``feature x task``."""
    r = importance.assign(rank=importance.groupby("task")["score"].rank(
        ascending=False, method="first").astype(int))
    return r.pivot(index="feature", columns="task", values="rank")


def table4_verdict(top: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Per task: best single family in the book and the paper, and how many of the
    top families the two lists share."""
    book = top.groupby("task")["feature"].apply(set)
    pap = paper.groupby("task")["feature"].apply(set)
    out = pd.DataFrame({
        "book_first": top[top["rank"] == 1].set_index("task")["feature"],
        "paper_first": paper[paper["rank"] == 1].set_index("task")["feature"],
    })
    out["shared_top"] = [len(book.get(t, set()) & pap.get(t, set())) for t in out.index]
    return out.reindex([t for t in TASKS if t in out.index])


def plot_family_heatmap(importance: pd.DataFrame, families: Sequence[str]):
    """Heat map of the combined score (F1 + AUC + G-Mean) per family and task."""
    import matplotlib.pyplot as plt

    wide = importance.pivot(index="feature", columns="task", values="score").reindex(families)
    wide = wide[[t for t in TASKS if t in wide.columns]]
    fig, ax = plt.subplots(figsize=(7, 5))
    im = ax.imshow(wide.to_numpy(), cmap="viridis", aspect="auto")
    ax.set_xticks(range(wide.shape[1]), wide.columns, rotation=20, fontsize=8)
    ax.set_yticks(range(wide.shape[0]), wide.index, fontsize=8)
    fig.colorbar(im, ax=ax, label="F1 + AUC + G-Mean")
    return fig


def table5_side_by_side(table: pd.DataFrame, paper_wide: pd.DataFrame) -> pd.DataFrame:
    """Table 5 of the book (long) beside the paper's (wide: dataset x task):
    ``dataset, task, f1, change_ratio_pct, change_ratio_pct_paper, diff``."""
    paper = paper_wide.melt(id_vars="dataset", var_name="task", value_name="change_ratio_pct_paper")
    side = table.merge(paper, on=["dataset", "task"], how="left")
    side["diff"] = side["change_ratio_pct"] - side["change_ratio_pct_paper"]
    return side


def plot_change_ratios(side: pd.DataFrame):
    """Change ratios of city-only and village-only (book: circles, paper: crosses)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    sub = side[side["dataset"] != "city+village"]
    tasks = [t for t in TASKS if t in set(sub["task"])]
    for i, (name, s) in enumerate(sub.groupby("dataset")):
        s = s.set_index("task").reindex(tasks)
        ax.plot(range(len(tasks)), s["change_ratio_pct"], "o-", color=f"C{i}", label=f"{name} (book)")
        ax.plot(range(len(tasks)), s["change_ratio_pct_paper"], "x--", color=f"C{i}",
                label=f"{name} (paper)")
    ax.axhline(100, color="grey", lw=0.5)
    ax.set_xticks(range(len(tasks)), tasks, rotation=15, fontsize=8)
    ax.set_ylabel("F1 change ratio (%)")
    ax.legend(fontsize=7)
    return fig
