"""Cross-validated current-city prediction with every method (PFLI Sec 7).

:func:`evaluate_pfli` predicts the city of LA users in folds (a user's own
city never reaches the matrices that predict it) with PFLI's selectors and
the five baselines; :func:`aed_table` and :func:`acc_table` give the
``pfli_aed.csv`` and ``pfli_acc_at_k.csv`` contracts (AED@p and ACC@K of
Sec 7.1.3, Tables 1-2 and Figs 4-5).

Examples
--------
>>> pu = pd.DataFrame({"method": "PFLI_prob", "error_km": [10., 20, 30, 40, 1000],
...                    "has_la_friends": True})
>>> aed_table(pu).query("user_set == 'overall' and method == 'PFLI_prob'")["aed60"].tolist()
[20.0]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.model_selection import KFold

from ..geo import haversine_km
from ..metrics import acc_at_k, aed_at
from ..progress import bar
from . import baselines
from .clusters import cluster_places
from .model import PFLI, PFLIConfig, observed_friends

__all__ = [
    "METHODS",
    "DEFAULT_KS",
    "PFLIEvaluation",
    "evaluate_pfli",
    "aed_table",
    "acc_table",
    "accuracy_by_visibility",
]


METHODS = ("Base_dist", "Base_ann", "Base_freq", "Base_freq+", "Base_knn",
           "PFLI_noclst", "PFLI_dist", "PFLI_cent", "PFLI_prob")
"""The method columns of the paper's Tables 1-2 (PFLI_cmb is added by the tables)."""


DEFAULT_KS = (1, 5, 10, 15, 20, 25, 30, 40, 50, 60, 80, 100, 150, 200)
"""The ACC@K grid (km)."""


@dataclass
class PFLIEvaluation:
    """Results of :func:`evaluate_pfli`.

    Attributes
    ----------
    per_user : DataFrame
        One row per (user, method): ``user_id, method, pred_lat, pred_lon,
        error_km, has_la_friends, cluster_prob, pfli_prior, fold``.
    aed, acc_at_k : DataFrame
        :func:`aed_table` and :func:`acc_table` of ``per_user``.
    models : list of PFLIModel
        The fitted PFLI model of every fold, then (with LN users) the model
        fitted on all LA users.
    clusters : int array
    ln_per_user : DataFrame or None
    baseline_models : list of dict
        The fitted baselines of every fold (same order as ``models``).
    info : dict
        Run facts (fold sizes, timings, settings).

    Examples
    --------
    Usually returned by :func:`evaluate_pfli`; built by hand here:

    >>> pu = pd.DataFrame({"user_id": [0, 1], "method": "PFLI_prob", "error_km": [5.0, 80.0],
    ...                    "has_la_friends": [True, False]})
    >>> ev = PFLIEvaluation(pu, aed_table(pu), acc_table(pu, [10]), models=[],
    ...                     clusters=np.zeros(2, dtype=int))
    >>> ev.acc_at_k.query("user_set == 'overall'").acc.tolist()
    [0.5]
    """

    per_user: pd.DataFrame
    aed: pd.DataFrame
    acc_at_k: pd.DataFrame
    models: list
    clusters: NDArray
    ln_per_user: pd.DataFrame | None = None
    baseline_models: list = field(default_factory=list)
    info: dict = field(default_factory=dict)


def _score_select(pfli: PFLI, world, users, batch, selectors):
    """Score users in batches and apply the selectors; returns {selector: DataFrame}."""
    parts = {s: [] for s in selectors}
    prior = []
    for b0 in range(0, users.size, batch):
        ub = users[b0: b0 + batch]
        sc, pr = pfli.model_.score(world, ub, return_prior=True)
        prior.append(pr)
        for s in selectors:
            df = pfli.locate(world, ub, s, scores=sc)
            df["user_index"] += b0
            parts[s].append(df)
    out = {s: pd.concat(v, ignore_index=True) for s, v in parts.items()}
    return out, np.concatenate(prior) if prior else np.zeros(0, bool)


