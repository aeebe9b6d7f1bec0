"""Tests of homelib.h2sea.models: the scikit-learn estimator contract, the paper's settings
(Sec 5.1), the FM term (Eq 3), the loss (Eq 9-11), ETNA / LR structure, decisions, bad input,
learning."""

from __future__ import annotations

import inspect
import itertools

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.metrics import f1_score
from synthetic import synthetic_dataset

from homelib.h2sea.models import (
    ETNA,
    H2SEA,
    H2SEANA,
    METHODS,
    NEURAL,
    FastDropout,
    FMEmbeddingNet,
    LogisticDeg2,
    TabularEncoder,
    fast_macro_f1,
    h2sea_loss,
    is_imbalanced,
    l2_penalty,
    make_model,
    paper_class_weights,
    prior_corrected_decision,
    validate_labels,
)
from homelib.h2sea.protocol import TASKS, evaluate_model, stratified_split

torch.set_num_threads(1)

FAST = {"max_epochs": 4, "units": 8, "hidden_layers": 1, "batch_size": 128}


def fast_params(method: str) -> dict:
    if method in NEURAL:
        return dict(FAST)
    if method == "XGBoost":
        return {"n_estimators": 10, "max_depth": 2, "n_jobs": 1}
    if method == "LR":
        return {"max_iter": 50}
    return {}


@pytest.fixture(scope="module")
def small():
    return synthetic_dataset(n=240, seed=3, n_poi=4, n_counties=8)


def _fit(method, ds, **extra):
    parts = stratified_split(ds.y, seed=0)
    tr, va = parts["train"], parts["val"]
    m = make_model(method, **{**fast_params(method), **extra})
    return m.fit(ds.X.iloc[tr], ds.y.iloc[tr], ds.X.iloc[va], ds.y.iloc[va]), parts


