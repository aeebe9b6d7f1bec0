"""H2SEA and its baselines (Ding et al. 2021, Sec 4 and 5.1) as scikit-learn estimators.

Every model subclasses :class:`sklearn.base.BaseEstimator`: each ``__init__``
argument is stored as an attribute of the same name and checked in ``fit``,
so ``sklearn.base.clone``, ``get_params(deep=True)`` and ``set_params`` work;
fitted attributes end in ``_``. The models are multi-task: ``fit(X, y, X_val,
y_val)`` takes a feature frame ``X`` (float columns = continuous fields,
``category`` columns = categorical fields) and a label frame ``y`` with one
integer column per task (class codes ``0 .. K-1``, ``<NA>`` = no answer).
The number of classes ``K`` of each task is learned from its training labels
(any ``K >= 2``; the paper's tasks have 3). ``predict_proba(X)`` returns
``{task: array (n, K)}``, ``predict(X)`` a frame of class codes and
``score(X, y)`` the mean macro-F1 over tasks. Missing labels of a task are
left out of that task's loss and fit (counted in ``n_labels_``).

Methods (names as in the paper's Table 3):

* ``H2SEA`` (Sec 4): an FM-based shared embedding (H2SEA Eq 3: a first-order
  term plus the pairwise inner products of the fields' latent vectors), per
  task dense ReLU layers (Eq 4), an attention layer (Eq 5-7) and a softmax
  output (Eq 8), trained on the cross-entropy of Eq 9, or its class-weighted
  form Eq 10 for imbalanced tasks, summed with task weights ``lambda_n`` plus
  ``alpha ||Theta||^2`` (Eq 11), with dropout and Adam.
* ``H2SEA-NA``: H2SEA without the attention layer.
* ``ETNA`` (Kim et al.): the same field embedding, per-task layers and
  attention, but no feature interactions (no FM terms).
* ``LR``: degree-2 logistic regression (continuous fields and their order-2
  products; categorical fields one-hot, linear), one per task.
* ``XGBoost``: gradient boosting, one per task, class-weighted, early-stopped
  on the validation split only.
* ``POP``: the majority class of the training labels.

How the paper's equations are read (the text leaves some shapes open; each
reading is a parameter, and chapter 03 measures its effect):

* The shared embedding ``e_fm`` is the concatenation of (i) the first-order
  units ``w_i x_i`` (one per field), (ii) the bi-interaction vector
  ``0.5 ((sum_i V_i x_i)^2 - sum_i (V_i x_i)^2)`` whose coordinates sum to the
  pairwise term of Eq 3, ``sum_{i<j} <V_i, V_j> x_i x_j``, and (iii) the field
  embeddings ``V_i x_i`` themselves ("we use the latent feature vectors in FM
  as embedding network weights"). ETNA keeps only (iii).
* Eq 7 writes ``u^n = sum_i a_i d_i``, a scalar, which cannot feed a 3-class
  softmax; we read it as the attention-weighted vector ``u^n = a^n * d^n``
  times the layer width (``attention_rescale``: softmax weights average
  ``1 / units``, so the factor keeps ``u^n`` on the scale of ``d^n``),
  followed by a linear layer to the classes.
* Eq 10's printed weight ``sum_k sqrt(M_n^k) / sqrt(M_n)`` does not depend on
  the class; we read the denominator as the class count: ``w_k = sum_k'
  sqrt(M_n^k') / sqrt(M_n^k)`` (inverse square-root frequency). The paper
  uses Eq 10 "if the distribution of an SEA is quite imbalanced", Eq 9
  otherwise; we call a task imbalanced when its largest class has at least
  ``imbalance_ratio`` (2) times the labels of its smallest (``weighted_tasks``).
* Model selection: early stopping keeps the epoch with the best mean
  validation macro-F1 (the paper's headline metric; ``selection="loss"``
  keeps the lowest validation loss instead).
* Decision rule (``decision``): ``"prior"`` predicts the class maximising
  ``p_k / q_k``, where ``q_k`` is the class share the network was trained
  towards (training shares times the Eq 10 weights, renormalised): the Bayes
  decision under equal class priors. ``"argmax"`` predicts the most probable
  class. ``"auto"`` (the default) uses, per task, whichever of the two gives
  the better validation macro-F1 while predicting every class correctly at
  least once on the validation rows, chosen together with the epoch. The paper
  does not say how decisions are made; probabilities (``predict_proba``,
  hence AUC) are the same under every rule.

Examples
--------
>>> import numpy as np, pandas as pd
>>> X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
>>> y = pd.DataFrame({"t": pd.array([0, 0, 1, pd.NA], dtype="Int64")})
>>> m = make_model("POP").fit(X, y)
>>> m.predict_proba(X)["t"][0].tolist(), m.n_classes_
([1.0, 0.0], {'t': 2})
>>> from sklearn.base import clone
>>> clone(make_model("H2SEA", dropout=0.5)).get_params()["dropout"]
0.5
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import torch
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    LabelEncoder,
    OneHotEncoder,
    OrdinalEncoder,
    PolynomialFeatures,
    StandardScaler,
)
from sklearn.utils.class_weight import compute_sample_weight
from threadpoolctl import threadpool_limits
from torch import nn

from ..metrics import macro_f1

__all__ = [
    "METHODS",
    "NEURAL",
    "validate_labels",
    "TabularEncoder",
    "paper_class_weights",
    "is_imbalanced",
    "h2sea_loss",
    "l2_penalty",
    "FastDropout",
    "FMEmbeddingNet",
    "prior_corrected_decision",
    "fast_macro_f1",
    "MultiTaskEstimator",
    "POP",
    "NeuralMultiTask",
    "H2SEA",
    "H2SEANA",
    "ETNA",
    "LogisticDeg2",
    "XGBoostModel",
    "make_model",
]

METHODS = ("POP", "LR", "XGBoost", "ETNA", "H2SEA-NA", "H2SEA")
NEURAL = ("ETNA", "H2SEA-NA", "H2SEA")


# --------------------------------------------------------------------------- input checks
def _is_categorical(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object or pd.api.types.is_string_dtype(s.dtype)


def validate_labels(y: pd.DataFrame, *, what: str = "y") -> dict[str, int]:
    """Check a label frame and return the number of classes of each task.

    Labels are non-negative integer class codes or missing; every task needs
    at least two observed classes. A task's number of classes is its largest
    observed code plus one.

    Parameters
    ----------
    y : DataFrame
        One column per task.
    what : str
        Name used in error messages.

    Returns
    -------
    dict
        ``{task: n_classes}``.

    Examples
    --------
    >>> validate_labels(pd.DataFrame({"t": pd.array([0, 1, pd.NA], dtype="Int64")}))
    {'t': 2}
    >>> validate_labels(pd.DataFrame({"t": pd.array([1, 1, pd.NA], dtype="Int64")}))
    Traceback (most recent call last):
    ...
    ValueError: y: task 't' has a single observed class [1]; cannot fit a classifier
    """
    if not isinstance(y, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame of task labels; got {type(y).__name__}")
    if y.shape[1] == 0:
        raise ValueError(f"{what}: no task columns")
    out = {}
    for task in y.columns:
        obs = pd.to_numeric(y[task], errors="coerce")
        bad = y[task].notna() & obs.isna()
        if bad.any():
            raise ValueError(f"{what}: task {task!r} has non-numeric label(s) {y[task][bad].unique()[:5].tolist()}")
        vals = obs.dropna()
        if vals.empty:
            raise ValueError(f"{what}: task {task!r} has no observed label (all missing)")
        wrong = vals[(vals < 0) | (vals != vals.round())]
        if not wrong.empty:
            raise ValueError(f"{what}: task {task!r} has label(s) {sorted(wrong.unique().tolist())[:5]}; "
                             "class codes must be integers 0, 1, ...")
        classes = sorted(int(v) for v in vals.unique())
        if len(classes) < 2:
            raise ValueError(f"{what}: task {task!r} has a single observed class {classes}; cannot fit a classifier")
        out[task] = classes[-1] + 1
    return out


def _labels_array(y: pd.DataFrame, task: str) -> NDArray:
    """Labels of one task as float array with NaN for missing."""
    return pd.to_numeric(y[task], errors="coerce").astype(float).to_numpy()


def _check_frame(X: Any, what: str) -> None:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame; got {type(X).__name__}")
    dup = X.columns[X.columns.duplicated()].tolist()
    if dup:
        raise ValueError(f"{what}: duplicated feature column(s) {dup}")
    nan_cols = X.columns[X.isna().any()].tolist()
    if nan_cols:
        counts = {c: int(X[c].isna().sum()) for c in nan_cols[:5]}
        raise ValueError(f"{what}: NaN in feature column(s) {nan_cols[:5]} (counts {counts})")


def _as_str(a: Any) -> NDArray:
    return np.asarray(a).astype(str)


def _scaled_clipped(clip: float):
    """StandardScaler then clip to +-clip (one pipeline, fitted on the training rows)."""
    return make_pipeline(StandardScaler(),
                         FunctionTransformer(np.clip, kw_args={"a_min": -clip, "a_max": clip},
                                             feature_names_out="one-to-one"))


class TabularEncoder(TransformerMixin, BaseEstimator):
    """Turn a feature frame into model inputs, fitted on the training rows.

    A :class:`~sklearn.compose.ColumnTransformer`: continuous columns (numeric
    dtypes) are standardised (:class:`~sklearn.preprocessing.StandardScaler`)
    and clipped to +-``clip``; categorical columns (``category``/``object``
    dtype) become integer codes ``1..K`` of the training categories
    (:class:`~sklearn.preprocessing.OrdinalEncoder`), 0 for a category unseen
    in training. NaN in any column, or a different set of columns at transform
    time, raises an error naming the column(s).

    Parameters
    ----------
    clip : float
        Bound on the standardised continuous values.

    Examples
    --------
    >>> X = pd.DataFrame({"p": [1.0, 3.0], "city": pd.Categorical(["a", "b"])})
    >>> enc = TabularEncoder().fit(X)
    >>> xc, xk = enc.transform(pd.DataFrame({"p": [2.0], "city": pd.Categorical(["z"])}))
    >>> xc.tolist(), xk.tolist(), enc.cardinalities
    ([[0.0]], [[0]], [3])
    """

    def __init__(self, clip: float = 5.0):
        self.clip = clip

    def fit(self, X: pd.DataFrame, y: Any = None) -> TabularEncoder:
        """Learn the columns, their means / standard deviations and categories.

        Parameters
        ----------
        X : DataFrame
            Training features.
        y : ignored

        Returns
        -------
        TabularEncoder
        """
        _check_frame(X, "X")
        if X.shape[0] == 0:
            raise ValueError("X: no rows")
        if not self.clip > 0:
            raise ValueError(f"clip must be positive; got {self.clip!r}")
        self.columns_ = list(X.columns)
        self.categorical_ = [c for c in X.columns if _is_categorical(X[c])]
        self.continuous_ = [c for c in X.columns if c not in self.categorical_]
        for c in self.continuous_:
            if not pd.api.types.is_numeric_dtype(X[c]):
                raise TypeError(f"X: column {c!r} has dtype {X[c].dtype}; expected numeric or category")
        parts = []
        if self.continuous_:
            parts.append(("continuous", _scaled_clipped(self.clip), self.continuous_))
        if self.categorical_:
            parts.append(("categorical", make_pipeline(
                FunctionTransformer(_as_str, feature_names_out="one-to-one"),
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)),
                self.categorical_))
        self.transformer_ = ColumnTransformer(parts, sparse_threshold=0.0).fit(X)
        cat = self.transformer_.named_transformers_.get("categorical")
        self.categories_ = ({c: list(k) for c, k in zip(self.categorical_, cat[-1].categories_, strict=True)}
                            if cat is not None else {})
        return self

    @property
    def cardinalities(self) -> list[int]:
        """Number of codes per categorical field (training categories + 1 for unseen)."""
        return [len(self.categories_[c]) + 1 for c in self.categorical_]

    def check_columns(self, X: pd.DataFrame) -> None:
        """Raise ``ValueError`` naming missing or unexpected columns.

        Parameters
        ----------
        X : DataFrame
        """
        missing = [c for c in self.columns_ if c not in X.columns]
        extra = [c for c in X.columns if c not in self.columns_]
        if missing or extra:
            raise ValueError(
                f"feature columns differ from fit: missing {missing[:10]}, unexpected {extra[:10]}"
            )

    def transform(self, X: pd.DataFrame) -> tuple[NDArray, NDArray]:
        """Encode ``X``.

        Parameters
        ----------
        X : DataFrame
            Same columns as in ``fit``.

        Returns
        -------
        tuple of ndarray
            ``(continuous float32 (n, Fc), categorical int64 codes (n, Fk))``.
        """
        _check_frame(X, "X")
        self.check_columns(X)
        z = self.transformer_.transform(X[self.columns_])
        n_c = len(self.continuous_)
        xc = np.ascontiguousarray(z[:, :n_c], dtype=np.float32)
        xk = (z[:, n_c:] + 1).astype(np.int64)
        return xc, xk


# --------------------------------------------------------------------------- loss (Eq 9-11)
def paper_class_weights(labels: Sequence[float] | NDArray, n_classes: int | None = None) -> NDArray:
    """Class weights of H2SEA Eq 10 as read here: ``w_k = sum_k' sqrt(M^k') / sqrt(M^k)``.

    Parameters
    ----------
    labels : array_like
        Class codes; NaN (missing) is ignored.
    n_classes : int, optional
        Number of classes (default: largest code + 1). An absent class gets
        weight 0 (it has no term in the loss).

    Returns
    -------
    ndarray
        One weight per class.

    Examples
    --------
    >>> paper_class_weights([0, 0, 0, 0, 1, np.nan], 3).tolist()  # (2 + 1) / 2, (2 + 1) / 1
    [1.5, 3.0, 0.0]
    """
    y = np.asarray(labels, dtype=float)
    y = y[~np.isnan(y)].astype(int)
    k = int(y.max()) + 1 if n_classes is None else int(n_classes)
    counts = np.bincount(y, minlength=k).astype(float)
    total = np.sqrt(counts).sum()
    return np.where(counts > 0, total / np.sqrt(np.maximum(counts, 1)), 0.0)


def is_imbalanced(labels: Sequence[float] | NDArray, ratio: float = 2.0) -> bool:
    """Whether a task is "quite imbalanced" (H2SEA Sec 4.3, where Eq 10 replaces Eq 9).

    Read as: the largest class has at least ``ratio`` times the observed
    labels of the smallest observed class. The paper's class shares (Sec 5.1)
    give ratios 1.5 and 1.4 for the income tasks and 2.4 and 7.9 for
    education and occupation.

    Parameters
    ----------
    labels : array_like
        Class codes; NaN (missing) is ignored.
    ratio : float
        Threshold on largest / smallest class count.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_imbalanced([0] * 54 + [1] * 23 + [2] * 22), is_imbalanced([0] * 31 + [1] * 42 + [2] * 27)
    (True, False)
    """
    y = np.asarray(labels, dtype=float)
    counts = np.bincount(y[~np.isnan(y)].astype(int))
    counts = counts[counts > 0]
    return bool(counts.max() >= ratio * counts.min())


def h2sea_loss(
    logits: Sequence[torch.Tensor] | torch.Tensor,
    targets: torch.Tensor,
    class_weights: Sequence[torch.Tensor] | torch.Tensor | None,
    task_weights: Sequence[float],
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Total loss of H2SEA Eq 11 without the L2 term: ``sum_n lambda_n L_n``.

    ``L_n`` is Eq 10 (Eq 9 when ``class_weights`` is None, or where a task's
    weights are all 1): ``-(1/M_n) sum_j w_{y_j} log p_{j, y_j}`` over the
    rows whose label of task ``n`` is observed (``targets[:, n] >= 0``; -1
    marks a missing label). A task with no observed label in the batch
    contributes 0.

    Parameters
    ----------
    logits : list of tensors or tensor
        ``(batch, classes)`` per task, or one ``(batch, tasks, classes)`` tensor.
    targets : tensor
        ``(batch, tasks)`` class codes, -1 = missing.
    class_weights : list of tensors, tensor or None
        ``(tasks, classes)`` weights ``w_k`` of Eq 10.
    task_weights : sequence of float
        ``lambda_n`` of Eq 11.

    Returns
    -------
    tuple
        ``(total, [L_n per task])``.

    Examples
    --------
    >>> lg = [torch.zeros(2, 3)]
    >>> t = torch.tensor([[0], [-1]])
    >>> round(float(h2sea_loss(lg, t, None, [1.0])[0]), 4)  # log 3
    1.0986
    """
    lg = torch.stack(list(logits), dim=1) if not torch.is_tensor(logits) else logits  # (B, T, C)
    mask = targets >= 0
    safe = targets.clamp(min=0)
    nll = -torch.log_softmax(lg, dim=2).gather(2, safe.unsqueeze(2)).squeeze(2)  # (B, T)
    if class_weights is not None:
        cw = torch.stack(list(class_weights)) if not torch.is_tensor(class_weights) else class_weights
        nll = nll * cw.gather(1, safe.T).T  # w_{y_j} of Eq 10, per task
    nll = nll * mask
    m = mask.sum(0)  # M_n: observed labels per task in this batch
    parts = nll.sum(0) / m.clamp(min=1)  # a task without labels contributes 0
    total = (parts * torch.as_tensor(task_weights, dtype=parts.dtype)).sum()
    return total, list(parts.unbind(0))


