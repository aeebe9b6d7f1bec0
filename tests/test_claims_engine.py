"""The ledger's engine on small hand-made tables whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from homelib.claims import engine as E


def _table(rows, keys):
    """rows: (world, split, *key values, metric, value)."""
    return pd.DataFrame(rows, columns=["world", "split", *keys, "metric", "value"])


def _methods(values: dict[int, dict[str, float]], metric="f1", task="t") -> pd.DataFrame:
    rows = [(w, 0, task, m, metric, v) for w, d in values.items() for m, v in d.items()]
    return _table(rows, ["task", "method"])


# --------------------------------------------------------------------------- intervals
def test_world_interval_is_the_student_t_interval():
    iv = E.world_interval([1.0, 2.0, 3.0])
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)
    assert iv.mean == pytest.approx(2.0)
    assert iv.low == pytest.approx(2.0 - half) and iv.high == pytest.approx(2.0 + half)
    assert half == pytest.approx(2.484, abs=1e-3)  # 4.30 standard errors with 3 worlds
    assert iv.p_value == pytest.approx(stats.ttest_1samp([1, 2, 3], 0).pvalue)
    assert iv.n == 3 and "3 worlds" in iv.method


def test_world_interval_edge_cases():
    assert math.isnan(E.world_interval([]).mean)
    one = E.world_interval([0.4])
    assert one.mean == 0.4 and math.isnan(one.low)
    flat = E.world_interval([0.2, 0.2, 0.2])
    assert (flat.low, flat.high) == (0.2, 0.2)
    assert E.world_interval([1.0, np.nan, 3.0]).n == 2
    with pytest.raises(ValueError, match="level"):
        E.world_interval([1.0, 2.0], level=1.5)


@pytest.mark.parametrize("low, high, verdict", [
    (0.01, 0.2, "holds"), (-0.2, -0.01, "does not hold"), (-0.1, 0.1, "inconclusive"),
    (0.0, 0.3, "inconclusive"), (np.nan, np.nan, "inconclusive")])
def test_verdict_needs_the_whole_interval_on_one_side(low, high, verdict):
    assert E.verdict_of(low, high) == verdict


# --------------------------------------------------------------------------- ordering
def test_ordering_that_clearly_holds():
    t = _methods({0: {"A": 0.60, "B": 0.50}, 1: {"A": 0.62, "B": 0.51}, 2: {"A": 0.61, "B": 0.50}})
    out = E.conclude(E.compare(t, axis="method", subjects=["A"], versus=["B"], metrics=["f1"]))
    assert out.verdict == "holds"
    assert out.effect == pytest.approx(np.mean([0.10, 0.11, 0.11]))
    assert out.ci_low > 0 and out.n_worlds == 3
    assert out.per_world == pytest.approx((0.10, 0.11, 0.11))


def test_ordering_that_clearly_fails_and_the_sign_follows_the_claim():
    t = _methods({0: {"A": 0.40, "B": 0.50}, 1: {"A": 0.41, "B": 0.52}, 2: {"A": 0.40, "B": 0.51}})
    higher = E.conclude(E.compare(t, axis="method", subjects=["A"], versus=["B"], metrics=["f1"]))
    lower = E.conclude(E.compare(t, axis="method", subjects=["A"], versus=["B"], metrics=["f1"],
                                 sign=-1))
    assert higher.verdict == "does not hold" and higher.effect < 0
    assert lower.verdict == "holds" and lower.effect == pytest.approx(-higher.effect)


def test_ordering_within_noise_is_inconclusive():
    t = _methods({0: {"A": 0.52, "B": 0.50}, 1: {"A": 0.49, "B": 0.51}, 2: {"A": 0.51, "B": 0.50}})
    out = E.conclude(E.compare(t, axis="method", subjects=["A"], versus=["B"], metrics=["f1"]))
    assert out.verdict == "inconclusive"
    assert out.ci_low < 0 < out.ci_high


def test_splits_are_paired_before_averaging():
    # A is 0.02 above B on every split, but splits differ by 0.2: paired, the effect is exact.
    rows = []
    for w in range(3):
        for s, level in enumerate([0.3, 0.5, 0.7]):
            rows += [(w, s, "t", "A", "f1", level + 0.02 + 0.001 * w),
                     (w, s, "t", "B", "f1", level)]
    t = _table(rows, ["task", "method"])
    out = E.conclude(E.compare(t, axis="method", subjects=["A"], versus=["B"], metrics=["f1"]))
    assert out.verdict == "holds"
    assert out.effect == pytest.approx(0.021)


def test_each_of_list_fails_when_one_pair_fails_and_names_it():
    t = _methods({w: {"P": 10.0, "B1": 20.0 + w, "B2": 30.0, "B3": 8.0 - 0.1 * w} for w in range(3)},
                 metric="aed")
    ev = E.compare(t, axis="method", subjects=["P"], versus=["B1", "B2", "B3"], metrics=["aed"],
                   sign=-1)
    out = E.conclude(ev)
    assert out.verdict == "does not hold"
    assert out.weakest.startswith("P vs B3")
    assert out.effect == pytest.approx(np.mean([-2.0, -2.1, -2.2]))
    # without B3 the same claim holds, decided by its weakest pair (B1)
    ok = E.conclude(E.compare(t, axis="method", subjects=["P"], versus=["B1", "B2"],
                              metrics=["aed"], sign=-1))
    assert ok.verdict == "holds" and ok.effect == pytest.approx(11.0)


def test_each_of_metrics_and_k_are_combinations():
    rows = []
    for w in range(3):
        for k in (10.0, 50.0):
            for m in ("acc",):
                rows += [(w, 0, "u", "A", k, m, 0.5 + 0.01 * w), (w, 0, "u", "B", k, m,
                                                                   0.4 if k == 10 else 0.6)]
    t = _table(rows, ["user_set", "method", "k_km"])
    ev = E.compare(t, axis="method", subjects=["A"], versus=["B"], metrics=["acc"],
                   each=("k_km",))
    assert ev.effects.shape[1] == 2
    assert E.conclude(ev).verdict == "does not hold"  # loses at K = 50
    mean = E.compare(t, axis="method", subjects=["A"], versus=["B"], metrics=["acc"],
                     each=("k_km",), reduce="mean")
    assert E.conclude(mean).effect == pytest.approx(0.01)
    anyk = E.compare(t, axis="method", subjects=["A"], versus=["B"], metrics=["acc"],
                     each=("k_km",), reduce="any")
    assert E.conclude(anyk).verdict == "holds"


def test_scope_selects_the_rows_the_claim_speaks_about():
    rows = []
    for w in range(3):
        rows += [(w, 0, "edu", "A", "f1", 0.6), (w, 0, "edu", "B", "f1", 0.5 - 0.01 * w),
                 (w, 0, "occ", "A", "f1", 0.4), (w, 0, "occ", "B", "f1", 0.5 + 0.01 * w)]
    t = _table(rows, ["task", "method"])

    def verdict(task):
        return E.conclude(E.compare(t, axis="method", subjects=["A"], versus=["B"],
                                    metrics=["f1"], where={"task": task})).verdict

    assert verdict("edu") == "holds" and verdict("occ") == "does not hold"
    with pytest.raises(ValueError, match="ambiguous"):
        E.compare(t, axis="method", subjects=["A"], versus=["B"], metrics=["f1"])


def test_missing_subject_or_metric_is_not_testable_not_an_error():
    t = _methods({0: {"A": 0.5, "B": 0.4}})
    with pytest.raises(E.NotTestable, match="Z"):
        E.compare(t, axis="method", subjects=["Z"], versus=["B"], metrics=["f1"])
    with pytest.raises(E.NotTestable, match="auc"):
        E.compare(t, axis="method", subjects=["A"], versus=["B"], metrics=["auc"])
    with pytest.raises(KeyError, match="nope"):
        E.compare(t, axis="method", subjects=["A"], versus=["B"], metrics=["f1"],
                  where={"nope": 1})


def test_duplicate_rows_are_refused():
    t = _methods({0: {"A": 0.5, "B": 0.4}})
    with pytest.raises(ValueError, match="duplicate"):
        E.compare(pd.concat([t, t]), axis="method", subjects=["A"], versus=["B"], metrics=["f1"])


def test_logratio_margin_and_tolerance():
    t = _methods({w: {"overall": 30.0 + w, "la": 10.0} for w in range(3)}, metric="aed")
    kw = dict(axis="method", subjects=["overall"], versus=["la"], metrics=["aed"],
              transform="logratio", offset=1.0)
    much = E.conclude(E.compare(t, margin=math.log(1.5), **kw))
    assert much.verdict == "holds"
    assert much.per_world[0] == pytest.approx(math.log(31 / 11) - math.log(1.5))
    same = E.conclude(E.compare(t, margin=math.log(1.5), tolerance=True, **kw))
    assert same.verdict == "does not hold"  # about three times, not "within 1.5 times"
    close = _methods({w: {"overall": 10.5 + 0.1 * w, "la": 10.0} for w in range(3)}, metric="aed")
    assert E.conclude(E.compare(close, margin=math.log(1.5), tolerance=True, **kw)).verdict == "holds"


def test_ties_give_zero_and_an_inconclusive_verdict():
    t = _methods({w: {"A": 0.0, "B": 0.0} for w in range(3)}, metric="aed60")
    out = E.conclude(E.compare(t, axis="method", subjects=["A"], versus=["B"], metrics=["aed60"],
                               sign=-1, transform="logratio", offset=1.0))
    assert out.effect == 0 and out.verdict == "inconclusive"


def test_one_world_falls_back_on_the_splits():
    rows = [(0, s, "t", m, "f1", v) for s in range(4) for m, v in (("A", 0.6 + 0.01 * s), ("B", 0.5))]
    out = E.conclude(E.compare(_table(rows, ["task", "method"]), axis="method", subjects=["A"],
                               versus=["B"], metrics=["f1"]))
    assert out.n_worlds == 1 and "splits of 1 world" in out.interval
    assert out.verdict == "holds" and out.effect == pytest.approx(0.115)


# --------------------------------------------------------------------------- threshold, trend, rank
def test_threshold_above_below_band_and_tolerance():
    t = _table([(w, 0, "r", v) for w, v in enumerate([0.20, 0.22, 0.18])], []).rename(
        columns={})
    below = E.conclude(E.threshold(t, value=0.68, metrics=["r"], sign=-1))
    above = E.conclude(E.threshold(t, value=0.68, metrics=["r"], sign=1))
    assert below.verdict == "holds" and below.effect == pytest.approx(0.48)
    assert above.verdict == "does not hold"
    assert E.conclude(E.threshold(t, band=(0.0, 0.3), metrics=["r"])).verdict == "holds"
    assert E.conclude(E.threshold(t, band=(0.0, 0.19), metrics=["r"])).verdict == "inconclusive"
    tol = E.threshold(t, value=0.2, metrics=["r"], tolerance=True, margin=0.05)
    assert E.conclude(tol).effect == pytest.approx(0.05 - np.mean([0.0, 0.02, 0.02]))
    with pytest.raises(ValueError, match="exactly one"):
        E.threshold(t, metrics=["r"])


def test_threshold_at_least_k_of_the_subjects():
    rows = [(w, 0, c, "ep", v) for w in range(3) for c, v in
            zip("ABCDEFG", [0.95, 0.96, 0.93, 0.97, 0.92, 0.99, 0.5], strict=True)]
    t = _table(rows, ["category"])
    six = E.threshold(t, axis="category", subjects=list("ABCDEFG"), metrics=["ep"], value=0.9,
                      reduce=6)
    seven = E.threshold(t, axis="category", subjects=list("ABCDEFG"), metrics=["ep"], value=0.9)
    assert E.conclude(six).verdict == "holds"
    assert E.conclude(six).effect == pytest.approx(0.02)  # the 6th largest, 0.92
    assert E.conclude(seven).verdict == "does not hold"


def test_trend_increasing_decreasing_and_too_short():
    def curve(values):
        return _table([(w, 0, k, "acc", v + 0.001 * w) for w in range(3)
                       for k, v in zip([1, 5, 10, 20], values, strict=True)], ["k"])

    up = E.conclude(E.trend(curve([0.1, 0.2, 0.3, 0.4]), along="k", metrics=["acc"]))
    down = E.conclude(E.trend(curve([0.4, 0.3, 0.2, 0.1]), along="k", metrics=["acc"]))
    assert (up.verdict, up.effect) == ("holds", pytest.approx(1.0))
    assert (down.verdict, down.effect) == ("does not hold", pytest.approx(-1.0))
    flat = E.conclude(E.trend(curve([0.2, 0.2, 0.2, 0.2]), along="k", metrics=["acc"]))
    assert flat.verdict == "not testable"
    short = _table([(0, 0, k, "acc", k / 10) for k in (1, 5)], ["k"])
    assert E.conclude(E.trend(short, along="k", metrics=["acc"])).verdict == "not testable"


def test_rank_position_margins():
    rows = [(w, 0, f, "score", v) for w in range(3)
            for f, v in zip("ABCDEF", [3.0, 2.6 + 0.01 * w, 2.5, 2.0, 1.5, 1.0], strict=True)]
    t = _table(rows, ["feature"])

    def eff(subject, **kw):
        return E.conclude(E.rank_position(t, axis="feature", subject=subject, metrics=["score"],
                                          **kw))

    assert eff("A", best=1).verdict == "holds"
    assert eff("A", best=1).effect == pytest.approx(3.0 - 2.61)
    assert eff("B", best=1).verdict == "does not hold"
    assert eff("B", best=2, worst=2).effect == pytest.approx(0.11)
    assert eff("F", worst=6).verdict == "holds"  # last of six: "not in the top five"
    assert eff("D", worst=6).verdict == "does not hold"
    with pytest.raises(ValueError, match="best and/or worst"):
        E.rank_position(t, axis="feature", subject="A", metrics=["score"])


def test_combine_keeps_every_combination():
    t = _methods({w: {"A": 0.6, "B": 0.5, "C": 0.7 + 0.01 * w} for w in range(3)})
    ab = E.compare(t, axis="method", subjects=["A"], versus=["B"], metrics=["f1"])
    ac = E.compare(t, axis="method", subjects=["A"], versus=["C"], metrics=["f1"])
    assert E.conclude(E.combine([ab, ac])).verdict == "does not hold"
    assert E.conclude(E.combine([ab, ac], reduce="any")).verdict == "holds"


# --------------------------------------------------------------------------- the claims table
def test_load_claims_validates(tmp_path):
    good = E.load_claims()
    assert len(good) == 173 and good["claim_id"].is_unique
    bad = good.copy()
    bad.loc[3, "kind"] = "ranking"
    bad.to_csv(tmp_path / "c.csv", index=False)
    with pytest.raises(ValueError, match=r"kind 'ranking'"):
        E.load_claims(tmp_path / "c.csv")
    dup = good.copy()
    dup.loc[1, "claim_id"] = dup.loc[0, "claim_id"]
    dup.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(ValueError, match="repeated"):
        E.load_claims(tmp_path / "d.csv")


def test_scope_and_lists_parse():
    assert E.split_list("a; b ;c") == ("a", "b", "c")
    assert E.parse_scope("task=education; dataset=city-only") == {"task": "education",
                                                                   "dataset": "city-only"}
    assert E.parse_scope("users exposing WE")["text"] == "users exposing WE"
