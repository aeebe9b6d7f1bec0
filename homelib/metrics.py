"""Evaluation metrics of both papers.

Classification (H2SEA, Sec 5.1): macro-F1, AUC, G-Mean and accuracy. The paper
does not say which AUC and which G-Mean it reports. The book's headline choice
is the one-vs-rest macro AUC (:func:`auc`) and imbalanced-learn's multi-class
G-Mean (the geometric mean of per-class recalls, :func:`gmean`); the
alternatives (one-vs-one AUC, the average of per-class one-vs-rest G-Means)
are reported beside them by :func:`classification_report`.

Location (PFLI, Sec 7.1.3): error distance, AED@p and ACC@K.

Examples
--------
>>> acc_at_k([1.0, 5.0, 50.0, 500.0], 10)
0.5
>>> aed_at([1.0, 5.0, 50.0, 500.0], 0.5)
3.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from imblearn.metrics import geometric_mean_score
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from .geo import haversine_km

__all__ = [
    "macro_f1",
    "auc",
    "gmean",
    "accuracy",
    "classification_report",
    "error_distance_km",
    "aed_at",
    "acc_at_k",
    "acc_curve",
]


def _labels_and_proba(y_true: ArrayLike, proba: ArrayLike) -> tuple[NDArray, NDArray]:
    y = np.asarray(y_true)
    p = np.asarray(proba, dtype=float)
    if p.ndim != 2 or p.shape[0] != y.shape[0]:
        raise ValueError(f"proba must have shape (n, n_classes) with n={y.shape[0]}; got {p.shape}")
    return y, p


def macro_f1(y_true: ArrayLike, y_pred: ArrayLike, n_classes: int = 3) -> float:
    """Macro-averaged F1 over ``n_classes`` classes (absent classes count 0).

    The F1-score of H2SEA Sec 5.1, the paper's most important metric on imbalanced tasks.

    Parameters
    ----------
    y_true : array-like of int, shape (n,)
        True classes in ``0 .. n_classes - 1``.
    y_pred : array-like of int, shape (n,)
        Predicted classes.
    n_classes : int, default 3
        Number of classes; a class never seen nor predicted contributes an F1 of 0.

    Returns
    -------
    float
        The unweighted mean of the per-class F1-scores.

    Examples
    --------
    >>> macro_f1([0, 1, 2], [0, 1, 2])
    1.0
    >>> round(macro_f1([0, 0, 1, 1], [0, 0, 0, 1]), 4)  # F1 0.8, 0.6667 and 0 for class 2
    0.4889
    """
    return float(f1_score(y_true, y_pred, labels=list(range(n_classes)), average="macro", zero_division=0))


def auc(y_true: ArrayLike, proba: ArrayLike, multi_class: str = "ovr") -> float:
    """Macro AUC of class probabilities, one-vs-rest (``"ovr"``) or one-vs-one.

    Parameters
    ----------
    y_true : array-like of int, shape (n,)
        True classes in ``0 .. n_classes - 1``.
    proba : array-like of float, shape (n, n_classes)
        Class scores per row; rows are normalised to sum to 1.
    multi_class : {"ovr", "ovo"}, default "ovr"
        One-vs-rest (the book's headline) or one-vs-one averaging.

    Returns
    -------
    float
        The macro AUC, or NaN when a class is absent from ``y_true`` (AUC is undefined).

    Raises
    ------
    ValueError
        If ``proba`` is not a matrix with one row per label.

    Examples
    --------
    >>> auc([0, 1, 2], [[.8, .1, .1], [.1, .8, .1], [.1, .1, .8]])
    1.0
    >>> auc([0, 1, 1], [[.6, .4], [.3, .7], [.8, .2]])  # two classes: AUC of class 1's score
    0.5
    """
    y, p = _labels_and_proba(y_true, proba)
    labels = list(range(p.shape[1]))
    if len(np.unique(y)) < p.shape[1]:
        return float("nan")
    p = p / p.sum(axis=1, keepdims=True)
    if p.shape[1] == 2:  # two classes: scikit-learn takes the positive class's score
        return float(roc_auc_score(y, p[:, 1]))
    return float(roc_auc_score(y, p, multi_class=multi_class, average="macro", labels=labels))


def gmean(y_true: ArrayLike, y_pred: ArrayLike, average: str = "multiclass", n_classes: int = 3) -> float:
    """G-Mean of predicted classes (H2SEA Sec 5.1).

    Parameters
    ----------
    y_true : array-like of int, shape (n,)
        True classes.
    y_pred : array-like of int, shape (n,)
        Predicted classes.
    average : {"multiclass", "macro"}, default "multiclass"
        ``"multiclass"``: geometric mean of the per-class recalls (imbalanced-learn's
        default, the book's headline); ``"macro"``: imbalanced-learn's
        sqrt(mean sensitivity x mean specificity), the one-vs-rest sensitivities and
        specificities each averaged over the classes first.
    n_classes : int, default 3
        Number of classes.

    Returns
    -------
    float
        The G-Mean in [0, 1].

    Examples
    --------
    >>> round(gmean([0, 0, 1, 1, 2, 2], [0, 0, 1, 0, 2, 2]), 4)  # (1 * 0.5 * 1) ** (1/3)
    0.7937
    >>> # sensitivities (1, 0.5, 1), specificities (0.75, 1, 1): sqrt(5/6 * 11/12)
    >>> round(gmean([0, 0, 1, 1, 2, 2], [0, 0, 1, 0, 2, 2], average="macro"), 4)
    0.874
    """
    labels = list(range(n_classes))
    return float(geometric_mean_score(y_true, y_pred, labels=labels, average=average))


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Share of correct predictions.

    Parameters
    ----------
    y_true : array-like, shape (n,)
        True classes.
    y_pred : array-like, shape (n,)
        Predicted classes.

    Returns
    -------
    float
        The fraction of rows where ``y_pred == y_true``.

    Examples
    --------
    >>> accuracy([0, 1, 1], [0, 1, 0])
    0.6666666666666666
    """
    return float(accuracy_score(y_true, y_pred))


def classification_report(y_true: ArrayLike, proba: ArrayLike,
                          y_pred: ArrayLike | None = None) -> dict[str, float]:
    """All four headline metrics plus the alternatives, from probabilities.

    AUC comes from ``proba``; the other metrics from the class decisions
    ``y_pred`` (default: the arg-max class).

    Parameters
    ----------
    y_true : array-like of int, shape (n,)
        True classes.
    proba : array-like of float, shape (n, n_classes)
        Class probabilities.
    y_pred : array-like of int, shape (n,), optional
        Class decisions; default the arg-max class of ``proba``.

    Returns
    -------
    dict of str to float
        Keys ``f1, auc, gmean, accuracy`` (headline) and ``auc_ovo, gmean_macro``
        (alternatives, see the module docstring).

    Examples
    --------
    >>> report = classification_report([0, 1, 2, 2], [[.7, .2, .1], [.2, .7, .1],
    ...                                                [.1, .2, .7], [.1, .7, .2]])
    >>> sorted(report)
    ['accuracy', 'auc', 'auc_ovo', 'f1', 'gmean', 'gmean_macro']
    >>> report["accuracy"]
    0.75
    >>> r = classification_report([0, 1], [[0.6, 0.4], [0.7, 0.3]], y_pred=[0, 1])
    >>> r["accuracy"], r["auc"]
    (1.0, 0.0)
    """
    y, p = _labels_and_proba(y_true, proba)
    pred = p.argmax(axis=1) if y_pred is None else np.asarray(y_pred)
    if pred.shape != y.shape:
        raise ValueError(f"y_pred must have shape {y.shape}; got {pred.shape}")
    k = p.shape[1]
    return {
        "f1": macro_f1(y, pred, k),
        "auc": auc(y, p, "ovr"),
        "gmean": float(geometric_mean_score(y, pred, labels=list(range(k)), average="multiclass")),
        "accuracy": accuracy(y, pred),
        "auc_ovo": auc(y, p, "ovo"),
        "gmean_macro": float(geometric_mean_score(y, pred, labels=list(range(k)), average="macro")),
    }


def error_distance_km(
    true_lat: ArrayLike, true_lon: ArrayLike, pred_lat: ArrayLike, pred_lon: ArrayLike
) -> NDArray:
    """ErrDist(u): km between the real and the predicted location (PFLI Sec 7.1.3).

    Parameters
    ----------
    true_lat, true_lon : array-like of float
        Real locations in degrees.
    pred_lat, pred_lon : array-like of float
        Predicted locations in degrees, broadcastable against the real ones.

    Returns
    -------
    numpy.ndarray
        Great-circle distances in km.

    Examples
    --------
    >>> error_distance_km([0.0, 0.0], [0.0, 0.0], [0.0, 1.0], [0.0, 0.0]).round(1)
    array([  0. , 111.2])
    """
    return haversine_km(true_lat, true_lon, pred_lat, pred_lon)


def _errors(errors: ArrayLike) -> NDArray:
    e = np.asarray(errors, dtype=float)
    if e.size == 0:
        raise ValueError("no error distances given")
    if np.isnan(e).any() or (e < 0).any():
        raise ValueError("error distances must be non-negative numbers")
    return e


def aed_at(errors: ArrayLike, p: float) -> float:
    """AED@p: the average error distance of the best ``p`` share of users (PFLI Sec 7.1.3).

    Users are ranked by error distance and the mean is taken over the
    ``ceil(p n)`` smallest errors. (The paper's text says "descending", but its
    tables, where AED@60% is far below AED@100%, can only be read this way.)

    Parameters
    ----------
    errors : array-like of float
        Error distances in km, non-negative, no NaN.
    p : float
        Share of users kept, in (0, 1].

    Returns
    -------
    float
        The mean of the ``ceil(p n)`` smallest errors.

    Raises
    ------
    ValueError
        If ``p`` is outside (0, 1] or the errors are empty, NaN or negative.

    Examples
    --------
    >>> aed_at([10, 20, 30, 40, 1000], 0.6)
    20.0
    >>> aed_at([10, 20, 30, 40, 1000], 1.0)
    220.0
    """
    if not 0 < p <= 1:
        raise ValueError(f"p must be in (0, 1]; got {p}")
    e = np.sort(_errors(errors))
    n = int(np.ceil(p * e.size - 1e-9))
    return float(e[:n].mean())


def acc_at_k(errors: ArrayLike, k_km: float) -> float:
    """ACC@K: share of users whose error distance is below ``k_km`` (strict; PFLI Sec 7.1.3).

    The same formula gives EP@K, the exposure probability (PFLI Eq 8).

    Parameters
    ----------
    errors : array-like of float
        Error distances in km, non-negative, no NaN.
    k_km : float
        The distance K in km, positive.

    Returns
    -------
    float
        The share of errors strictly below ``k_km``.

    Raises
    ------
    ValueError
        If ``k_km`` is not positive or the errors are empty, NaN or negative.

    Examples
    --------
    >>> acc_at_k([0.0, 10.0, 20.0], 10)
    0.3333333333333333
    """
    if k_km <= 0:
        raise ValueError(f"K must be positive; got {k_km}")
    e = _errors(errors)
    return float((e < k_km).mean())


def acc_curve(errors: ArrayLike, ks_km: ArrayLike) -> pd.DataFrame:
    """ACC@K for each K, as a frame with columns ``k_km, acc``.

    Parameters
    ----------
    errors : array-like of float
        Error distances in km.
    ks_km : array-like of float
        The distances K in km.

    Returns
    -------
    pandas.DataFrame
        One row per K: ``k_km`` and ``acc`` (:func:`acc_at_k`).

    Examples
    --------
    >>> acc_curve([5.0, 50.0, 500.0], [10, 100])
        k_km       acc
    0   10.0  0.333333
    1  100.0  0.666667
    """
    ks = np.asarray(ks_km, dtype=float)
    return pd.DataFrame({"k_km": ks, "acc": [acc_at_k(errors, k) for k in ks]})
