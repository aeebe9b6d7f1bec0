"""Synthetic study results in the shape the chapters produce, for the ledger's tests.

:func:`synthetic_tables` builds every tidy table the claims read, through the
real adapters (so adapters and bindings are tested together), for a few
worlds. The values follow the papers' qualitative story (H2SEA best, PFLI_prob
best, EP growing with cluster confidence, ...) with small world-to-world
noise, so that most claims hold; ``overrides`` bends single results to check
that a verdict follows the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from homelib.claims import adapters as A

TASKS = ("personal_income", "family_income", "education", "occupation")
METHODS = ("POP", "LR", "XGBoost", "ETNA", "H2SEA-NA", "H2SEA")
FAMILIES = ("County-income", "POI", "City-name", "Province-name", "County-name", "Town-name",
            "Street-name", "Zip-code", "Urban type", "Average housing price", "Housing price",
            "Renting price", "Town budget", "Town tax")
RANK_FAMILIES = ("County-income", "POI", "City-name", "Province-name", "County-name", "Town-name",
                 "Urban type", "Average housing price", "Housing price", "Renting price",
                 "Town budget", "Town tax")
PFLI_METHODS = ("Base_dist", "Base_ann", "Base_freq", "Base_freq+", "Base_knn", "PFLI_noclst",
                "PFLI_dist", "PFLI_cent", "PFLI_prob", "PFLI_cmb")
KS = (1.0, 10.0, 20.0, 40.0, 60.0, 100.0, 200.0)
CATEGORIES = ("HT", "WE", "F", "HT+WE", "HT+F", "WE+F", "HT+WE+F")


class _Model:
    """A stand-in exposure model: EP grows with cluster confidence and K."""

    def predict(self, f: pd.DataFrame) -> np.ndarray:
        base = 0.3 + 0.65 * f["cluster_confidence"].to_numpy(float)
        return np.clip(base + 0.0005 * f["k_km"].to_numpy(float), 0, 1)


def _perf(world: int, rng, overrides) -> pd.DataFrame:
    rows = []
    for r in range(2):
        for t in TASKS:
            for i, m in enumerate(METHODS):
                f1 = 0.33 + 0.04 * i + rng.normal(0, 0.002)
                row = {"repeat": r, "task": t, "method": m, "f1": f1, "auc": 0.5 + 0.05 * i,
                       "gmean": 0.0 if m == "POP" else 0.3 + 0.05 * i,
                       "accuracy": 0.55 + 0.01 * i}
                if t == "personal_income" and m != "POP":
                    row["f1"] += 0.1  # the largest gain over POP
                for (tt, mm, met), v in overrides.get("perf", {}).items():
                    if (tt, mm) == (t, m):
                        row[met] = v + rng.normal(0, 0.002)
                rows.append(row)
    return A.h2sea_performance(pd.DataFrame(rows), world)


def _importance(world: int, rng, families, datasets) -> pd.DataFrame:
    rows = []
    for d in datasets:
        for t in TASKS:
            order = list(families)
            if t in ("education", "occupation"):
                order[0], order[1] = order[1], order[0]  # POI first
            for j, f in enumerate(order):
                rows.append({"dataset": d, "task": t, "feature": f,
                             "score": 2.0 - 0.05 * j + rng.normal(0, 0.001)})
    return A.h2sea_importance(pd.DataFrame(rows), world)


def _pfli(world: int, rng) -> dict[str, pd.DataFrame]:
    aed = []
    for us, scale in (("with_la_friends", 1.0), ("overall", 1.2)):
        for m in PFLI_METHODS:
            base = 1.0 if m.startswith("PFLI") else (3.0 if m == "Base_ann" else 3.0 * scale / 1.2
                                                     * (2.0 if us == "overall" else 1.0))
            rank = {"PFLI_prob": 1.0, "PFLI_cmb": 1.0, "PFLI_cent": 1.1, "PFLI_noclst": 1.2,
                    "PFLI_dist": 1.3}.get(m, 1.0)
            f = base * rank * scale * (1 + rng.normal(0, 0.005))
            aed.append({"user_set": us, "method": m, "aed60": 3 * f, "aed80": 40 * f,
                        "aed100": 700 * f})
    acc = []
    for us in ("with_la_friends", "overall"):
        drop = 0.9 if us == "overall" else 1.0
        for m in PFLI_METHODS:
            for k in KS:
                a = 0.3 + 0.3 * np.log1p(k) / np.log1p(200)
                if m == "PFLI_cent":
                    a = a - 0.05 if k < 40 else a + 0.02
                if m == "PFLI_dist":
                    a -= 0.08
                if m == "PFLI_cmb":
                    a = a if k < 40 else a + 0.02
                if m == "PFLI_noclst":
                    a -= 0.03
                if m.startswith("Base"):
                    a -= 0.1
                    a *= drop if m == "Base_ann" else drop ** 3
                elif us == "overall":
                    a *= drop
                acc.append({"user_set": us, "method": m, "k_km": k,
                            "acc": a + rng.normal(0, 0.001)})
    vis = pd.DataFrame({"shows": ["HT and WE", "HT only", "WE only", "neither"],
                        "acc@25km": [0.8, 0.6, 0.6, 0.3], "acc@40km": [0.85, 0.6, 0.6, 0.3],
                        "acc@100km": [0.92 + rng.normal(0, 0.002), 0.7, 0.7, 0.4]})
    return {"pfli_aed": A.pfli_aed(pd.DataFrame(aed), world),
            "pfli_acc": A.pfli_acc(pd.DataFrame(acc), world),
            "pfli_acc_visibility": A.pfli_acc_visibility(vis, world)}


def _exposure(world: int, rng) -> dict[str, pd.DataFrame]:
    n = 20000
    strength = {"HT": 0.55, "WE": 0.8, "F": 0.4, "HT+WE": 0.92, "HT+F": 0.65, "WE+F": 0.88,
                "HT+WE+F": 0.94}
    cats = rng.choice(list(CATEGORIES), size=n)
    cc = rng.uniform(0, 1, n)
    cc[rng.random(n) < 0.1] = 1.0
    p = np.array([strength[c] for c in cats]) * (0.6 + 0.4 * cc)
    pct = np.where(np.char.find(cats.astype(str), "F") >= 0, rng.uniform(0, 60, n), 0.0)
    p = p * np.where(pct > 0, 0.8 + 0.2 * pct / 60, 1.0)  # F7: more friends with attributes
    p = np.where(cc == 1.0, np.where(cats == "F", 0.2, 0.99), p)
    hit = rng.random(n) < p
    err = np.where(hit, 0.0, rng.uniform(300, 900, n))
    users = pd.DataFrame({"user_id": np.arange(n), "category": cats,
                          "pct_friends_with_attributes": pct, "cluster_confidence": cc,
                          "error_prob_km": err, "error_cent_km": err})
    out = A.exposure_ep_tables(users, KS, world)
    n_friends = np.where((cats == "F") & (cc > 0.9), 1.0, 30.0)
    out["exposure_users"] = A.exposure_users(users, n_friends, world)
    models = pd.DataFrame({"model": ["RDF", "LinearRegression", "RDF without error distance",
                                     "RDF without user category",
                                     "RDF without % friends with attributes",
                                     "RDF without cluster confidence"],
                           "mae": np.array([0.03, 0.06, 0.05, 0.06, 0.045, 0.08])
                           + rng.normal(0, 0.001),
                           "rmse": np.array([0.08, 0.15, 0.1, 0.13, 0.12, 0.17])})
    out["exposure_models"] = A.exposure_models(models, world)
    hides = ["", "HT", "WE", "F", "HT+WE", "HT+F", "WE+F", "HT+WE+F"]
    rows = []
    for u in range(60):
        cat = "HT+WE+F" if u < 40 else "F"
        friends_cc = 0.95 if u % 2 else 0.5
        for h in hides:
            ep = 0.95 - 0.1 * len(h.split("+")) * bool(h) - (0.3 if "WE" in h else 0)
            if h == "F" and friends_cc > 0.9:
                ep -= 0.2
            rows.append({"user_id": u, "hide": h, "category": cat if not h else "x",
                         "cluster_confidence": friends_cc if h == "HT+WE" else 0.6,
                         "exposure_probability": ep + rng.normal(0, 0.002)})
    out["exposure_whatif"] = A.exposure_whatif(pd.DataFrame(rows), world)
    cases = pd.read_csv(_ref("pfli_table7_cases.csv"))
    out["exposure_cases"] = A.exposure_cases(_Model(), cases, world)
    out["exposure_cc_curve"] = A.exposure_cc_curve(_Model(), "WE+F", 100.0, 2.1, world)
    variants = pd.DataFrame({"setting": ["current (HT+WE+F)", "hide HT", "hide WE", "hide F",
                                         "hide HT+WE", "hide HT+F", "hide WE+F", "hide HT+WE+F"],
                             "exposure_probability": [0.97, 0.93, 0.5, 0.95, 0.07, 0.9, 0.45,
                                                      0.05] + rng.normal(0, 0.002, 8)})
    variants["risk_level"] = [5, 5, 3, 5, 1, 4, 2, 1]
    variants["cluster_confidence"] = 0.7
    variants["pct_friends_with_attributes"] = 2.0
    out["exposure_u1"] = A.exposure_u1(variants, world)
    return out


def _ref(name: str):
    from homelib import io

    return io.reference_dir() / name


def synthetic_tables(n_worlds: int = 3, seed: int = 0, overrides=None) -> dict[str, pd.DataFrame]:
    """Every tidy table of :data:`homelib.claims.bindings.TABLES` for ``n_worlds`` worlds."""
    overrides = overrides or {}
    parts: dict[str, list[pd.DataFrame]] = {}
    for w in range(n_worlds):
        def rng(part: int, w=w):
            return np.random.default_rng([seed, w, part])

        perf = _perf(w, rng(0), overrides)
        tabs = {"h2sea_performance": perf, "h2sea_gains": A.h2sea_gains(perf),
                "h2sea_importance": _importance(w, rng(1), FAMILIES, ["city+village"]),
                "h2sea_subset_importance": _importance(w, rng(2), RANK_FAMILIES,
                                                       ["city+village", "city-only",
                                                        "village-only"])}
        r3 = rng(3)
        cv = pd.DataFrame([{"dataset": d, "task": t, "f1": 0.5,
                            "change_ratio_pct": {"city+village": 100.0, "city-only": 103.0,
                                                 "village-only": 95.0}[d] + r3.normal(0, 0.1)}
                           for d in ("city+village", "city-only", "village-only") for t in TASKS])
        tabs["h2sea_city_village"] = A.h2sea_city_village(cv, w)
        tabs["h2sea_coverage"] = A.h2sea_coverage(pd.DataFrame(
            {"dataset": ["city+village", "city-only", "village-only"],
             "coverage_pct": [43.0, 57.0 + r3.normal(0, 1), 17.0]}), w)
        tabs["h2sea_people"] = pd.DataFrame(
            {"world": w, "split": 0, "group": ["city", "village", "university", "below university"],
             "metric": ["share_university_pct"] * 2 + ["university_poi_ratio"] * 2,
             "value": [35.0, 10.0, 1.4, 0.9] + r3.normal(0, 0.1, 4)})
        scopes = {"china_level_2km": 0.18, "china_exact_2km": 0.3, "commercial_level_2km": 0.3,
                  "noncommercial_level_2km": 0.1, "commercial_exact_2km": 0.4,
                  "noncommercial_exact_2km": 0.1, "city_level_2km:Harbin": 0.37,
                  "city_level_2km:Nanjing": 0.05, "max_city_level_2km": 0.33,
                  "rent_vs_price": 0.6}
        h = [{"scope": s, "metric": "pearson_r", "value": v + r3.normal(0, 0.005)}
             for s, v in scopes.items()]
        h += [{"scope": "low_mid_income", "metric": "share_above_median_price", "value": 0.4},
              {"scope": "noncommercial_own_vs_area", "metric": "mean_log_price_ratio",
               "value": -0.5 + r3.normal(0, 0.01)}]
        tabs["housing"] = pd.DataFrame(h).assign(world=w, split=0)
        tabs.update(_pfli(w, rng(4)))
        tabs.update(_exposure(w, rng(5)))
        for k, v in tabs.items():
            parts.setdefault(k, []).append(v)
    return {k: pd.concat(v, ignore_index=True) for k, v in parts.items()}
