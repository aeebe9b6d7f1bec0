"""The ledger's engine: claims, generic evaluators, intervals across worlds, verdicts.

A *tidy result table* has one row per measured value: the columns ``world``
(the world's seed), ``split`` (a repeat, fold or 0), ``metric``, ``value`` and
any number of key columns (``task``, ``method``, ``user_set``, ``k_km``, ...).
An evaluator selects the rows a claim speaks about and turns them into
*evidence*: one signed effect per world and per *combination* (a pair of
subject and versus, a metric, a K, ...), positive when the claim's direction
holds in that world. A claim whose subject or versus is a semicolon list
(``"each of"``) has one combination per pair; the world's effect is the
smallest of them (``reduce="all"``), or the largest (``"any"``), or the k-th
largest (an int: "at least k of them").

**Interval and verdict.** The world-level effects (a world's effect is the
mean over its splits) get a Student t interval with ``n_worlds - 1`` degrees
of freedom: worlds are the independent replications, so the interval covers
world-to-world variation as well as split noise. With 3 worlds the half-width
is 4.30 standard errors (1.96 for many worlds), so only effects that are
large against the spread between worlds are decided. A claim **holds** when
the whole interval is above 0 (it excludes the opposite), **does not hold**
when it is below 0, and is **inconclusive** otherwise; a claim that cannot be
evaluated on the results is **not testable**, with the reason. With a single
world the interval falls back on the splits (stated in ``interval``).

Examples
--------
>>> t = pd.DataFrame({"world": [0, 0, 1, 1, 2, 2], "split": 0, "metric": "f1",
...                   "method": ["A", "B"] * 3, "value": [0.6, 0.5, 0.62, 0.5, 0.61, 0.52]})
>>> ev = compare(t, axis="method", subjects=["A"], versus=["B"], metrics=["f1"])
>>> out = conclude(ev)
>>> out.verdict, round(out.effect, 3), out.n_worlds
('holds', 0.103, 3)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .. import io

__all__ = [
    "VERDICTS",
    "KINDS",
    "CLAIM_COLUMNS",
    "LEDGER_COLUMNS",
    "TIDY_COLUMNS",
    "NotTestable",
    "split_list",
    "parse_scope",
    "load_claims",
    "check_tidy",
    "select",
    "Interval",
    "world_interval",
    "verdict_of",
    "Evidence",
    "Outcome",
    "compare",
    "threshold",
    "trend",
    "rank_position",
    "combine",
    "conclude",
    "not_testable",
]

VERDICTS = ("holds", "does not hold", "inconclusive", "not testable")
KINDS = ("ordering", "best", "difference", "threshold", "correlation", "trend", "guideline", "other")
CLAIM_COLUMNS = ["paper", "claim_id", "section", "claim", "scope", "kind", "subject", "versus",
                 "metric", "direction", "source_table", "quote"]
LEDGER_COLUMNS = ["paper", "claim_id", "section", "claim", "scope", "verdict", "effect", "ci_low",
                  "ci_high", "n_worlds", "chapter"]
TIDY_COLUMNS = ("world", "split", "metric", "value")
_DIRECTIONS = {"higher", "lower", "positive", "negative", "increasing", "decreasing"}


class NotTestable(Exception):
    """The results cannot decide a claim (the message says why).

    Raised by the evaluators (:func:`compare`, :func:`threshold`, ...) when a
    subject, metric or curve the claim names is not in the results.

    Parameters
    ----------
    *args : object
        The message, as for any exception.

    Examples
    --------
    >>> t = pd.DataFrame({"world": [0], "split": [0], "metric": ["f1"], "value": [0.5]})
    >>> threshold(t, value=0.4, metrics=["f1", "auc"])
    Traceback (most recent call last):
    ...
    homelib.claims.engine.NotTestable: metric 'auc' not in the results
    """


# --------------------------------------------------------------------------- the claims table
def split_list(text: Any) -> tuple[str, ...]:
    """A semicolon list of claims.csv ("each of") as a tuple; empty or NaN gives ``()``.

    Parameters
    ----------
    text : str, float or None
        A cell of ``subject`` or ``versus``; NaN and ``None`` mean empty.

    Returns
    -------
    tuple of str
        The stripped, non-empty items in order.

    Examples
    --------
    >>> split_list("POP;LR; XGBoost"), split_list(float("nan"))
    (('POP', 'LR', 'XGBoost'), ())
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ()
    return tuple(s.strip() for s in str(text).split(";") if s.strip())


