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

    Parameters
    ----------
    claim_id : str
        ``<paper>-<code>-<slug>``, e.g. ``"PFLI-F8-exposure-grows-with-cc-ht"``.

    Returns
    -------
    str
        A key of :data:`FAMILIES`.

    Raises
    ------
    KeyError
        An H2SEA code without a family.

    Examples
    --------
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

    Returns
    -------
    DataFrame
        One row per claim of the chapter: :data:`~homelib.claims.engine.LEDGER_COLUMNS`
        and the detail columns (``unit``, ``note``, ...).

    Examples
    --------
    >>> from homelib.claims import simulated as sim
    >>> params = sim.notebook_parameters("08_pfli", "ci")
    >>> led = chapter_ledger("08_pfli", params, "ci")  # doctest: +SKIP
    >>> set(led["verdict"]) <= set(engine.VERDICTS)  # doctest: +SKIP
    True

    (Skipped: it simulates every ledger world, minutes rather than the < 1 s a
    doctest may take; ``tests/test_claims*.py`` run it on tiny worlds.)
    """
    settings = sim.ledger_settings(ledger_profile)
    tables = sim.chapter_tables(chapter, params, settings)
    return bindings.evaluate_claims(tables, chapters=[chapter])


def full_ledger(profile: str, settings: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Every claim of both papers, evaluated over the ledger's worlds.

    Parameters
    ----------
    profile : str
        The profile whose chapter parameters world 0 runs with (``"ci"``, ``"full"``).
    settings : mapping, optional
        The extra worlds and their sizes (keys of
        :func:`~homelib.claims.simulated.ledger_settings`); default the profile's
        chapter 10 block.

    Returns
    -------
    DataFrame
        One row per claim of ``claims.csv``: :data:`~homelib.claims.engine.LEDGER_COLUMNS`
        and the detail columns.

    Examples
    --------
    >>> led = full_ledger("ci")  # doctest: +SKIP
    >>> len(led) == len(engine.load_claims())  # doctest: +SKIP
    True

    (Skipped: it runs every chapter on every world, the ci profile's chapter 10.)
    """
    return bindings.evaluate_claims(sim.ledger_tables(profile, settings))


def write_ledger(ledger: pd.DataFrame) -> None:
    """Write the ledger to ``data/results/claims.csv`` and ``claims_detail.csv``.

    ``claims.csv`` holds exactly :data:`~homelib.claims.engine.LEDGER_COLUMNS`,
    ``claims_detail.csv`` every column. Nothing is written when a check fails.

    Parameters
    ----------
    ledger : DataFrame
        Ledger rows (:func:`full_ledger`).

    Raises
    ------
    ValueError
        A ledger column is missing or a verdict is not one of
        :data:`~homelib.claims.engine.VERDICTS`.

    Examples
    --------
    >>> row = dict.fromkeys(engine.LEDGER_COLUMNS, "")
    >>> write_ledger(pd.DataFrame([{**row, "verdict": "kind of"}]))
    Traceback (most recent call last):
    ...
    ValueError: ledger: unknown verdict(s) ['kind of']
    """
    io.require_columns(ledger, engine.LEDGER_COLUMNS, "ledger")
    bad = sorted(set(ledger["verdict"]) - set(engine.VERDICTS))
    if bad:
        raise ValueError(f"ledger: unknown verdict(s) {bad}")
    io.write_result_csv(ledger[engine.LEDGER_COLUMNS], "claims.csv", engine.LEDGER_COLUMNS)
    io.write_result_csv(ledger, "claims_detail.csv", engine.LEDGER_COLUMNS)


