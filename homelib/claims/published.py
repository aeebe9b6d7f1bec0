"""Every published value of ``data/reference``: where the book regenerates it, or why not.

:func:`published_values` lists every value of the papers' tables in
``data/reference/*.csv`` (one row per cell of a value column); :data:`RULES`
say, file by file and row by row, in which chapter each value is shown beside a
regenerated one, or why it is not regenerated; :func:`coverage` applies them
and fails when a value is covered by no rule or by two. Chapter 10 prints the
"not regenerated" list (:func:`not_regenerated`), and the tests check that the
chapters named here do show the file.

``claims.csv`` is not a table of published numbers but the papers' claims; the
ledger (chapter 10) gives every one of them a verdict.

Examples
--------
>>> v = published_values()
>>> sorted(set(v["file"]))[:2]
['backstrom2010_friendship_law', 'h2sea_facts']
>>> c = coverage()
>>> set(c["status"]) <= {"shown", "not regenerated"}
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from .. import io

__all__ = ["FILES", "Rule", "RULES", "published_values", "coverage", "not_regenerated"]

_TASKS = ["personal_income", "family_income", "education", "occupation"]
_PFLI_METHODS = ["Base_dist", "Base_ann", "Base_freq", "Base_freq+", "Base_knn", "PFLI_noclst",
                 "PFLI_dist", "PFLI_cent", "PFLI_prob"]

#: file stem -> (key columns, value columns)
FILES: dict[str, tuple[list[str], list[str]]] = {
    "backstrom2010_friendship_law": (["parameter"], ["value"]),
    "h2sea_facts": (["key"], ["value"]),
    "h2sea_sec52_gains": (["task", "metric"], ["gain_over_pop_pct"]),
    "h2sea_table2_demographics": (["attribute", "category"], ["fraction_pct"]),
    "h2sea_table3_performance": (["task", "method"], ["f1", "auc", "gmean", "accuracy"]),
    "h2sea_table4_top_features": (["task", "rank"], ["feature", "f1", "auc", "gmean", "accuracy"]),
    "h2sea_table5_city_village": (["dataset"], _TASKS),
    "pfli_facts": (["key"], ["value"]),
    "pfli_fig5_cmb_gains": (["user_set"], ["cmb_gain_over_noclst_pct"]),
    "pfli_table1_2_aed": (["user_set", "metric"], _PFLI_METHODS),
    "pfli_table3_risk_levels": (["risk_level"], ["exposure_probability_low",
                                                 "exposure_probability_high"]),
    "pfli_table5_6_exposure_model": (["model"], ["mae", "rmse"]),
    "pfli_table7_cases": (["user", "error_distance_km"],
                          ["category", "cluster_confidence", "pct_friends_with_attributes",
                           "exposure_probability", "risk_level"]),
    "pfli_table8_hiding_u1": (["setting"], ["exposure_probability", "risk_level"]),
}


@dataclass(frozen=True)
class Rule:
    """Where some published values are shown beside regenerated ones, or why they are not.

    Attributes
    ----------
    file : str
        A file stem of :data:`FILES`.
    status : {"shown", "not regenerated"}
        Whether a chapter shows the values or the book leaves them out.
    chapter : str
        The notebook (``NN_name``) that shows them beside the book's (``shown``).
    reason : str
        Why they are not regenerated (``not regenerated``).
    rows : mapping
        Key column -> accepted values (empty = every row).
    columns : tuple of str
        Value columns covered (empty = all).

    Raises
    ------
    ValueError
        Unknown file or status, a shown rule without its chapter, or a rule
        "not regenerated" without its reason.

    Examples
    --------
    >>> Rule("pfli_table1_2_aed", "shown", "08_pfli").rows
    {}
    >>> Rule("pfli_table1_2_aed", "shown")
    Traceback (most recent call last):
    ...
    ValueError: Rule for pfli_table1_2_aed: a shown value needs its chapter
    """

    file: str
    status: str
    chapter: str = ""
    reason: str = ""
    rows: Mapping[str, tuple] = field(default_factory=dict)
    columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.file not in FILES:
            raise ValueError(f"Rule: unknown file {self.file!r}")
        if self.status not in ("shown", "not regenerated"):
            raise ValueError(f"Rule: status {self.status!r} is not 'shown' or 'not regenerated'")
        if self.status == "shown" and not self.chapter:
            raise ValueError(f"Rule for {self.file}: a shown value needs its chapter")
        if self.status == "not regenerated" and not self.reason:
            raise ValueError(f"Rule for {self.file}: a value not regenerated needs a reason")


_SETTINGS = ("a setting of the paper's method, used as published (the book's code takes it "
             "as a default), not a result to regenerate")
_SURVEY_FACTS = ("provinces", "cities", "surveyed_people_2015_2017", "people_with_home_and_sea",
                 "people_with_exact_income", "target_sample_per_province", "urban_type_city_center",
                 "urban_type_city_border", "urban_type_village", "class_share_personal_income",
                 "class_share_family_income", "class_share_education", "class_share_occupation")
_SOURCE_FACTS = ("housing_price_radius", "housing_price_coverage", "housing_price_fallback_radius",
                 "renting_price_coverage", "county_income_coverage", "town_budget_coverage",
                 "town_tax_coverage", "housing_price_max_city_avg", "housing_price_min_city_avg",
                 "county_income_max", "county_income_min", "poi_radius",
                 "poi_first_level_categories", "poi_second_level_categories",
                 "housing_coverage_city_only", "housing_coverage_village_only",
                 "corr_price_vs_income_level_china", "corr_price_vs_exact_income_2800",
                 "corr_price_vs_income_harbin", "corr_price_vs_income_nanjing")

#: Every published value is covered by exactly one rule.
RULES: tuple[Rule, ...] = (
    Rule("h2sea_facts", "shown", "01_survey", rows={"key": _SURVEY_FACTS}),
    Rule("h2sea_facts", "shown", "02_enrich", rows={"key": _SOURCE_FACTS}),
    Rule("h2sea_facts", "not regenerated", reason=(
        "the survey's sampling design (Table 1) and the years of the statistics, used as "
        "published to build the survey world"), rows={"key": ("pps_stage_units",
                                                            "statistics_years")}),
    Rule("h2sea_facts", "not regenerated", reason=_SETTINGS,
         rows={"key": ("split", "repeats", "fm_latent_dim", "dropout", "neurons_per_layer",
                       "hidden_layers", "adam_lr", "l2")}),
    Rule("h2sea_facts", "not regenerated", reason=(
        "a result of another study (Singapore, Shanghai) that Sec 6 quotes; the ledger uses it "
        "as the threshold of the claims H2SEA-S6-price-income-level-corr-below-literature and "
        "H2SEA-F3-exact-income-corr-below-literature"),
         rows={"key": ("corr_singapore_literature", "corr_shanghai_literature")}),
    Rule("h2sea_sec52_gains", "shown", "10_claims"),
    Rule("h2sea_table2_demographics", "shown", "01_survey"),
    Rule("h2sea_table3_performance", "shown", "03_h2sea"),
    Rule("h2sea_table4_top_features", "shown", "04_feature_importance"),
    Rule("h2sea_table5_city_village", "shown", "05_city_village"),
    Rule("pfli_facts", "shown", "07_social_world", rows={"key": (
        "users_crawled", "la_users", "ln_users", "candidate_locations", "la_users_with_hometown",
        "la_users_with_work_education", "la_users_with_friend_list", "cluster_example")}),
    Rule("pfli_facts", "shown", "08_pfli", rows={"key": ("hometown_work_accuracy",)}),
    Rule("pfli_facts", "not regenerated", reason=_SETTINGS,
         rows={"key": ("freq_plus_neighborhood", "cmb_switch_distance")}),
    Rule("pfli_table1_2_aed", "shown", "08_pfli"),
    Rule("pfli_fig5_cmb_gains", "shown", "08_pfli"),
    Rule("backstrom2010_friendship_law", "shown", "08_pfli"),
    Rule("pfli_table3_risk_levels", "shown", "09_exposure"),
    Rule("pfli_table5_6_exposure_model", "shown", "09_exposure"),
    Rule("pfli_table7_cases", "shown", "09_exposure"),
    Rule("pfli_table8_hiding_u1", "shown", "09_exposure"),
)


def published_values() -> pd.DataFrame:
    """Every value of the papers' tables in ``data/reference``, one row per cell.

    Returns
    -------
    DataFrame
        ``file, row, column, value`` (``row`` = the key values joined by ``|``)
        and one ``key:<column>`` column per key column.

    Raises
    ------
    ValueError
        ``data/reference`` holds a table :data:`FILES` does not describe, or a
        file lacks a key or value column.

    Examples
    --------
    >>> v = published_values()
    >>> facts = v[v["file"] == "pfli_facts"].set_index("row")["value"]
    >>> int(facts["users_crawled"]), int(facts["la_users"]) + int(facts["ln_users"])
    (371913, 379223)
    """
    rows = []
    known = {p.stem for p in io.reference_dir().glob("*.csv")} - {"claims"}
    unknown = sorted(known - set(FILES))
    if unknown:
        raise ValueError(f"data/reference has table(s) {unknown} that published.FILES does not "
                         "describe: add their key and value columns")
    for stem, (keys, values) in FILES.items():
        df = io.load_reference(stem)
        io.require_columns(df, [*keys, *values], stem)
        for _, r in df.iterrows():
            row = "|".join(str(r[k]) for k in keys)
            for c in values:
                rows.append({"file": stem, "row": row, "column": c, "value": r[c],
                             **{f"key:{k}": r[k] for k in keys}})
    return pd.DataFrame(rows)


def _matches(rule: Rule, v: pd.DataFrame) -> pd.Series:
    m = v["file"] == rule.file
    for k, accepted in rule.rows.items():
        m &= v[f"key:{k}"].astype(str).isin([str(a) for a in accepted])
    if rule.columns:
        m &= v["column"].isin(rule.columns)
    return m


def coverage(rules: tuple[Rule, ...] = RULES) -> pd.DataFrame:
    """Each published value with its ``status``, ``chapter`` and ``reason``.

    Parameters
    ----------
    rules : tuple of Rule
        The rules to apply (default :data:`RULES`).

    Returns
    -------
    DataFrame
        ``file, row, column, value, status, chapter, reason``, one row per
        published value.

    Raises
    ------
    ValueError
        A value is covered by no rule or by more than one (the message names it).

    Examples
    --------
    >>> c = coverage()
    >>> c.loc[c["file"] == "pfli_table1_2_aed", "chapter"].unique().tolist()
    ['08_pfli']
    >>> coverage(RULES[1:])   # drop the rule of the survey facts
    Traceback (most recent call last):
    ...
    ValueError: published value h2sea_facts:provinces:value is neither shown nor listed as not regenerated (13 such values)
    """
    v = published_values()
    hits = pd.DataFrame({i: _matches(r, v) for i, r in enumerate(rules)})
    n = hits.sum(axis=1)
    if (n == 0).any():
        r = v[n == 0].iloc[0]
        raise ValueError(f"published value {r.file}:{r.row}:{r.column} is neither shown nor "
                         f"listed as not regenerated ({int((n == 0).sum())} such values)")
    if (n > 1).any():
        r = v[n > 1].iloc[0]
        raise ValueError(f"published value {r.file}:{r.row}:{r.column} is covered by "
                         f"{int(n[n > 1].iloc[0])} rules")
    which = hits.to_numpy().argmax(axis=1)
    out = v[["file", "row", "column", "value"]].copy()
    out["status"] = [rules[i].status for i in which]
    out["chapter"] = [rules[i].chapter for i in which]
    out["reason"] = [rules[i].reason for i in which]
    return out


def not_regenerated() -> pd.DataFrame:
    """The values the book does not regenerate, with the reason (chapter 10's list).

    Returns
    -------
    DataFrame
        ``file, row, column, value, reason``.

    Examples
    --------
    >>> n = not_regenerated()
    >>> "fm_latent_dim" in set(n["row"]), bool((n["reason"] != "").all())
    (True, True)
    """
    c = coverage()
    return c[c["status"] == "not regenerated"][["file", "row", "column", "value", "reason"]] \
        .reset_index(drop=True)