def _predict_all(world, users, known, pfli: PFLI, base: dict | None, cfg, prior_place):
    lat, lon = world.places["lat"].to_numpy(), world.places["lon"].to_numpy()
    truth = world.users["current_place"].to_numpy()[users]
    sel, prior = _score_select(pfli, world, users, cfg.batch_size, ("noclst", "dist", "cmb"))
    preds = {}
    for name, s in (("PFLI_noclst", "noclst"), ("PFLI_dist", "dist"), ("PFLI_prob", "cmb")):
        d = sel[s]
        preds[name] = (d["pred_lat"].to_numpy(), d["pred_lon"].to_numpy(), d["cluster_prob"].to_numpy())
    d = sel["cmb"]
    preds["PFLI_cent"] = (d["cent_lat"].to_numpy(), d["cent_lon"].to_numpy(), d["cluster_prob"].to_numpy())
    for name, est in (base or {}).items():
        place = est.predict(world, users)
        place = np.where(place >= 0, place, prior_place)
        preds[name] = (lat[place], lon[place], np.full(users.size, np.nan))
    a = observed_friends(world, users)
    has_la = np.asarray(a.multiply(known.astype(np.float32)[None, :]).sum(axis=1)).ravel() > 0
    rows = []
    for name in [m for m in METHODS if m in preds]:
        plat, plon, cp = preds[name]
        err = haversine_km(lat[truth], lon[truth], plat, plon)
        rows.append(pd.DataFrame({"user_id": users, "method": name, "pred_lat": plat, "pred_lon": plon,
                                  "error_km": err, "has_la_friends": has_la, "cluster_prob": cp,
                                  "pfli_prior": prior}))
    return pd.concat(rows, ignore_index=True)


def _fit_fold(world, known, cfg, clusters, seed, with_baselines):
    pfli = PFLI(config=cfg, seed=seed, clusters=clusters).fit(world, known)
    base = None
    if with_baselines:
        base = {name: est.fit(world, known)
                for name, est in baselines.make_baselines(seed=seed).items()}
    return pfli, base


def evaluate_pfli(world, *, config: PFLIConfig | None = None, folds: int = 5, seed: int = 0,
                  ks: ArrayLike = DEFAULT_KS, ln_users: int = 0,
                  clusters: ArrayLike | None = None, with_baselines: bool = True) -> PFLIEvaluation:
    """Cross-validated current-city prediction of LA users (Sec 7) with all methods.

    The LA users are split into ``folds`` folds (``sklearn.model_selection.KFold``,
    shuffled with ``seed``); for each, PFLI (:class:`homelib.pfli.model.PFLI`) and
    the five baselines (:func:`homelib.pfli.baselines.make_baselines`) are fitted
    with the other folds as the only known users, so no information from a
    test user's own city enters what predicts that user. Up to
    ``ln_users`` LN users (a seeded sample) are also scored, with models
    fitted on all LA users, against the kept ground truth
    (``ln_per_user``). Baselines without an answer (no LA friend, no
    attribute) predict the most common known city, as every method must
    answer for every user.

    Parameters
    ----------
    world : SocialWorld
    config : PFLIConfig, optional
    folds : int
        At least 2.
    seed : int
        Seed of the folds, the LN sample and the fits (fold ``f`` fits with ``seed + f``).
    ks : array of float
        The ACC@K grid (km).
    ln_users : int
    clusters : int array, optional
        UPGMA clusters of the places (default: at ``config.cluster_km``).
    with_baselines : bool
        False scores PFLI only (for the chapter's reading comparisons).

    Returns
    -------
    PFLIEvaluation

    Examples
    --------
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=600, n_places=30, n_multi_orgs=3), seed=2)
    >>> ev = evaluate_pfli(w, config=PFLIConfig(train_users=100), folds=2, ks=[10, 100],
    ...                    with_baselines=False)
    >>> sorted(ev.per_user.method.unique())
    ['PFLI_cent', 'PFLI_dist', 'PFLI_noclst', 'PFLI_prob']
    """
    cfg = config or PFLIConfig()
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise ValueError(f"folds must be an integer >= 2; got {folds!r}")
    rng = np.random.default_rng(seed)
    la = world.users["current_visible"].to_numpy(bool)
    la_ids = np.flatnonzero(la)
    if la_ids.size < folds:
        raise ValueError(f"folds = {folds}: only {la_ids.size} LA users to split")
    if clusters is None:
        clusters = cluster_places(world.places["lat"], world.places["lon"], cfg.cluster_km)
    clusters = np.asarray(clusters)
    cur = world.users["current_place"].to_numpy()
    parts, models, fitted = [], [], []
    splits = KFold(folds, shuffle=True, random_state=seed).split(la_ids)
    for f, (_, test_pos) in enumerate(bar(splits, total=folds, desc="PFLI folds", unit="fold")):
        test = np.sort(la_ids[test_pos])
        known = la.copy()
        known[test] = False
        pfli, base = _fit_fold(world, known, cfg, clusters, seed + f, with_baselines)
        prior_place = int(np.bincount(cur[known], minlength=world.n_places).argmax())
        df = _predict_all(world, test, known, pfli, base, cfg, prior_place)
        df["fold"] = f
        parts.append(df)
        models.append(pfli.model_)
        fitted.append(base or {})
    per_user = pd.concat(parts, ignore_index=True)
    ln_df = None
    if ln_users > 0:
        ln_ids = np.flatnonzero(~la & (cur >= 0))
        ln_ids = np.sort(rng.choice(ln_ids, size=min(ln_users, ln_ids.size), replace=False))
        pfli, base = _fit_fold(world, la, cfg, clusters, seed + folds, with_baselines)
        prior_place = int(np.bincount(cur[la], minlength=world.n_places).argmax())
        ln_df = _predict_all(world, ln_ids, la, pfli, base, cfg, prior_place)
        models.append(pfli.model_)
        fitted.append(base or {})
    ks = np.asarray(ks, dtype=float)
    return PFLIEvaluation(per_user=per_user, aed=aed_table(per_user), acc_at_k=acc_table(per_user, ks, cfg),
                          models=models, clusters=clusters, ln_per_user=ln_df, baseline_models=fitted,
                          info={"folds": folds, "seed": seed, "n_clusters": int(clusters.max()) + 1,
                                "with_baselines": with_baselines})


