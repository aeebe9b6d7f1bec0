"""H2SEA and its baselines (Ding et al. 2021, Sec 4 and 5.1), one fit / predict API.

Every model is multi-output: ``fit(X, y, X_val, y_val)`` takes a feature frame
``X`` (float columns = continuous fields, ``category`` columns = categorical
fields) and a label frame ``y`` with one ``Int64`` column per task (class codes
0 = low, 1 = middle, 2 = high, ``<NA>`` = no answer); ``predict_proba(X)``
returns ``{task: array (n, n_classes)}``. Missing labels of a task are left out
of that task's loss and fit (they are counted in ``n_labels_``).

Methods (names as in the paper's Table 3):

* ``H2SEA`` (Sec 4): an FM-based shared embedding (Eq 3: a first-order term
  plus the pairwise inner products of the fields' latent vectors), per task
  dense ReLU layers (Eq 4), an attention layer (Eq 5-7) and a softmax output
  (Eq 8), trained on the weighted cross-entropy of Eq 10 summed with task
  weights ``lambda_n`` (Eq 11) plus an L2 penalty, with dropout and Adam.
* ``H2SEA-NA``: H2SEA without the attention layer.
* ``ETNA`` (Kim et al.): the same shared field embedding and per-task
  transformation and attention, but no feature interactions (no FM terms).
* ``LR``: degree-2 logistic regression (continuous fields and all their
  order-2 products; categorical fields one-hot, linear), one per task.
* ``XGBoost``: multi-class gradient boosting, one per task, class-weighted,
  early-stopped on the validation split only.
* ``POP``: the majority class of the training labels.

How the paper's equations are read (the text leaves some shapes open):

* The shared embedding ``e_fm`` is the concatenation of (i) the first-order
  units ``w_i x_i`` (one per field), (ii) the bi-interaction vector
  ``0.5 ((sum_i V_i x_i)^2 - sum_i (V_i x_i)^2)`` whose coordinates sum to the
  pairwise term of Eq 3, ``sum_{i<j} <V_i, V_j> x_i x_j``, and (iii) the field
  embeddings ``V_i x_i`` themselves ("we use the latent feature vectors in FM
  as embedding network weights"). ETNA keeps only (iii).
* Eq 7 writes ``u^n = sum_i a_i d_i``, a scalar, which cannot feed a 3-class
  softmax; we read it as the attention-weighted vector ``u^n = a^n * d^n``
  followed by a linear layer to the classes.
* Eq 10's printed weight ``sum_k sqrt(M_n^k) / sqrt(M_n)`` does not depend on
  the class; we read the denominator as the class count: ``w_k = sum_k'
  sqrt(M_n^k') / sqrt(M_n^k)`` (inverse square-root frequency). For balanced
  classes every weight is ``C_n`` and Eq 10 is ``C_n`` times Eq 9.

Examples
--------
>>> import numpy as np, pandas as pd
>>> X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
>>> y = pd.DataFrame({"t": pd.array([0, 0, 1, pd.NA], dtype="Int64")})
>>> m = make_model("POP").fit(X, y)
>>> m.predict_proba(X)["t"][0].tolist()
[1.0, 0.0, 0.0]
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
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures
from threadpoolctl import threadpool_limits
from torch import nn

__all__ = [
    "N_CLASSES",
    "METHODS",
    "validate_labels",
    "TabularEncoder",
    "paper_class_weights",
    "h2sea_loss",
    "FMEmbeddingNet",
    "POP",
    "NeuralMultiTask",
    "H2SEA",
    "H2SEANA",
    "ETNA",
    "LogisticDeg2",
    "XGBoostModel",
    "make_model",
]

N_CLASSES = 3
METHODS = ("POP", "LR", "XGBoost", "ETNA", "H2SEA-NA", "H2SEA")


# --------------------------------------------------------------------------- input checks
def _is_categorical(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object or pd.api.types.is_string_dtype(s.dtype)


def validate_labels(y: pd.DataFrame, n_classes: int = N_CLASSES, *, what: str = "y") -> None:
    """Check a label frame: integer classes in ``0..n_classes-1`` or missing,
    every task with at least two observed classes.

    >>> validate_labels(pd.DataFrame({"t": pd.array([0, 1, pd.NA], dtype="Int64")}))
    >>> validate_labels(pd.DataFrame({"t": pd.array([1, 1, pd.NA], dtype="Int64")}))
    Traceback (most recent call last):
    ...
    ValueError: y: task 't' has a single observed class [1]; cannot fit a classifier
    """
    if not isinstance(y, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame of task labels; got {type(y).__name__}")
    if y.shape[1] == 0:
        raise ValueError(f"{what}: no task columns")
    for task in y.columns:
        obs = pd.to_numeric(y[task], errors="coerce")
        bad = y[task].notna() & obs.isna()
        if bad.any():
            raise ValueError(f"{what}: task {task!r} has non-numeric label(s) {y[task][bad].unique()[:5].tolist()}")
        vals = obs.dropna()
        if vals.empty:
            raise ValueError(f"{what}: task {task!r} has no observed label (all missing)")
        out = vals[(vals < 0) | (vals >= n_classes) | (vals != vals.round())]
        if not out.empty:
            raise ValueError(f"{what}: task {task!r} has label(s) {sorted(out.unique().tolist())[:5]} outside 0..{n_classes - 1}")
        classes = sorted(int(v) for v in vals.unique())
        if len(classes) < 2:
            raise ValueError(f"{what}: task {task!r} has a single observed class {classes}; cannot fit a classifier")


def _labels_array(y: pd.DataFrame, task: str) -> NDArray:
    """Labels of one task as float array with NaN for missing."""
    return pd.to_numeric(y[task], errors="coerce").astype(float).to_numpy()


class TabularEncoder:
    """Turn a feature frame into model inputs, fitted on the training rows.

    Continuous columns (numeric dtypes) are standardised with the training mean
    and standard deviation and clipped to +-``clip``; categorical columns
    (``category``/``object`` dtype) become integer codes ``1..K`` from the
    training categories, 0 for a category unseen in training. NaN in any column,
    or a different set of columns at transform time, raises an error naming
    the column(s).

    >>> X = pd.DataFrame({"p": [1.0, 3.0], "city": pd.Categorical(["a", "b"])})
    >>> enc = TabularEncoder().fit(X)
    >>> xc, xk = enc.transform(pd.DataFrame({"p": [2.0], "city": pd.Categorical(["z"])}))
    >>> xc.tolist(), xk.tolist()
    ([[0.0]], [[0]])
    """

    def __init__(self, clip: float = 5.0):
        self.clip = clip

    @staticmethod
    def _check_frame(X: pd.DataFrame, what: str) -> None:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"{what} must be a pandas DataFrame; got {type(X).__name__}")
        dup = X.columns[X.columns.duplicated()].tolist()
        if dup:
            raise ValueError(f"{what}: duplicated feature column(s) {dup}")
        nan_cols = X.columns[X.isna().any()].tolist()
        if nan_cols:
            counts = {c: int(X[c].isna().sum()) for c in nan_cols[:5]}
            raise ValueError(f"{what}: NaN in feature column(s) {nan_cols[:5]} (counts {counts})")

    def fit(self, X: pd.DataFrame) -> TabularEncoder:
        self._check_frame(X, "X")
        if X.shape[0] == 0:
            raise ValueError("X: no rows")
        self.columns_ = list(X.columns)
        self.categorical_ = [c for c in X.columns if _is_categorical(X[c])]
        self.continuous_ = [c for c in X.columns if c not in self.categorical_]
        for c in self.continuous_:
            if not pd.api.types.is_numeric_dtype(X[c]):
                raise TypeError(f"X: column {c!r} has dtype {X[c].dtype}; expected numeric or category")
        xc = X[self.continuous_].to_numpy(dtype=float)
        self.mean_ = xc.mean(axis=0) if len(self.continuous_) else np.zeros(0)
        std = xc.std(axis=0) if len(self.continuous_) else np.zeros(0)
        self.std_ = np.where(std > 0, std, 1.0)
        self.categories_ = {c: pd.Index(pd.unique(X[c].astype(str))) for c in self.categorical_}
        return self

    @property
    def cardinalities(self) -> list[int]:
        """Number of codes per categorical field (training categories + 1 for unseen)."""
        return [len(self.categories_[c]) + 1 for c in self.categorical_]

    def check_columns(self, X: pd.DataFrame) -> None:
        """Raise ``ValueError`` naming missing or unexpected columns."""
        missing = [c for c in self.columns_ if c not in X.columns]
        extra = [c for c in X.columns if c not in self.columns_]
        if missing or extra:
            raise ValueError(
                f"feature columns differ from fit: missing {missing[:10]}, unexpected {extra[:10]}"
            )

    def transform(self, X: pd.DataFrame) -> tuple[NDArray, NDArray]:
        """Return ``(continuous float32 (n, Fc), categorical int64 (n, Fk))``."""
        self._check_frame(X, "X")
        self.check_columns(X)
        xc = (X[self.continuous_].to_numpy(dtype=float) - self.mean_) / self.std_
        xc = np.clip(xc, -self.clip, self.clip).astype(np.float32)
        xk = np.zeros((len(X), len(self.categorical_)), dtype=np.int64)
        for j, c in enumerate(self.categorical_):
            xk[:, j] = self.categories_[c].get_indexer(X[c].astype(str)) + 1
        return xc, xk


# --------------------------------------------------------------------------- loss (Eq 9-11)
def paper_class_weights(labels: Sequence[float] | NDArray, n_classes: int = N_CLASSES) -> NDArray:
    """Class weights of Eq 10: ``w_k = sum_k' sqrt(M^k') / sqrt(M^k)``.

    ``M^k`` counts the observed labels of class ``k`` (NaN = missing is
    ignored); an absent class gets weight 0 (it has no term in the loss).

    >>> paper_class_weights([0, 0, 0, 0, 1, np.nan]).tolist()  # (2 + 1) / 2, (2 + 1) / 1
    [1.5, 3.0, 0.0]
    """
    y = np.asarray(labels, dtype=float)
    y = y[~np.isnan(y)].astype(int)
    counts = np.bincount(y, minlength=n_classes).astype(float)
    total = np.sqrt(counts).sum()
    with np.errstate(divide="ignore"):
        w = np.where(counts > 0, total / np.sqrt(np.maximum(counts, 1)), 0.0)
    return w


def h2sea_loss(
    logits: Sequence[torch.Tensor] | torch.Tensor,
    targets: torch.Tensor,
    class_weights: Sequence[torch.Tensor] | torch.Tensor | None,
    task_weights: Sequence[float],
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Total loss of Eq 11 without the L2 term: ``sum_n lambda_n L_n``.

    ``L_n`` is Eq 10 (Eq 9 when ``class_weights`` is None):
    ``-(1/M_n) sum_j w_{y_j} log p_{j, y_j}`` over the rows whose label of task
    ``n`` is observed (``targets[:, n] >= 0``; -1 marks a missing label). A task
    with no observed label in the batch contributes 0. ``logits`` is a list of
    ``(batch, classes)`` tensors, one per task, or one ``(batch, tasks, classes)`` tensor.

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


# --------------------------------------------------------------------------- network
class FMEmbeddingNet(nn.Module):
    """Shared FM embedding (Eq 3) + per-task dense, attention and softmax layers.

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
    n_tasks, n_classes : int
    latent_dim : int
        ``d`` of Eq 3 (paper: 6).
    units, hidden_layers : int
        Width and depth of each task's dense ReLU layers (Eq 4; paper: 32, 3).
    dropout : float
    interactions : bool
        Include the FM first-order and pairwise units (False = ETNA).
    attention : bool
        Apply Eq 5-7 (False = H2SEA-NA).
    """

    def __init__(
        self,
        n_continuous: int,
        cardinalities: Sequence[int],
        n_tasks: int,
        n_classes: int = N_CLASSES,
        latent_dim: int = 6,
        units: int = 32,
        hidden_layers: int = 3,
        dropout: float = 0.3,
        interactions: bool = True,
        attention: bool = True,
    ):
        super().__init__()
        d = latent_dim
        self.interactions = interactions
        self.attention = attention
        self.n_tasks, self.units = n_tasks, units
        self.n_fields = n_continuous + len(cardinalities)
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
        self.first = nn.Linear(shared, n_tasks * units)  # Eq 4, every task at once
        self.drop = nn.Dropout(dropout)

        def stacked(n_in: int, n_out: int, lead: tuple = ()) -> tuple[nn.Parameter, nn.Parameter]:
            bound = 1 / np.sqrt(n_in)  # nn.Linear's default initialisation
            w = nn.Parameter(torch.empty(*lead, n_tasks, n_in, n_out).uniform_(-bound, bound))
            b = nn.Parameter(torch.empty(*lead, n_tasks, n_out).uniform_(-bound, bound))
            return w, b

        self.w_hidden, self.b_hidden = stacked(units, units, (max(hidden_layers - 1, 0),))
        self.w_att, self.b_att = stacked(units, units) if attention else (None, None)
        self.w_out, self.b_out = stacked(units, n_classes)

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

    def first_layer(self, xc: torch.Tensor, xk: torch.Tensor) -> torch.Tensor:
        """``self.first(shared_embedding(xc, xk))``, computed without materialising it.

        The continuous fields enter ``e_fm`` as ``x_i V_i`` (``d`` columns each) and as
        first-order units ``w_i x_i``; both are linear in ``x_i``, so their product with
        the first dense layer folds into one ``(n_continuous, out)`` matrix and the
        batch only meets ``xc @ M``. The pairwise units use ``sum_i x_i V_i = xc @ V``
        and ``sum_i x_i^2 V_i^2 = xc^2 @ V^2``. Same function and gradients, with a
        first layer about ``d`` times narrower for the continuous fields.
        """
        d = self.v_cont.shape[1]
        n_c = self.v_cont.shape[0]
        n_k = self.n_fields - n_c
        w = self.first.weight  # (out, shared)
        w_cont = w[:, : n_c * d].reshape(w.shape[0], n_c, d)  # (out, n_c, d)
        m = torch.einsum("ik,oik->io", self.v_cont, w_cont)  # (n_c, out)
        out = self.first.bias
        if n_k:
            emb = self.emb(xk + self.offsets)  # (batch, n_k, d)
            out = out + emb.flatten(1) @ w[:, n_c * d : self.n_fields * d].T
        if self.interactions:
            base = self.n_fields * d
            m = m + self.w_cont.unsqueeze(1) * w[:, base : base + n_c].T
            s = xc @ self.v_cont
            sq = (xc * xc) @ (self.v_cont * self.v_cont)
            if n_k:
                out = out + self.w_cat(xk + self.offsets).squeeze(2) @ w[:, base + n_c : base + self.n_fields].T
                s = s + emb.sum(1)
                sq = sq + emb.pow(2).sum(1)
            out = out + (0.5 * (s * s - sq)) @ w[:, base + self.n_fields :].T
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
        d = self.drop(torch.relu(self.first_layer(xc, xk)).view(-1, self.n_tasks, self.units))  # Eq 4
        for w, b in zip(self.w_hidden, self.b_hidden, strict=True):
            d = self.drop(torch.relu(torch.einsum("btu,tuv->btv", d, w) + b))
        a = None
        if self.attention:
            a = torch.softmax(torch.relu(torch.einsum("btu,tuv->btv", d, self.w_att) + self.b_att),
                              dim=2)  # Eq 5-6
            u = a * d * self.units  # Eq 7 read as a weighted vector (x width keeps the scale)
        else:
            u = d
        return torch.einsum("btu,tuc->btc", u, self.w_out) + self.b_out, a  # Eq 8 before softmax


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


class _Base:
    """Common API: ``fit(X, y, X_val=None, y_val=None)``, ``predict_proba``, ``predict``."""

    name = "base"

    def _check_fit_inputs(self, X: pd.DataFrame, y: pd.DataFrame) -> None:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame; got {type(X).__name__}")
        validate_labels(y)
        if len(X) != len(y) or not X.index.equals(y.index):
            raise ValueError(f"X and y must share the same index; got {len(X)} and {len(y)} rows")
        self.tasks_ = list(y.columns)
        self.n_labels_ = {t: int(y[t].notna().sum()) for t in self.tasks_}

    def predict(self, X: pd.DataFrame) -> dict[str, NDArray]:
        """Arg-max class per task."""
        return {t: p.argmax(axis=1) for t, p in self.predict_proba(X).items()}

    def get_params(self) -> dict[str, Any]:
        return dict(self.params)


class POP(_Base):
    """Majority class of each task's observed training labels (probability 1)."""

    name = "POP"

    def __init__(self, n_classes: int = N_CLASSES):
        self.params = {"n_classes": n_classes}

    def fit(self, X, y, X_val=None, y_val=None) -> POP:
        self._check_fit_inputs(X, y)
        self.encoder_ = TabularEncoder().fit(X)
        self.majority_ = {}
        for t in self.tasks_:
            lab = _labels_array(y, t)
            lab = lab[~np.isnan(lab)].astype(int)
            self.majority_[t] = int(np.bincount(lab, minlength=self.params["n_classes"]).argmax())
        return self

    def predict_proba(self, X: pd.DataFrame) -> dict[str, NDArray]:
        self.encoder_.check_columns(X)
        k = self.params["n_classes"]
        return {t: np.tile(np.eye(k)[m], (len(X), 1)) for t, m in self.majority_.items()}