def l2_penalty(module: nn.Module, alpha: float) -> torch.Tensor:
    """The regulariser of H2SEA Eq 11: ``alpha ||Theta||^2`` over all trainable parameters.

    Parameters
    ----------
    module : torch.nn.Module
    alpha : float

    Returns
    -------
    tensor
        A scalar (0 when ``alpha`` is 0).

    Examples
    --------
    >>> lin = nn.Linear(1, 1)
    >>> with torch.no_grad():
    ...     _ = lin.weight.fill_(2.0), lin.bias.fill_(1.0)
    >>> float(l2_penalty(lin, 0.1).detach())  # 0.1 * (4 + 1)
    0.5
    """
    if alpha == 0:
        return torch.zeros(())
    return alpha * sum(p.pow(2).sum() for p in module.parameters() if p.requires_grad)


# --------------------------------------------------------------------------- network
class FastDropout(nn.Module):
    """Dropout (inverted, as :class:`torch.nn.Dropout`) with masks drawn from numpy's PCG64.

    The same function as ``nn.Dropout(p)``: in training each unit is zeroed
    with probability ``p`` (to 1/65,536) and the others scaled by
    ``1 / (1 - p)``; in evaluation the identity. Torch's CPU ``bernoulli_``
    draws one number at a time and took about a quarter of an H2SEA training
    step; 16 random bits per unit from ``PCG64.random_raw`` cost a few percent
    (``tests/benchmarks/bench_h2sea.py``). Seeded, so fits are reproducible.

    Parameters
    ----------
    p : float
        Drop probability in [0, 1).
    seed : int

    Examples
    --------
    >>> drop = FastDropout(0.5, seed=0)
    >>> out = drop(torch.ones(10_000))
    >>> sorted(set(out.tolist())), round(float((out == 0).float().mean()), 2)
    ([0.0, 2.0], 0.5)
    >>> bool(torch.equal(drop.eval()(torch.ones(3)), torch.ones(3)))
    True
    """

    def __init__(self, p: float, seed: int = 0):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"dropout must be in [0, 1); got {p!r}")
        self.p = p
        self.threshold = int(round(p * 65536))
        self.scale = 1.0 / (1.0 - self.threshold / 65536)
        self.bitgen = np.random.PCG64(seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Zero and rescale in training, identity in evaluation."""
        if not self.training or self.threshold == 0:
            return x
        n = x.numel()
        bits = self.bitgen.random_raw((n + 3) // 4).view(np.uint16)[:n].reshape(x.shape)
        return x * torch.from_numpy(bits >= self.threshold) * self.scale


class FMEmbeddingNet(nn.Module):
    """Shared FM embedding (H2SEA Eq 3) + per-task dense, attention and softmax layers.

    The per-task layers of all tasks are stored stacked (weights of shape
    ``(tasks, in, out)``) and applied with one batched product per layer; this is
    the same function as one separate network per task, with far fewer Python
    calls per step.

    Parameters
    ----------
    n_continuous : int
        Continuous fields (each has a latent vector ``V_i``, embedded as ``x_i V_i``).
    cardinalities : list of int
        Codes per categorical field (one-hot ``x`` times ``V`` = an embedding row).
    n_tasks : int
        Number of tasks.
    n_classes : int or list of int
        Classes per task (one number for all tasks, or one per task); a task
        with fewer classes than the widest has its extra logits masked out.
    latent_dim : int
        ``d`` of Eq 3 (paper: 6).
    units, hidden_layers : int
        Width and depth of each task's dense ReLU layers (Eq 4; paper: 32, 3).
    dropout : float
        Dropout after every dense layer.
    interactions : bool
        Include the FM first-order and pairwise units (False = ETNA).
    attention : bool
        Apply Eq 5-7 (False = H2SEA-NA).
    attention_rescale : bool
        Multiply Eq 7's weighted vector by ``units`` (the x32 reading).
    seed : int
        Seed of the dropout masks (initial weights come from torch's RNG).

    Examples
    --------
    >>> net = FMEmbeddingNet(3, [4], n_tasks=2, n_classes=[3, 2])
    >>> [t.shape for t in net(torch.zeros(5, 3), torch.zeros(5, 1, dtype=torch.long))]
    [torch.Size([5, 3]), torch.Size([5, 3])]
    """

    def __init__(
        self,
        n_continuous: int,
        cardinalities: Sequence[int],
        n_tasks: int,
        n_classes: int | Sequence[int] = 3,
        latent_dim: int = 6,
        units: int = 32,
        hidden_layers: int = 3,
        dropout: float = 0.3,
        interactions: bool = True,
        attention: bool = True,
        attention_rescale: bool = True,
        seed: int = 0,
    ):
        super().__init__()
        d = latent_dim
        self.interactions = interactions
        self.attention = attention
        self.attention_rescale = attention_rescale
        self.n_tasks, self.units = n_tasks, units
        self.n_fields = n_continuous + len(cardinalities)
        ks = [int(n_classes)] * n_tasks if np.isscalar(n_classes) else [int(k) for k in n_classes]
        width = max(ks)
        mask = torch.zeros(n_tasks, width)
        for t, k in enumerate(ks):
            mask[t, k:] = -1e9  # classes a task does not have: probability 0
        self.register_buffer("class_mask", mask)
        self.v_cont = nn.Parameter(torch.randn(n_continuous, d) * 0.1)
        self.w_cont = nn.Parameter(torch.zeros(n_continuous))
        cards = [int(k) for k in cardinalities]
        self.register_buffer("offsets", torch.tensor([0, *np.cumsum(cards)[:-1].tolist()][:len(cards)],
                                                     dtype=torch.long))
        self.emb = nn.Embedding(max(sum(cards), 1), d)  # all categorical fields, one table
        self.w_cat = nn.Embedding(max(sum(cards), 1), 1)
        nn.init.normal_(self.emb.weight, std=0.1)
        nn.init.zeros_(self.w_cat.weight)
        self.bias = nn.Parameter(torch.zeros(1))
        shared = self.n_fields * d + (self.n_fields + d if interactions else 0)
        self.shared_dim = shared
        # Eq 4 for every task at once: a dense layer on e_fm, its weight kept in blocks (one per
        # part of e_fm, see first_weight) so that no step slices (and zero-fills) one big matrix
        out_dim, n_k = n_tasks * units, len(cards)
        bound = 1 / np.sqrt(shared)  # nn.Linear's default initialisation

        def block(*shape: int) -> nn.Parameter:
            return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))

        self.first_cont = block(n_continuous, d, out_dim)  # x_i V_i of the continuous fields
        self.first_cat = block(n_k * d, out_dim)  # the categorical fields' embeddings
        self.first_fo_cont = block(n_continuous, out_dim) if interactions else None  # w_i x_i
        self.first_fo_cat = block(n_k, out_dim) if interactions else None
        self.first_bi = block(d, out_dim) if interactions else None  # pairwise units
        self.first_bias = block(out_dim)
        self.drop = FastDropout(dropout, seed)

        def stacked(n_in: int, n_out: int, lead: tuple = ()) -> tuple[nn.Parameter, nn.Parameter]:
            bound = 1 / np.sqrt(n_in)  # nn.Linear's default initialisation
            w = nn.Parameter(torch.empty(*lead, n_tasks, n_in, n_out).uniform_(-bound, bound))
            b = nn.Parameter(torch.empty(*lead, n_tasks, n_out).uniform_(-bound, bound))
            return w, b

        self.w_hidden, self.b_hidden = stacked(units, units, (max(hidden_layers - 1, 0),))
        self.w_att, self.b_att = stacked(units, units) if attention else (None, None)
        self.w_out, self.b_out = stacked(units, width)

    def field_embeddings(self, xc: torch.Tensor, xk: torch.Tensor) -> torch.Tensor:
        """``x_i V_i`` for every field: (batch, n_fields, d)."""
        parts = [xc.unsqueeze(2) * self.v_cont.unsqueeze(0)]
        if xk.shape[1]:
            parts.append(self.emb(xk + self.offsets))
        return torch.cat(parts, dim=1)

    def first_order(self, xc: torch.Tensor, xk: torch.Tensor) -> torch.Tensor:
        """First-order units ``w_i x_i``: (batch, n_fields)."""
        parts = [xc * self.w_cont.unsqueeze(0)]
        if xk.shape[1]:
            parts.append(self.w_cat(xk + self.offsets).squeeze(2))
        return torch.cat(parts, dim=1)

    @staticmethod
    def bi_interaction(e: torch.Tensor) -> torch.Tensor:
        """``0.5 ((sum_i e_i)^2 - sum_i e_i^2)``: (batch, d); sums to Eq 3's pairwise term."""
        return 0.5 * (e.sum(dim=1).pow(2) - e.pow(2).sum(dim=1))

    def fm_score(self, xc: torch.Tensor, xk: torch.Tensor) -> torch.Tensor:
        """Eq 3 as a scalar per row: ``<w, x> + sum_{i<j} <V_i, V_j> x_i x_j`` (+ bias)."""
        e = self.field_embeddings(xc, xk)
        return self.bias + self.first_order(xc, xk).sum(1) + self.bi_interaction(e).sum(1)

    def shared_embedding(self, xc: torch.Tensor, xk: torch.Tensor) -> torch.Tensor:
        """``e_fm``: field embeddings, plus first-order and pairwise units if ``interactions``."""
        e = self.field_embeddings(xc, xk)
        parts = [e.flatten(1)]
        if self.interactions:
            parts += [self.first_order(xc, xk), self.bi_interaction(e)]
        return torch.cat(parts, dim=1)

    def first_weight(self) -> torch.Tensor:
        """The first dense layer's weight as one ``(out, shared_dim)`` matrix.

        The columns are in the order of :meth:`shared_embedding` (field embeddings,
        first-order units, pairwise units).
        """
        parts = [self.first_cont.reshape(-1, self.first_cont.shape[2]), self.first_cat]
        if self.interactions:
            parts += [self.first_fo_cont, self.first_fo_cat, self.first_bi]
        return torch.cat(parts, dim=0).T

    def first_layer(self, xc: torch.Tensor, xk: torch.Tensor) -> torch.Tensor:
        """``shared_embedding(xc, xk) @ first_weight().T + first_bias``, without materialising it.

        The continuous fields enter ``e_fm`` as ``x_i V_i`` (``d`` columns each) and as
        first-order units ``w_i x_i``; both are linear in ``x_i``, so their product with
        the first dense layer folds into one ``(n_continuous, out)`` matrix and the
        batch only meets ``xc @ M``. The pairwise units use ``sum_i x_i V_i = xc @ V``
        and ``sum_i x_i^2 V_i^2 = xc^2 @ V^2``. Same function and gradients, with a
        first layer about ``d`` times narrower for the continuous fields.
        """
        n_k = self.n_fields - self.v_cont.shape[0]
        m = (self.first_cont * self.v_cont.unsqueeze(2)).sum(1)  # (n_c, out)
        out = self.first_bias
        if n_k:
            emb = self.emb(xk + self.offsets)  # (batch, n_k, d)
            out = out + emb.flatten(1) @ self.first_cat
        if self.interactions:
            m = m + self.w_cont.unsqueeze(1) * self.first_fo_cont
            s = xc @ self.v_cont
            sq = (xc * xc) @ (self.v_cont * self.v_cont)
            if n_k:
                out = out + self.w_cat(xk + self.offsets).squeeze(2) @ self.first_fo_cat
                s = s + emb.sum(1)
                sq = sq + emb.pow(2).sum(1)
            out = out + (0.5 * (s * s - sq)) @ self.first_bi
        return out + xc @ m

    def forward(
        self, xc: torch.Tensor, xk: torch.Tensor, return_attention: bool = False
    ) -> list[torch.Tensor] | tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Logits per task (a list of ``(batch, classes)``), and the attention weights."""
        logits, a = self.stacked_logits(xc, xk)
        out = list(logits.unbind(1))
        if return_attention:
            return out, (list(a.unbind(1)) if a is not None else [])
        return out

    def stacked_logits(self, xc: torch.Tensor, xk: torch.Tensor
                       ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(batch, tasks, classes)`` logits and ``(batch, tasks, units)`` attention (or None)."""
        # per-task activations are kept as (tasks, batch, units): one baddbmm per layer
        d = self.drop(torch.relu(self.first_layer(xc, xk)).view(-1, self.n_tasks, self.units))  # Eq 4
        d = d.transpose(0, 1)
        for w, b in zip(self.w_hidden, self.b_hidden, strict=True):
            d = self.drop(torch.relu(torch.baddbmm(b.unsqueeze(1), d, w)))
        a = None
        if self.attention:
            a = torch.softmax(torch.relu(torch.baddbmm(self.b_att.unsqueeze(1), d, self.w_att)),
                              dim=2)  # Eq 5-6
            u = a * d  # Eq 7 read as a weighted vector
            if self.attention_rescale:
                u = u * self.units  # softmax weights average 1/units: keep the scale of d
            a = a.transpose(0, 1)
        else:
            u = d
        logits = torch.baddbmm(self.b_out.unsqueeze(1), u, self.w_out).transpose(0, 1)  # Eq 8
        return logits + self.class_mask, a


# --------------------------------------------------------------------------- decisions and scores
def prior_corrected_decision(proba: NDArray, trained_prior: NDArray) -> NDArray:
    """The class maximising ``p_k / q_k`` (the Bayes decision under equal class priors).

    ``q_k`` is the class share a model was trained towards: the training
    shares, times the class weights of the loss if any, renormalised. A class
    with ``q_k = 0`` (absent from training) is never predicted.

    Parameters
    ----------
    proba : ndarray
        ``(n, K)`` class probabilities.
    trained_prior : ndarray
        ``(K,)`` shares ``q_k``.

    Returns
    -------
    ndarray
        ``(n,)`` class codes.

    Examples
    --------
    >>> prior_corrected_decision(np.array([[0.6, 0.3, 0.1]]), np.array([0.7, 0.2, 0.1])).tolist()
    [1]
    """
    q = np.asarray(trained_prior, dtype=float)
    with np.errstate(divide="ignore"):
        score = np.log(np.maximum(proba, 1e-300)) - np.where(q > 0, np.log(np.maximum(q, 1e-300)), np.inf)
    return score.argmax(axis=1)


def fast_macro_f1(y_true: NDArray, y_pred: NDArray, n_classes: int) -> float:
    """Macro-F1 over ``n_classes`` classes from a confusion count (absent classes count 0).

    The same number as :func:`homelib.metrics.macro_f1` (scikit-learn's
    ``f1_score(average="macro", zero_division=0)``; a test checks it), about
    50 times faster on a thousand rows: early stopping calls it every epoch.

    Parameters
    ----------
    y_true, y_pred : ndarray of int
    n_classes : int

    Returns
    -------
    float

    Examples
    --------
    >>> fast_macro_f1(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2]), 3)  # (1 + 2/3 + 2/3) / 3
    0.7777777777777777
    """
    tp = np.bincount(y_true[y_true == y_pred], minlength=n_classes)[:n_classes].astype(float)
    denom = (np.bincount(y_true, minlength=n_classes)[:n_classes]
             + np.bincount(y_pred, minlength=n_classes)[:n_classes])
    f1 = np.divide(2 * tp, denom, out=np.zeros(n_classes), where=denom > 0)
    return float(f1.mean())


# --------------------------------------------------------------------------- model API
@contextmanager
def _threads(n: int | None):
    """Temporarily set torch's intra-op thread count (None = leave it)."""
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _internal_split(n: int, fraction: float, seed: int) -> tuple[NDArray, NDArray]:
    if not 0 < fraction < 1:
        raise ValueError(f"validation_fraction must be in (0, 1); got {fraction!r}")
    tr, va = train_test_split(np.arange(n), test_size=fraction, random_state=seed)
    return np.sort(tr), np.sort(va)


def _check_positive_int(**kw: Any) -> None:
    for nm, v in kw.items():
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{nm} must be a positive integer; got {v!r}")


class MultiTaskEstimator(BaseEstimator):
    """Common API of the Table 3 models.

    ``fit(X, y, X_val=None, y_val=None)`` (a label frame, one column per task),
    ``predict_proba(X) -> {task: (n, K)}``, ``predict(X) -> DataFrame`` of class
    codes, ``score(X, y)`` = mean macro-F1 over tasks. Subclasses implement
    ``fit`` (calling ``_start_fit`` first) and ``predict_proba``; ``_decide``
    turns probabilities into classes (default: arg-max).

    Parameters
    ----------
    **params
        Hyper-parameters of the subclass (the base class takes none).

    Examples
    --------
    A subclass (here :class:`POP`) predicts the training majority; the score is
    the mean macro-F1 over tasks: task ``t`` is right on 2 of 3 rows of class 1
    (F1 = 0.8) and misses class 0 (F1 = 0), so macro-F1 = 0.4.

    >>> X = pd.DataFrame({"a": [0.0, 1.0, 2.0]})
    >>> y = pd.DataFrame({"t": [1, 1, 0]})
    >>> m = POP().fit(X, y)
    >>> m.tasks_, {t: int(k) for t, k in m.n_classes_.items()}
    (['t'], {'t': 2})
    >>> round(m.score(X, y), 3)
    0.4
    """

    name = "base"

    def _start_fit(self, X: pd.DataFrame, y: pd.DataFrame) -> None:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame; got {type(X).__name__}")
        self.n_classes_ = validate_labels(y)
        if len(X) != len(y) or not X.index.equals(y.index):
            raise ValueError(f"X and y must share the same index; got {len(X)} and {len(y)} rows")
        self.tasks_ = list(y.columns)
        self.classes_ = {t: np.arange(k) for t, k in self.n_classes_.items()}
        self.n_labels_ = {t: int(y[t].notna().sum()) for t in self.tasks_}
        self.class_counts_ = {t: np.bincount(_labels_array(y, t)[y[t].notna().to_numpy()].astype(int),
                                             minlength=self.n_classes_[t]) for t in self.tasks_}

    def _check_val(self, X_val: pd.DataFrame | None, y_val: pd.DataFrame | None) -> None:
        if X_val is None or y_val is None:
            return
        if list(y_val.columns) != self.tasks_:
            raise ValueError(f"y_val tasks {list(y_val.columns)} differ from y tasks {self.tasks_}")
        if len(X_val) != len(y_val) or not X_val.index.equals(y_val.index):
            raise ValueError(f"X_val and y_val must share the same index; got {len(X_val)} and "
                             f"{len(y_val)} rows")
        for t in self.tasks_:
            lab = _labels_array(y_val, t)
            bad = lab[~np.isnan(lab) & ((lab < 0) | (lab >= self.n_classes_[t]) | (lab != np.round(lab)))]
            if bad.size:
                raise ValueError(f"y_val: task {t!r} has label(s) {sorted(set(bad.tolist()))[:5]} outside "
                                 f"the training classes 0..{self.n_classes_[t] - 1}")

    def predict_proba(self, X: pd.DataFrame) -> dict[str, NDArray]:  # pragma: no cover - abstract
        """Class probabilities ``{task: (n, K)}``; implemented by each subclass."""
        raise NotImplementedError

    def _decide(self, task: str, proba: NDArray) -> NDArray:
        return proba.argmax(axis=1)

    def decide(self, proba: Mapping[str, NDArray]) -> dict[str, NDArray]:
        """Class decisions from probabilities (the model's decision rule).

        Parameters
        ----------
        proba : mapping
            ``{task: (n, K)}``, as from ``predict_proba``.

        Returns
        -------
        dict
            ``{task: (n,) class codes}``.
        """
        return {t: self._decide(t, np.asarray(p)) for t, p in proba.items()}

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        """Class codes per task, indexed like ``X``.

        Parameters
        ----------
        X : DataFrame

        Returns
        -------
        DataFrame
            One ``Int64`` column per task.
        """
        pred = self.decide(self.predict_proba(X))
        return pd.DataFrame({t: pd.array(c, dtype="Int64") for t, c in pred.items()}, index=X.index)

    def score(self, X: pd.DataFrame, y: pd.DataFrame) -> float:
        """Mean over tasks of the macro-F1 on the rows whose label is observed.

        Parameters
        ----------
        X : DataFrame
        y : DataFrame
            Label frame with the tasks of ``fit``.

        Returns
        -------
        float
        """
        pred = self.predict(X)
        out = []
        for t in self.tasks_:
            lab = _labels_array(y, t)
            keep = ~np.isnan(lab)
            out.append(macro_f1(lab[keep].astype(int), pred[t].to_numpy()[keep].astype(int),
                                self.n_classes_[t]))
        return float(np.mean(out))


class POP(MultiTaskEstimator):
    """Majority class of each task's observed training labels (probability 1).

    Examples
    --------
    >>> X = pd.DataFrame({"a": [0.0, 1.0, 2.0]})
    >>> POP().fit(X, pd.DataFrame({"t": [1, 1, 0]})).predict(X)["t"].tolist()
    [1, 1, 1]
    """

    name = "POP"

    def fit(self, X: pd.DataFrame, y: pd.DataFrame, X_val: pd.DataFrame | None = None,
            y_val: pd.DataFrame | None = None) -> POP:
        """Learn the majority class per task (``X_val``, ``y_val`` are ignored).

        Parameters
        ----------
        X, y : DataFrame
        X_val, y_val : ignored

        Returns
        -------
        POP
        """
        self._start_fit(X, y)
        self.encoder_ = TabularEncoder().fit(X)
        self.majority_ = {t: int(c.argmax()) for t, c in self.class_counts_.items()}
        return self

    def predict_proba(self, X: pd.DataFrame) -> dict[str, NDArray]:
        """One-hot probability of the majority class, per task."""
        self.encoder_.check_columns(X)
        return {t: np.tile(np.eye(self.n_classes_[t])[m], (len(X), 1)) for t, m in self.majority_.items()}


class NeuralMultiTask(MultiTaskEstimator):
    """Torch multi-task network shared by H2SEA, H2SEA-NA and ETNA.

    Parameters
    ----------
    latent_dim, dropout, units, hidden_layers, lr, l2 : int or float
        Sec 5.1's best setting: 6, 0.3, 32, 3, 0.001, 0.00001 (``l2`` is
        ``alpha`` of Eq 11, times the squared norm of every parameter).
    task_weights : mapping task -> lambda_n, optional
        Must sum to 1 (Eq 11); default uniform.
    class_weight : {"paper", "balanced", None}
        Eq 10's weights as read here (``paper_class_weights``), inverse class
        frequency (``"balanced"``), or none (Eq 9 for every task).
    weighted_tasks : {"imbalanced", "all"}
        Which tasks get the class weights: the "quite imbalanced" ones
        (:func:`is_imbalanced` with ``imbalance_ratio``; Eq 9 for the others),
        or every task.
    imbalance_ratio : float
        Threshold of :func:`is_imbalanced`.
    attention_rescale : bool
        Eq 7 read with the x``units`` factor.
    selection : {"f1", "loss"}
        Early stopping keeps the epoch with the best mean validation macro-F1
        over tasks (``"f1"``) or the lowest validation loss.
    decision : {"auto", "prior", "argmax"}
        How ``predict`` turns probabilities into classes (module docstring);
        ``"auto"`` picks, per task and epoch, whichever of the two rules has
        the better validation macro-F1 among those that recall every class on
        the validation rows (the rule of the kept epoch is used).
    batch_size, max_epochs, patience : int
        Mini-batch Adam; training stops after ``patience`` epochs without a
        better validation score (best epoch kept).
    validation_fraction : float
        Share of the training rows held out for early stopping when no
        ``X_val`` / ``y_val`` is given.
    n_threads : int or None
        Torch intra-op threads while fitting / predicting (restored afterwards).
    seed : int
        Seeds initialisation, batch order and dropout (global torch RNG restored after).

    Examples
    --------
    A two-epoch fit of :class:`H2SEA` on 8 rows: one probability row per input row,
    summing to 1, and one class code per row and task.

    >>> X = pd.DataFrame({"price": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
    ...                   "zip": pd.Categorical(list("aabbaabb"))})
    >>> y = pd.DataFrame({"income": [0, 0, 1, 1, 2, 2, 0, 1]})
    >>> m = H2SEA(max_epochs=2, batch_size=4, units=4, validation_fraction=0.25,
    ...           seed=0).fit(X, y)
    >>> p = m.predict_proba(X)["income"]
    >>> p.shape, bool(np.allclose(p.sum(axis=1), 1.0))
    ((8, 3), True)
    >>> bool(m.predict(X)["income"].isin([0, 1, 2]).all())
    True
    """

    name = "neural"
    interactions = True
    attention = True

    def __init__(
        self,
        latent_dim: int = 6,
        dropout: float = 0.3,
        units: int = 32,
        hidden_layers: int = 3,
        lr: float = 0.001,
        l2: float = 1e-5,
        task_weights: Mapping[str, float] | None = None,
        class_weight: str | None = "paper",
        weighted_tasks: str = "imbalanced",
        imbalance_ratio: float = 2.0,
        attention_rescale: bool = True,
        selection: str = "f1",
        decision: str = "auto",
        batch_size: int = 256,
        max_epochs: int = 60,
        patience: int = 10,
        validation_fraction: float = 0.125,
        n_threads: int | None = 1,
        seed: int = 0,
    ):
        self.latent_dim = latent_dim
        self.dropout = dropout
        self.units = units
        self.hidden_layers = hidden_layers
        self.lr = lr
        self.l2 = l2
        self.task_weights = task_weights
        self.class_weight = class_weight
        self.weighted_tasks = weighted_tasks
        self.imbalance_ratio = imbalance_ratio
        self.attention_rescale = attention_rescale
        self.selection = selection
        self.decision = decision
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.n_threads = n_threads
        self.seed = seed

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        choices = {"class_weight": ("paper", "balanced", None), "weighted_tasks": ("imbalanced", "all"),
                   "selection": ("f1", "loss"), "decision": ("prior", "argmax", "auto")}
        for nm, allowed in choices.items():
            if getattr(self, nm) not in allowed:
                raise ValueError(f"{nm} must be one of {list(allowed)}; got {getattr(self, nm)!r}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1); got {self.dropout!r}")
        _check_positive_int(latent_dim=self.latent_dim, units=self.units, hidden_layers=self.hidden_layers,
                            batch_size=self.batch_size, max_epochs=self.max_epochs, patience=self.patience)
        for nm in ("lr", "l2", "imbalance_ratio"):
            v = getattr(self, nm)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v >= (0 if nm == "l2" else 1e-12)):
                raise ValueError(f"{nm} must be a {'non-negative' if nm == 'l2' else 'positive'} number; got {v!r}")

    def _lambdas(self) -> list[float]:
        tw = self.task_weights
        if tw is None:
            return [1.0 / len(self.tasks_)] * len(self.tasks_)
        unknown = [t for t in tw if t not in self.tasks_]
        if unknown:
            raise KeyError(f"task_weights: unknown task(s) {unknown}; tasks are {self.tasks_}")
        lam = [float(tw.get(t, 0.0)) for t in self.tasks_]
        if any(v < 0 for v in lam) or not np.isclose(sum(lam), 1.0):
            raise ValueError(f"task_weights must be non-negative and sum to 1 (Eq 11); got {dict(tw)}")
        return lam

    def _loss_class_weights(self, y: pd.DataFrame) -> dict[str, NDArray]:
        """Class weights ``w_k`` per task as they enter the loss (all 1 = Eq 9)."""
        out = {}
        for t in self.tasks_:
            lab, k = _labels_array(y, t), self.n_classes_[t]
            use = self.class_weight is not None and (
                self.weighted_tasks == "all" or is_imbalanced(lab, self.imbalance_ratio))
            if not use:
                w = np.ones(k)
            elif self.class_weight == "paper":
                w = paper_class_weights(lab, k)
            else:
                counts = self.class_counts_[t].astype(float)
                w = np.where(counts > 0, counts.sum() / (np.count_nonzero(counts) * np.maximum(counts, 1)), 0.0)
            out[t] = w
        return out

    def _targets(self, y: pd.DataFrame) -> torch.Tensor:
        arr = np.stack([_labels_array(y, t) for t in self.tasks_], axis=1)
        return torch.from_numpy(np.where(np.isnan(arr), -1, arr).astype(np.int64))

    # ------------------------------------------------------------------ fit
    def fit(self, X: pd.DataFrame, y: pd.DataFrame, X_val: pd.DataFrame | None = None,
            y_val: pd.DataFrame | None = None) -> NeuralMultiTask:
        """Train with mini-batch Adam and early stopping on the validation rows.

        Parameters
        ----------
        X, y : DataFrame
            Training features and labels (one column per task).
        X_val, y_val : DataFrame, optional
            Validation rows for early stopping; default: ``validation_fraction``
            of the training rows.

        Returns
        -------
        NeuralMultiTask
        """
        self._check_params()
        self._start_fit(X, y)
        if X_val is None or y_val is None:
            tr, va = _internal_split(len(X), self.validation_fraction, self.seed)
            X, X_val, y, y_val = X.iloc[tr], X.iloc[va], y.iloc[tr], y.iloc[va]
            self._start_fit(X, y)
        self._check_val(X_val, y_val)
        lam = self._lambdas()
        self.encoder_ = TabularEncoder().fit(X)
        xc, xk = (torch.from_numpy(a) for a in self.encoder_.transform(X))
        vc, vk = (torch.from_numpy(a) for a in self.encoder_.transform(X_val))
        t_tr, t_va = self._targets(y), self._targets(y_val)
        self.class_weights_ = self._loss_class_weights(y)
        ks = [self.n_classes_[t] for t in self.tasks_]
        width = max(ks)
        cw = torch.tensor(np.stack([np.pad(self.class_weights_[t], (0, width - k))
                                    for t, k in zip(self.tasks_, ks, strict=True)]), dtype=torch.float32)
        prior = {t: self.class_counts_[t] * self.class_weights_[t] for t in self.tasks_}
        self.trained_prior_ = {t: p / p.sum() for t, p in prior.items()}
        val_labels = t_va.numpy()
        t0 = time.perf_counter()
        with _threads(self.n_threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.net_ = FMEmbeddingNet(
                xc.shape[1], self.encoder_.cardinalities, len(self.tasks_), ks,
                self.latent_dim, self.units, self.hidden_layers, self.dropout,
                interactions=self.interactions, attention=self.attention,
                attention_rescale=self.attention_rescale, seed=self.seed,
            )
            # Eq 11's alpha ||Theta||^2: Adam's (coupled) weight decay 2 alpha adds exactly its
            # gradient 2 alpha Theta to every parameter's gradient (the history reports the value)
            opt = torch.optim.Adam(self.net_.parameters(), lr=self.lr, weight_decay=2 * self.l2,
                                   fused=True)  # one kernel per step: ~10% faster than foreach
            self.optimizer_ = {k: opt.param_groups[0][k] for k in ("lr", "weight_decay")}
            self.history_, train_seconds = self._train(opt, xc, xk, t_tr, vc, vk, t_va, val_labels,
                                                       cw, lam)
        self.net_.eval()
        key = "val_f1" if self.selection == "f1" else "val_loss"
        best = self.history_[key].idxmax() if self.selection == "f1" else self.history_[key].idxmin()
        self.best_epoch_ = int(self.history_.loc[best, "epoch"])
        self.decision_rules_ = {t: self.history_.loc[best, f"rule_{t}"] for t in self.tasks_}
        self.fit_seconds_ = time.perf_counter() - t0
        self.train_seconds_ = train_seconds  # gradient steps only (no validation passes)
        return self

    def _val_f1(self, logits: torch.Tensor, labels: NDArray) -> tuple[list[float], list[str]]:
        """Validation macro-F1 per task under the decision rule, and the rule used.

        ``"auto"``: of arg-max and prior-corrected, the rule with the better
        macro-F1 among those that recall every class present in the validation
        labels (if neither does, the better one).
        """
        rules = ("argmax", "prior") if self.decision == "auto" else (self.decision,)
        f1s, used = [], []
        for j, t in enumerate(self.tasks_):
            keep = labels[:, j] >= 0
            k, yt = self.n_classes_[t], labels[keep, j]
            proba = torch.softmax(logits[keep, j, :k], 1).numpy()
            pred = {r: self._apply_rule(r, t, proba) for r in rules}
            scores = {r: fast_macro_f1(yt, p, k) for r, p in pred.items()}
            present = np.unique(yt)
            full = [r for r in rules if np.isin(present, yt[pred[r] == yt]).all()]
            best = max(full or rules, key=lambda r: scores[r])
            f1s.append(scores[best])
            used.append(best)
        return f1s, used

    def _train(self, opt, xc, xk, t_tr, vc, vk, t_va, val_labels, cw, lam) -> tuple[pd.DataFrame, float]:
        n = xc.shape[0]
        higher = self.selection == "f1"
        best, best_state, wait, hist, train_seconds = -np.inf, None, 0, [], 0.0
        for epoch in range(self.max_epochs):
            self.net_.train()
            order = torch.randperm(n)
            tot = 0.0
            t_epoch = time.perf_counter()
            for s in range(0, n, self.batch_size):
                b = order[s:s + self.batch_size]
                loss, _ = h2sea_loss(self.net_.stacked_logits(xc[b], xk[b])[0], t_tr[b], cw, lam)
                opt.zero_grad()
                loss.backward()
                opt.step()
                tot += loss.item() * len(b)
            train_seconds += time.perf_counter() - t_epoch
            self.net_.eval()
            with torch.no_grad():
                vlog = self.net_.stacked_logits(vc, vk)[0]
                vloss, vparts = h2sea_loss(vlog, t_va, cw, lam)
                penalty = float(l2_penalty(self.net_, self.l2))
            f1, rules = self._val_f1(vlog, val_labels)
            row = {"epoch": epoch + 1, "train_loss": tot / n + penalty, "l2_penalty": penalty,
                   "val_loss": float(vloss),
                   "val_f1": float(np.mean(f1)),
                   **{f"val_loss_{t}": float(v) for t, v in zip(self.tasks_, vparts, strict=True)},
                   **{f"val_f1_{t}": v for t, v in zip(self.tasks_, f1, strict=True)},
                   **{f"rule_{t}": r for t, r in zip(self.tasks_, rules, strict=True)}}
            hist.append(row)
            score = row["val_f1"] if higher else -row["val_loss"]
            if score > best + 1e-6:
                best, wait = score, 0
                best_state = {k: v.detach().clone() for k, v in self.net_.state_dict().items()}
            else:
                wait += 1
                if wait >= self.patience:
                    break
        if best_state is not None:
            self.net_.load_state_dict(best_state)
        return pd.DataFrame(hist), train_seconds

    # ------------------------------------------------------------------ predict
    def _apply_rule(self, rule: str, task: str, proba: NDArray) -> NDArray:
        if rule == "prior":
            return prior_corrected_decision(proba, self.trained_prior_[task])
        return proba.argmax(axis=1)

    def _decide(self, task: str, proba: NDArray) -> NDArray:
        rule = self.decision_rules_[task] if self.decision == "auto" else self.decision
        return self._apply_rule(rule, task, proba)

    def _inputs(self, X: pd.DataFrame) -> tuple[torch.Tensor, torch.Tensor]:
        xc, xk = self.encoder_.transform(X)
        return torch.from_numpy(xc), torch.from_numpy(xk)

    def predict_proba(self, X: pd.DataFrame) -> dict[str, NDArray]:
        """Softmax probabilities (Eq 8) per task, ``(n, K)``."""
        xc, xk = self._inputs(X)
        with _threads(self.n_threads), torch.no_grad():
            logits = self.net_(xc, xk)
        return {t: torch.softmax(lg[:, : self.n_classes_[t]], 1).numpy().astype(float)
                for t, lg in zip(self.tasks_, logits, strict=True)}

    def attention_weights(self, X: pd.DataFrame) -> dict[str, NDArray]:
        """Mean attention weights ``a^n`` (Eq 6) per task over the rows of ``X``."""
        if not self.attention:
            raise ValueError(f"{self.name} has no attention layer")
        xc, xk = self._inputs(X)
        with torch.no_grad():
            _, atts = self.net_(xc, xk, return_attention=True)
        return {t: a.mean(0).numpy() for t, a in zip(self.tasks_, atts, strict=True)}


class H2SEA(NeuralMultiTask):
    """H2SEA (Sec 4): FM shared embedding + per-task dense and attention layers.

    Parameters
    ----------
    **params
        The hyper-parameters of :class:`NeuralMultiTask` (same names and defaults).

    Examples
    --------
    >>> m = H2SEA()
    >>> m.latent_dim, m.dropout, m.units, m.hidden_layers, m.lr, m.l2, m.class_weight
    (6, 0.3, 32, 3, 0.001, 1e-05, 'paper')
    """

    name = "H2SEA"


class H2SEANA(NeuralMultiTask):
    """H2SEA-NA: H2SEA without the attention layer (ablation, Sec 5.1).

    Parameters
    ----------
    **params
        The hyper-parameters of :class:`NeuralMultiTask` (same names and defaults).

    Examples
    --------
    >>> H2SEANA.attention, H2SEANA.interactions
    (False, True)
    """

    name = "H2SEA-NA"
    attention = False


class ETNA(NeuralMultiTask):
    """ETNA (Kim et al. 2020) with a plain embedding layer: no FM feature interactions.

    Parameters
    ----------
    **params
        The hyper-parameters of :class:`NeuralMultiTask` (same names and defaults).

    Examples
    --------
    >>> ETNA.attention, ETNA.interactions
    (True, False)
    """

    name = "ETNA"
    interactions = False


class LogisticDeg2(MultiTaskEstimator):
    """Degree-2 logistic regression, one multinomial model per task.

    The design matrix (a :class:`~sklearn.compose.ColumnTransformer` fitted on
    the training rows) holds the standardised continuous fields (linear), all
    order-2 products (squares and pairwise products,
    ``PolynomialFeatures(degree=(2, degree))``) of a basis of them, and the
    one-hot categorical fields (linear: products of one-hot columns of zip
    codes and street names would be mostly empty). With at most
    ``max_poly_inputs`` continuous fields the basis is the fields themselves
    (the paper's "all order-2 feature interactions"); with more (the 115 POI
    shares make about 150) it is their first ``max_poly_inputs`` principal
    components, which keeps the fit to seconds instead of 11,000 product
    columns. Categories seen fewer than ``min_frequency`` times in training
    share one "infrequent" column.

    Parameters
    ----------
    C : float
        Inverse L2 strength of :class:`~sklearn.linear_model.LogisticRegression`.
    degree : int
        2 = order-2 products (the paper's "2-degree LR"); 1 = linear only.
    max_iter : int
    class_weight : "balanced" or None
    max_poly_inputs : int
    min_frequency : int
    seed : int

    Examples
    --------
    >>> X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    >>> m = LogisticDeg2().fit(X, pd.DataFrame({"t": [0, 1, 1, 0]}))
    >>> list(m.design_.get_feature_names_out())
    ['linear__a', 'linear__b', 'order2__a^2', 'order2__a b', 'order2__b^2']
    """

    name = "LR"

    def __init__(self, C: float = 0.1, degree: int = 2, max_iter: int = 100,
                 class_weight: str | None = "balanced", max_poly_inputs: int = 30,
                 min_frequency: int = 10, seed: int = 0):
        self.C = C
        self.degree = degree
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.max_poly_inputs = max_poly_inputs
        self.min_frequency = min_frequency
        self.seed = seed

    def _design_transformer(self, cont: list[str], cat: list[str]) -> ColumnTransformer:
        parts = []
        if cont:
            parts.append(("linear", _scaled_clipped(5.0), cont))
            if self.degree >= 2:
                steps = [_scaled_clipped(5.0)]
                if len(cont) > self.max_poly_inputs:
                    steps.append(PCA(n_components=self.max_poly_inputs, random_state=self.seed))
                steps += [StandardScaler(), PolynomialFeatures(degree=(2, self.degree), include_bias=False)]
                parts.append(("order2", make_pipeline(*steps), cont))
        if cat:
            parts.append(("onehot", make_pipeline(
                FunctionTransformer(_as_str, feature_names_out="one-to-one"),
                OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=self.min_frequency,
                              sparse_output=False)), cat))
        return ColumnTransformer(parts, sparse_threshold=0.0, verbose_feature_names_out=True)

    def _design(self, X: pd.DataFrame) -> NDArray:
        # float32: lbfgs is memory-bound on this dense design, and float32 halves the traffic
        return np.ascontiguousarray(self.design_.transform(X[self.encoder_.columns_]), dtype=np.float32)

    def fit(self, X: pd.DataFrame, y: pd.DataFrame, X_val: pd.DataFrame | None = None,
            y_val: pd.DataFrame | None = None) -> LogisticDeg2:
        """Fit the design matrix and one logistic regression per task (``X_val`` unused).

        Parameters
        ----------
        X, y : DataFrame
        X_val, y_val : ignored (no early stopping)

        Returns
        -------
        LogisticDeg2
        """
        if self.degree not in (1, 2):
            raise ValueError(f"degree must be 1 or 2; got {self.degree!r}")
        if not (isinstance(self.C, (int, float)) and self.C > 0):
            raise ValueError(f"C must be a positive number; got {self.C!r}")
        _check_positive_int(max_iter=self.max_iter, max_poly_inputs=self.max_poly_inputs,
                            min_frequency=self.min_frequency)
        if self.class_weight not in ("balanced", None):
            raise ValueError(f"class_weight must be 'balanced' or None; got {self.class_weight!r}")
        self._start_fit(X, y)
        self.encoder_ = TabularEncoder().fit(X)  # checks NaN, dtypes and remembers the columns
        with threadpool_limits(1):  # BLAS threads only contend on a small shared machine
            self.design_ = self._design_transformer(self.encoder_.continuous_,
                                                    self.encoder_.categorical_).fit(X)
            Z = self._design(X)
            self.models_ = {}
            for t in self.tasks_:
                lab = _labels_array(y, t)
                keep = ~np.isnan(lab)
                clf = LogisticRegression(C=self.C, max_iter=self.max_iter, class_weight=self.class_weight)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    clf.fit(Z[keep], lab[keep].astype(int))
                self.models_[t] = clf
        return self

    def predict_proba(self, X: pd.DataFrame) -> dict[str, NDArray]:
        """Class probabilities per task, ``(n, K)`` (0 for a class absent from training)."""
        _check_frame(X, "X")
        self.encoder_.check_columns(X)
        with threadpool_limits(1):
            Z = self._design(X)
            out = {}
            for t, clf in self.models_.items():
                p = np.zeros((Z.shape[0], self.n_classes_[t]))
                p[:, clf.classes_] = clf.predict_proba(Z)
                out[t] = p
        return out


class XGBoostModel(MultiTaskEstimator):
    """XGBoost, one classifier per task (``multi:softprob``, or logistic for two classes).

    Class weights are "balanced" sample weights; early stopping watches the
    validation split only (``X_val``/``y_val``; if not given, an internal
    ``validation_fraction`` of the training rows). Categorical fields are fed
    as integer codes of the training categories.

    Parameters
    ----------
    max_depth, learning_rate, n_estimators, early_stopping_rounds, subsample, colsample_bytree
        Passed to :class:`xgboost.XGBClassifier`.
    class_weight : "balanced" or None
    validation_fraction : float
    n_jobs : int
    seed : int

    Examples
    --------
    >>> XGBoostModel(max_depth=3).get_params()["max_depth"]
    3
    """

    name = "XGBoost"

    def __init__(self, max_depth: int = 4, learning_rate: float = 0.1, n_estimators: int = 300,
                 early_stopping_rounds: int = 20, subsample: float = 0.8,
                 colsample_bytree: float = 0.5, class_weight: str | None = "balanced",
                 validation_fraction: float = 0.125, n_jobs: int = 1, seed: int = 0):
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.n_estimators = n_estimators
        self.early_stopping_rounds = early_stopping_rounds
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.n_jobs = n_jobs
        self.seed = seed

    def _matrix(self, X: pd.DataFrame) -> NDArray:
        xc, xk = self.encoder_.transform(X)
        return np.hstack([xc, xk.astype(np.float32)])

    def fit(self, X: pd.DataFrame, y: pd.DataFrame, X_val: pd.DataFrame | None = None,
            y_val: pd.DataFrame | None = None) -> XGBoostModel:
        """Fit one booster per task, early-stopped on the validation rows.

        Parameters
        ----------
        X, y : DataFrame
        X_val, y_val : DataFrame, optional

        Returns
        -------
        XGBoostModel
        """
        from xgboost import XGBClassifier  # optional heavy dependency, imported when used

        _check_positive_int(max_depth=self.max_depth, n_estimators=self.n_estimators,
                            early_stopping_rounds=self.early_stopping_rounds, n_jobs=self.n_jobs)
        if self.class_weight not in ("balanced", None):
            raise ValueError(f"class_weight must be 'balanced' or None; got {self.class_weight!r}")
        self._start_fit(X, y)
        if X_val is None or y_val is None:
            tr, va = _internal_split(len(X), self.validation_fraction, self.seed)
            X, X_val, y, y_val = X.iloc[tr], X.iloc[va], y.iloc[tr], y.iloc[va]
            self._start_fit(X, y)
        self._check_val(X_val, y_val)
        self.encoder_ = TabularEncoder().fit(X)
        Z, Zv = self._matrix(X), self._matrix(X_val)
        self.models_, self.labels_, self.best_iteration_ = {}, {}, {}
        for t in self.tasks_:
            lab, labv = _labels_array(y, t), _labels_array(y_val, t)
            k, kv = ~np.isnan(lab), ~np.isnan(labv)
            enc = LabelEncoder().fit(lab[k].astype(int))
            if len(enc.classes_) < 2:
                raise ValueError(f"y: task {t!r} has a single observed class in the training rows")
            yt = enc.transform(lab[k].astype(int))
            kv &= np.isin(labv, enc.classes_)  # a class unseen in training cannot be scored
            yv = enc.transform(labv[kv].astype(int))
            sw = compute_sample_weight("balanced", yt) if self.class_weight == "balanced" else None
            clf = XGBClassifier(
                max_depth=self.max_depth, learning_rate=self.learning_rate,
                n_estimators=self.n_estimators, early_stopping_rounds=self.early_stopping_rounds,
                subsample=self.subsample, colsample_bytree=self.colsample_bytree, tree_method="hist",
                max_bin=64, n_jobs=self.n_jobs, random_state=self.seed,
                eval_metric="mlogloss" if len(enc.classes_) > 2 else "logloss",
            )
            clf.fit(Z[k], yt, sample_weight=sw, eval_set=[(Zv[kv], yv)], verbose=False)
            self.models_[t], self.labels_[t] = clf, enc.classes_
            self.best_iteration_[t] = int(getattr(clf, "best_iteration", self.n_estimators))
        return self

    def predict_proba(self, X: pd.DataFrame) -> dict[str, NDArray]:
        """Class probabilities per task, ``(n, K)`` (0 for a class absent from training)."""
        Z = self._matrix(X)
        out = {}
        for t, clf in self.models_.items():
            p = np.zeros((len(Z), self.n_classes_[t]))
            p[:, self.labels_[t]] = clf.predict_proba(Z)
            out[t] = p
        return out


_REGISTRY = {
    "POP": POP,
    "LR": LogisticDeg2,
    "XGBoost": XGBoostModel,
    "ETNA": ETNA,
    "H2SEA-NA": H2SEANA,
    "H2SEA": H2SEA,
}


def make_model(method: str, **params: Any) -> MultiTaskEstimator:
    """Build a model by its Table 3 name (``METHODS``) with keyword parameters.

    Parameters
    ----------
    method : str
        One of ``METHODS``.
    **params
        Constructor parameters of that model.

    Returns
    -------
    MultiTaskEstimator

    Examples
    --------
    >>> type(make_model("H2SEA", dropout=0.2)).__name__
    'H2SEA'
    >>> make_model("SVM")
    Traceback (most recent call last):
    ...
    KeyError: "unknown method 'SVM'; known: ['POP', 'LR', 'XGBoost', 'ETNA', 'H2SEA-NA', 'H2SEA']"
    """
    if method not in _REGISTRY:
        raise KeyError(f"unknown method {method!r}; known: {list(_REGISTRY)}")
    return _REGISTRY[method](**params)