# --------------------------------------------------------------------------- estimator contract
@pytest.mark.parametrize("method", METHODS)
def test_clone_get_set_params(method):
    m = make_model(method, **fast_params(method))
    c = clone(m)
    assert type(c) is type(m) and c is not m
    assert c.get_params(deep=True) == m.get_params(deep=True)
    names = [nm for nm, p in inspect.signature(type(m).__init__).parameters.items()
             if nm != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    assert sorted(m.get_params(deep=True)) == sorted(names)
    for nm in names:  # every __init__ argument is an attribute of the same name
        assert getattr(m, nm) == m.get_params()[nm]
    assert not hasattr(m, "params")
    if names:
        nm = names[-1]
        m.set_params(**{nm: m.get_params()[nm]})
    with pytest.raises(ValueError):
        m.set_params(no_such_parameter=1)


@pytest.mark.parametrize("method", METHODS)
def test_clone_then_fit_gives_identical_predictions(method, small):
    a, parts = _fit(method, small, **({} if method == "POP" else {"seed": 2}))
    b = clone(a)
    tr, va, te = parts["train"], parts["val"], parts["test"]
    b.fit(small.X.iloc[tr], small.y.iloc[tr], small.X.iloc[va], small.y.iloc[va])
    pa, pb = a.predict_proba(small.X.iloc[te]), b.predict_proba(small.X.iloc[te])
    for t in TASKS:
        np.testing.assert_array_equal(pa[t], pb[t])
    pd.testing.assert_frame_equal(a.predict(small.X.iloc[te]), b.predict(small.X.iloc[te]))


@pytest.mark.parametrize("method", METHODS)
def test_fitted_attributes_end_in_underscore(method, small):
    m = make_model(method, **fast_params(method))
    before = set(vars(m))
    m.fit(small.X, small.y)
    new = set(vars(m)) - before
    assert new and all(k.endswith("_") for k in new), sorted(new)


@pytest.mark.parametrize("method", METHODS)
def test_no_validation_in_init(method):
    """Bad values are accepted by __init__ (scikit-learn's rule) and rejected by fit."""
    bad = {"POP": None, "LR": {"C": -1.0}, "XGBoost": {"max_depth": 0}}.get(method, {"dropout": 1.5})
    if bad is None:
        return
    m = make_model(method, **bad)
    ds = synthetic_dataset(n=60, seed=0, n_poi=2, n_counties=4)
    with pytest.raises(ValueError, match=list(bad)[0]):
        m.fit(ds.X, ds.y)


@pytest.mark.parametrize("method", METHODS)
def test_any_number_of_classes_per_task(method, small):
    y = small.y[["education"]].copy()
    rng = np.random.default_rng(0)
    y["four"] = pd.array(rng.integers(0, 4, len(y)), dtype="Int64")
    y["two"] = pd.array((small.y["education"].fillna(0) > 0).astype(int), dtype="Int64")
    m = make_model(method, **fast_params(method)).fit(small.X, y)
    assert m.n_classes_ == {"education": 3, "four": 4, "two": 2}
    p = m.predict_proba(small.X.iloc[:7])
    assert [p[t].shape for t in y] == [(7, 3), (7, 4), (7, 2)]
    for t in y:
        np.testing.assert_allclose(p[t].sum(1), 1, atol=1e-5)
    pred = m.predict(small.X.iloc[:7])
    assert list(pred.columns) == list(y.columns) and pred.index.equals(small.X.index[:7])
    assert all((pred[t] >= 0).all() and (pred[t] < k).all() for t, k in m.n_classes_.items())


@pytest.mark.parametrize("method", METHODS)
def test_every_model_shapes(method, small):
    m, parts = _fit(method, small)
    te = parts["test"]
    proba = m.predict_proba(small.X.iloc[te])
    assert list(proba) == list(TASKS)
    for p in proba.values():
        assert p.shape == (len(te), 3)
        np.testing.assert_allclose(p.sum(1), 1, atol=1e-5)
        assert (p >= 0).all()
    pred = m.predict(small.X.iloc[te])
    assert pred.shape == (len(te), 4) and all(str(d) == "Int64" for d in pred.dtypes)
    assert 0 <= m.score(small.X.iloc[te], small.y.iloc[te]) <= 1


# --------------------------------------------------------------------------- Sec 5.1 settings
PAPER_SEC51 = {"latent_dim": 6, "dropout": 0.3, "units": 32, "hidden_layers": 3, "lr": 0.001,
               "l2": 0.00001}


@pytest.mark.parametrize("cls", [H2SEA, H2SEANA, ETNA])
def test_defaults_are_the_papers_sec51_settings(cls):
    p = cls().get_params()
    assert {k: p[k] for k in PAPER_SEC51} == PAPER_SEC51
    assert p["class_weight"] == "paper"  # Eq 10


def test_paper_settings_reach_the_network(small):
    m = H2SEA(max_epochs=1).fit(small.X, small.y)
    net = m.net_
    assert net.v_cont.shape[1] == 6 and net.emb.weight.shape[1] == 6  # latent dim d
    assert net.drop.p == 0.3
    assert net.first_bias.shape == (4 * 32,)  # 32 units per task
    assert net.w_hidden.shape[0] + 1 == 3 and net.w_hidden.shape[-1] == 32  # 3 dense layers
    assert m.optimizer_ == {"lr": 0.001, "weight_decay": 2 * 0.00001}  # Adam, 2 alpha (Eq 11)


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


def test_shared_embedding_holds_the_fm_units():
    """e_fm = [x_i V_i ..., w_i x_i ..., bi-interaction]: its last d units sum to Eq 3's pairs."""
    torch.manual_seed(3)
    net = FMEmbeddingNet(3, [4], n_tasks=1, latent_dim=2)
    with torch.no_grad():
        net.w_cont.normal_()
    xc, xk = torch.randn(5, 3), torch.randint(0, 4, (5, 1))
    h = net.shared_embedding(xc, xk)
    assert h.shape[1] == net.n_fields * 2 + net.n_fields + 2
    torch.testing.assert_close(h[:, -2:].sum(1), explicit_fm(net, xc, xk))
    torch.testing.assert_close(h[:, 8:11], xc * net.w_cont)


# --------------------------------------------------------------------------- ETNA: no interactions
def _mixed_difference(net, i, j):
    """f(x + e_i + e_j) - f(x + e_i) - f(x + e_j) + f(x) of the first layer (0 iff additive)."""
    x = torch.randn(4, 3)
    xk = torch.zeros(4, 1, dtype=torch.long)
    ei, ej = torch.zeros(3), torch.zeros(3)
    ei[i], ej[j] = 1.0, 1.0
    f = net.first_layer
    return (f(x + ei + ej, xk) - f(x + ei, xk) - f(x + ej, xk) + f(x, xk)).abs().max()


def test_etna_has_no_interaction_terms():
    torch.manual_seed(0)
    etna = ETNA(max_epochs=1)
    assert etna.interactions is False and etna.attention is True
    net = FMEmbeddingNet(3, [2], n_tasks=2, interactions=ETNA.interactions)
    assert net.shared_dim == net.n_fields * 6  # field embeddings only
    assert net.first_fo_cont is None and net.first_bi is None
    assert _mixed_difference(net, 0, 1) < 1e-5  # each field enters additively
    h2 = FMEmbeddingNet(3, [2], n_tasks=2, interactions=H2SEA.interactions)
    with torch.no_grad():
        h2.v_cont.normal_()
    assert _mixed_difference(h2, 0, 1) > 1e-3  # the FM pairwise units do interact


def test_fitted_etna_network_has_no_fm_units(small):
    m = make_model("ETNA", **FAST).fit(small.X, small.y)
    assert m.net_.interactions is False and m.net_.first_bi is None
    m2 = make_model("H2SEA", **FAST).fit(small.X, small.y)
    assert m2.net_.interactions is True and m2.net_.first_bi is not None
    assert make_model("H2SEA-NA", **FAST).fit(small.X, small.y).net_.w_att is None


# --------------------------------------------------------------------------- loss (Eq 9-11)
def test_paper_class_weights_hand_computed():
    w = paper_class_weights([0] * 9 + [1] * 4 + [2] * 1)
    total = 3 + 2 + 1
    np.testing.assert_allclose(w, [total / 3, total / 2, total / 1])
    np.testing.assert_allclose(paper_class_weights([0, 1, 2, 0, 1, 2]), [3.0, 3.0, 3.0])  # C_n


def test_is_imbalanced_on_the_papers_shares():
    shares = {"personal_income": (31.2, 41.5, 27.3), "family_income": (37.6, 36.2, 26.2),
              "education": (54.29, 23.20, 22.51), "occupation": (66.49, 25.12, 8.39)}
    got = {t: is_imbalanced(np.repeat([0, 1, 2], np.round(np.array(s) * 10).astype(int)))
           for t, s in shares.items()}
    assert got == {"personal_income": False, "family_income": False, "education": True,
                   "occupation": True}
    assert is_imbalanced([0, 0, 1, np.nan, np.nan, np.nan], ratio=2.0)


def test_loss_hand_computation_with_mask_and_task_weights():
    logits = [torch.log(torch.tensor([[0.5, 0.25, 0.25], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]])),
              torch.log(torch.tensor([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4], [0.5, 0.25, 0.25]]))]
    targets = torch.tensor([[0, 2], [1, -1], [-1, 0]])  # -1 = missing label
    cw = [torch.tensor([1.0, 2.0, 3.0]), torch.tensor([0.5, 1.0, 4.0])]
    lam = [0.25, 0.75]
    total, parts = h2sea_loss(logits, targets, cw, lam)
    l0 = -(1 * np.log(0.5) + 2 * np.log(0.6)) / 2
    l1 = -(4 * np.log(0.1) + 0.5 * np.log(0.5)) / 2
    assert parts[0].item() == pytest.approx(l0, rel=1e-5)
    assert parts[1].item() == pytest.approx(l1, rel=1e-5)
    assert total.item() == pytest.approx(0.25 * l0 + 0.75 * l1, rel=1e-5)
    unweighted, _ = h2sea_loss(logits, targets, None, lam)
    l0u = -(np.log(0.5) + np.log(0.6)) / 2
    l1u = -(np.log(0.1) + np.log(0.5)) / 2
    assert unweighted.item() == pytest.approx(0.25 * l0u + 0.75 * l1u, rel=1e-5)


