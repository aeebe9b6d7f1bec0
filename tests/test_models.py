"""Tests of homelib.h2sea.models: shapes, masking, the FM term, the loss, bad input, learning."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import torch
from synthetic import synthetic_dataset

from homelib.h2sea.models import (
    METHODS,
    FMEmbeddingNet,
    TabularEncoder,
    h2sea_loss,
    make_model,
    paper_class_weights,
    validate_labels,
)
from homelib.h2sea.protocol import TASKS, stratified_split

torch.set_num_threads(1)

FAST = {"max_epochs": 4, "units": 8, "hidden_layers": 1, "batch_size": 128}


def fast_params(method: str) -> dict:
    if method in ("ETNA", "H2SEA-NA", "H2SEA"):
        return dict(FAST)
    if method == "XGBoost":
        return {"n_estimators": 10, "max_depth": 2, "n_jobs": 1}
    if method == "LR":
        return {"max_iter": 50}
    return {}


@pytest.fixture(scope="module")
def small():
    return synthetic_dataset(n=240, seed=3, n_poi=4, n_counties=8)


# --------------------------------------------------------------------------- FM term (Eq 3)
def explicit_fm(net: FMEmbeddingNet, xc: torch.Tensor, xk: torch.Tensor) -> torch.Tensor:
    """O(F^2) loop of Eq 3 with one-hot categorical fields: sum_{i<j} <V_i, V_j> x_i x_j."""
    e = net.field_embeddings(xc, xk)  # x_i V_i per field
    out = torch.zeros(xc.shape[0])
    for i, j in itertools.combinations(range(e.shape[1]), 2):
        out += (e[:, i] * e[:, j]).sum(1)
    return out


def test_fm_pairwise_term_matches_explicit_loop():
    torch.manual_seed(0)
    net = FMEmbeddingNet(4, [3, 5], n_tasks=2, latent_dim=3)
    xc = torch.randn(7, 4)
    xk = torch.randint(0, 3, (7, 2))
    fast = net.bi_interaction(net.field_embeddings(xc, xk)).sum(1)
    assert torch.allclose(fast, explicit_fm(net, xc, xk), atol=1e-5)


def test_fm_continuous_only_against_raw_formula():
    torch.manual_seed(1)
    net = FMEmbeddingNet(3, [], n_tasks=1, latent_dim=2)
    x = torch.randn(5, 3)
    V = net.v_cont.detach()
    want = torch.zeros(5)
    for i in range(3):
        for j in range(i + 1, 3):
            want += (V[i] @ V[j]) * x[:, i] * x[:, j]
    got = net.bi_interaction(net.field_embeddings(x, torch.zeros(5, 0, dtype=torch.long))).sum(1)
    assert torch.allclose(got, want, atol=1e-5)


def test_fm_matches_deepctr_torch():
    deepctr = pytest.importorskip("deepctr_torch.layers")
    torch.manual_seed(2)
    net = FMEmbeddingNet(3, [4, 2], n_tasks=1, latent_dim=5)
    xc, xk = torch.randn(6, 3), torch.randint(0, 2, (6, 2))
    e = net.field_embeddings(xc, xk)
    theirs = deepctr.FM()(e).squeeze(1)
    ours = net.bi_interaction(e).sum(1)
    assert torch.allclose(ours, theirs, atol=1e-5)


def test_fm_score_adds_first_order():
    net = FMEmbeddingNet(2, [3], n_tasks=1, latent_dim=2)
    with torch.no_grad():
        net.w_cont.copy_(torch.tensor([1.0, -2.0]))
        net.w_cat.weight.copy_(torch.tensor([[0.0], [0.5], [1.5]]))
    xc, xk = torch.tensor([[1.0, 1.0]]), torch.tensor([[2]])
    pair = explicit_fm(net, xc, xk)
    assert torch.allclose(net.fm_score(xc, xk), (1 - 2 + 1.5) + pair, atol=1e-6)


# --------------------------------------------------------------------------- loss (Eq 9-11)
def test_paper_class_weights_hand_computed():
    w = paper_class_weights([0] * 9 + [1] * 4 + [2] * 1)
    total = 3 + 2 + 1
    np.testing.assert_allclose(w, [total / 3, total / 2, total / 1])


def test_loss_hand_computation_with_mask_and_task_weights():
    logits = [torch.log(torch.tensor([[0.5, 0.25, 0.25], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]])),
              torch.log(torch.tensor([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4], [0.5, 0.25, 0.25]]))]
    targets = torch.tensor([[0, 2], [1, -1], [-1, 0]])  # -1 = missing label
    cw = [torch.tensor([1.0, 2.0, 3.0]), torch.tensor([0.5, 1.0, 4.0])]
    lam = [0.25, 0.75]
    total, parts = h2sea_loss(logits, targets, cw, lam)
    # task 0: rows 0 (class 0, p .5, w 1) and 1 (class 1, p .6, w 2); M_0 = 2
    l0 = -(1 * np.log(0.5) + 2 * np.log(0.6)) / 2
    # task 1: rows 0 (class 2, p .1, w 4) and 2 (class 0, p .5, w .5); M_1 = 2
    l1 = -(4 * np.log(0.1) + 0.5 * np.log(0.5)) / 2
    assert parts[0].item() == pytest.approx(l0, rel=1e-5)
    assert parts[1].item() == pytest.approx(l1, rel=1e-5)
    assert total.item() == pytest.approx(0.25 * l0 + 0.75 * l1, rel=1e-5)
    unweighted, _ = h2sea_loss(logits, targets, None, lam)
    l0u = -(np.log(0.5) + np.log(0.6)) / 2
    l1u = -(np.log(0.1) + np.log(0.5)) / 2
    assert unweighted.item() == pytest.approx(0.25 * l0u + 0.75 * l1u, rel=1e-5)


def test_task_weights_must_sum_to_one(small):
    m = make_model("H2SEA", task_weights={t: 0.3 for t in TASKS}, **FAST)
    with pytest.raises(ValueError, match="sum to 1"):
        m.fit(small.X, small.y)
    with pytest.raises(KeyError, match="unknown task"):
        make_model("H2SEA", task_weights={"age": 1.0}, **FAST).fit(small.X, small.y)


# --------------------------------------------------------------------------- shapes and masking
@pytest.mark.parametrize("method", METHODS)
def test_every_model_shapes(method, small):
    parts = stratified_split(small.y, seed=0)
    tr, va, te = parts["train"], parts["val"], parts["test"]
    m = make_model(method, **fast_params(method))
    m.fit(small.X.iloc[tr], small.y.iloc[tr], small.X.iloc[va], small.y.iloc[va])
    proba = m.predict_proba(small.X.iloc[te])
    assert list(proba) == list(TASKS)
    for p in proba.values():
        assert p.shape == (len(te), 3)
        np.testing.assert_allclose(p.sum(1), 1, atol=1e-5)
        assert (p >= 0).all()
    pred = m.predict(small.X.iloc[te])
    assert all(v.shape == (len(te),) for v in pred.values())


def test_missing_labels_are_masked(small):
    """Per-task label counts exclude <NA>; an unlabelled row leaves the loss unchanged."""
    m = make_model("H2SEA", seed=1, **FAST).fit(small.X, small.y)
    miss = small.y["personal_income"].isna()
    assert miss.sum() > 0
    assert m.n_labels_["personal_income"] == int((~miss).sum())
    torch.manual_seed(0)
    lg = torch.randn(5, 2, 3)
    t = torch.tensor([[0, 1], [2, -1], [1, 1], [-1, 0], [0, 2]])
    cw = torch.tensor([[1.0, 2.0, 3.0], [1.5, 1.0, 0.5]])
    base, _ = h2sea_loss(lg, t, cw, [0.5, 0.5])
    extra = torch.cat([lg, torch.randn(1, 2, 3) * 100])
    t_extra = torch.cat([t, torch.tensor([[-1, -1]])])
    with_row, _ = h2sea_loss(extra, t_extra, cw, [0.5, 0.5])
    assert torch.allclose(base, with_row)


def test_masking_in_loss_ignores_missing_rows():
    lg = [torch.randn(4, 3, requires_grad=True)]
    t = torch.tensor([[0], [-1], [2], [-1]])
    loss, _ = h2sea_loss(lg, t, None, [1.0])
    loss.backward()
    assert torch.all(lg[0].grad[[1, 3]] == 0)
    assert torch.any(lg[0].grad[[0, 2]] != 0)


def test_fit_is_deterministic_and_keeps_global_rng(small):
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    make_model("ETNA", seed=4, **FAST).fit(small.X, small.y)
    after = torch.rand(1)
    assert torch.equal(before, after)
    p1 = make_model("ETNA", seed=4, **FAST).fit(small.X, small.y).predict_proba(small.X)
    p2 = make_model("ETNA", seed=4, **FAST).fit(small.X, small.y).predict_proba(small.X)
    np.testing.assert_allclose(p1["occupation"], p2["occupation"])


def test_ablations_differ_in_structure():
    h = FMEmbeddingNet(3, [4], 2, interactions=True, attention=True)
    e = FMEmbeddingNet(3, [4], 2, interactions=False, attention=True)
    assert h.shared_dim == e.shared_dim + h.n_fields + 6
    na = FMEmbeddingNet(3, [4], 2, attention=False)
    assert na.w_att is None and h.w_att.shape == (2, 32, 32)


def test_stacked_towers_equal_separate_networks():
    """Task n's output depends only on its own slice of the stacked weights."""
    torch.manual_seed(0)
    net = FMEmbeddingNet(3, [4, 2], n_tasks=3, units=5, hidden_layers=2, dropout=0.0).eval()
    xc, xk = torch.randn(6, 3), torch.randint(0, 2, (6, 2))
    out = net(xc, xk)
    h = net.shared_embedding(xc, xk)
    for n in range(3):
        sl = slice(n * 5, (n + 1) * 5)
        d = torch.relu(h @ net.first.weight[sl].T + net.first.bias[sl])
        d = torch.relu(d @ net.w_hidden[0, n] + net.b_hidden[0, n])
        a = torch.softmax(torch.relu(d @ net.w_att[n] + net.b_att[n]), dim=1)
        want = (a * d * 5) @ net.w_out[n] + net.b_out[n]
        assert torch.allclose(out[n], want, atol=1e-5)