def glue_claims(ledger: pd.DataFrame) -> list[str]:
    """Glue each claim's verdict as ``claim-<claim_id>`` (myst-nb).

    Parameters
    ----------
    ledger : DataFrame
        Ledger rows with ``claim_id`` and ``verdict``.

    Returns
    -------
    list of str
        The glued names, in ledger order (outside a notebook nothing is shown).

    Examples
    --------
    myst-nb's ``glue`` loads IPython (seconds); a stand-in records the calls:

    >>> from unittest import mock
    >>> led = pd.DataFrame({"claim_id": ["PFLI-T12-a", "H2SEA-T3-b"],
    ...                     "verdict": ["holds", "inconclusive"]})
    >>> with mock.patch("myst_nb.glue") as glue:
    ...     names = glue_claims(led)
    >>> names, glue.call_args_list[1]
    (['claim-PFLI-T12-a', 'claim-H2SEA-T3-b'], call('claim-H2SEA-T3-b', 'inconclusive', display=False))
    """
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
    """One claim and its verdict as a sentence, from a ledger row.

    Parameters
    ----------
    row : mapping or namedtuple
        A ledger row (``claim``, ``verdict``, ``effect``, ``ci_low``,
        ``ci_high``, ``n_worlds``, ``unit``; ``note`` when not testable).
    with_claim : bool, default True
        Start with the claim's own sentence.

    Returns
    -------
    str
        Markdown: the verdict in bold, the effect and its interval to 3 digits.

    Examples
    --------
    >>> row = {"claim": "A beats B.", "verdict": "does not hold", "effect": -0.02,
    ...        "ci_low": -0.03, "ci_high": -0.01, "n_worlds": 1, "unit": "F1 difference"}
    >>> claim_sentence(row, with_claim=False)
    '**Does not hold**: effect -0.02 F1 difference, 95 % interval [-0.03, -0.01] over 1 world.'
    >>> claim_sentence({"claim": "C.", "verdict": "not testable", "note": "no crawl"})
    'C. **Not testable**: no crawl.'
    """
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

    Parameters
    ----------
    ledger : DataFrame
        Ledger rows with a ``verdict`` column.

    Returns
    -------
    dict of str to int
        Every verdict, with 0 for those absent.

    Examples
    --------
    >>> verdict_counts(pd.DataFrame({"verdict": ["holds", "holds", "inconclusive"]}))
    {'holds': 2, 'does not hold': 0, 'inconclusive': 1, 'not testable': 0}
    """
    c = ledger["verdict"].value_counts()
    return {v: int(c.get(v, 0)) for v in engine.VERDICTS}


def summary_sentence(ledger: pd.DataFrame, what: str = "claims") -> str:
    """"Of the N <what>, a hold, b do not hold, ..." from the ledger rows.

    Parameters
    ----------
    ledger : DataFrame
        Ledger rows with ``verdict`` and ``n_worlds``.
    what : str, default "claims"
        What the rows are, in the sentence.

    Returns
    -------
    str
        The sentence, with the number of worlds behind the tested claims.

    Examples
    --------
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
    """A Markdown bullet list of claims and their verdict sentences.

    Parameters
    ----------
    ledger : DataFrame
        Ledger rows (``claim_id`` and the columns :func:`claim_sentence` reads).
    ids : iterable of str, optional
        Claim ids to list, in this order (default: every row).
    with_claim : bool, default True
        Start each item with the claim's sentence.

    Returns
    -------
    str
        One ``- ...`` line per claim, ending with its id.

    Examples
    --------
    >>> led = pd.DataFrame({"claim_id": ["X-1", "X-2"], "claim": ["A.", "B."],
    ...                     "verdict": ["not testable", "not testable"], "note": ["n1", "n2"]})
    >>> print(verdict_markdown(led, ids=["X-2"]))
    - B. **Not testable**: n2. (`X-2`)
    """
    rows = ledger if ids is None else ledger.set_index("claim_id").loc[list(ids)].reset_index()
    return "\n".join(f"- {claim_sentence(r, with_claim)} (`{r.claim_id}`)"
                     for r in rows.itertuples())


def ledger_markdown(ledger: pd.DataFrame, columns: Sequence[str] = ("claim", "verdict", "effect",
                                                                     "chapter")) -> str:
    """A Markdown table of ledger rows (cells never cut; long text wraps in the page).

    Columns: ``claim`` (the sentence and its id), ``verdict``, ``effect`` (with
    its interval and unit), ``chapter``, ``scope``, ``note``.

    Parameters
    ----------
    ledger : DataFrame
        Ledger rows.
    columns : sequence of str
        Which of the columns above, in order.

    Returns
    -------
    str
        A Markdown table (``|`` inside a cell becomes ``/``).

    Raises
    ------
    ValueError
        An unknown column is asked for.

    Examples
    --------
    >>> led = pd.DataFrame({"claim_id": ["X-1"], "claim": ["A beats B."], "verdict": ["holds"],
    ...                     "effect": [0.1], "ci_low": [0.05], "ci_high": [0.15], "unit": ["F1"]})
    >>> print(ledger_markdown(led, columns=("claim", "verdict", "effect")))
    | claim | verdict | effect [95 % interval] |
    |---|---|---|
    | A beats B. <br>`X-1` | holds | +0.1 [+0.05, +0.15] F1 |
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

    Parameters
    ----------
    ledger : DataFrame
        Ledger rows (not testable ones are left out).
    families : sequence of str, optional
        Keys of :data:`FAMILIES` to draw, in order (default: all present).

    Returns
    -------
    matplotlib.figure.Figure
        One axes per family.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> led = pd.DataFrame({"claim_id": ["PFLI-T12-a-b", "H2SEA-T3-c-d", "H2SEA-T3-e-f"],
    ...                     "verdict": ["holds", "inconclusive", "not testable"],
    ...                     "effect": [0.2, 0.0, np.nan], "ci_low": [0.1, -0.1, np.nan],
    ...                     "ci_high": [0.3, 0.1, np.nan]})
    >>> fig = plot_forest(led)
    >>> [ax.get_title(loc="left") for ax in fig.axes]
    ['H2SEA Table 3: methods', 'PFLI Tables 1-2: AED']
    >>> plt.close(fig)
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
    """The worlds of the ledger, for the chapter: world 0 as the chapters run it, the extras.

    Parameters
    ----------
    settings : mapping
        The ledger's settings (:func:`~homelib.claims.simulated.ledger_settings`).
    profile : str
        The profile whose chapter parameters world 0 uses.

    Returns
    -------
    DataFrame
        One row per setting; columns ``setting``, ``world 0 (the chapters)`` and
        ``worlds ...`` (the extra worlds at the ledger's sizes).

    Examples
    --------
    >>> s = dict.fromkeys(["h2sea_scale", "h2sea_repeats", "h2sea_grid", "importance_repeats",
    ...                    "social_scale", "pfli_folds", "ln_users", "n_whatif", "cv_folds",
    ...                    "n_estimators"], 1)
    >>> t = settings_table({**s, "worlds": [1, 2]}, "ci")
    >>> t.shape, t.columns[-1], t.iloc[-1, -1]
    ((9, 3), 'worlds 1, 2', '1 / 1')
    """
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
