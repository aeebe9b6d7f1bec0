"""The ledger in the chapters: verdicts per chapter, sentences, tables and figures.

Every chapter that discusses claims calls :func:`chapter_ledger` with its own
parameters and the ledger's profile; the verdicts come from the same cached
multi-world results as chapter 10's ledger, so a chapter cannot state a verdict
the ledger does not have. :func:`glue_claims` glues each verdict as
``claim-<claim_id>`` (a test compares them with ``data/results/claims.csv``);
:func:`verdict_markdown` and :func:`summary_sentence` write the sentences the
chapters show.

Examples
--------
>>> row = {"claim_id": "X-1", "claim": "A beats B.", "verdict": "holds", "effect": 0.1,
...        "ci_low": 0.05, "ci_high": 0.15, "n_worlds": 3, "unit": "F1 difference"}
>>> claim_sentence(row)
'A beats B. **Holds**: effect +0.1 F1 difference, 95 % interval [+0.05, +0.15] over 3 worlds.'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import io
from . import bindings, engine
from . import simulated as sim

__all__ = [
    "FAMILIES",
    "chapter_ledger",
    "full_ledger",
    "write_ledger",
    "glue_claims",
    "claim_sentence",
    "verdict_counts",
    "summary_sentence",
    "verdict_markdown",
    "ledger_markdown",
    "family_of",
    "plot_forest",
    "settings_table",
]

#: Claim families (by the code in the claim id), in book order, with a title.
FAMILIES = {
    "H2SEA-T3": "H2SEA Table 3: methods", "H2SEA-T4": "H2SEA Table 4: features",
    "H2SEA-T5": "H2SEA Table 5: city vs village", "H2SEA-S54": "H2SEA Sec 5.4: feature ranks",
    "H2SEA-S6": "H2SEA Sec 6: housing price", "PFLI-T12": "PFLI Tables 1-2: AED",
    "PFLI-F45": "PFLI Figs 4-5: ACC@K", "PFLI-F68": "PFLI Figs 6-8: exposure",
    "PFLI-T58": "PFLI Tables 3-8 and guidelines",
}
_FAMILY_OF_CODE = {"S3": "H2SEA-S6", "S1": "H2SEA-S6", "F3": "H2SEA-S6", "F4": "PFLI-F45",
                   "F5": "PFLI-F45", "F6": "PFLI-F68", "F7": "PFLI-F68", "F8": "PFLI-F68"}


def family_of(claim_id: str) -> str:
    """The family (a key of :data:`FAMILIES`) of a claim id.

    >>> family_of("PFLI-F8-exposure-grows-with-cc-ht"), family_of("H2SEA-F3-exact-income-corr-higher-than-level")
    ('PFLI-F68', 'H2SEA-S6')
    """
    paper, code = claim_id.split("-")[:2]
    if code in _FAMILY_OF_CODE and (paper == "PFLI") == _FAMILY_OF_CODE[code].startswith("PFLI"):
        return _FAMILY_OF_CODE[code]
    key = f"{paper}-{code}"
    if key in FAMILIES:
        return key
    if paper == "PFLI" and code in ("S1",):
        return "PFLI-F45"
    if paper == "PFLI":
        return "PFLI-T58"
    raise KeyError(f"no family for claim {claim_id!r}")


def chapter_ledger(chapter: str, params: Mapping[str, Any], ledger_profile: str) -> pd.DataFrame:
    """The ledger rows of the claims ``chapter`` discusses, evaluated over the worlds.

    Parameters
    ----------
    chapter : str
        ``"03_h2sea"``, ``"04_feature_importance"``, ``"05_city_village"``,
        ``"06_housing_income"``, ``"08_pfli"`` or ``"09_exposure"``.
    params : mapping
        The chapter's own parameters (its world 0 reuses the chapter's results).
    ledger_profile : str
        The profile whose chapter 10 block sets the extra worlds.
    """
    settings = sim.ledger_settings(ledger_profile)
    tables = sim.chapter_tables(chapter, params, settings)
    return bindings.evaluate_claims(tables, chapters=[chapter])


def full_ledger(profile: str, settings: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Every claim of both papers, with the parameters the chapters run with under ``profile``
    and the extra worlds of ``settings`` (default: the profile's chapter 10 block)."""
    return bindings.evaluate_claims(sim.ledger_tables(profile, settings))


def write_ledger(ledger: pd.DataFrame) -> None:
    """Write ``data/results/claims.csv`` (exactly :data:`~homelib.claims.engine.LEDGER_COLUMNS`)
    and the detail columns to ``data/results/claims_detail.csv``."""
    io.require_columns(ledger, engine.LEDGER_COLUMNS, "ledger")
    bad = sorted(set(ledger["verdict"]) - set(engine.VERDICTS))
    if bad:
        raise ValueError(f"ledger: unknown verdict(s) {bad}")
    io.write_result_csv(ledger[engine.LEDGER_COLUMNS], "claims.csv", engine.LEDGER_COLUMNS)
    io.write_result_csv(ledger, "claims_detail.csv", engine.LEDGER_COLUMNS)