def test_h2sea_uses_eq10_on_imbalanced_tasks_and_eq9_on_balanced_ones(small):
    m, parts = _fit("H2SEA", small)
    ytr = small.y.iloc[parts["train"]]
    for t in TASKS:
        lab = pd.to_numeric(ytr[t]).to_numpy(float)
        want = paper_class_weights(lab, 3) if is_imbalanced(lab) else np.ones(3)
        np.testing.assert_allclose(m.class_weights_[t], want)
    assert any(not np.allclose(w, 1) for w in m.class_weights_.values())  # Eq 10 is used
    every, _ = _fit("H2SEA", small, weighted_tasks="all")
    np.testing.assert_allclose(every.class_weights_["family_income"],
                               paper_class_weights(pd.to_numeric(ytr["family_income"]), 3))
    none, _ = _fit("H2SEA", small, class_weight=None)
    assert all(np.allclose(w, 1) for w in none.class_weights_.values())


def test_eq10_weights_reach_the_training_loss(small, monkeypatch):
    """Every training step's loss gets the Eq 10 weights of the training labels."""
    import homelib.h2sea.models as models

    seen = []
    real = models.h2sea_loss

    def spy(logits, targets, class_weights, task_weights):
        seen.append(None if class_weights is None else class_weights.clone())
        return real(logits, targets, class_weights, task_weights)

    monkeypatch.setattr(models, "h2sea_loss", spy)
    m, parts = _fit("H2SEA", small, max_epochs=1)
    want = torch.tensor(np.stack([m.class_weights_[t] for t in TASKS]), dtype=torch.float32)
    assert len(seen) >= 2 and all(w is not None and torch.equal(w, want) for w in seen)
    edu = pd.to_numeric(small.y["education"].iloc[parts["train"]]).to_numpy(float)
    torch.testing.assert_close(want[2], torch.tensor(paper_class_weights(edu, 3), dtype=torch.float32))