def parse_scope(scope: str) -> dict[str, str]:
    """The ``key=value`` parts of a claim's scope; other parts go to ``"text"``.

    Parameters
    ----------
    scope : str
        The ``scope`` cell of claims.csv, parts separated by ``;``.

    Returns
    -------
    dict of str to str
        Key to value; the parts that are not ``key=value`` joined under ``"text"``.

    Examples
    --------
    >>> parse_scope("task=education; dataset=city-only")
    {'task': 'education', 'dataset': 'city-only'}
    >>> parse_scope("all users")
    {'text': 'all users'}
    """
    out: dict[str, str] = {}
    rest = []
    for part in str(scope).split(";"):
        part = part.strip()
        key, eq, value = part.partition("=")
        if eq and key.strip().replace("_", "").isalnum() and " " not in key.strip():
            out[key.strip()] = value.strip()
        elif part:
            rest.append(part)
    if rest:
        out["text"] = "; ".join(rest)
    return out


def load_claims(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate the claims table (default ``data/reference/claims.csv``).

    Parameters
    ----------
    path : str or Path, optional
        A claims CSV with the columns :data:`CLAIM_COLUMNS`; default the
        published ledger's ``claims.csv``.

    Returns
    -------
    DataFrame
        The columns :data:`CLAIM_COLUMNS` (all strings), one row per claim.

    Raises
    ------
    ValueError
        A column is missing, an id is repeated or empty, or a ``kind`` /
        ``direction`` is not one of the documented values (the message names
        the claim and the value).

    Examples
    --------
    >>> import tempfile
    >>> row = dict.fromkeys(CLAIM_COLUMNS, "")
    >>> row.update(paper="PFLI", claim_id="P1", kind="ordering", direction="lower")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = Path(d) / "claims.csv"
    ...     pd.DataFrame([row, {**row, "claim_id": "P2", "kind": "trend"}]).to_csv(f, index=False)
    ...     c = load_claims(f)
    >>> c["claim_id"].tolist(), c["kind"].tolist()
    (['P1', 'P2'], ['ordering', 'trend'])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = Path(d) / "claims.csv"
    ...     pd.DataFrame([{**row, "kind": "vibe"}]).to_csv(f, index=False)
    ...     load_claims(f)
    Traceback (most recent call last):
    ...
    ValueError: claims: P1: kind 'vibe' is not one of [...]
    """
    path = Path(path) if path is not None else io.reference_dir() / "claims.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    io.require_columns(df, CLAIM_COLUMNS, str(path.name))
    bad_id = df.index[df["claim_id"].str.strip() == ""]
    if len(bad_id):
        raise ValueError(f"claims: empty claim_id in row(s) {list(bad_id)}")
    dup = df["claim_id"][df["claim_id"].duplicated()].tolist()
    if dup:
        raise ValueError(f"claims: claim_id repeated: {dup}")
    bad_kind = df[~df["kind"].isin(KINDS)]
    if len(bad_kind):
        r = bad_kind.iloc[0]
        raise ValueError(f"claims: {r.claim_id}: kind {r.kind!r} is not one of {list(KINDS)}")
    bad_dir = df[(df["direction"] != "") & ~df["direction"].isin(_DIRECTIONS)]
    if len(bad_dir):
        r = bad_dir.iloc[0]
        raise ValueError(f"claims: {r.claim_id}: direction {r.direction!r} is not one of "
                         f"{sorted(_DIRECTIONS)} or empty")
    bad_paper = df[~df["paper"].isin(["H2SEA", "PFLI"])]
    if len(bad_paper):
        r = bad_paper.iloc[0]
        raise ValueError(f"claims: {r.claim_id}: paper {r.paper!r} is not H2SEA or PFLI")
    return df[CLAIM_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------- tidy tables
def check_tidy(table: pd.DataFrame, name: str = "table") -> pd.DataFrame:
    """Check a tidy result table and return it unchanged.

    Parameters
    ----------
    table : DataFrame
        A tidy result table: :data:`TIDY_COLUMNS` plus key columns.
    name : str, default "table"
        The table's name in error messages.

    Returns
    -------
    DataFrame
        ``table`` itself.

    Raises
    ------
    ValueError
        A column of :data:`TIDY_COLUMNS` is missing or ``value`` is not
        numeric (the message names the table).

    Examples
    --------
    >>> check_tidy(pd.DataFrame({"world": [0], "split": [0], "metric": ["f1"], "value": [0.5]})).shape
    (1, 4)
    >>> check_tidy(pd.DataFrame({"world": [0], "value": [1.0]}), "perf")
    Traceback (most recent call last):
    ...
    ValueError: perf: missing column(s) ['split', 'metric']; got ['world', 'value']
    """
    io.require_columns(table, TIDY_COLUMNS, name)
    if not pd.api.types.is_numeric_dtype(table["value"]):
        raise ValueError(f"{name}: column 'value' must be numeric; got {table['value'].dtype}")
    return table


def select(table: pd.DataFrame, where: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Rows of ``table`` whose columns take the given value(s).

    Parameters
    ----------
    table : DataFrame
        Any table.
    where : mapping, optional
        Column to a scalar or a list/tuple/set of accepted values; ``None``
        or empty keeps every row.

    Returns
    -------
    DataFrame
        The matching rows (a view by boolean mask; ``table`` is not changed).

    Raises
    ------
    KeyError
        ``where`` names a column the table does not have.

    Examples
    --------
    >>> t = pd.DataFrame({"task": ["a", "b", "c"], "value": [1, 2, 3]})
    >>> select(t, {"task": ["a", "c"]})["value"].tolist()
    [1, 3]
    """
    mask = np.ones(len(table), dtype=bool)
    for col, val in (where or {}).items():
        if col not in table.columns:
            raise KeyError(f"no column {col!r} to select on; columns: {list(table.columns)}")
        vals = list(val) if isinstance(val, (list, tuple, set, frozenset)) else [val]
        mask &= table[col].isin(vals).to_numpy()
    return table[mask]


# --------------------------------------------------------------------------- intervals
@dataclass(frozen=True)
class Interval:
    """A mean with its interval: ``mean, low, high``, ``n`` values, ``method``.

    Attributes
    ----------
    mean : float
        The mean of the values.
    low, high : float
        The interval's ends (NaN with fewer than two values).
    n : int
        How many finite values went in.
    method : str
        How the interval was computed, for the ledger.
    p_value : float
        Two-sided one-sample t-test of mean 0 (NaN when undefined).

    Examples
    --------
    >>> Interval(0.5, 0.25, 0.75, 3, "t interval over 3 worlds (95%)").p_value
    nan
    """

    mean: float
    low: float
    high: float
    n: int
    method: str
    p_value: float = float("nan")


def world_interval(values: Sequence[float], level: float = 0.95, what: str = "worlds") -> Interval:
    """Student t interval of the mean of independent values (worlds, or splits).

    ``mean +- t_{n-1, (1+level)/2} * sd / sqrt(n)``; with zero spread the
    interval is the point; with one value it is NaN. ``p_value`` is the
    two-sided one-sample t-test of mean 0.

    Parameters
    ----------
    values : sequence of float
        One value per world (or split); NaN and infinite values are dropped.
    level : float, default 0.95
        Coverage of the interval, in (0, 1).
    what : str, default "worlds"
        What the values are, written into ``method``.

    Returns
    -------
    Interval

    Examples
    --------
    >>> iv = world_interval([1.0, 2.0, 3.0])
    >>> round(iv.mean, 3), round(iv.low, 3), round(iv.high, 3)
    (2.0, -0.484, 4.484)
    >>> world_interval([0.5]).low
    nan
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level}")
    v = np.asarray([x for x in values if np.isfinite(x)], dtype=float)
    n = int(v.size)
    method = f"t interval over {n} {what} ({level:.0%})"
    if n == 0:
        return Interval(np.nan, np.nan, np.nan, 0, method)
    mean = float(v.mean())
    if n == 1:
        return Interval(mean, np.nan, np.nan, 1, method)
    sd = float(v.std(ddof=1))
    if np.ptp(v) == 0:
        mean = float(v[0])
        p = 1.0 if mean == 0 else 0.0
        return Interval(mean, mean, mean, n, method, p)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    p = float(2 * stats.t.sf(abs(mean) / (sd / math.sqrt(n)), n - 1))
    return Interval(mean, mean - half, mean + half, n, method, p)


def verdict_of(low: float, high: float) -> str:
    """``holds`` if the interval is above 0, ``does not hold`` if below, else ``inconclusive``.

    Parameters
    ----------
    low, high : float
        The interval's ends; a NaN end gives ``inconclusive``.

    Returns
    -------
    str
        One of the first three :data:`VERDICTS`.

    Examples
    --------
    >>> verdict_of(0.1, 0.3), verdict_of(-0.3, -0.1), verdict_of(-0.1, 0.1), verdict_of(0.0, 0.0)
    ('holds', 'does not hold', 'inconclusive', 'inconclusive')
    """
    if not (np.isfinite(low) and np.isfinite(high)):
        return "inconclusive"
    if low > 0:
        return "holds"
    if high < 0:
        return "does not hold"
    return "inconclusive"


# --------------------------------------------------------------------------- evidence
@dataclass
class Evidence:
    """Signed effects per ``(world, split)`` (rows) and combination (columns).

    Attributes
    ----------
    effects : DataFrame
        Index ``(world, split)``, one column per combination; positive = the
        claim's direction.
    unit : str
        What the effect measures (e.g. ``"F1 difference"``).
    reduce : "all", "any", "mean" or int
        How combinations make one world effect: smallest ("each of"), largest
        ("some of"), mean ("on average over"), k-th largest ("at least k of").
    note : str
        Reading or caveat to carry into the ledger.

    Examples
    --------
    >>> idx = pd.MultiIndex.from_tuples([(0, 0), (0, 1), (1, 0)], names=["world", "split"])
    >>> ev = Evidence(pd.DataFrame({"A vs B": [0.1, 0.3, 0.4], "A vs C": [0.5, 0.5, -0.1]}, index=idx),
    ...               "F1 difference")
    >>> ev.world_combos()["A vs B"].round(3).tolist()   # world 0: mean of its two splits
    [0.2, 0.4]
    >>> ev.world_effects().round(3).tolist()            # "each of": the smaller pair
    [0.2, -0.1]
    """

    effects: pd.DataFrame
    unit: str
    reduce: str | int = "all"
    note: str = ""

    def world_combos(self) -> pd.DataFrame:
        """World-level effect of every combination (mean over the world's splits)."""
        return self.effects.groupby(level="world").mean()

    def world_effects(self) -> pd.Series:
        """One effect per world: the combinations reduced by ``reduce``."""
        return _reduce(self.world_combos(), self.reduce)

    def split_effects(self) -> pd.Series:
        """One effect per (world, split), reduced the same way."""
        return _reduce(self.effects, self.reduce)


def _reduce(frame: pd.DataFrame, how: str | int) -> pd.Series:
    if frame.shape[1] == 0:
        return pd.Series(np.nan, index=frame.index)
    if how == "all":
        return frame.min(axis=1, skipna=True)
    if how == "any":
        return frame.max(axis=1, skipna=True)
    if how == "mean":
        return frame.mean(axis=1, skipna=True)
    if isinstance(how, int) and not isinstance(how, bool) and how >= 1:
        vals = np.sort(frame.to_numpy(dtype=float), axis=1)[:, ::-1]  # NaN sort last, first here
        out = []
        for row in vals:
            row = row[np.isfinite(row)]
            out.append(row[how - 1] if row.size >= how else np.nan)
        return pd.Series(out, index=frame.index)
    raise ValueError(f"reduce must be 'all', 'any', 'mean' or a positive int; got {how!r}")


@dataclass(frozen=True)
class Outcome:
    """The verdict on one claim, with its effect, interval and where it came from.

    Attributes
    ----------
    verdict : str
        One of :data:`VERDICTS`.
    effect : float
        The mean world-level effect (positive = the claim's direction).
    ci_low, ci_high : float
        Its interval.
    n_worlds : int
        The worlds that gave a value.
    unit : str
        What the effect measures.
    interval : str
        How the interval was computed.
    p_value : float
        Two-sided t-test of effect 0.
    weakest : str
        The combination with the smallest mean effect (empty with one).
    note : str
        Reading, caveat, or the reason a claim is not testable.
    per_world : tuple of float
        The world-level effects in world order.

    Examples
    --------
    >>> o = Outcome("holds", effect=0.1, ci_low=0.05, ci_high=0.15, n_worlds=3)
    >>> o.verdict, o.per_world
    ('holds', ())
    """

    verdict: str
    effect: float = float("nan")
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    n_worlds: int = 0
    unit: str = ""
    interval: str = ""
    p_value: float = float("nan")
    weakest: str = ""
    note: str = ""
    per_world: tuple[float, ...] = field(default_factory=tuple)


def not_testable(reason: str, n_worlds: int = 0) -> Outcome:
    """An :class:`Outcome` with verdict ``not testable`` and the reason in ``note``.

    Parameters
    ----------
    reason : str
        Why the results cannot decide the claim (must not be empty).
    n_worlds : int, default 0
        Worlds that were looked at.

    Returns
    -------
    Outcome

    Examples
    --------
    >>> o = not_testable("a count of the paper's crawl")
    >>> o.verdict, o.note
    ('not testable', "a count of the paper's crawl")
    """
    if not reason:
        raise ValueError("a not-testable claim needs a reason")
    return Outcome("not testable", n_worlds=n_worlds, note=reason)


def conclude(evidence: Evidence, level: float = 0.95) -> Outcome:
    """Interval across worlds and verdict from :class:`Evidence`.

    With two or more worlds: a t interval over the world effects. With one
    world and two or more splits: a t interval over the split effects (stated
    in ``interval``). No finite effect at all: ``not testable``.

    Parameters
    ----------
    evidence : Evidence
        The signed effects of one claim.
    level : float, default 0.95
        Coverage of the interval.

    Returns
    -------
    Outcome

    Examples
    --------
    >>> e = pd.DataFrame({"A vs B": [0.1, 0.12, -0.2]},
    ...                  index=pd.MultiIndex.from_tuples([(0, 0), (1, 0), (2, 0)], names=["world", "split"]))
    >>> o = conclude(Evidence(e, "diff"))   # world 2 goes the other way
    >>> o.verdict, round(o.effect, 3), o.n_worlds
    ('inconclusive', 0.007, 3)
    """
    combos = evidence.world_combos()
    worlds = evidence.world_effects()
    finite = worlds[np.isfinite(worlds.to_numpy(dtype=float))]
    if finite.empty:
        why = "no finite effect in any world (a value is undefined, e.g. a ratio over 0)"
        return not_testable(f"{why}; {evidence.note}" if evidence.note else why)
    if len(finite) >= 2:
        iv = world_interval(finite.to_numpy(), level, "worlds")
    else:
        splits = evidence.split_effects()
        splits = splits[np.isfinite(splits.to_numpy(dtype=float))]
        iv = world_interval(splits.to_numpy(), level, "splits of 1 world")
        iv = Interval(float(finite.iloc[0]), iv.low, iv.high, 1, iv.method, iv.p_value)
    means = combos.mean(axis=0, skipna=True)
    weakest = str(means.idxmin()) if means.notna().any() and combos.shape[1] > 1 else ""
    dropped = len(worlds) - len(finite)
    note = evidence.note
    if dropped:
        note = (note + "; " if note else "") + f"{dropped} world(s) without a value"
    return Outcome(verdict_of(iv.low, iv.high), iv.mean, iv.low, iv.high, len(finite),
                   evidence.unit, iv.method, iv.p_value, weakest, note,
                   tuple(float(x) for x in worlds.to_numpy()))


# --------------------------------------------------------------------------- evaluators
def _transform(x: pd.Series, transform: str, offset: float) -> pd.Series:
    if transform == "diff":
        return x.astype(float)
    if transform == "logratio":
        v = x.astype(float) + offset
        if (v <= 0).any():
            raise ValueError(f"logratio needs values > -offset ({offset}); got min {x.min()}")
        return np.log(v)
    raise ValueError(f"transform must be 'diff' or 'logratio'; got {transform!r}")


def _wide(table: pd.DataFrame, axis: str | None, values: Sequence[str] | None,
          metrics: Sequence[str], where: Mapping[str, Any] | None,
          each: Sequence[str]) -> pd.DataFrame:
    """Rows selected and pivoted: index (world, split, metric, *each), columns = axis values."""
    check_tidy(table)
    w = dict(where or {})
    w["metric"] = list(metrics)
    if axis is not None and values is not None:
        w[axis] = list(values)
    t = select(table, w)
    if t.empty:
        raise NotTestable(f"no results for {w}")
    for m in metrics:
        if not (t["metric"] == m).any():
            raise NotTestable(f"metric {m!r} not in the results")
    if axis is None:
        t = t.assign(_axis="value")
        axis = "_axis"
    keys = ["world", "split", "metric", *each]
    loose = [c for c in t.columns if c not in (*keys, "value", axis) and t[c].nunique(dropna=False) > 1]
    if loose:
        raise ValueError(f"ambiguous selection {w}: column(s) {loose} still take several values "
                         f"({ {c: sorted(map(str, t[c].unique()))[:5] for c in loose} })")
    if t.duplicated([*keys, axis]).any():
        raise ValueError(f"duplicate rows for {w}")
    wide = t.set_index([*keys, axis])["value"].unstack(axis)
    if values is not None:
        missing = [v for v in values if v not in wide.columns]
        if missing:
            raise NotTestable(f"{axis} {missing} not in the results")
    return wide


def _label(parts: Sequence[str], key: tuple, names: Sequence[str]) -> str:
    extra = [f"{n}={k}" for n, k in zip(names, key, strict=True) if n != "world" and n != "split"]
    return " | ".join([*parts, *extra])


def _to_evidence(series: dict[str, pd.Series], each: Sequence[str], unit: str,
                 reduce: str | int, note: str) -> Evidence:
    """Series indexed (world, split, metric, *each) per base label -> Evidence."""
    cols = {}
    for base, s in series.items():
        levels = ["metric", *each]
        for key, sub in s.groupby(level=levels if len(levels) > 1 else levels[0], dropna=False):
            key = key if isinstance(key, tuple) else (key,)
            label = _label([base], key, ["metric", *each])
            cols[label] = sub.droplevel(["metric", *each])
    if not cols:
        raise NotTestable("nothing to compare")
    eff = pd.DataFrame(cols)
    eff.index = eff.index.set_names(["world", "split"])
    return Evidence(eff.sort_index(), unit, reduce, note)


def compare(table: pd.DataFrame, *, axis: str, subjects: Sequence[str], versus: Sequence[str],
            metrics: Sequence[str], where: Mapping[str, Any] | None = None, sign: int = 1,
            transform: str = "diff", offset: float = 0.0, margin: float = 0.0,
            tolerance: bool = False, each: Sequence[str] = (), reduce: str | int = "all",
            unit: str = "", note: str = "") -> Evidence:
    """Ordering / best / difference: each subject against each versus along ``axis``.

    Per ``(world, split)`` and combination the difference ``d = T(subject) -
    T(versus)`` (``T`` = identity, or ``log(x + offset)`` for ``logratio``) is
    paired on the split. The effect is ``sign * d - margin`` ("A is higher
    than B by at least ``margin``"), or, with ``tolerance=True``, ``margin -
    |d|`` ("A and B are about the same, within ``margin``").

    Parameters
    ----------
    table : DataFrame
        A tidy table (:data:`TIDY_COLUMNS` plus keys).
    axis : str
        The key column whose values are compared (``method``, ``task``, ...).
    subjects, versus : sequence of str
        Values of ``axis``; every pair is a combination ("each of").
    metrics : sequence of str
        Each metric is a combination too.
    where : mapping, optional
        The claim's scope: other key columns and their value(s).
    sign : {1, -1}
        ``1`` when the claim says subject is higher, ``-1`` lower.
    transform : {"diff", "logratio"}
        Compare ``x`` or ``log(x + offset)``.
    offset : float, default 0.0
        Added before the logarithm.
    margin : float, default 0.0
        Required lead (or, with ``tolerance=True``, the allowed gap).
    tolerance : bool, default False
        "About the same, within ``margin``".
    each : sequence of str
        Further key columns whose every value is a combination (e.g. ``k_km``).
    reduce : "all", "any", "mean" or int
        See :class:`Evidence`.
    unit, note : str
        Carried into the :class:`Evidence`.

    Returns
    -------
    Evidence

    Raises
    ------
    NotTestable
        A subject, versus or metric is not in the results.
    ValueError
        The selection leaves a key column with several values (an ambiguous
        scope) or duplicate rows.

    Examples
    --------
    >>> t = pd.DataFrame({"world": [0, 0, 0], "split": 0, "metric": "aed", "value": [10.0, 20.0, 5.0],
    ...                   "method": ["P", "B1", "B2"]})
    >>> ev = compare(t, axis="method", subjects=["P"], versus=["B1", "B2"], metrics=["aed"], sign=-1)
    >>> ev.world_effects().tolist()   # P beats B1 by 10, loses to B2 by 5: the weakest pair decides
    [-5.0]
    """
    if sign not in (1, -1):
        raise ValueError(f"sign must be 1 or -1; got {sign!r}")
    if not subjects or not versus:
        raise ValueError("compare needs at least one subject and one versus")
    wide = _wide(table, axis, [*subjects, *[v for v in versus if v not in subjects]], metrics,
                 where, each)
    series = {}
    for s in subjects:
        for v in versus:
            if s == v:
                continue
            d = _transform(wide[s], transform, offset) - _transform(wide[v], transform, offset)
            series[f"{s} vs {v}"] = (margin - d.abs()) if tolerance else (sign * d - margin)
    return _to_evidence(series, each, unit or f"{transform} of {', '.join(metrics)}", reduce, note)


def threshold(table: pd.DataFrame, *, value: float | None = None, metrics: Sequence[str],
              axis: str | None = None, subjects: Sequence[str] | None = None,
              where: Mapping[str, Any] | None = None, sign: int = 1, margin: float = 0.0,
              band: tuple[float, float] | None = None, tolerance: bool = False,
              transform: str = "diff", offset: float = 0.0, each: Sequence[str] = (),
              reduce: str | int = "all", unit: str = "", note: str = "") -> Evidence:
    """Threshold: a value above (``sign=1``) or below (``-1``) a number, or inside a band.

    The effect is ``sign * (T(x) - T(value)) - margin``; with ``band=(lo,
    hi)`` it is ``min(x - lo, hi - x)``; with ``tolerance=True`` it is
    ``margin - |x - value|``. Each subject (values of ``axis``), metric and
    ``each`` value is a combination.

    Parameters
    ----------
    table : DataFrame
        A tidy table (:data:`TIDY_COLUMNS` plus keys).
    value : float, optional
        The number to compare with (exactly one of ``value`` and ``band``).
    metrics : sequence of str
        Each metric is a combination.
    axis : str, optional
        A key column whose ``subjects`` are combinations; without it, one.
    subjects : sequence of str, optional
        Values of ``axis`` (default: all of them).
    where : mapping, optional
        The claim's scope: other key columns and their value(s).
    sign : {1, -1}
        ``1`` for "above", ``-1`` for "below".
    margin : float, default 0.0
        Required distance beyond ``value`` (or tolerance with ``tolerance=True``).
    band : (float, float), optional
        ``(lo, hi)``: the value must lie inside.
    tolerance : bool, default False
        "About ``value``, within ``margin``".
    transform : {"diff", "logratio"}
        Compare ``x`` or ``log(x + offset)``.
    offset : float, default 0.0
        Added before the logarithm.
    each : sequence of str
        Further key columns whose every value is a combination.
    reduce : "all", "any", "mean" or int
        See :class:`Evidence`.
    unit, note : str
        Carried into the :class:`Evidence`.

    Returns
    -------
    Evidence

    Examples
    --------
    >>> t = pd.DataFrame({"world": [0, 1], "split": 0, "metric": "r", "value": [0.2, 0.25]})
    >>> conclude(threshold(t, value=0.68, metrics=["r"], sign=-1)).verdict
    'holds'
    >>> threshold(t, band=(0.1, 0.22), metrics=["r"]).world_effects().round(3).tolist()
    [0.02, -0.03]
    """
    if sign not in (1, -1):
        raise ValueError(f"sign must be 1 or -1; got {sign!r}")
    if (value is None) == (band is None):
        raise ValueError("threshold needs exactly one of value and band")
    wide = _wide(table, axis, subjects, metrics, where, each)
    cols = list(subjects) if (axis is not None and subjects) else list(wide.columns)
    series = {}
    for c in cols:
        x = wide[c].astype(float)
        if band is not None:
            lo, hi = band
            e = np.minimum(x - lo, hi - x)
        else:
            tx = _transform(x, transform, offset)
            tv = float(_transform(pd.Series([value]), transform, offset).iloc[0])
            e = (margin - (tx - tv).abs()) if tolerance else sign * (tx - tv) - margin
        series[str(c)] = e
    what = f"band {band}" if band is not None else f"{'above' if sign > 0 else 'below'} {value}"
    return _to_evidence(series, each, unit or f"distance to {what}", reduce, note)


def trend(table: pd.DataFrame, *, along: str, metrics: Sequence[str], sign: int = 1,
          where: Mapping[str, Any] | None = None, axis: str | None = None,
          subjects: Sequence[str] | None = None, each: Sequence[str] = (),
          min_points: int = 3, reduce: str | int = "all", unit: str = "",
          note: str = "") -> Evidence:
    """Trend: the Spearman correlation of the value with the numeric column ``along``.

    One correlation per ``(world, split)``, subject and ``each`` value (the
    points are the values of ``along``); the effect is ``sign * rho`` (``1``
    = increasing). Fewer than ``min_points`` points, or a constant curve, give
    NaN.

    Parameters
    ----------
    table : DataFrame
        A tidy table (:data:`TIDY_COLUMNS` plus keys).
    along : str
        The numeric key column of the curve (``k_km``, ``K``, ...).
    metrics : sequence of str
        Each metric is a combination.
    sign : {1, -1}
        ``1`` for increasing, ``-1`` for decreasing.
    where : mapping, optional
        The claim's scope.
    axis : str, optional
        A key column whose ``subjects`` each have a curve.
    subjects : sequence of str, optional
        Values of ``axis`` (default: all).
    each : sequence of str
        Further key columns whose every value is a combination.
    min_points : int, default 3
        Fewest points for a correlation (at least 2).
    reduce : "all", "any", "mean" or int
        See :class:`Evidence`.
    unit, note : str
        Carried into the :class:`Evidence`.

    Returns
    -------
    Evidence

    Raises
    ------
    NotTestable
        A metric or subject is missing, or no curve is left.

    Examples
    --------
    >>> t = pd.DataFrame({"world": 0, "split": 0, "metric": "acc", "k": [1, 5, 10, 20],
    ...                   "value": [0.2, 0.4, 0.5, 0.45]})
    >>> round(float(trend(t, along="k", metrics=["acc"]).world_effects().iloc[0]), 3)
    0.8
    """
    if sign not in (1, -1):
        raise ValueError(f"sign must be 1 or -1; got {sign!r}")
    if min_points < 2:
        raise ValueError(f"min_points must be >= 2; got {min_points}")
    wide = _wide(table, axis, subjects, metrics, where, [*each, along])
    cols = list(subjects) if (axis and subjects) else list(wide.columns)
    series = {}
    for c in cols:
        s = wide[c].astype(float).dropna()
        group = ["world", "split", "metric", *each]
        rows = {}
        for key, sub in s.groupby(level=group if len(group) > 1 else group[0], dropna=False):
            x = sub.index.get_level_values(along).to_numpy(dtype=float)
            y = sub.to_numpy(dtype=float)
            if x.size < min_points or np.ptp(y) == 0 or np.ptp(x) == 0:
                rho = np.nan
            else:
                rho = float(stats.spearmanr(x, y).statistic)
            rows[key if isinstance(key, tuple) else (key,)] = sign * rho
        if rows:
            idx = pd.MultiIndex.from_tuples(list(rows), names=group)
            series[str(c)] = pd.Series(list(rows.values()), index=idx)
    if not series:
        raise NotTestable(f"no curve along {along!r}")
    return _to_evidence(series, each, unit or f"Spearman rho along {along}", reduce, note)


def rank_position(table: pd.DataFrame, *, axis: str, subject: str, metrics: Sequence[str],
                  best: int | None = None, worst: int | None = None,
                  where: Mapping[str, Any] | None = None, among: Sequence[str] | None = None,
                  each: Sequence[str] = (), reduce: str | int = "all", unit: str = "",
                  note: str = "") -> Evidence:
    """Rank of ``subject`` among the values of ``axis`` (higher value = better rank).

    With the other values sorted high to low (``o_1 >= o_2 >= ...``), "rank
    at most ``best``" has effect ``s - o_best`` and "rank at least ``worst``"
    ``o_{worst-1} - s``; both at once take the smaller. The effect is in the
    metric's units, so its interval reflects how close the neighbours are.

    Parameters
    ----------
    table : DataFrame
        A tidy table (:data:`TIDY_COLUMNS` plus keys).
    axis : str
        The key column being ranked (``feature``, ``method``, ...).
    subject : str
        The value of ``axis`` whose rank the claim states.
    metrics : sequence of str
        Each metric is a combination.
    best, worst : int, optional
        The rank at most / at least (1 = top); at least one is needed.
    where : mapping, optional
        The claim's scope.
    among : sequence of str, optional
        Rank only among these values of ``axis`` (default: all).
    each : sequence of str
        Further key columns whose every value is a combination.
    reduce : "all", "any", "mean" or int
        See :class:`Evidence`.
    unit, note : str
        Carried into the :class:`Evidence`.

    Returns
    -------
    Evidence

    Raises
    ------
    NotTestable
        ``subject`` or a metric is not in the results.

    Examples
    --------
    >>> t = pd.DataFrame({"world": 0, "split": 0, "metric": "score", "feature": list("ABCD"),
    ...                   "value": [3.0, 2.5, 2.0, 1.0]})
    >>> rank_position(t, axis="feature", subject="B", metrics=["score"], best=2, worst=2).world_effects().tolist()
    [0.5]
    >>> rank_position(t, axis="feature", subject="C", metrics=["score"], best=1).world_effects().tolist()
    [-1.0]
    """
    if best is None and worst is None:
        raise ValueError("rank_position needs best and/or worst")
    for nm, r in (("best", best), ("worst", worst)):
        if r is not None and (not isinstance(r, int) or r < 1):
            raise ValueError(f"{nm} must be a positive int; got {r!r}")
    wide = _wide(table, axis, list(among) if among else None, metrics, where, each)
    if subject not in wide.columns:
        raise NotTestable(f"{axis} {subject!r} not in the results")
    others = wide.drop(columns=subject)
    s = wide[subject].astype(float)
    o = -np.sort(-others.to_numpy(dtype=float), axis=1)  # descending, NaN last
    eff = pd.Series(np.inf, index=wide.index)
    if best is not None:
        ob = o[:, best - 1] if o.shape[1] >= best else np.full(len(s), -np.inf)
        eff = np.minimum(eff, s - ob)
    if worst is not None and worst > 1:
        ow = o[:, worst - 2] if o.shape[1] >= worst - 1 else np.full(len(s), -np.inf)
        eff = np.minimum(eff, ow - s)
    eff = eff.replace([np.inf, -np.inf], np.nan)
    want = (f"rank <= {best}" if worst is None else f"rank >= {worst}" if best is None
            else f"rank {best}" if best == worst else f"rank in [{worst}, {best}]")
    return _to_evidence({f"{subject} {want}": eff}, each, unit or f"margin in {', '.join(metrics)}",
                        reduce, note)


def combine(parts: Sequence[Evidence], reduce: str | int = "all", unit: str = "",
            note: str = "") -> Evidence:
    """Join several pieces of evidence into one claim (their combinations side by side).

    Parameters
    ----------
    parts : sequence of Evidence
        At least one; a repeated combination name gets a ``#i`` suffix.
    reduce : "all", "any", "mean" or int
        How the joined combinations make one world effect (see :class:`Evidence`).
    unit : str, optional
        Default: the first part's unit.
    note : str, optional
        Default: the parts' notes joined by ``;``.

    Returns
    -------
    Evidence

    Examples
    --------
    >>> idx = pd.MultiIndex.from_tuples([(0, 0)], names=["world", "split"])
    >>> a = Evidence(pd.DataFrame({"x": [1.0]}, index=idx), "u")
    >>> b = Evidence(pd.DataFrame({"y": [-2.0]}, index=idx), "u")
    >>> combine([a, b]).world_effects().tolist(), combine([a, b], "any").world_effects().tolist()
    ([-2.0], [1.0])
    """
    if not parts:
        raise ValueError("combine needs at least one piece of evidence")
    frames = []
    for i, p in enumerate(parts):
        f = p.effects.copy()
        f.columns = [c if c not in set().union(*[set(fr.columns) for fr in frames]) else f"{c} #{i}"
                     for c in f.columns]
        frames.append(f)
    eff = pd.concat(frames, axis=1).sort_index()
    return Evidence(eff, unit or parts[0].unit, reduce, note or "; ".join(p.note for p in parts if p.note))