def glue_claims(ledger: pd.DataFrame) -> list[str]:
    """Glue each claim's verdict as ``claim-<claim_id>`` (myst-nb); returns the names."""
    from myst_nb import glue  # notebook-only dependency

    names = []
    for r in ledger.itertuples():
        name = f"claim-{r.claim_id}"
        glue(name, r.verdict, display=False)
        names.append(name)
    return names


def _num(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    return f"{x:+.3g}"


def claim_sentence(row: Mapping[str, Any] | Any, with_claim: bool = True) -> str:
    """One claim and its verdict as a sentence, from a ledger row."""
    get = row.get if isinstance(row, Mapping) else (lambda k, d=None: getattr(row, k, d))
    verdict = str(get("verdict"))
    head = f"{get('claim')} " if with_claim else ""
    if verdict == "not testable":
        return f"{head}**Not testable**: {get('note', '')}."
    n = int(get("n_worlds"))
    return (f"{head}**{verdict.capitalize()}**: effect {_num(get('effect'))} {get('unit', '')}, "
            f"95 % interval [{_num(get('ci_low'))}, {_num(get('ci_high'))}] over {n} "
            f"world{'s' if n != 1 else ''}.")


def verdict_counts(ledger: pd.DataFrame) -> dict[str, int]:
    """Claims per verdict, in :data:`~homelib.claims.engine.VERDICTS` order.

    >>> verdict_counts(pd.DataFrame({"verdict": ["holds", "holds", "inconclusive"]}))
    {'holds': 2, 'does not hold': 0, 'inconclusive': 1, 'not testable': 0}
    """
    c = ledger["verdict"].value_counts()
    return {v: int(c.get(v, 0)) for v in engine.VERDICTS}


def summary_sentence(ledger: pd.DataFrame, what: str = "claims") -> str:
    """"Of the N <what>, a hold, b do not hold, ..." from the ledger rows.

    >>> summary_sentence(pd.DataFrame({"verdict": ["holds", "does not hold"], "n_worlds": [3, 3]}))
    'Of the 2 claims, 1 holds, 1 does not hold, 0 are inconclusive and 0 are not testable (3 worlds each, 95 % intervals).'
    """
    c = verdict_counts(ledger)
    n = len(ledger)
    worlds = sorted(set(int(x) for x in ledger.loc[ledger["verdict"] != "not testable", "n_worlds"]))
    wtxt = (f"{worlds[0]} worlds each" if len(worlds) == 1 else
            f"{worlds[0]}-{worlds[-1]} worlds" if worlds else "no world")
    return (f"Of the {n} {what}, {c['holds']} hold{'s' if c['holds'] == 1 else ''}, "
            f"{c['does not hold']} do{'es' if c['does not hold'] == 1 else ''} not hold, "
            f"{c['inconclusive']} {'is' if c['inconclusive'] == 1 else 'are'} inconclusive and "
            f"{c['not testable']} {'is' if c['not testable'] == 1 else 'are'} not testable "
            f"({wtxt}, 95 % intervals).")


def verdict_markdown(ledger: pd.DataFrame, ids: Iterable[str] | None = None,
                     with_claim: bool = True) -> str:
    """A Markdown bullet list of claims and their verdict sentences."""
    rows = ledger if ids is None else ledger.set_index("claim_id").loc[list(ids)].reset_index()
    return "\n".join(f"- {claim_sentence(r, with_claim)} (`{r.claim_id}`)"
                     for r in rows.itertuples())


def ledger_markdown(ledger: pd.DataFrame, columns: Sequence[str] = ("claim", "verdict", "effect",
                                                                     "chapter")) -> str:
    """A Markdown table of ledger rows (cells never cut; long text wraps in the page).

    Columns: ``claim`` (the sentence and its id), ``verdict``, ``effect`` (with
    its interval and unit), ``chapter``, ``scope``, ``note``.
    """
    head = {"claim": "claim", "verdict": "verdict", "effect": "effect [95 % interval]",
            "chapter": "chapter", "scope": "scope", "note": "reading / reason"}
    unknown = [c for c in columns if c not in head]
    if unknown:
        raise ValueError(f"unknown column(s) {unknown}; allowed {list(head)}")

    def cell(r, c) -> str:
        if c == "claim":
            return f"{r.claim} <br>`{r.claim_id}`"
        if c == "effect":
            if r.verdict == "not testable":
                return "-"
            return (f"{_num(r.effect)} [{_num(r.ci_low)}, {_num(r.ci_high)}] "
                    f"{getattr(r, 'unit', '')}".strip())
        if c == "chapter":
            return f"{{doc}}`{r.chapter}`"
        return str(getattr(r, c, "") or "")

    lines = ["| " + " | ".join(head[c] for c in columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    for r in ledger.itertuples():
        lines.append("| " + " | ".join(cell(r, c).replace("|", "/").replace("\n", " ")
                                       for c in columns) + " |")
    return "\n".join(lines)


def plot_forest(ledger: pd.DataFrame, families: Sequence[str] | None = None):
    """Forest plot: each tested claim's effect in units of its interval half-width.

    An effect ``e`` with interval ``[e - h, e + h]`` is drawn at ``e / h`` with
    a bar from ``e/h - 1`` to ``e/h + 1`` (clipped at +-6): the claim holds when
    the bar is right of 0, does not hold when it is left of 0. One panel per
    family; colours by verdict.
    """
    import matplotlib.pyplot as plt

    t = ledger[ledger["verdict"] != "not testable"].copy()
    t["family"] = t["claim_id"].map(family_of)
    fams = [f for f in (families or FAMILIES) if f in set(t["family"])]
    half = (t["ci_high"] - t["ci_low"]) / 2
    z = np.where(half > 0, t["effect"] / half.where(half > 0), np.sign(t["effect"]) * 6)
    t["z"] = np.clip(np.nan_to_num(z), -6, 6)
    colours = {"holds": "#1b7837", "does not hold": "#b2182b", "inconclusive": "#878787"}
    sizes = [max(2, (t["family"] == f).sum()) for f in fams]
    fig, axes = plt.subplots(len(fams), 1, figsize=(7, 0.16 * sum(sizes) + 0.6 * len(fams)),
                             gridspec_kw={"height_ratios": sizes}, squeeze=False)
    for ax, f in zip(axes[:, 0], fams, strict=True):
        s = t[t["family"] == f].reset_index(drop=True)
        y = np.arange(len(s))[::-1]
        for v, c in colours.items():
            m = (s["verdict"] == v).to_numpy()
            ax.errorbar(s["z"][m], y[m], xerr=1.0, fmt="o", ms=3, color=c, lw=0.8,
                        label=v if f == fams[0] else None)
        ax.axvline(0, color="k", lw=0.6)
        ax.set_yticks(y, [cid.split("-", 2)[2][:38] for cid in s["claim_id"]], fontsize=6)
        ax.set_xlim(-7, 7)
        ax.set_title(FAMILIES[f], fontsize=8, loc="left")
        ax.tick_params(axis="x", labelsize=7)
    axes[-1, 0].set_xlabel("effect / half-width of its 95 % interval (right of 0: the claim's "
                           "direction)", fontsize=7)
    axes[0, 0].legend(fontsize=6, loc="lower right")
    fig.tight_layout()
    return fig


def settings_table(settings: Mapping[str, Any], profile: str) -> pd.DataFrame:
    """The worlds of the ledger, for the chapter: world 0 as the chapters run it, the
    extra worlds at the ledger's sizes."""
    p03 = sim.notebook_parameters("03_h2sea", profile)
    p08 = sim.notebook_parameters("08_pfli", profile)
    p09 = sim.notebook_parameters("09_exposure", profile)
    rows = [
        ("H2SEA survey world: scale (share of 30 households per village)", p03["scale"],
         settings["h2sea_scale"]),
        ("H2SEA protocol repeats (Table 3, Table 5)", p03["repeats"], settings["h2sea_repeats"]),
        ("H2SEA hyper-parameter grid", p03["grid_profile"], settings["h2sea_grid"]),
        ("single-family importance repeats (Tables 4, Sec 5.4)",
         sim.notebook_parameters("04_feature_importance", profile)["repeats"],
         settings["importance_repeats"]),
        ("social world: scale (share of 371,913 users), chapter 08 / 09",
         f"{p08['scale']} / {p09['profile_scale']}", settings["social_scale"]),
        ("PFLI folds, chapter 08 / 09", f"{p08['folds']} / {p09['pfli_folds']}",
         settings["pfli_folds"]),
        ("LN users scored (what-if, Table 8)", p09["ln_users"], settings["ln_users"]),
        ("what-if users (guidelines)", p09["n_whatif"], settings["n_whatif"]),
        ("exposure-model folds / trees", f"{p09['cv_folds']} / {p09['n_estimators']}",
         f"{settings['cv_folds']} / {settings['n_estimators']}"),
    ]
    return pd.DataFrame(rows, columns=["setting", "world 0 (the chapters)",
                                       f"worlds {', '.join(map(str, settings['worlds']))}"])