def test_class_weights_change_what_is_learned():
    """Up-weighting the rare class makes the fitted network predict it far more often."""
    rng = np.random.default_rng(0)
    n = 600
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    z = X["a"] + rng.normal(0, 0.8, n)
    y = pd.DataFrame({"t": pd.array(np.where(z > 1.6, 2, np.where(z > -0.3, 1, 0)), dtype="Int64")})
    common = {"max_epochs": 40, "units": 8, "hidden_layers": 1, "decision": "argmax", "lr": 0.01,
              "weighted_tasks": "all", "selection": "loss", "patience": 40, "seed": 1}
    rare = {cw: (make_model("H2SEA", class_weight=cw, **common).fit(X, y).predict(X)["t"] == 2).mean()
            for cw in (None, "balanced")}
    assert rare["balanced"] > rare[None] + 0.1


def test_l2_penalty_value_and_gradient():
    torch.manual_seed(0)
    net = FMEmbeddingNet(2, [3], n_tasks=1, units=4, hidden_layers=1)
    want = sum(float((p.detach() ** 2).sum()) for p in net.parameters())
    assert float(l2_penalty(net, 0.5).detach()) == pytest.approx(0.5 * want, rel=1e-5)
    assert float(l2_penalty(net, 0.0)) == 0.0
    l2_penalty(net, 0.5).backward()
    torch.testing.assert_close(net.v_cont.grad, 2 * 0.5 * net.v_cont.detach())