def _user_sets(per_user: pd.DataFrame):
    yield "with_la_friends", per_user[per_user["has_la_friends"]]
    yield "overall", per_user


def aed_table(per_user: pd.DataFrame) -> pd.DataFrame:
    """AED@60/80/100% per user set and method (``pfli_aed.csv`` columns).

    ``PFLI_cmb`` has no single prediction in the paper (it switches selector
    with K); its AED rows use the ``prob`` predictions, the selector it uses
    at small distances, and are marked in ``note``.

    Parameters
    ----------
    per_user : DataFrame
        ``method, error_km, has_la_friends`` per (user, method), as
        :attr:`PFLIEvaluation.per_user`.

    Returns
    -------
    DataFrame
        One row per user set (``la_friends``, ``overall``) and method: ``aed60, aed80,
        aed100`` (:func:`homelib.metrics.aed_at`) and ``note``.

    Examples
    --------
    >>> pu = pd.DataFrame({"method": "PFLI_prob", "error_km": [10., 20, 30, 40, 1000],
    ...                    "has_la_friends": True})
    >>> aed_table(pu).query("user_set == 'overall' and method == 'PFLI_prob'")[["aed60", "aed100"]].values.tolist()
    [[20.0, 220.0]]
    """
    rows = []
    for uset, df in _user_sets(per_user):
        for m, g in df.groupby("method", sort=False):
            e = g["error_km"].to_numpy()
            rows.append((uset, m, aed_at(e, 0.6), aed_at(e, 0.8), aed_at(e, 1.0), int(e.size), ""))
            if m == "PFLI_prob":
                rows.append((uset, "PFLI_cmb", *rows[-1][2:6], "prob predictions"))
    return pd.DataFrame(rows, columns=["user_set", "method", "aed60", "aed80", "aed100", "n_users", "note"])


