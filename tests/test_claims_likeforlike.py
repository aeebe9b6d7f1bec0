"""Like-for-like comparisons (homelib.claims.likeforlike) and the one definition of the
paper's 0.185 (homelib.h2sea.housing.price_vs_income_level), on hand-made tables."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from homelib.claims import likeforlike as L
from homelib.h2sea import housing
from homelib.io import load_reference


def _importance():
    # book: A best, then B, then D; scores decide the rank
    return pd.DataFrame({"task": "t", "feature": ["D", "B", "A"], "f1": [0.30, 0.40, 0.50],
                         "auc": 0.6, "gmean": 0.3, "accuracy": [0.31, 0.41, 0.51],
                         "score": [1.2, 1.3, 1.4]})


def _paper():
    return pd.DataFrame({"task": "t", "rank": [1, 2], "feature": ["B", "C"],
                         "f1": [0.45, 0.40], "auc": 0.7, "gmean": 0.4, "accuracy": [0.46, 0.42]})


def test_table4_is_aligned_by_family_not_by_rank():
    t = L.table4_aligned(_importance(), _paper(), top_k=2)
    # the paper's families first in its order, then the book's other top-2 family (A)
    assert t["feature"].tolist() == ["B", "C", "A"]
    b = t.set_index("feature")
    assert (b.loc["B", "rank_paper"], b.loc["B", "rank_book"]) == (1.0, 2.0)
    assert b.loc["B", "accuracy_paper"] == 0.46 and b.loc["B", "accuracy_book"] == 0.41
    assert np.isnan(b.loc["C", "rank_book"]) and np.isnan(b.loc["C", "f1_book"])
    assert np.isnan(b.loc["A", "rank_paper"]) and b.loc["A", "f1_book"] == 0.50
    assert "D" not in set(t["feature"])  # rank 3 is outside the book's top 2
    assert {f"{m}_{s}" for m in L.METRICS for s in ("paper", "book")} <= set(t.columns)


def test_table4_on_the_published_table_keeps_every_paper_row():
    paper = load_reference("h2sea_table4_top_features")
    t = L.table4_aligned(_importance().assign(task="education"), paper, top_k=1)
    assert t["rank_paper"].notna().sum() == len(paper)
    assert (t.dropna(subset=["rank_paper"])["accuracy_paper"].notna()).all()


def test_table4_names_a_missing_column():
    with pytest.raises(ValueError, match=r"importance: missing column\(s\) \['accuracy'\]"):
        L.table4_aligned(_importance().drop(columns="accuracy"), _paper())


def _fake_estimator(feats: pd.DataFrame, monkeypatch):
    monkeypatch.setattr(L.exp_estimator, "exposure_features",
                        lambda world, model, clusters, users: feats[feats.user_id.isin(users)])

    class Model:  # EP = cluster confidence, so the expected values are known
        def predict(self, X):
            return X["cluster_confidence"].to_numpy(dtype=float)

    return SimpleNamespace(world=None, pfli_model=None, clusters=None, model=Model())


FEATS = pd.DataFrame({"user_id": [10, 11, 12, 13],
                      "category": ["HT+WE+F", "HT+WE+F", "WE", "HT+WE+F"],
                      "cluster_confidence": [0.95, 0.70, 0.69, 0.30],
                      "pct_friends_with_attributes": [1.0, 40.0, 0.9, 0.0]})


def test_u1_like_user_by_hand(monkeypatch):
    est = _fake_estimator(FEATS, monkeypatch)
    # distances to U1 (0.69, 0.9 %): 10 -> 0.26 + 0.001, 11 -> 0.01 + 0.391, 13 -> 0.39 + 0.009
    assert L.u1_like_user(est, [10, 11, 12, 13]) == 10
    assert L.u1_like_user(est, [11, 13]) == 13  # 0.399 < 0.401
    with pytest.raises(ValueError, match="no user of category HT\\+WE\\+F among 1 users"):
        L.u1_like_user(est, [12])


def test_table7_cases_run_through_the_model(monkeypatch):
    est = _fake_estimator(FEATS, monkeypatch)
    cases = load_reference("pfli_table7_cases")
    t = L.table7_cases(est, FEATS.user_id.to_numpy(), cases)
    assert len(t) == len(cases)
    assert np.allclose(t["model_ep"], cases["cluster_confidence"])  # the model at the paper's inputs
    u1 = t[t.user == "U1"].iloc[0]
    assert u1.nearest_user == 10 and u1.nearest_ep == pytest.approx(0.95)
    assert u1.nearest_level == 5 and u1.model_level == 3  # 0.95 -> level 5, 0.69 -> level 3
    no_match = t[~t.category.isin(FEATS.category)]
    assert no_match["nearest_user"].isna().all()
    with pytest.raises(ValueError, match="cases: missing column"):
        L.table7_cases(est, [10], cases.drop(columns="risk_level"))


def test_table8_side_by_side():
    paper = load_reference("pfli_table8_hiding_u1")
    variants = pd.DataFrame({"setting": ["current (HT+WE+F)", "hide WE", "hide HT+F"],
                             "exposure_probability": [0.9, 0.4, 0.2], "risk_level": [5, 2, 1]})
    t = L.table8_u1(SimpleNamespace(variants=variants), paper).set_index("setting")
    assert t.loc["current", "paper_ep"] == paper.exposure_probability.iloc[0]
    assert t.loc["current", "book_ep"] == 0.9
    assert t.loc["hide WE", "book_level"] == 2
    assert np.isnan(t.loc["hide HT+F", "paper_ep"])  # the book's extra setting


def test_table8_keeps_the_papers_row_order_then_the_books_extras():
    paper = load_reference("pfli_table8_hiding_u1")
    book = ["current (HT+WE+F)", "hide HT+F", "hide HT", "hide WE", "hide F", "hide WE+F",
            "hide HT+WE", "hide HT+WE+F"]
    variants = pd.DataFrame({"setting": book, "exposure_probability": np.linspace(0.9, 0.1, 8),
                             "risk_level": [5, 4, 4, 3, 3, 2, 2, 1]})
    t = L.table8_u1(SimpleNamespace(variants=variants), paper)
    # not the lexicographic order an outer merge gives ("hide F" before "hide WE")
    assert t["setting"].tolist() == ["current", *paper["setting"].iloc[1:], "hide HT+F",
                                     "hide HT+WE+F"]
    assert t.set_index("setting").loc["hide WE", "book_ep"] == pytest.approx(variants
                                                                             .exposure_probability[3])


def test_price_vs_income_level_uses_homes_with_a_listing_only():
    rng = np.random.default_rng(3)
    n = 200
    X = pd.DataFrame({"hp_mean": rng.normal(size=n)})
    lvl = rng.integers(0, 3, size=n)
    has = rng.random(n) < 0.6
    y = pd.DataFrame({"personal_income": pd.array(lvl, dtype="Int64")})
    meta = pd.DataFrame({"has_sale_price_2km": has})
    got = housing.price_vs_income_level(X, y, meta)
    r, _ = stats.pearsonr(X.hp_mean[has], lvl[has])
    assert got["n"] == has.sum()
    assert got["pearson_r"] == pytest.approx(r)
    row = housing.housing_income_correlations(
        X, y, meta.assign(commercial=True, city="c", exact_income=rng.normal(size=n),
                          own_home_price=rng.normal(size=n)), "hp_mean", 4)
    assert row.set_index("scope").loc["china_level_2km", "pearson_r"] == pytest.approx(r)