def test_adam_weight_decay_is_the_gradient_of_the_l2_term():
    """Adam(weight_decay=2 alpha) takes the same step as Adam on loss + alpha ||theta||^2."""
    alpha = 0.3
    torch.manual_seed(0)
    a = torch.nn.Linear(3, 2)
    b = torch.nn.Linear(3, 2)
    b.load_state_dict(a.state_dict())
    x = torch.randn(5, 3)
    oa = torch.optim.Adam(a.parameters(), lr=0.1, weight_decay=2 * alpha, fused=True)  # as in fit
    ob = torch.optim.Adam(b.parameters(), lr=0.1)
    for _ in range(3):
        oa.zero_grad()
        a(x).pow(2).sum().backward()
        oa.step()
        ob.zero_grad()
        (b(x).pow(2).sum() + l2_penalty(b, alpha)).backward()
        ob.step()
    torch.testing.assert_close(a.weight, b.weight)


def test_l2_reaches_training(small):
    """A strong alpha shrinks the fitted weights; the history reports alpha ||Theta||^2."""
    norms = {}
    for l2 in (0.0, 0.05):
        m = make_model("H2SEA", l2=l2, **{**FAST, "max_epochs": 8, "patience": 8}).fit(small.X, small.y)
        norms[l2] = float(sum((p.detach() ** 2).sum() for p in m.net_.parameters()))
        assert m.history_["l2_penalty"].iloc[-1] == pytest.approx(l2 * norms[l2], rel=1e-4)
    assert norms[0.05] < 0.8 * norms[0.0]


def test_task_weights_must_sum_to_one(small):
    m = make_model("H2SEA", task_weights={t: 0.3 for t in TASKS}, **FAST)
    with pytest.raises(ValueError, match="sum to 1"):
        m.fit(small.X, small.y)
    with pytest.raises(KeyError, match="unknown task"):
        make_model("H2SEA", task_weights={"age": 1.0}, **FAST).fit(small.X, small.y)


# --------------------------------------------------------------------------- decisions
def test_prior_corrected_decision_hand_case():
    p = np.array([[0.6, 0.3, 0.1], [0.8, 0.15, 0.05], [0.2, 0.2, 0.6]])
    q = np.array([0.7, 0.2, 0.1])
    # p / q = [.86, 1.5, 1.0], [1.14, .75, .5], [.29, 1.0, 6.0]
    assert prior_corrected_decision(p, q).tolist() == [1, 0, 2]
    assert prior_corrected_decision(p, np.array([0.5, 0.5, 0.0])).tolist() == [0, 0, 0]


def test_auto_decision_keeps_the_better_rule_on_validation(small):
    m, parts = _fit("H2SEA", small, max_epochs=6, patience=6, decision="auto")
    va = parts["val"]
    h = m.history_.set_index("epoch").loc[m.best_epoch_]
    assert m.best_epoch_ == int(m.history_.loc[m.history_["val_f1"].idxmax(), "epoch"])
    proba = m.predict_proba(small.X.iloc[va])
    for t in TASKS:
        lab = pd.to_numeric(small.y[t].iloc[va]).to_numpy(float)
        keep = ~np.isnan(lab)
        yt = lab[keep].astype(int)
        pred = {r: m._apply_rule(r, t, proba[t][keep]) for r in ("argmax", "prior")}
        f1 = {r: fast_macro_f1(yt, p, 3) for r, p in pred.items()}
        full = [r for r, p in pred.items() if set(np.unique(yt)) <= set(yt[p == yt])]
        want = max(f1[r] for r in (full or f1))
        assert m.decision_rules_[t] == h[f"rule_{t}"]
        assert f1[m.decision_rules_[t]] == pytest.approx(want, abs=1e-6)
        assert h[f"val_f1_{t}"] == pytest.approx(want, abs=1e-6)
        if full:
            assert m.decision_rules_[t] in full  # a rule that misses a class is not chosen


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 60), st.integers(2, 5), st.integers(0, 10_000))
def test_fast_macro_f1_equals_sklearn(n, k, seed):
    rng = np.random.default_rng(seed)
    yt, yp = rng.integers(0, k, n), rng.integers(0, k, n)
    want = f1_score(yt, yp, labels=list(range(k)), average="macro", zero_division=0)
    assert fast_macro_f1(yt, yp, k) == pytest.approx(want, abs=1e-12)