def acc_table(per_user: pd.DataFrame, ks: ArrayLike = DEFAULT_KS,
              config: PFLIConfig | None = None) -> pd.DataFrame:
    """ACC@K per user set, method and K (``pfli_acc_at_k.csv`` columns), plus ``PFLI_cmb``.

    ``PFLI_cmb`` uses the ``prob`` selector below ``config.cmb_switch_km`` and the ``cent``
    selector from there on (PFLI Sec 7.2.2).

    Parameters
    ----------
    per_user : DataFrame
        ``method, error_km, has_la_friends`` per (user, method).
    ks : array-like of float
        The distances K in km (the paper's Figure 4-5 grid by default).
    config : PFLIConfig, optional
        Gives ``cmb_switch_km`` (default ``PFLIConfig()``).

    Returns
    -------
    DataFrame
        Columns ``user_set, method, k_km, acc``.

    Examples
    --------
    >>> pu = pd.DataFrame({"method": ["PFLI_prob"] * 2 + ["PFLI_cent"] * 2,
    ...                    "error_km": [5., 60, 30, 45], "has_la_friends": True})
    >>> t = acc_table(pu, [10, 50])
    >>> t.query("user_set == 'overall' and method == 'PFLI_cmb'").acc.tolist()
    [0.5, 1.0]
    """
    cfg = config or PFLIConfig()
    ks = np.asarray(ks, dtype=float)
    rows = []
    for uset, df in _user_sets(per_user):
        errs = {m: g["error_km"].to_numpy() for m, g in df.groupby("method", sort=False)}
        for m, e in errs.items():
            rows += [(uset, m, float(k), acc_at_k(e, k)) for k in ks]
        if "PFLI_prob" in errs and "PFLI_cent" in errs:
            for k in ks:
                e = errs["PFLI_prob"] if k < cfg.cmb_switch_km else errs["PFLI_cent"]
                rows.append((uset, "PFLI_cmb", float(k), acc_at_k(e, k)))
    return pd.DataFrame(rows, columns=["user_set", "method", "k_km", "acc"])


def accuracy_by_visibility(world, per_user: pd.DataFrame, ks: ArrayLike = (25, 40, 100),
                           method: str = "PFLI_prob") -> pd.DataFrame:
    """ACC@K of ``method`` by which attributes the user shows (HT and WE, one, none).

    The paper reports 90% accuracy for users revealing hometown and work and
    education (PFLI Sec 1) without naming K; the book shows several K.

    Parameters
    ----------
    world : SocialWorld
        Gives each user's ``hometown_visible`` and ``work_visible``.
    per_user : DataFrame
        ``user_id, method, error_km`` per (user, method).
    ks : array-like of float, default (25, 40, 100)
        The distances K in km.
    method : str, default "PFLI_prob"
        The method whose errors are used.

    Returns
    -------
    DataFrame
        ``shows, n_users`` and one ``acc@<K>km`` column per K; groups without users are left out.

    Examples
    --------
    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 45.76], "lon": [2.35, 4.84]})
    >>> us = pd.DataFrame({"user_id": [0, 1, 2], "current_place": [0, 1, 1], "hometown": 0,
    ...     "work": -1, "current_visible": True, "hometown_visible": [True, True, False],
    ...     "work_visible": [True, False, False], "friends_visible": True})
    >>> w = world_from_tables(pl, us, [[0, 1]])
    >>> pu = pd.DataFrame({"user_id": [0, 1, 2], "method": "PFLI_prob",
    ...                    "error_km": [5.0, 30.0, 300.0]})
    >>> accuracy_by_visibility(w, pu, ks=[10, 100])
           shows  n_users  acc@10km  acc@100km
    0  HT and WE        1       1.0        1.0
    1    HT only        1       0.0        1.0
    2    neither        1       0.0        0.0
    """
    u = world.users.set_index("user_id")
    df = per_user[per_user["method"] == method]
    ht = u.loc[df["user_id"], "hometown_visible"].to_numpy()
    we = u.loc[df["user_id"], "work_visible"].to_numpy()
    group = np.select([ht & we, ht, we], ["HT and WE", "HT only", "WE only"], "neither")
    rows = []
    for g in ("HT and WE", "HT only", "WE only", "neither"):
        e = df["error_km"].to_numpy()[group == g]
        if e.size:
            rows.append({"shows": g, "n_users": int(e.size),
                         **{f"acc@{int(k)}km": acc_at_k(e, k) for k in ks}})
    return pd.DataFrame(rows)