def _internal_split(y: pd.DataFrame, fraction: float, seed: int) -> tuple[NDArray, NDArray]:
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(y))
    n_val = max(1, int(round(fraction * len(y))))
    return np.sort(idx[n_val:]), np.sort(idx[:n_val])


class NeuralMultiTask(_Base):
    """Torch multi-task network shared by H2SEA, H2SEA-NA and ETNA.

    Defaults are the paper's (Sec 5.1).

    Parameters
    ----------
    latent_dim=6, dropout=0.3, units=32, hidden_layers=3, lr=0.001, l2=1e-5
        As in the paper; ``l2`` is ``alpha`` of Eq 11 (times the squared norm).
    task_weights : mapping task -> lambda_n, optional
        Must sum to 1 (Eq 11); default uniform.
    class_weight : "paper" or None
        Eq 10 weights (every task; balanced tasks get equal weights) or Eq 9.
    batch_size=256, max_epochs=60, patience=6
        Mini-batch Adam with early stopping on the validation loss (best epoch kept).
    n_threads : int or None
        Torch intra-op threads while fitting / predicting (restored afterwards);
        1 is fastest for a network this small on a shared machine.
    seed : int
        Seeds initialisation, batch order and dropout (global torch RNG restored after).
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
        batch_size: int = 256,
        max_epochs: int = 60,
        patience: int = 6,
        validation_fraction: float = 0.125,
        n_threads: int | None = 1,
        seed: int = 0,
    ):
        if class_weight not in ("paper", None):
            raise ValueError(f"class_weight must be 'paper' or None; got {class_weight!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1); got {dropout}")
        for nm, v in (("latent_dim", latent_dim), ("units", units), ("hidden_layers", hidden_layers),
                      ("batch_size", batch_size), ("max_epochs", max_epochs)):
            if int(v) != v or v < 1:
                raise ValueError(f"{nm} must be a positive integer; got {v!r}")
        self.params = dict(
            latent_dim=latent_dim, dropout=dropout, units=units, hidden_layers=hidden_layers,
            lr=lr, l2=l2, task_weights=dict(task_weights) if task_weights else None,
            class_weight=class_weight, batch_size=batch_size, max_epochs=max_epochs,
            patience=patience, validation_fraction=validation_fraction, n_threads=n_threads,
            seed=seed,
        )

    def _lambdas(self) -> list[float]:
        tw = self.params["task_weights"]
        if tw is None:
            return [1.0 / len(self.tasks_)] * len(self.tasks_)
        unknown = [t for t in tw if t not in self.tasks_]
        if unknown:
            raise KeyError(f"task_weights: unknown task(s) {unknown}; tasks are {self.tasks_}")
        lam = [float(tw.get(t, 0.0)) for t in self.tasks_]
        if any(v < 0 for v in lam) or not np.isclose(sum(lam), 1.0):
            raise ValueError(f"task_weights must be non-negative and sum to 1 (Eq 11); got {tw}")
        return lam

    def _targets(self, y: pd.DataFrame) -> torch.Tensor:
        arr = np.stack([_labels_array(y, t) for t in self.tasks_], axis=1)
        return torch.from_numpy(np.where(np.isnan(arr), -1, arr).astype(np.int64))

    def fit(self, X, y, X_val=None, y_val=None) -> NeuralMultiTask:
        self._check_fit_inputs(X, y)
        p = self.params
        if X_val is None or y_val is None:
            tr, va = _internal_split(y, p["validation_fraction"], p["seed"])
            X, X_val, y, y_val = X.iloc[tr], X.iloc[va], y.iloc[tr], y.iloc[va]
            validate_labels(y)
        else:
            if list(y_val.columns) != self.tasks_:
                raise ValueError(f"y_val tasks {list(y_val.columns)} differ from y tasks {self.tasks_}")
        lam = self._lambdas()
        self.encoder_ = TabularEncoder().fit(X)
        xc, xk = (torch.from_numpy(a) for a in self.encoder_.transform(X))
        vc, vk = (torch.from_numpy(a) for a in self.encoder_.transform(X_val))
        t_tr, t_va = self._targets(y), self._targets(y_val)
        if p["class_weight"] == "paper":
            self.class_weights_ = {t: paper_class_weights(_labels_array(y, t)) for t in self.tasks_}
            cw = torch.tensor(np.stack([self.class_weights_[t] for t in self.tasks_]),
                              dtype=torch.float32)
        else:
            self.class_weights_ = None
            cw = None
        t0 = time.perf_counter()
        with _threads(p["n_threads"]), torch.random.fork_rng(devices=[]):
            torch.manual_seed(p["seed"])
            self.net_ = FMEmbeddingNet(
                xc.shape[1], self.encoder_.cardinalities, len(self.tasks_), N_CLASSES,
                p["latent_dim"], p["units"], p["hidden_layers"], p["dropout"],
                interactions=self.interactions, attention=self.attention,
            )
            # Adam's (coupled) weight decay 2*alpha is exactly the gradient of alpha ||Theta||^2
            opt = torch.optim.Adam(self.net_.parameters(), lr=p["lr"], weight_decay=2 * p["l2"])
            n = xc.shape[0]
            best, best_state, wait, hist = np.inf, None, 0, []
            train_seconds = 0.0
            for epoch in range(p["max_epochs"]):
                self.net_.train()
                order = torch.randperm(n)
                tot = 0.0
                t_epoch = time.perf_counter()
                for s in range(0, n, p["batch_size"]):
                    b = order[s:s + p["batch_size"]]
                    loss, _ = h2sea_loss(self.net_.stacked_logits(xc[b], xk[b])[0], t_tr[b], cw, lam)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    tot += loss.item() * len(b)
                train_seconds += time.perf_counter() - t_epoch
                self.net_.eval()
                with torch.no_grad():
                    vloss, vparts = h2sea_loss(self.net_.stacked_logits(vc, vk)[0], t_va, cw, lam)
                hist.append({"epoch": epoch + 1, "train_loss": tot / n, "val_loss": float(vloss),
                             **{f"val_loss_{t}": float(v) for t, v in zip(self.tasks_, vparts, strict=True)}})
                if float(vloss) < best - 1e-5:
                    best, wait = float(vloss), 0
                    best_state = {k: v.detach().clone() for k, v in self.net_.state_dict().items()}
                else:
                    wait += 1
                    if wait >= p["patience"]:
                        break
            if best_state is not None:
                self.net_.load_state_dict(best_state)
        self.net_.eval()
        self.history_ = pd.DataFrame(hist)
        self.best_epoch_ = int(self.history_["val_loss"].idxmin()) + 1
        self.fit_seconds_ = time.perf_counter() - t0
        self.train_seconds_ = train_seconds  # gradient steps only (no validation passes)
        return self

    def _inputs(self, X: pd.DataFrame) -> tuple[torch.Tensor, torch.Tensor]:
        xc, xk = self.encoder_.transform(X)
        return torch.from_numpy(xc), torch.from_numpy(xk)

    def predict_proba(self, X: pd.DataFrame) -> dict[str, NDArray]:
        xc, xk = self._inputs(X)
        with _threads(self.params["n_threads"]), torch.no_grad():
            logits = self.net_(xc, xk)
        return {t: torch.softmax(lg, 1).numpy().astype(float) for t, lg in zip(self.tasks_, logits, strict=True)}

    def attention_weights(self, X: pd.DataFrame) -> dict[str, NDArray]:
        """Mean attention weights ``a^n`` (Eq 6) per task over the rows of ``X``."""
        if not self.attention:
            raise ValueError(f"{self.name} has no attention layer")
        xc, xk = self._inputs(X)
        with torch.no_grad():
            _, atts = self.net_(xc, xk, return_attention=True)
        return {t: a.mean(0).numpy() for t, a in zip(self.tasks_, atts, strict=True)}


class H2SEA(NeuralMultiTask):
    """H2SEA (Sec 4): FM shared embedding + per-task dense and attention layers."""

    name = "H2SEA"


class H2SEANA(NeuralMultiTask):
    """H2SEA-NA: H2SEA without the attention layer (ablation, Sec 5.1)."""

    name = "H2SEA-NA"
    attention = False


class ETNA(NeuralMultiTask):
    """ETNA (Kim et al. 2020) with a plain embedding layer: no FM feature interactions."""

    name = "ETNA"
    interactions = False


class LogisticDeg2(_Base):
    """Degree-2 logistic regression, one multinomial model per task.

    The design matrix holds the standardised continuous fields (linear), all
    order-2 products (squares and pairwise products) of ``poly_basis`` inputs,
    and the one-hot categorical fields (linear: products of one-hot columns of
    zip codes and street names would be mostly empty). With at most
    ``max_poly_inputs`` continuous fields the basis is the fields themselves
    (the paper's "all order-2 feature interactions"); with more (the 115 POI
    shares make about 150) it is their first ``max_poly_inputs`` principal
    components, fitted on the training rows, which keeps the fit to seconds
    instead of 11,000 product columns. Categories seen fewer than
    ``min_frequency`` times in training share one "infrequent" column. ``C`` is
    the inverse L2 strength.
    """

    name = "LR"

    def __init__(self, C: float = 0.1, max_iter: int = 100, class_weight: str | None = "balanced",
                 max_poly_inputs: int = 30, min_frequency: int = 10, seed: int = 0):
        self.params = {"C": C, "max_iter": max_iter, "class_weight": class_weight,
                       "max_poly_inputs": max_poly_inputs, "min_frequency": min_frequency,
                       "seed": seed}

    def _design(self, X: pd.DataFrame):
        xc, xk = self.encoder_.transform(X)
        parts = [xc]
        if self.poly_ is not None:
            basis = self.pca_.transform(xc) if self.pca_ is not None else xc
            basis = basis / self.basis_scale_
            parts.append(self.poly_.transform(basis)[:, basis.shape[1]:])
        if self.onehot_ is not None:
            parts.append(self.onehot_.transform(xk).toarray())
        return np.hstack(parts).astype(np.float64)

    def fit(self, X, y, X_val=None, y_val=None) -> LogisticDeg2:
        self._check_fit_inputs(X, y)
        with threadpool_limits(1):  # BLAS threads only contend on a small shared machine
            return self._fit(X, y)

    def _fit(self, X: pd.DataFrame, y: pd.DataFrame) -> LogisticDeg2:
        self.encoder_ = TabularEncoder().fit(X)
        xc, xk = self.encoder_.transform(X)
        k = self.params["max_poly_inputs"]
        self.pca_ = self.poly_ = None
        if xc.shape[1]:
            basis = xc
            if xc.shape[1] > k:
                self.pca_ = PCA(n_components=k, random_state=self.params["seed"]).fit(xc)
                basis = self.pca_.transform(xc)
            self.basis_scale_ = np.where(basis.std(0) > 0, basis.std(0), 1.0)
            self.poly_ = PolynomialFeatures(2, include_bias=False).fit(basis)
        self.onehot_ = (OneHotEncoder(handle_unknown="infrequent_if_exist",
                                      min_frequency=self.params["min_frequency"]).fit(xk)
                        if xk.shape[1] else None)
        Z = self._design(X)
        self.models_ = {}
        for t in self.tasks_:
            lab = _labels_array(y, t)
            keep = ~np.isnan(lab)
            clf = LogisticRegression(C=self.params["C"], max_iter=self.params["max_iter"],
                                     class_weight=self.params["class_weight"])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(Z[keep], lab[keep].astype(int))
            self.models_[t] = clf
        return self

    def predict_proba(self, X: pd.DataFrame) -> dict[str, NDArray]:
        Z = self._design(X)
        out = {}
        for t, clf in self.models_.items():
            p = np.zeros((Z.shape[0], N_CLASSES))
            p[:, clf.classes_] = clf.predict_proba(Z)
            out[t] = p
        return out


class XGBoostModel(_Base):
    """XGBoost multi-class (``multi:softprob``), one per task.

    Class weights are "balanced" sample weights; early stopping watches the
    validation split only (``X_val``/``y_val``; if not given, an internal
    ``validation_fraction`` of the training rows). Categorical fields are fed
    as integer codes of the training categories.
    """

    name = "XGBoost"

    def __init__(self, max_depth: int = 4, learning_rate: float = 0.1, n_estimators: int = 300,
                 early_stopping_rounds: int = 20, subsample: float = 0.8,
                 colsample_bytree: float = 0.5, class_weight: str | None = "balanced",
                 validation_fraction: float = 0.125, n_jobs: int = 1, seed: int = 0):
        self.params = dict(max_depth=max_depth, learning_rate=learning_rate,
                           n_estimators=n_estimators, early_stopping_rounds=early_stopping_rounds,
                           subsample=subsample, colsample_bytree=colsample_bytree,
                           class_weight=class_weight, validation_fraction=validation_fraction,
                           n_jobs=n_jobs, seed=seed)

    def _matrix(self, X: pd.DataFrame) -> NDArray:
        xc, xk = self.encoder_.transform(X)
        return np.hstack([xc, xk.astype(np.float32)])

    def fit(self, X, y, X_val=None, y_val=None) -> XGBoostModel:
        from sklearn.utils.class_weight import compute_sample_weight
        from xgboost import XGBClassifier

        self._check_fit_inputs(X, y)
        p = self.params
        if X_val is None or y_val is None:
            tr, va = _internal_split(y, p["validation_fraction"], p["seed"])
            X, X_val, y, y_val = X.iloc[tr], X.iloc[va], y.iloc[tr], y.iloc[va]
        self.encoder_ = TabularEncoder().fit(X)
        Z, Zv = self._matrix(X), self._matrix(X_val)
        self.models_, self.best_iteration_ = {}, {}
        for t in self.tasks_:
            lab, labv = _labels_array(y, t), _labels_array(y_val, t)
            k, kv = ~np.isnan(lab), ~np.isnan(labv)
            yt, yv = lab[k].astype(int), labv[kv].astype(int)
            if len(np.unique(yt)) < 2:
                raise ValueError(f"y: task {t!r} has a single observed class in the training rows")
            sw = compute_sample_weight("balanced", yt) if p["class_weight"] == "balanced" else None
            clf = XGBClassifier(
                objective="multi:softprob", num_class=N_CLASSES, max_depth=p["max_depth"],
                learning_rate=p["learning_rate"], n_estimators=p["n_estimators"],
                early_stopping_rounds=p["early_stopping_rounds"], subsample=p["subsample"],
                colsample_bytree=p["colsample_bytree"], tree_method="hist", max_bin=64,
                n_jobs=p["n_jobs"], random_state=p["seed"], eval_metric="mlogloss",
            )
            # xgboost needs every class present in the training labels for num_class=3
            missing = sorted(set(range(N_CLASSES)) - set(np.unique(yt).tolist()))
            if missing:
                raise ValueError(f"y: task {t!r} lacks class(es) {missing} in the training rows")
            clf.fit(Z[k], yt, sample_weight=sw, eval_set=[(Zv[kv], yv)], verbose=False)
            self.models_[t] = clf
            self.best_iteration_[t] = int(getattr(clf, "best_iteration", p["n_estimators"]))
        return self

    def predict_proba(self, X: pd.DataFrame) -> dict[str, NDArray]:
        Z = self._matrix(X)
        return {t: clf.predict_proba(Z).astype(float) for t, clf in self.models_.items()}


_REGISTRY = {
    "POP": POP,
    "LR": LogisticDeg2,
    "XGBoost": XGBoostModel,
    "ETNA": ETNA,
    "H2SEA-NA": H2SEANA,
    "H2SEA": H2SEA,
}


def make_model(method: str, **params: Any) -> _Base:
    """Build a model by its Table 3 name (``METHODS``) with keyword parameters.

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