def test_fast_dropout_matches_dropout_in_law():
    d = FastDropout(0.3, seed=1)
    out = d(torch.ones(200_000))
    assert float((out == 0).float().mean()) == pytest.approx(0.3, abs=0.005)
    assert float(out.mean()) == pytest.approx(1.0, abs=0.01)  # inverted dropout keeps the mean
    np.testing.assert_allclose(sorted(set(out.tolist())), [0.0, 1 / 0.7], rtol=1e-4)
    again = FastDropout(0.3, seed=1)(torch.ones(200_000))
    assert torch.equal(out, again)
    assert torch.equal(d.eval()(torch.ones(5)), torch.ones(5))
    with pytest.raises(ValueError, match="dropout"):
        FastDropout(1.0)


# --------------------------------------------------------------------------- LR (degree 2)
def test_lr_has_order_two_products_by_default():
    assert LogisticDeg2().degree == 2
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    m = LogisticDeg2().fit(X, pd.DataFrame({"t": [0, 1, 1, 0]}))
    names = list(m.design_.get_feature_names_out())
    assert names == ["linear__a", "linear__b", "order2__a^2", "order2__a b", "order2__b^2"]
    Z = m.design_.transform(X)
    za, zb = Z[:, 0], Z[:, 1]  # the products are of the standardised fields
    np.testing.assert_allclose(Z[:, 3], (za - za.mean()) / za.std() * (zb - zb.mean()) / zb.std(),
                               atol=1e-9)
    lin = LogisticDeg2(degree=1).fit(X, pd.DataFrame({"t": [0, 1, 1, 0]}))
    assert list(lin.design_.get_feature_names_out()) == ["linear__a", "linear__b"]


def test_lr_degree_two_learns_an_interaction_degree_one_cannot():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=800), "b": rng.normal(size=800)})
    y = pd.DataFrame({"t": pd.array((X["a"] * X["b"] > 0).astype(int), dtype="Int64")})
    acc = {d: float((LogisticDeg2(degree=d, C=10.0).fit(X, y).predict(X)["t"] == y["t"]).mean())
           for d in (1, 2)}
    assert acc[2] > 0.9 and acc[1] < 0.65


def test_lr_order_two_block_uses_30_principal_components_of_many_fields():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(200, 40)), columns=[f"c{i}" for i in range(40)])
    y = pd.DataFrame({"t": pd.array(rng.integers(0, 2, 200), dtype="Int64")})
    m = LogisticDeg2(max_iter=20).fit(X, y)
    names = m.design_.get_feature_names_out()
    assert sum(n.startswith("linear__") for n in names) == 40
    assert sum(n.startswith("order2__") for n in names) == 30 * 31 // 2


# --------------------------------------------------------------------------- structure
def test_ablations_differ_in_structure():
    h = FMEmbeddingNet(3, [4], 2, interactions=True, attention=True)
    e = FMEmbeddingNet(3, [4], 2, interactions=False, attention=True)
    assert h.shared_dim == e.shared_dim + h.n_fields + 6
    na = FMEmbeddingNet(3, [4], 2, attention=False)
    assert na.w_att is None and h.w_att.shape == (2, 32, 32)


