"""The adapters turn study results into tidy tables with hand-checkable values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from homelib.claims import adapters as A
from homelib.claims import engine as E
from homelib.claims import fig3


def test_performance_and_gains_by_hand():
    per = pd.DataFrame({"repeat": [0, 0, 0, 1, 1, 1], "task": "education",
                        "method": ["H2SEA", "POP", "ETNA"] * 2,
                        "f1": [0.5, 0.25, 0.4, 0.6, 0.3, 0.5], "auc": 0.7, "gmean": [0.4, 0.0, 0.2] * 2,
                        "accuracy": 0.6})
    perf = A.h2sea_performance(per, world=7)
    E.check_tidy(perf)
    assert set(perf["world"]) == {7} and set(perf["split"]) == {0, 1}
    g = A.h2sea_gains(perf).set_index(["split", "comparison", "metric"])["value"]
    assert g[(0, "H2SEA vs POP", "f1_gain_pct")] == pytest.approx(100.0)
    assert g[(1, "H2SEA vs ETNA", "f1_gain_pct")] == pytest.approx(20.0)
    assert np.isnan(g[(0, "H2SEA vs POP", "gmean_gain_pct")])  # POP's G-Mean is 0
    assert g[(0, "H2SEA vs ETNA", "gmean_gain_pct")] == pytest.approx(100.0)


def test_importance_ranks_from_scores_per_dataset_and_task():
    imp = pd.DataFrame({"task": "t", "feature": ["A", "B", "C"], "score": [1.0, 3.0, 2.0]})
    t = A.h2sea_importance(imp, 0)
    r = t[t.metric == "rank"].set_index("feature")["value"]
    assert r.to_dict() == {"A": 3.0, "B": 1.0, "C": 2.0}
    assert set(t["dataset"]) == {"city+village"}


def test_city_village_gap_row():
    tab = pd.DataFrame({"dataset": ["city+village", "city-only", "village-only"], "task": "t",
                        "f1": [0.5, 0.52, 0.45], "change_ratio_pct": [100.0, 104.0, 90.0]})
    t = A.h2sea_city_village(tab, 0)
    gap = t[(t.dataset == "city-only minus village-only") & (t.metric == "change_ratio_pct")]
    assert gap["value"].tolist() == [14.0]


def test_people_shares():
    y = pd.DataFrame({"education": pd.array([2, 0, 2, 1, 2, pd.NA], dtype="Int64")})
    meta = pd.DataFrame({"is_city": [True, True, False, False, False, True]})
    X = pd.DataFrame({c: [1.0, 0.0, 2.0, 0.0, 1.0, 5.0] for c in A.UNIVERSITY_POIS})
    t = A.h2sea_people(X, y, meta, 0).set_index(["group", "metric"])["value"]
    assert t[("city", "share_university_pct")] == pytest.approx(50.0)  # 1 of 2 labelled
    assert t[("village", "share_university_pct")] == pytest.approx(200 / 3)
    assert t[("university", "university_poi_ratio")] == pytest.approx(4 / 3)
    assert t[("below university", "university_poi_ratio")] == pytest.approx(0.0)


def test_aed_ratio_and_acc_by_visibility():
    aed = pd.DataFrame({"user_set": "overall", "method": ["A", "B"], "aed60": [1.0, 2.0],
                        "aed80": [10.0, 0.0], "aed100": [200.0, 50.0]})
    t = A.pfli_aed(aed, 0)
    r = t[t.metric == "aed100_over_aed80"].set_index("method")["value"]
    assert r["A"] == 20.0 and np.isnan(r["B"])
    vis = pd.DataFrame({"shows": ["HT and WE"], "acc@25km": [0.5], "acc@100km": [0.9]})
    v = A.pfli_acc_visibility(vis, 0).set_index("k_km")["value"]
    assert v.to_dict() == {25.0: 0.5, 100.0: 0.9}


def test_cc_bins_put_exactly_one_apart():
    assert A.cc_bins([0.0, 0.0999, 0.1, 0.899, 0.9, 0.99, 1.0]).tolist() == [
        0.0, 0.0, 0.1, 0.8, 0.9, 0.9, 1.0]


def test_ep_tables_drop_small_groups_and_count_hits():
    users = pd.DataFrame({"category": ["F"] * 12 + ["WE"] * 3,
                          "pct_friends_with_attributes": [10.0] * 12 + [0.0] * 3,
                          "cluster_confidence": [0.5] * 12 + [1.0] * 3,
                          "error_prob_km": [1.0] * 6 + [500.0] * 6 + [0.0] * 3,
                          "error_cent_km": [1.0] * 6 + [500.0] * 6 + [0.0] * 3})
    t = A.exposure_ep_tables(users, [10.0], 0, min_users=10)
    cat = t["exposure_ep_category"].set_index("category")["value"]
    assert cat.to_dict() == {"F": 0.5}  # WE has 3 users < 10
    assert t["exposure_ep_friends"]["pct_bin"].tolist() == [10.0]


def test_whatif_populations():
    rows = []
    for u, (cat, friends_cc) in enumerate([("HT+WE+F", 0.95), ("F", 0.5), ("HT", 0.1)]):
        for h, ep in (("", 0.9), ("WE", 0.5), ("F", 0.8 if friends_cc > 0.9 else 0.88),
                      ("HT+WE", 0.7)):
            rows.append({"user_id": u, "hide": h, "category": cat if h == "" else "x",
                         "cluster_confidence": friends_cc if h == "HT+WE" else 0.5,
                         "exposure_probability": ep})
    t = A.exposure_whatif(pd.DataFrame(rows), 0).set_index(["population", "hide", "metric"])["value"]
    assert t[("shows WE", "WE", "mean_ep")] == pytest.approx(0.5)  # only user 0 shows WE
    assert t[("F, friends CC >= 0.9", "F", "mean_drop")] == pytest.approx(0.1)
    assert t[("F, friends CC < 0.9", "F", "mean_drop")] == pytest.approx(0.02)
    assert t[("all", "", "mean_ep")] == pytest.approx(0.9)


def test_cases_go_through_the_model_at_the_papers_features():
    class M:
        def predict(self, f):
            return f["cluster_confidence"].to_numpy() * 0 + np.where(f["category"] == "WE", 0.85, 0.1)

    cases = pd.DataFrame({"user": ["U9", "U8"], "category": ["WE", "HT"],
                          "cluster_confidence": [0.404, 0.169], "error_distance_km": [20, 20],
                          "pct_friends_with_attributes": [0.0, 0.0]})
    t = A.exposure_cases(M(), cases, 0).set_index(["case", "metric"])["value"]
    assert t[("U9", "ep")] == 0.85 and t[("U9", "risk_level")] == 4.0
    assert t[("U8", "risk_level")] == 1.0
    with pytest.raises(ValueError, match="category"):
        A.exposure_cases(M(), cases.assign(category="XX"), 0)


def test_fig3_matching_the_box_count_does_not_give_five_clusters():
    """The premise of the Fig 3 decision in the social data card."""
    t = fig3.fig3_box([2.0, 6.0], [0], n_users=100).set_index("focus_boost")
    assert t.loc[6.0, "box_places"] == 228 and t.loc[6.0, "box_clusters"] == 7  # chapter 07
    assert abs(t.loc[2.0, "box_places"] - fig3.FIG3_BOX["places"]) < 15
    assert t.loc[2.0, "box_clusters"] > fig3.FIG3_BOX["clusters"]