def test_attention_weights_sum_to_one(small):
    m = make_model("H2SEA", **FAST).fit(small.X, small.y)
    for a in m.attention_weights(small.X).values():
        assert a.sum() == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="no attention"):
        make_model("H2SEA-NA", **FAST).fit(small.X, small.y).attention_weights(small.X)


def test_fit_does_not_mutate_inputs(small):
    X0, y0 = small.X.copy(), small.y.copy()
    make_model("LR", max_iter=20).fit(small.X, small.y)
    pd.testing.assert_frame_equal(small.X, X0)
    pd.testing.assert_frame_equal(small.y, y0)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("method", METHODS)
def test_all_missing_task_names_task(method, small):
    y = small.y.copy()
    y["education"] = pd.array([pd.NA] * len(y), dtype="Int64")
    with pytest.raises(ValueError, match="'education'.*all missing"):
        make_model(method, **fast_params(method)).fit(small.X, y)


@pytest.mark.parametrize("method", METHODS)
def test_single_class_task_names_task(method, small):
    y = small.y.copy()
    y["occupation"] = pd.array([1] * len(y), dtype="Int64")
    with pytest.raises(ValueError, match="'occupation'.*single observed class"):
        make_model(method, **fast_params(method)).fit(small.X, y)


@pytest.mark.parametrize("method", METHODS)
def test_nan_feature_names_column(method, small):
    X = small.X.copy()
    X.loc[X.index[3], "county_income"] = np.nan
    with pytest.raises(ValueError, match="county_income"):
        make_model(method, **fast_params(method)).fit(X, small.y)