@pytest.mark.parametrize("rescale", [True, False])
def test_stacked_towers_equal_separate_networks(rescale):
    """Task n's output depends only on its own slice of the stacked weights (Eq 4-8)."""
    torch.manual_seed(0)
    net = FMEmbeddingNet(3, [4, 2], n_tasks=3, units=5, hidden_layers=2, dropout=0.0,
                         attention_rescale=rescale).eval()
    xc, xk = torch.randn(6, 3), torch.randint(0, 2, (6, 2))
    out = net(xc, xk)
    h = net.shared_embedding(xc, xk)
    W = net.first_weight()
    for n in range(3):
        sl = slice(n * 5, (n + 1) * 5)
        d = torch.relu(h @ W[sl].T + net.first_bias[sl])
        d = torch.relu(d @ net.w_hidden[0, n] + net.b_hidden[0, n])
        a = torch.softmax(torch.relu(d @ net.w_att[n] + net.b_att[n]), dim=1)
        want = (a * d * (5 if rescale else 1)) @ net.w_out[n] + net.b_out[n]
        assert torch.allclose(out[n], want, atol=1e-5)


def test_class_mask_gives_zero_probability_to_classes_a_task_lacks():
    net = FMEmbeddingNet(2, [], n_tasks=2, n_classes=[2, 3]).eval()
    p = torch.softmax(net(torch.randn(4, 2), torch.zeros(4, 0, dtype=torch.long))[0], 1)
    assert torch.all(p[:, 2] == 0)


def test_missing_labels_are_masked(small):
    """Per-task label counts exclude <NA>; an unlabelled row leaves the loss unchanged."""
    m, parts = _fit("H2SEA", small, seed=1)
    miss = small.y["personal_income"].iloc[parts["train"]].isna()
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


def test_attention_weights_sum_to_one(small):
    m = make_model("H2SEA", **FAST).fit(small.X, small.y)
    for a in m.attention_weights(small.X).values():
        assert a.sum() == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="no attention"):
        make_model("H2SEA-NA", **FAST).fit(small.X, small.y).attention_weights(small.X)


@pytest.mark.parametrize("method", METHODS)
def test_fit_does_not_mutate_inputs(method, small):
    X0, y0 = small.X.copy(), small.y.copy()
    make_model(method, **fast_params(method)).fit(small.X, small.y)
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


@pytest.mark.parametrize("method", ["XGBoost", *NEURAL])
def test_validation_labels_outside_training_classes(method, small):
    y_val = small.y.iloc[:20].copy()
    y_val.iloc[0, 2] = 7
    with pytest.raises(ValueError, match="y_val: task 'education'.*outside"):
        make_model(method, **fast_params(method)).fit(small.X, small.y, small.X.iloc[:20], y_val)


def test_labels_must_be_non_negative_integers():
    with pytest.raises(ValueError, match="'t'.*integers"):
        validate_labels(pd.DataFrame({"t": [0, 1, -1]}))
    with pytest.raises(ValueError, match="'t'.*integers"):
        validate_labels(pd.DataFrame({"t": [0, 1, 1.5]}))
    assert validate_labels(pd.DataFrame({"t": [0, 1, 5]})) == {"t": 6}


def test_bad_hyper_parameters_fail_in_fit(small):
    for bad, match in (({"dropout": 1.5}, "dropout"), ({"class_weight": "square"}, "class_weight"),
                       ({"units": 0}, "units"), ({"decision": "coin"}, "decision"),
                       ({"l2": -1.0}, "l2"), ({"weighted_tasks": "some"}, "weighted_tasks")):
        m = make_model("H2SEA", **{**FAST, **bad})  # accepted here
        with pytest.raises(ValueError, match=match):
            m.fit(small.X, small.y)


