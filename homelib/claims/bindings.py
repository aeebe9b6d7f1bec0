"""How each claim of ``data/reference/claims.csv`` is tested.

Every claim gets a :class:`Binding`: the chapter where the book discusses it,
the tidy tables (:mod:`homelib.claims.adapters`) it reads, and a function that
turns those tables into :class:`~homelib.claims.engine.Evidence` through the
generic evaluators of :mod:`homelib.claims.engine`, parametrised by the row's
subject, versus, metric, direction and scope. Claims the simulated worlds
cannot decide get a ``not testable`` reason instead. :func:`evaluate` runs one
binding, :func:`evaluate_claims` a set of them.

The readings the rows leave open are fixed here and carried into the ledger's
``note``:

* AED (km) is compared as a log ratio of ``AED + 1 km`` (so that ties at
  0 km give 0 and the three AED levels are on one scale); "much larger" means
  at least 1.5 times, "differ slightly" less than 1.5 times.
* Feature importance (Table 4, Sec 5.4) is compared on the combined score
  F1 + AUC + G-Mean the ranks come from (a rank claim's effect is the score
  margin to the neighbour that would break it); ranks across subsets, whose
  score levels differ, are compared as rank numbers.
* "At every K" claims take the smallest effect over the K grid; "on average
  over K" claims the mean.

Examples
--------
>>> b = binding("H2SEA-T3-beats-pop-f1-education")
>>> b.chapter, b.tables
('03_h2sea', ('h2sea_performance',))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .engine import (
    Evidence,
    NotTestable,
    Outcome,
    combine,
    compare,
    conclude,
    load_claims,
    not_testable,
    parse_scope,
    rank_position,
    split_list,
    threshold,
    trend,
)

__all__ = [
    "TABLES",
    "Binding",
    "bindings",
    "binding",
    "evaluate",
    "evaluate_claims",
    "nest",
]

#: The tidy tables claims read, with the chapter whose results feed them.
TABLES = {
    "h2sea_performance": "03_h2sea", "h2sea_gains": "03_h2sea",
    "h2sea_importance": "04_feature_importance", "h2sea_people": "04_feature_importance",
    "h2sea_city_village": "05_city_village", "h2sea_coverage": "05_city_village",
    "h2sea_subset_importance": "05_city_village",
    "housing": "06_housing_income",
    "pfli_aed": "08_pfli", "pfli_acc": "08_pfli", "pfli_acc_visibility": "08_pfli",
    "exposure_ep_category": "09_exposure", "exposure_ep_cc": "09_exposure",
    "exposure_ep_friends": "09_exposure", "exposure_users": "09_exposure",
    "exposure_models": "09_exposure", "exposure_whatif": "09_exposure",
    "exposure_cases": "09_exposure", "exposure_cc_curve": "09_exposure",
    "exposure_u1": "09_exposure",
}

Tables = Mapping[str, pd.DataFrame]
Run = Callable[[Tables], Evidence]

KM_OFFSET = 1.0  # km added before the AED log ratio
LOG15 = math.log(1.5)
PFLI_VARIANTS = ("PFLI_prob", "PFLI_cent", "PFLI_dist", "PFLI_noclst")
BASELINES = ("Base_dist", "Base_ann", "Base_freq", "Base_freq+", "Base_knn")
FEATURE_NAMES = {"Town-level budget": "Town budget", "Town-level tax": "Town tax",
                 "housing price": "Average housing price",
                 "substitute housing price": "Average housing price",
                 "village name": "Street-name"}
FEATURE_NOTE = {
    "housing price": "housing price = the 'Average housing price' family",
    "substitute housing price": ("the book has no separate substitute price: prices filled from "
                                 "the nearest listing or the city average are part of the "
                                 "'Average housing price' family, which for villagers is mostly "
                                 "the substitute"),
    "village name": ("the book's finest place name is the street (a group of about three "
                     "villages): 'Street-name' stands for the village name"),
}


@dataclass(frozen=True)
class Binding:
    """How one claim is tested.

    Attributes
    ----------
    claim_id : str
        The claim's id in ``claims.csv``.
    chapter : str
        The notebook (``NN_name``) that discusses the claim.
    tables : tuple of str
        Tidy tables (:data:`TABLES`) the test reads.
    run : callable or None
        ``run(tables) -> Evidence``; None when the claim is not testable.
    reason : str
        Why the claim is not testable (when ``run`` is None).
    note : str
        The reading the test takes.

    Examples
    --------
    >>> t = pd.DataFrame({"world": [0, 1], "split": 0, "metric": "r", "value": [0.2, 0.3]})
    >>> b = Binding("X-1", "06_housing_income", ("housing",),
    ...             run=lambda tb: threshold(tb["housing"], value=0.1, metrics=["r"]))
    >>> round(float(b.run({"housing": t}).world_effects().sum()), 3)
    0.3
    """

    claim_id: str
    chapter: str
    tables: tuple[str, ...]
    run: Run | None = None
    reason: str = ""
    note: str = ""


def _sign(direction: str) -> int:
    if direction in ("higher", "positive", "increasing"):
        return 1
    if direction in ("lower", "negative", "decreasing"):
        return -1
    raise ValueError(f"direction {direction!r} has no sign")


def nest(parts: Sequence[Evidence], reduce: str | int = "all", labels: Sequence[str] | None = None,
         unit: str = "", note: str = "") -> Evidence:
    """Evidence whose combinations are other pieces of evidence, each reduced first.

    ``"in every task, at least one of them"`` is ``nest([ev_task1, ...],
    "all")`` of pieces reduced with ``"any"``.

    Parameters
    ----------
    parts : sequence of Evidence
        The pieces; each is reduced per (world, split) by its own ``reduce``.
    reduce : "all", "any", "mean" or int
        How the reduced pieces make one world effect.
    labels : sequence of str, optional
        A name per piece (default ``part 1``, ``part 2``, ...).
    unit : str, optional
        Default: the first piece's unit.
    note : str, optional
        Default: the pieces' distinct notes joined by ``;``.

    Returns
    -------
    Evidence
        One combination per piece.

    Examples
    --------
    >>> idx = pd.MultiIndex.from_tuples([(0, 0)], names=["world", "split"])
    >>> a = Evidence(pd.DataFrame({"x": [1.0], "y": [-1.0]}, index=idx), "u", "any")
    >>> b = Evidence(pd.DataFrame({"z": [-2.0]}, index=idx), "u")
    >>> nest([a, b]).world_effects().tolist()   # a reduces to its best pair (1.0), b to -2.0
    [-2.0]
    >>> nest([a, b], "any", labels=["a", "b"]).effects.columns.tolist()
    ['a', 'b']
    """
    labels = list(labels) if labels is not None else [f"part {i + 1}" for i in range(len(parts))]
    cols = {lab: p.split_effects() for lab, p in zip(labels, parts, strict=True)}
    eff = pd.DataFrame(cols).sort_index()
    eff.index = eff.index.set_names(["world", "split"])
    return Evidence(eff, unit or parts[0].unit, reduce,
                    note or "; ".join(dict.fromkeys(p.note for p in parts if p.note)))


# --------------------------------------------------------------------------- H2SEA Table 3
_GAIN = {"f1_gain_over_pop_pct": ("H2SEA vs POP", "f1_gain_pct"),
         "gmean_gain_over_pop_pct": ("H2SEA vs POP", "gmean_gain_pct"),
         "gmean_gain_over_etna_pct": ("H2SEA vs ETNA", "gmean_gain_pct")}
_GAIN_NOTE = ("relative gain 100 (H2SEA - POP) / POP; POP's G-Mean is 0 in this book (it always "
              "predicts the majority class), so a relative G-Mean gain over POP is undefined")


def _h2sea_t3(c: pd.Series) -> Binding:
    scope = parse_scope(c.scope)
    metrics = list(split_list(c.metric))
    subj, vs = list(split_list(c.subject)), list(split_list(c.versus))
    cid = c.claim_id
    if metrics[0] in _GAIN:  # along the task axis, on the relative gains
        comparison, metric = _GAIN[metrics[0]]
        note = _GAIN_NOTE if metric == "gmean_gain_pct" and "POP" in comparison else ""
        if "POP" not in comparison:
            note = "relative gain 100 (H2SEA - ETNA) / ETNA"

        def run(t: Tables) -> Evidence:
            return compare(t["h2sea_gains"], axis="task", subjects=subj, versus=vs,
                           metrics=[metric], where={"comparison": comparison},
                           sign=_sign(c.direction), unit="relative gain, % points", note=note)

        return Binding(cid, "03_h2sea", ("h2sea_gains",), run, note=note)
    if metrics == ["f1_gain_pct"]:  # FM interaction vs attention
        def run(t: Tables) -> Evidence:
            return compare(t["h2sea_gains"], axis="comparison", subjects=subj, versus=vs,
                           metrics=["f1_gain_pct"], where={"task": scope["task"]},
                           sign=_sign(c.direction), unit="relative F1 gain, % points")

        return Binding(cid, "03_h2sea", ("h2sea_gains",), run)

    def run(t: Tables) -> Evidence:
        return compare(t["h2sea_performance"], axis="method", subjects=subj, versus=vs,
                       metrics=metrics, where={"task": scope["task"]}, sign=_sign(c.direction),
                       unit=f"{'/'.join(metrics)} difference")

    return Binding(cid, "03_h2sea", ("h2sea_performance",), run)


# --------------------------------------------------------------------------- H2SEA Table 4
def _features(text: str) -> tuple[list[str], str]:
    names, notes = [], []
    for f in split_list(text):
        names.append(FEATURE_NAMES.get(f, f))
        if f in FEATURE_NOTE:
            notes.append(FEATURE_NOTE[f])
    return names, "; ".join(notes)


def _importance(t: Tables, table: str, feature: str, task: str, dataset: str, *,
                best: int | None = None, worst: int | None = None, note: str = "") -> Evidence:
    return rank_position(t[table], axis="feature", subject=feature, metrics=["score"],
                         where={"task": task, "dataset": dataset}, best=best, worst=worst,
                         unit="margin in F1 + AUC + G-Mean", note=note)


_RANK_OF = {"rank2": 2, "rank3": 3, "second": 2, "fifth": 5}


def _h2sea_t4(c: pd.Series) -> Binding:
    cid, ch, tab = c.claim_id, "04_feature_importance", ("h2sea_importance",)
    scope = parse_scope(c.scope)
    task = scope.get("task")
    feats, fnote = _features(c.subject)
    if c.kind == "best":
        return Binding(cid, ch, tab, lambda t: _importance(t, "h2sea_importance", feats[0], task,
                                                           "city+village", best=1))
    if cid.startswith("H2SEA-T4-housing-price-only-fifth"):
        note = "read as rank 5 or lower (not among the top 4): 'only fifth, not so effective'"
        return Binding(cid, ch, tab, lambda t: _importance(t, "h2sea_importance", feats[0], task,
                                                           "city+village", worst=5, note=note),
                       note=note)
    rank = next((r for k, r in _RANK_OF.items() if f"-{k}-" in cid), None)
    if c.kind == "other" and rank is not None:
        return Binding(cid, ch, tab, lambda t: _importance(t, "h2sea_importance", feats[0], task,
                                                           "city+village", best=rank, worst=rank))
    if c.kind == "ordering":
        versus, _ = _features(c.versus)

        def run(t: Tables) -> Evidence:
            return compare(t["h2sea_importance"], axis="feature", subjects=feats, versus=versus,
                           metrics=["score"], where={"task": task, "dataset": "city+village"},
                           unit="F1 + AUC + G-Mean difference")

        return Binding(cid, ch, tab, run)
    if c.kind == "threshold":  # not among the top five
        def run(t: Tables) -> Evidence:
            return combine([_importance(t, "h2sea_importance", f, task, "city+village", worst=6)
                            for f in feats])

        return Binding(cid, ch, tab, run)
    if cid == "H2SEA-T4-location-names-urban-type-important":
        def run(t: Tables) -> Evidence:
            tasks = sorted(set(t["h2sea_importance"]["task"]))
            per_task = [combine([_importance(t, "h2sea_importance", f, task_, "city+village",
                                             best=5) for f in feats], reduce="any")
                        for task_ in tasks]
            return nest(per_task, "all", labels=tasks,
                        note="in every task at least one of them in the top 5")

        return Binding(cid, ch, tab, run)
    if cid == "H2SEA-T4-urban-residents-more-university":
        def run(t: Tables) -> Evidence:
            return compare(t["h2sea_people"], axis="group", subjects=["city"], versus=["village"],
                           metrics=["share_university_pct"], unit="share, % points")

        return Binding(cid, ch, ("h2sea_people",), run)
    if cid == "H2SEA-T4-university-near-university-poi":
        note = ("mean of of_j / OF_j (Eq 2) over university, research-institute and "
                "government-office POIs within 2 km")

        def run(t: Tables) -> Evidence:
            return compare(t["h2sea_people"], axis="group", subjects=["university"],
                           versus=["below university"], metrics=["university_poi_ratio"],
                           unit="POI ratio difference", note=note)

        return Binding(cid, ch, ("h2sea_people",), run, note=note)
    raise KeyError(f"no binding rule for {cid}")


# --------------------------------------------------------------------------- H2SEA Table 5, Sec 5.4
def _h2sea_t5(c: pd.Series) -> Binding:
    cid, ch = c.claim_id, "05_city_village"
    scope = parse_scope(c.scope)
    task, dataset = scope.get("task"), scope.get("dataset")
    if cid == "H2SEA-T5-city-village-gap-largest-income-education":
        def run(t: Tables) -> Evidence:
            return compare(t["h2sea_city_village"], axis="task",
                           subjects=list(split_list(c.subject)), versus=list(split_list(c.versus)),
                           metrics=["change_ratio_pct"],
                           where={"dataset": "city-only minus village-only"},
                           unit="change ratio gap, % points")

        return Binding(cid, ch, ("h2sea_city_village",), run)
    if cid == "H2SEA-T5-housing-price-coverage-city-vs-village":
        note = "the survey world is calibrated to these coverages (chapter 02)"

        def run(t: Tables) -> Evidence:
            return compare(t["h2sea_coverage"], axis="dataset", subjects=["city-only"],
                           versus=["village-only"], metrics=["share_with_housing_price_pct"],
                           unit="coverage, % points", note=note)

        return Binding(cid, ch, ("h2sea_coverage",), run, note=note)
    if c.kind == "threshold":  # almost the same: within 1 point of 100
        def run(t: Tables) -> Evidence:
            return threshold(t["h2sea_city_village"], value=100.0, tolerance=True, margin=1.0,
                             metrics=["change_ratio_pct"], where={"task": task, "dataset": dataset},
                             unit="1 - |ratio - 100|, % points")

        return Binding(cid, ch, ("h2sea_city_village",), run)

    def run(t: Tables) -> Evidence:
        return threshold(t["h2sea_city_village"], value=100.0, sign=_sign(c.direction),
                         metrics=["change_ratio_pct"], where={"task": task, "dataset": dataset},
                         unit="change ratio - 100, % points")

    return Binding(cid, ch, ("h2sea_city_village",), run)


def _h2sea_s54(c: pd.Series) -> Binding:
    cid, ch, tab = c.claim_id, "05_city_village", ("h2sea_subset_importance",)
    scope = parse_scope(c.scope)
    task = scope.get("task")
    feats, fnote = _features(c.subject)
    if c.kind == "ordering":  # rank across subsets (rank numbers: lower = more important)
        versus = list(split_list(c.versus))
        feats, fnote = ["Average housing price"], FEATURE_NOTE["housing price"]

        def run(t: Tables) -> Evidence:
            return compare(t["h2sea_subset_importance"], axis="dataset", subjects=["city-only"],
                           versus=versus, metrics=["rank"],
                           where={"task": task, "feature": feats[0]}, sign=-1,
                           unit="rank places", note=fnote)

        return Binding(cid, ch, tab, run, note=fnote)
    if cid == "H2SEA-S54-village-name-third-family-income-village-only":
        def run(t: Tables) -> Evidence:
            third = _importance(t, "h2sea_subset_importance", feats[0], task, "village-only",
                                best=3, worst=3, note=fnote)
            ranks = compare(t["h2sea_subset_importance"], axis="dataset",
                            subjects=["village-only"], versus=list(split_list(c.versus)),
                            metrics=["rank"], where={"task": task, "feature": feats[0]}, sign=-1,
                            unit="rank places")
            return nest([third, ranks], "all", labels=["rank 3 (score margin)",
                                                       "better rank than elsewhere"],
                        unit="score margin / rank places", note=fnote)

        return Binding(cid, ch, tab, run, note=fnote)
    if cid == "H2SEA-S54-housing-price-second-education":
        return Binding(cid, ch, tab, lambda t: _importance(
            t, "h2sea_subset_importance", feats[0], task, "city-only", best=2, worst=2,
            note=fnote), note=fnote)
    if cid == "H2SEA-S54-housing-price-unimportant-occupation":
        feats = ["Average housing price", "Housing price"]
        note = ("read as not in the top 5 in any of the three datasets; 'Housing price' is the "
                "whole price family including the fill flags; " + fnote)

        def run(t: Tables) -> Evidence:
            return combine([_importance(t, "h2sea_subset_importance", f, task, d, worst=6)
                            for f in feats for d in ("city+village", "city-only", "village-only")],
                           note=note)

        return Binding(cid, ch, tab, run, note=note)
    if cid == "H2SEA-S54-substitute-housing-price-useless-villagers":
        note = "read as in the bottom third of the ranked families for every task; " + fnote

        def run(t: Tables) -> Evidence:
            tab_ = t["h2sea_subset_importance"]
            n = tab_[(tab_["dataset"] == "village-only") & (tab_["metric"] == "score")]
            n_fam = int(n.groupby(["world", "task"])["feature"].nunique().min())
            worst = int(math.ceil(2 * n_fam / 3)) + 1
            tasks = sorted(set(n["task"]))
            return combine([_importance(t, "h2sea_subset_importance", feats[0], task_,
                                        "village-only", worst=worst) for task_ in tasks],
                           note=note)

        return Binding(cid, ch, tab, run, note=note)
    raise KeyError(f"no binding rule for {cid}")


# --------------------------------------------------------------------------- H2SEA Sec 6
_SCOPE = {"level": "china_level_2km", "exact": "china_exact_2km"}


def _housing(c: pd.Series) -> Binding:
    cid, ch, tab = c.claim_id, "06_housing_income", ("housing",)

    def scope_r(t: Tables, scopes, **kw) -> Evidence:
        return threshold(t["housing"], axis="scope", subjects=scopes, metrics=["pearson_r"],
                         unit="Pearson r margin", **kw)

    rules: dict[str, tuple[Run, str]] = {
        "H2SEA-S3-renting-price-tracks-housing-price": (
            lambda t: scope_r(t, ["rent_vs_price"], value=0.0),
            "Pearson r of the mean rent and the mean sale price within 2 km, homes with both"),
        "H2SEA-S6-price-income-level-corr-positive-weak": (
            lambda t: scope_r(t, [_SCOPE["level"]], band=(0.0, 0.3)),
            "'weak' read as 0 < r < 0.3"),
        "H2SEA-S6-price-income-level-corr-below-literature": (
            lambda t: scope_r(t, [_SCOPE["level"]], value=0.68, sign=-1), ""),
        "H2SEA-F3-exact-income-corr-below-literature": (
            lambda t: scope_r(t, [_SCOPE["exact"]], value=0.68, sign=-1), ""),
        "H2SEA-S6-max-city-corr-0-37": (
            lambda t: scope_r(t, ["max_city_level_2km"], value=0.37, sign=-1),
            "largest city-level r over the cities shown alone (chapter 06's min_city_n), read as "
            "no city above the paper's maximum 0.37"),
        "H2SEA-S6-low-income-in-high-price-areas": (
            lambda t: threshold(t["housing"], axis="scope", subjects=["low_mid_income"],
                                metrics=["share_above_median_price"], value=0.25,
                                unit="share margin"),
            "share of low- and middle-income-level people whose listed price is above the "
            "median, read as 'many' = at least a quarter"),
        "H2SEA-S1-noncommercial-residents-paid-less": (
            lambda t: threshold(t["housing"], axis="scope", subjects=["noncommercial_own_vs_area"],
                                metrics=["mean_log_price_ratio"], value=0.0, sign=-1,
                                unit="mean log(own price / listed price)"),
            "the world's true price of the home vs the mean listed price within 2 km, "
            "non-commercial homes with a listing"),
    }
    if cid in rules:
        run, note = rules[cid]
        return Binding(cid, ch, tab, run, note=note)
    pairs = {
        "H2SEA-F3-exact-income-corr-higher-than-level": ([_SCOPE["exact"]], [_SCOPE["level"]], 1),
        "H2SEA-S6-price-income-corr-varies-by-city": (["city_level_2km:Harbin"],
                                                      ["city_level_2km:Nanjing"], 1),
        "H2SEA-S6-pooling-cities-weakens-corr": ([_SCOPE["level"]], ["max_city_level_2km"], -1),
        "H2SEA-S6-conjecture-commercial-vs-noncommercial-corr": (
            ["commercial_level_2km", "commercial_exact_2km"], None, 1),
    }
    if cid not in pairs:
        raise KeyError(f"no binding rule for {cid}")
    subj, vs, sign = pairs[cid]
    note = ("Harbin and Nanjing must both be among the world's sampled, priced cities"
            if "Harbin" in subj[0] else "")
    if vs is None:
        note = "level and exact income, each: commercial above non-commercial"

        def run(t: Tables) -> Evidence:
            return combine([compare(t["housing"], axis="scope", subjects=[f"commercial_{k}_2km"],
                                    versus=[f"noncommercial_{k}_2km"], metrics=["pearson_r"],
                                    unit="Pearson r difference") for k in ("level", "exact")],
                           note=note)

        return Binding(cid, ch, tab, run, note=note)

    def run(t: Tables) -> Evidence:
        return compare(t["housing"], axis="scope", subjects=subj, versus=vs,
                       metrics=["pearson_r"], sign=sign, unit="Pearson r difference", note=note)

    return Binding(cid, ch, tab, run, note=note)


# --------------------------------------------------------------------------- PFLI Sec 7
def _aed(c: pd.Series) -> Binding:
    cid, ch, tab = c.claim_id, "08_pfli", ("pfli_aed",)
    scope = parse_scope(c.scope)
    metrics = list(split_list(c.metric))
    subj, vs = list(split_list(c.subject)), list(split_list(c.versus))
    if c.kind == "threshold":  # AED@100 / AED@80 in [10, 23.5]
        note = "read as 10 <= AED@100% / AED@80% <= 23.5 for each variant"

        def run(t: Tables) -> Evidence:
            return threshold(t["pfli_aed"], axis="method", subjects=subj,
                             metrics=["aed100_over_aed80"], band=(10.0, 23.5),
                             where={"user_set": scope["user_set"]}, unit="ratio margin", note=note)

        return Binding(cid, ch, tab, run, note=note)
    if "user_set" in c.subject:  # overall vs with LA friends, per method
        methods = list(split_list(scope["methods"]))
        tol = c.direction == ""
        note = ("AED log ratio (+1 km); " + ("'differ slightly' = less than 1.5 times" if tol
                                             else "'much larger' = at least 1.5 times"))

        def run(t: Tables) -> Evidence:
            return compare(t["pfli_aed"], axis="user_set", subjects=["overall"],
                           versus=["with_la_friends"], metrics=metrics,
                           where={"method": methods}, each=("method",), transform="logratio",
                           offset=KM_OFFSET, margin=LOG15, tolerance=tol,
                           sign=1 if tol else _sign(c.direction), unit="log AED ratio",
                           note=note)

        return Binding(cid, ch, tab, run, note=note)
    note = "AED log ratio (+1 km), at every AED level"

    def run(t: Tables) -> Evidence:
        return compare(t["pfli_aed"], axis="method", subjects=subj, versus=vs, metrics=metrics,
                       where={"user_set": scope["user_set"]}, sign=_sign(c.direction),
                       transform="logratio", offset=KM_OFFSET, unit="log AED ratio", note=note)

    return Binding(cid, ch, tab, run, note=note)


def _ks(t: pd.DataFrame, low: float = -np.inf, high: float = np.inf,
        closed_low: bool = True) -> list[float]:
    k = sorted(set(t["k_km"].astype(float)))
    return [x for x in k if (x >= low if closed_low else x > low) and x < high]


def _acc(c: pd.Series) -> Binding:
    cid, ch, tab = c.claim_id, "08_pfli", ("pfli_acc",)
    scope = parse_scope(c.scope)
    uset = scope.get("user_set")
    subj, vs = list(split_list(c.subject)), list(split_list(c.versus))

    def acc_cmp(t: Tables, s, v, ks=None, reduce="all", note="at every K", **kw) -> Evidence:
        tab_ = t["pfli_acc"]
        ks = _ks(tab_) if ks is None else ks
        if not ks:
            raise NotTestable("no K in the grid for this claim")
        return compare(tab_, axis="method", subjects=s, versus=v, metrics=["acc"],
                       where={"user_set": uset, "k_km": ks}, each=("k_km",), reduce=reduce,
                       unit="ACC@K difference", note=note, **kw)

    if c.kind == "trend":
        def run(t: Tables) -> Evidence:
            return trend(t["pfli_acc"], along="k_km", metrics=["acc"], axis="method",
                         subjects=subj, where={"user_set": uset}, sign=_sign(c.direction))

        return Binding(cid, ch, tab, run)
    if cid.startswith("PFLI-F4-cent-low-at-small-k"):
        return Binding(cid, ch, tab, lambda t: acc_cmp(t, subj, vs, _ks(t["pfli_acc"], high=40),
                                                       sign=-1, note="at every K < 40 km"))
    if cid.startswith("PFLI-F4-cent-beats-prob-above-40km"):
        return Binding(cid, ch, tab, lambda t: acc_cmp(
            t, subj, vs, _ks(t["pfli_acc"], low=40, closed_low=False), note="at every K > 40 km"))
    if cid.startswith("PFLI-F4-dist-not-competitive"):
        return Binding(cid, ch, tab, lambda t: acc_cmp(t, ["PFLI_dist"], ["PFLI_prob", "PFLI_cent"],
                                                       sign=-1, note="below both, at every K"))
    if cid.startswith("PFLI-F4-cmb-beats-single-selectors"):
        note = ("PFLI_cmb is PFLI_prob below 40 km and PFLI_cent from 40 km on; those identical "
                "pairs are left out, the others compared at every K")

        def run(t: Tables) -> Evidence:
            lo = acc_cmp(t, ["PFLI_cmb"], ["PFLI_cent", "PFLI_dist"], _ks(t["pfli_acc"], high=40))
            hi = acc_cmp(t, ["PFLI_cmb"], ["PFLI_prob", "PFLI_dist"], _ks(t["pfli_acc"], low=40))
            return combine([lo, hi], note=note)

        return Binding(cid, ch, tab, run, note=note)
    if cid.startswith("PFLI-F5-cmb-beats-all-baselines"):
        return Binding(cid, ch, tab, lambda t: acc_cmp(t, subj, vs))
    if cid.startswith("PFLI-F5-cmb-beats-noclst"):
        return Binding(cid, ch, tab, lambda t: acc_cmp(t, subj, vs, reduce="mean",
                                                       note="mean over K of the difference"))
    if cid == "PFLI-F5-relationship-baselines-worse-overall":
        methods = list(split_list(scope["methods"]))
        note = "'much' is not quantified; read as lower at every K for each baseline"

        def run(t: Tables) -> Evidence:
            return compare(t["pfli_acc"], axis="user_set", subjects=["overall"],
                           versus=["with_la_friends"], metrics=["acc"],
                           where={"method": methods}, each=("method", "k_km"), sign=-1,
                           unit="ACC@K difference", note=note)

        return Binding(cid, ch, tab, run, note=note)
    if cid == "PFLI-F5-profile-methods-stable-overall":
        note = ("mean over K of the ACC@K drop (with LA friends minus overall): each of Base_ann "
                "and PFLI_cmb drops less than each friendship-based baseline")

        def run(t: Tables) -> Evidence:
            a = t["pfli_acc"]
            w = a.pivot_table(index=["world", "split", "method", "k_km"], columns="user_set",
                              values="value").reset_index()
            w["value"] = w["with_la_friends"] - w["overall"]
            drops = w.groupby(["world", "split", "method"], as_index=False)["value"].mean()
            drops["metric"] = "acc_drop"
            return compare(drops, axis="method", subjects=["Base_ann", "PFLI_cmb"],
                           versus=["Base_dist", "Base_freq", "Base_freq+", "Base_knn"],
                           metrics=["acc_drop"], sign=-1, unit="ACC@K drop difference",
                           note=note)

        return Binding(cid, ch, tab, run, note=note)
    raise KeyError(f"no binding rule for {cid}")


# --------------------------------------------------------------------------- PFLI Sec 8
_NOT_TESTABLE = {
    "PFLI-T3-risk-level-bands": (
        "a definition, not a finding: Table 3 defines the risk levels and the book adopts them "
        "(homelib.exposure.risk, read as the bands that tile [0, 1])"),
    "PFLI-F7-95pct-users-below-45pct-friends-with-attributes": (
        "a property of the paper's crawl: most friends lay outside the crawled sample, so few "
        "had visible attributes; the simulated world keeps every friend, so this share "
        "measures the simulation, not the claim"),
}


def _cat_cmp(t: Tables, s, v, sign=1, **kw) -> Evidence:
    return compare(t["exposure_ep_category"], axis="category", subjects=s, versus=v,
                   metrics=["ep"], each=("k_km",), sign=sign, unit="EP difference", **kw)


def _subsets(cat: str) -> list[str]:
    parts = set(cat.split("+"))
    order = ("HT", "WE", "F", "HT+WE", "HT+F", "WE+F", "HT+WE+F")
    return [o for o in order if set(o.split("+")) < parts]


def _exposure(c: pd.Series) -> Binding:  # noqa: C901 - one rule per claim family
    cid, ch = c.claim_id, "09_exposure"
    scope = parse_scope(c.scope)
    subj, vs = list(split_list(c.subject)), list(split_list(c.versus))
    if cid in _NOT_TESTABLE:
        return Binding(cid, ch, (), None, _NOT_TESTABLE[cid])
    each_k = "at every K (Fig 6 does not state K)"
    if cid.startswith("PFLI-F6-") and c.kind == "ordering":
        return Binding(cid, ch, ("exposure_ep_category",),
                       lambda t: _cat_cmp(t, subj, vs, note=each_k), note=each_k)
    if cid == "PFLI-F6-more-info-more-exposure":
        def run(t: Tables) -> Evidence:
            cats = ("HT+WE", "HT+F", "WE+F", "HT+WE+F")
            return combine([_cat_cmp(t, [cat], _subsets(cat)) for cat in cats], note=each_k)

        return Binding(cid, ch, ("exposure_ep_category",), run, note=each_k)
    if cid == "PFLI-F6-ht-we-up-to-90pct":
        note = "EP of HT+WE users at least 0.85 at the largest K of the grid"

        def run(t: Tables) -> Evidence:
            tab_ = t["exposure_ep_category"]
            return threshold(tab_, axis="category", subjects=subj, metrics=["ep"], value=0.85,
                             where={"k_km": max(_ks(tab_))}, unit="EP margin", note=note)

        return Binding(cid, ch, ("exposure_ep_category",), run, note=note)
    if cid == "PFLI-F6-ht-we-close-to-ht-we-f":
        note = "'approaches' read as within 5 points, at every K"
        return Binding(cid, ch, ("exposure_ep_category",),
                       lambda t: _cat_cmp(t, subj, vs, tolerance=True, margin=0.05, note=note),
                       note=note)
    if cid == "PFLI-F7-exposure-grows-with-friends-with-attributes":
        note = ("Spearman rho of EP@K with the % friends bin (users showing F), at every K, over "
                "the bins the world has: the paper's users lay at 0-45%, the world's mostly above "
                "45% because every friend is in the world")

        def run(t: Tables) -> Evidence:
            return trend(t["exposure_ep_friends"], along="pct_bin", metrics=["ep"],
                         each=("k_km",), note=note)

        return Binding(cid, ch, ("exposure_ep_friends",), run, note=note)
    if cid.startswith("PFLI-F8-exposure-grows-with-cc"):
        cat = scope["user_category"]
        note = "Spearman rho of EP@K with the cluster-confidence bin (0.1 wide), at every K"
        if cat == "F":
            note += "; F users up to CC 0.9"

        def run(t: Tables) -> Evidence:
            tab_ = t["exposure_ep_cc"]
            bins = sorted(set(tab_["cc_bin"]))
            if cat == "F":
                bins = [b for b in bins if b < 0.9]
            return trend(tab_, along="cc_bin", metrics=["ep"],
                         where={"category": cat, "cc_bin": bins}, each=("k_km",), note=note)

        return Binding(cid, ch, ("exposure_ep_cc",), run, note=note)
    if cid == "PFLI-F8-cc-1-exposure-above-90pct-at-20km":
        note = "EP@20 km of users with cluster confidence 1, at least 6 of the 7 categories above 0.9"

        def run(t: Tables) -> Evidence:
            cats = ["HT", "WE", "F", "HT+WE", "HT+F", "WE+F", "HT+WE+F"]
            return threshold(t["exposure_ep_cc"], axis="category", subjects=cats, metrics=["ep"],
                             value=0.90, where={"cc_bin": 1.0, "k_km": 20.0}, reduce=6,
                             unit="EP margin", note=note)

        return Binding(cid, ch, ("exposure_ep_cc",), run, note=note)
    if cid == "PFLI-F8-f-exposure-declines-above-cc-0-9":
        note = "EP of F users with cluster confidence 1 below that of F users in [0.9, 1), every K"

        def run(t: Tables) -> Evidence:
            return compare(t["exposure_ep_cc"], axis="cc_bin", subjects=[1.0], versus=[0.9],
                           metrics=["ep"], where={"category": "F"}, each=("k_km",), sign=-1,
                           unit="EP difference", note=note)

        return Binding(cid, ch, ("exposure_ep_cc",), run, note=note)
    if cid == "PFLI-F8-f-high-cc-means-few-friends":
        note = "mean number of friends of F-only users, CC > 0.9 vs the other F-only users"

        def run(t: Tables) -> Evidence:
            return compare(t["exposure_users"], axis="group", subjects=["F, CC > 0.9"],
                           versus=["F, CC <= 0.9"], metrics=["n_friends"], sign=-1,
                           unit="friends", note=note)

        return Binding(cid, ch, ("exposure_users",), run, note=note)
    if cid.startswith(("PFLI-T5-", "PFLI-T6-")):
        metric = c.metric

        def run(t: Tables) -> Evidence:
            return compare(t["exposure_models"], axis="model", subjects=subj, versus=vs,
                           metrics=[metric], sign=_sign(c.direction), unit=f"{metric} difference")

        return Binding(cid, ch, ("exposure_models",), run)
    if cid == "PFLI-T7-we-only-user-not-safe":
        note = "the estimator's exposure model at U9's published features (WE, CC 0.404, 0%, 20 km)"

        def run(t: Tables) -> Evidence:
            return threshold(t["exposure_cases"], axis="case", subjects=["U9"], metrics=["ep"],
                             value=0.80, where={"k_km": 20.0}, unit="EP margin", note=note)

        return Binding(cid, ch, ("exposure_cases",), run, note=note)
    if cid == "PFLI-T7-higher-cc-higher-exposure-same-category":
        note = ("Spearman rho of the estimator's EP along a cluster-confidence grid, WE+F, "
                "2.1% friends with attributes, K = 100 km")

        def run(t: Tables) -> Evidence:
            return trend(t["exposure_cc_curve"], along="cluster_confidence", metrics=["ep"],
                         where={"category": "WE+F", "k_km": 100.0}, note=note)

        return Binding(cid, ch, ("exposure_cc_curve",), run, note=note)
    if cid.startswith("PFLI-T8-"):
        note = "the world's user most like U1 (HT+WE+F, CC near 0.69, few friends with attributes)"
        if c.kind == "ordering":
            def run(t: Tables) -> Evidence:
                return compare(t["exposure_u1"], axis="setting", subjects=subj, versus=["current"],
                               metrics=["ep", "risk_level"], sign=-1,
                               unit="EP / risk-level drop", note=note)

            return Binding(cid, ch, ("exposure_u1",), run, note=note)
        note += "; level 5 is EP >= 0.9"

        def run(t: Tables) -> Evidence:
            return threshold(t["exposure_u1"], axis="setting", subjects=subj, metrics=["ep"],
                             value=0.90, unit="EP margin", note=note)

        return Binding(cid, ch, ("exposure_u1",), run, note=note)
    if cid == "PFLI-G1-hide-all-location-info":
        note = "mean EP of the what-if users: hiding all three below every other configuration"

        def run(t: Tables) -> Evidence:
            w = t["exposure_whatif"]
            others = [h for h in sorted(set(w["hide"])) if h != "HT+WE+F"]
            return compare(w, axis="hide", subjects=["HT+WE+F"], versus=others,
                           metrics=["mean_ep"], where={"population": "all"}, sign=-1,
                           unit="mean EP difference", note=note)

        return Binding(cid, ch, ("exposure_whatif",), run, note=note)
    if cid == "PFLI-G2-hide-we-first":
        note = "users showing WE: mean EP after hiding WE below that after hiding HT or F"

        def run(t: Tables) -> Evidence:
            return compare(t["exposure_whatif"], axis="hide", subjects=["WE"], versus=["HT", "F"],
                           metrics=["mean_ep"], where={"population": "shows WE"}, sign=-1,
                           unit="mean EP difference", note=note)

        return Binding(cid, ch, ("exposure_whatif",), run, note=note)
    if cid == "PFLI-G2-we-alone-above-80pct":
        note = "some WE-only users above 0.8: the most exposed cluster-confidence bin of WE users"

        def run(t: Tables) -> Evidence:
            tab_ = t["exposure_ep_cc"]
            return threshold(tab_, metrics=["ep"], value=0.80, axis="cc_bin",
                             where={"category": "WE", "k_km": 20.0}, reduce="any",
                             unit="EP margin", note=note)

        return Binding(cid, ch, ("exposure_ep_cc",), run, note=note)
    if cid == "PFLI-G3-hide-f-when-friends-concentrated":
        note = ("users showing F: the mean EP drop of hiding F is positive for users whose "
                "friends alone give CC >= 0.9, and larger than for the others")

        def run(t: Tables) -> Evidence:
            w = t["exposure_whatif"]
            pos = threshold(w, metrics=["mean_drop"], value=0.0,
                            where={"population": "F, friends CC >= 0.9", "hide": "F"})
            more = compare(w, axis="population", subjects=["F, friends CC >= 0.9"],
                           versus=["F, friends CC < 0.9"], metrics=["mean_drop"],
                           where={"hide": "F"})
            return combine([pos, more], unit="mean EP drop", note=note)

        return Binding(cid, ch, ("exposure_whatif",), run, note=note)
    raise KeyError(f"no binding rule for {cid}")


def _pfli(c: pd.Series) -> Binding:
    if c.claim_id == "PFLI-S1-ht-we-users-90pct-accuracy":
        note = "ACC@100 km of PFLI_prob for users showing HT and WE, read as at least 0.85"

        def run(t: Tables) -> Evidence:
            return threshold(t["pfli_acc_visibility"], axis="shows", subjects=["HT and WE"],
                             metrics=["acc"], value=0.85, where={"k_km": 100.0},
                             unit="ACC margin", note=note)

        return Binding(c.claim_id, "08_pfli", ("pfli_acc_visibility",), run, note=note)
    code = c.claim_id.split("-")[1]
    if code == "T12":
        return _aed(c)
    if code in ("F4", "F5"):
        return _acc(c)
    return _exposure(c)


def _bind(c: pd.Series) -> Binding:
    if c.paper == "PFLI":
        return _pfli(c)
    code = c.claim_id.split("-")[1]
    if code == "T3":
        return _h2sea_t3(c)
    if code == "T4":
        return _h2sea_t4(c)
    if code == "T5":
        return _h2sea_t5(c)
    if code == "S54":
        return _h2sea_s54(c)
    return _housing(c)


def bindings(claims: pd.DataFrame | None = None) -> dict[str, Binding]:
    """A :class:`Binding` for every claim (default: ``data/reference/claims.csv``).

    Parameters
    ----------
    claims : DataFrame, optional
        Rows of the claims table (:func:`~homelib.claims.engine.load_claims`).

    Returns
    -------
    dict of str to Binding
        By claim id, in table order.

    Raises
    ------
    KeyError
        A claim has no rule (so a new row cannot be silently skipped), or
        reads an unknown table.

    Examples
    --------
    >>> c = load_claims()
    >>> b = bindings(c[c["claim_id"].isin(["PFLI-T3-risk-level-bands",
    ...                                    "H2SEA-T3-beats-pop-f1-education"])])
    >>> sorted(b), b["PFLI-T3-risk-level-bands"].run is None
    (['H2SEA-T3-beats-pop-f1-education', 'PFLI-T3-risk-level-bands'], True)
    """
    claims = load_claims() if claims is None else claims
    out = {}
    for _, c in claims.iterrows():
        b = _bind(c)
        unknown = [t for t in b.tables if t not in TABLES]
        if unknown:
            raise KeyError(f"{c.claim_id}: unknown table(s) {unknown}")
        out[c.claim_id] = b
    return out


def binding(claim_id: str) -> Binding:
    """The binding of one claim of ``data/reference/claims.csv``.

    Parameters
    ----------
    claim_id : str
        An id of the claims table.

    Returns
    -------
    Binding

    Raises
    ------
    KeyError
        Unknown ``claim_id``.

    Examples
    --------
    >>> binding("PFLI-T3-risk-level-bands").reason[:13]
    'a definition,'
    """
    all_ = bindings()
    if claim_id not in all_:
        raise KeyError(f"unknown claim_id {claim_id!r}")
    return all_[claim_id]


def evaluate(b: Binding, tables: Tables, level: float = 0.95) -> Outcome:
    """Run one binding on the tidy tables and conclude (interval across worlds, verdict).

    A claim whose tables are missing, or whose subject is not in the results,
    is ``not testable`` with the reason; errors in the tables themselves (an
    ambiguous scope, duplicate rows) are raised.

    Parameters
    ----------
    b : Binding
        The claim's binding.
    tables : mapping of str to DataFrame
        Tidy tables by name (:data:`TABLES`).
    level : float, default 0.95
        Coverage of the interval.

    Returns
    -------
    Outcome

    Examples
    --------
    >>> t = pd.DataFrame({"world": [0, 0, 1, 1, 2, 2], "split": 0, "metric": "f1",
    ...                   "task": "education", "method": ["H2SEA", "POP"] * 3,
    ...                   "value": [0.5, 0.3, 0.52, 0.31, 0.49, 0.3]})
    >>> evaluate(binding("H2SEA-T3-beats-pop-f1-education"), {"h2sea_performance": t}).verdict
    'holds'
    >>> evaluate(binding("H2SEA-T3-beats-pop-f1-education"), {}).note
    "results ['h2sea_performance'] not computed (chapter 03_h2sea)"
    """
    if b.run is None:
        return not_testable(b.reason)
    missing = [t for t in b.tables if t not in tables]
    if missing:
        return not_testable(f"results {missing} not computed (chapter {b.chapter})")
    try:
        ev = b.run(tables)
    except NotTestable as e:
        return not_testable(f"{e}" + (f" ({b.note})" if b.note else ""))
    return conclude(ev, level)


def evaluate_claims(tables: Tables, claims: pd.DataFrame | None = None,
                    chapters: Sequence[str] | None = None, level: float = 0.95) -> pd.DataFrame:
    """Evaluate claims on tidy tables: the ledger rows plus detail columns.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Tidy tables by name (:data:`TABLES`).
    claims : DataFrame, optional
        Rows of the claims table (default: all of ``data/reference/claims.csv``).
    chapters : sequence of str, optional
        Keep only claims discussed in these chapters (``"03_h2sea"`` or ``"03"``).
    level : float
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        :data:`~homelib.claims.engine.LEDGER_COLUMNS` then ``unit, interval,
        p_value, weakest, note, per_world``.

    Examples
    --------
    >>> t = pd.DataFrame({"world": [0, 0, 1, 1, 2, 2], "split": 0, "metric": "f1",
    ...                   "task": "education", "method": ["H2SEA", "POP"] * 3,
    ...                   "value": [0.5, 0.3, 0.52, 0.31, 0.49, 0.3]})
    >>> c = load_claims()
    >>> led = evaluate_claims({"h2sea_performance": t},
    ...                       c[c["claim_id"] == "H2SEA-T3-beats-pop-f1-education"])
    >>> led[["verdict", "n_worlds", "chapter"]].values.tolist()
    [['holds', 3, '03_h2sea']]
    >>> round(float(led["effect"].iloc[0]), 3)
    0.2
    """
    claims = load_claims() if claims is None else claims
    binds = bindings(claims)
    rows = []
    for _, c in claims.iterrows():
        b = binds[c.claim_id]
        if chapters is not None and not any(b.chapter == ch or b.chapter.split("_")[0] == ch
                                            for ch in chapters):
            continue
        o = evaluate(b, tables, level)
        rows.append({"paper": c.paper, "claim_id": c.claim_id, "section": c.section,
                     "claim": c.claim, "scope": c.scope, "verdict": o.verdict, "effect": o.effect,
                     "ci_low": o.ci_low, "ci_high": o.ci_high, "n_worlds": o.n_worlds,
                     "chapter": b.chapter, "kind": c.kind, "unit": o.unit,
                     "interval": o.interval, "p_value": o.p_value, "weakest": o.weakest,
                     "note": o.note or b.note,
                     "per_world": ";".join(f"{x:.4g}" for x in o.per_world)})
    return pd.DataFrame(rows)