@pytest.mark.parametrize("method", METHODS)
def test_mismatched_columns_name_column(method, small):
    m = make_model(method, **fast_params(method)).fit(small.X, small.y)
    with pytest.raises(ValueError, match="rp_avg"):
        m.predict_proba(small.X.drop(columns="rp_avg"))
    with pytest.raises(ValueError, match="surprise"):
        m.predict_proba(small.X.assign(surprise=1.0))


def test_label_out_of_range():
    with pytest.raises(ValueError, match="'t'.*outside"):
        validate_labels(pd.DataFrame({"t": pd.array([0, 1, 5], dtype="Int64")}))


def test_bad_hyper_parameters():
    with pytest.raises(ValueError, match="dropout"):
        make_model("H2SEA", dropout=1.5)
    with pytest.raises(ValueError, match="class_weight"):
        make_model("H2SEA", class_weight="balanced")


def test_encoder_unseen_category_and_clip():
    X = pd.DataFrame({"a": [0.0, 0.0, 0.0, 100.0], "k": pd.Categorical(list("xyxy"))})
    enc = TabularEncoder(clip=1.0).fit(X)
    xc, xk = enc.transform(pd.DataFrame({"a": [1e6], "k": pd.Categorical(["q"])}))
    assert xc[0, 0] == 1.0 and xk[0, 0] == 0
    assert enc.cardinalities == [3]


