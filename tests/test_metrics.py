import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score, roc_auc_score

from homelib import metrics


def test_hand_checked_classification():
    y = [0, 0, 1, 1, 2, 2]
    pred = [0, 0, 1, 0, 2, 2]
    # per-class recall 1, 0.5, 1 -> G-Mean (multiclass) = 0.5 ** (1/3)
    assert metrics.gmean(y, pred) == pytest.approx(0.5 ** (1 / 3))
    assert metrics.accuracy(y, pred) == pytest.approx(5 / 6)
    # F1: class 0 p=2/3 r=1 -> 0.8; class 1 p=1 r=.5 -> 2/3; class 2 -> 1
    assert metrics.macro_f1(y, pred) == pytest.approx((0.8 + 2 / 3 + 1) / 3)


def test_report_matches_sklearn_on_random_inputs():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    p = rng.dirichlet([1, 1, 1], 200)
    rep = metrics.classification_report(y, p)
    assert rep["f1"] == pytest.approx(f1_score(y, p.argmax(1), average="macro"))
    assert rep["auc"] == pytest.approx(roc_auc_score(y, p, multi_class="ovr"))
    assert rep["auc_ovo"] == pytest.approx(roc_auc_score(y, p, multi_class="ovo"))
    # G-Mean by hand: geometric mean of per-class recalls
    pred = p.argmax(1)
    recalls = [np.mean(pred[y == k] == k) for k in range(3)]
    assert rep["gmean"] == pytest.approx(np.prod(recalls) ** (1 / 3))


def test_auc_nan_when_class_missing():
    assert np.isnan(metrics.auc([0, 0, 1], [[0.5, 0.3, 0.2]] * 3))


def test_aed_and_acc_by_hand():
    e = [100.0, 0.0, 10.0, 30.0, 20.0]
    assert metrics.aed_at(e, 0.6) == pytest.approx(10.0)  # mean of 0, 10, 20
    assert metrics.aed_at(e, 0.8) == pytest.approx(15.0)
    assert metrics.aed_at(e, 1.0) == pytest.approx(32.0)
    assert metrics.acc_at_k(e, 20) == pytest.approx(0.4)  # strict: 0, 10
    curve = metrics.acc_curve(e, [10, 200])
    assert curve.acc.tolist() == [0.2, 1.0]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 5000), min_size=1, max_size=50))
def test_aed_monotone_in_p_and_acc_monotone_in_k(errors):
    a = [metrics.aed_at(errors, p) for p in (0.6, 0.8, 1.0)]
    assert a[0] <= a[1] + 1e-9 <= a[2] + 2e-9
    accs = [metrics.acc_at_k(errors, k) for k in (1, 10, 100, 10_000)]
    assert accs == sorted(accs)


@pytest.mark.parametrize("bad", [[], [-1.0], [float("nan")]])
def test_bad_errors(bad):
    with pytest.raises(ValueError):
        metrics.aed_at(bad, 0.5)


def test_bad_p_and_k():
    with pytest.raises(ValueError, match="p must be"):
        metrics.aed_at([1.0], 0)
    with pytest.raises(ValueError, match="K must be positive"):
        metrics.acc_at_k([1.0], 0)


def test_error_distance():
    assert metrics.error_distance_km([0.0], [0.0], [0.0], [1.0])[0] == pytest.approx(111.195, rel=1e-3)


def test_macro_f1_counts_absent_classes_as_zero_without_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # zero_division=0: an absent class is F1 0, quietly
        assert metrics.macro_f1([0, 0], [0, 0]) == pytest.approx(1 / 3)


def test_auc_of_two_classes_uses_the_positive_class_score():
    # class 1 scores 0.7, 0.6 vs class 0 scores 0.2, 0.4: every positive above every negative
    assert metrics.auc([0, 1, 1, 0], [[0.8, 0.2], [0.3, 0.7], [0.4, 0.6], [0.6, 0.4]]) == 1.0
    assert metrics.auc([0, 1, 1], [[0.6, 0.4], [0.3, 0.7], [0.8, 0.2]]) == 0.5