def test_encoder_unseen_category_and_clip():
    X = pd.DataFrame({"a": [0.0, 0.0, 0.0, 100.0], "k": pd.Categorical(list("xyxy"))})
    enc = TabularEncoder(clip=1.0).fit(X)
    xc, xk = enc.transform(pd.DataFrame({"a": [1e6], "k": pd.Categorical(["q"])}))
    assert xc[0, 0] == 1.0 and xk[0, 0] == 0
    assert enc.cardinalities == [3]
    xc, xk = enc.transform(X)
    np.testing.assert_allclose(xc[:, 0], np.clip((X.a - X.a.mean()) / X.a.std(ddof=0), -1, 1),
                               rtol=1e-6)
    assert xk[:, 0].tolist() == [1, 2, 1, 2]


def test_encoder_categorical_only_and_continuous_only():
    only_cat = pd.DataFrame({"k": pd.Categorical(list("abca"))})
    xc, xk = TabularEncoder().fit(only_cat).transform(only_cat)
    assert xc.shape == (4, 0) and xk[:, 0].tolist() == [1, 2, 3, 1]
    only_num = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    xc, xk = TabularEncoder().fit(only_num).transform(only_num)
    assert xc.shape == (3, 1) and xk.shape == (3, 0)


# --------------------------------------------------------------------------- learning
def _test_scores(ds, method, seed=0, **params):
    parts = stratified_split(ds.y, seed=seed)
    tr, va, te = parts["train"], parts["val"], parts["test"]
    m = make_model(method, seed=seed, **params) if method != "POP" else make_model(method)
    m.fit(ds.X.iloc[tr], ds.y.iloc[tr], ds.X.iloc[va], ds.y.iloc[va])
    return evaluate_model(m, ds.X.iloc[te], ds.y.iloc[te]).set_index("task")


LEARN = {"max_epochs": 40, "units": 16, "hidden_layers": 2, "batch_size": 128}


def test_h2sea_beats_pop_with_strong_signal():
    ds = synthetic_dataset(n=900, signal=1.5, seed=11, n_poi=6, n_counties=20)
    h, p = _test_scores(ds, "H2SEA", **LEARN), _test_scores(ds, "POP")
    assert h["auc"].mean() > p["auc"].mean() + 0.15
    assert h["f1"].mean() > p["f1"].mean() + 0.15
    assert (h["gmean"] > 0).all()  # every class is predicted


def test_h2sea_does_not_beat_pop_without_signal():
    ds = synthetic_dataset(n=900, signal=0.0, seed=11, n_poi=6, n_counties=20)
    h = _test_scores(ds, "H2SEA", **LEARN)
    assert abs(h["auc"].mean() - 0.5) < 0.06
    assert h["f1"].mean() < 0.4  # no better than guessing among three classes


@pytest.mark.parametrize("interactions", [True, False])
@pytest.mark.parametrize(("n_cont", "n_cat"), [(7, 0), (7, 2), (0, 2)])
def test_folded_first_layer_equals_dense_on_shared_embedding(interactions, n_cont, n_cat):
    torch.manual_seed(0)
    cards = [3, 5][:n_cat]
    net = FMEmbeddingNet(n_cont, cards, n_tasks=4, interactions=interactions).double()
    with torch.no_grad():
        net.w_cont.normal_()
        net.w_cat.weight.normal_()
    xc = torch.randn(11, n_cont, dtype=torch.float64)
    xk = torch.stack([torch.randint(0, k, (11,)) for k in cards], 1) if n_cat else torch.zeros(11, 0, dtype=torch.long)
    ref = net.shared_embedding(xc, xk) @ net.first_weight().T + net.first_bias
    got = net.first_layer(xc, xk)
    torch.testing.assert_close(got, ref)
    params = [net.v_cont, net.first_cont] + ([net.first_cat, net.emb.weight] if n_cat else [])
    g1 = torch.autograd.grad(ref.sum(), params)
    g2 = torch.autograd.grad(net.first_layer(xc, xk).sum(), params)
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(a, b)