# --------------------------------------------------------------------------- learning
def _test_scores(ds, method, seed=0, **params):
    parts = stratified_split(ds.y, seed=seed)
    tr, va, te = parts["train"], parts["val"], parts["test"]
    m = make_model(method, seed=seed, **params) if method != "POP" else make_model(method)
    m.fit(ds.X.iloc[tr], ds.y.iloc[tr], ds.X.iloc[va], ds.y.iloc[va])
    from homelib.h2sea.protocol import evaluate_model
    return evaluate_model(m, ds.X.iloc[te], ds.y.iloc[te]).set_index("task")


LEARN = {"max_epochs": 40, "units": 16, "hidden_layers": 2, "batch_size": 128}


def test_h2sea_beats_pop_with_strong_signal():
    ds = synthetic_dataset(n=900, signal=1.5, seed=11, n_poi=6, n_counties=20)
    h, p = _test_scores(ds, "H2SEA", **LEARN), _test_scores(ds, "POP")
    assert h["auc"].mean() > p["auc"].mean() + 0.15
    assert h["f1"].mean() > p["f1"].mean() + 0.15


def test_h2sea_does_not_beat_pop_without_signal():
    ds = synthetic_dataset(n=900, signal=0.0, seed=11, n_poi=6, n_counties=20)
    h, p = _test_scores(ds, "H2SEA", **LEARN), _test_scores(ds, "POP")
    assert abs(h["auc"].mean() - 0.5) < 0.06
    assert h["f1"].mean() < p["f1"].mean() + 0.1


@pytest.mark.parametrize("interactions", [True, False])
@pytest.mark.parametrize(("n_cont", "n_cat"), [(7, 0), (7, 2), (0, 2)])
def test_folded_first_layer_equals_dense_on_shared_embedding(interactions, n_cont, n_cat):
    from homelib.h2sea.models import FMEmbeddingNet

    torch.manual_seed(0)
    cards = [3, 5][:n_cat]
    net = FMEmbeddingNet(n_cont, cards, n_tasks=4, interactions=interactions).double()
    with torch.no_grad():
        net.w_cont.normal_()
        net.w_cat.weight.normal_()
    xc = torch.randn(11, n_cont, dtype=torch.float64)
    xk = torch.stack([torch.randint(0, k, (11,)) for k in cards], 1) if n_cat else torch.zeros(11, 0, dtype=torch.long)
    ref = net.first(net.shared_embedding(xc, xk))
    got = net.first_layer(xc, xk)
    torch.testing.assert_close(got, ref)
    # gradients agree too
    g1 = torch.autograd.grad(ref.sum(), [net.v_cont, net.first.weight])
    g2 = torch.autograd.grad(net.first_layer(xc, xk).sum(), [net.v_cont, net.first.weight])
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(a, b)
