"""The ledger's multi-world runs: every chapter's claim results over several world seeds.

World 0 is the chapters' own world: its results come from the same cached
entry points the chapters call, with the same parameters, so nothing is
recomputed when the chapter ran first. The extra worlds (seeds in the
ledger settings, chapter ``10_claims``'s block of a profile) are smaller and
run with fewer repeats, so that the ledger fits the book's time budget; the
settings say how (``h2sea_scale``, ``h2sea_repeats``, ``social_scale``, ...)
and chapter 10 prints them. Everything is cached in ``data/cache``.

One function per chapter returns that chapter's tidy tables for all worlds
(:data:`CHAPTERS`, through :mod:`homelib.claims.adapters`); :func:`chapter_tables`
runs one of them with a chapter's parameters and :func:`ledger_tables` joins
them for chapter 10, whose claims :mod:`homelib.claims.bindings` evaluates.

The examples run the chapters on tiny worlds: the PFLI chapters at a scale of
a few hundred users, the H2SEA chapters (whose smallest nine-province world
takes seconds) on a one-province, one-year survey in a scratch cache
(``_example_h2sea_worlds``).

Examples
--------
>>> sorted(CHAPTERS)
['03_h2sea', '04_feature_importance', '05_city_village', '06_housing_income', '08_pfli', '09_exposure']
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd

from .. import io, pipeline, progress
from ..exposure import estimator as exp_estimator
from ..exposure import features as exp_features
from ..exposure import models as exp_models
from ..exposure.simulated import world_and_evaluation
from ..h2sea import analyses, protocol
from ..h2sea.report import models as models_report
from ..h2sea.simulated import h2sea_dataset
from ..pfli import evaluation as pfli_eval
from ..pfli import simulated as pfli_sim
from ..pfli import world as social
from . import adapters as A
from . import likeforlike

__all__ = [
    "LEDGER_NOTEBOOK",
    "CHAPTERS",
    "notebook_parameters",
    "ledger_settings",
    "worlds",
    "h2sea_03",
    "h2sea_04",
    "h2sea_05",
    "h2sea_06",
    "pfli_08",
    "exposure_09",
    "family_importance",
    "table4_world0",
    "chapter_tables",
    "ledger_tables",
    "CHAPTER_PARAMS",
]

LEDGER_NOTEBOOK = "10_claims"
Tables = dict[str, pd.DataFrame]
NEURAL = ("ETNA", "H2SEA-NA", "H2SEA")
#: The parameters of each chapter its claims' results depend on (the cache key).
CHAPTER_PARAMS = {
    "03_h2sea": ("seed", "scale", "repeats", "grid_profile", "methods", "tasks", "max_epochs"),
    "04_feature_importance": ("seed", "scale", "repeats", "method", "max_epochs", "families"),
    "05_city_village": ("seed", "scale", "repeats", "dropout_grid", "max_epochs",
                        "rank_families", "rank_repeats"),
    "06_housing_income": ("seed", "scale", "min_city_n"),
    "08_pfli": ("seed", "scale", "intra_city_miles", "folds", "cluster_km", "close_km",
                "lambda_alpha", "train_users", "ln_users", "ks"),
    "09_exposure": ("seed", "profile_scale", "pfli_folds", "ln_users", "ks", "pct_width",
                    "cc_width", "min_group_size", "cv_folds", "n_estimators", "n_jobs",
                    "k_km", "n_whatif"),
}


@contextlib.contextmanager
def _example_h2sea_worlds():
    """For the examples: the H2SEA chapters on one province and year, in a scratch cache.

    Inside, this module's ``h2sea_dataset`` builds the survey of Zhejiang in 2015 only
    (``scale`` and ``seed`` as given; 94 people at ``scale=0.5``), and every cached object
    goes to a temporary folder, so that no entry of ``data/cache`` holds a result of these
    small worlds under a chapter's key.
    """
    small = functools.partial(h2sea_dataset, provinces=("Zhejiang",), years=(2015,))
    with tempfile.TemporaryDirectory() as folder, \
            mock.patch.object(io, "cache_dir", lambda: Path(folder)), \
            mock.patch(f"{__name__}.h2sea_dataset", small):
        yield


def notebook_parameters(notebook: str, profile: str) -> dict[str, Any]:
    """The parameters ``notebook`` runs with under ``profile``.

    Its defaults (the ``parameters`` cell), then the profile's block (and the
    profile's seed where the notebook has one).

    Parameters
    ----------
    notebook : str
        A notebook name without ``.ipynb`` (e.g. ``"03_h2sea"``); an unknown
        one raises ``KeyError``.
    profile : str
        A profile of ``notebooks/profiles`` (``"ci"``, ``"full"``).

    Returns
    -------
    dict
        Parameter name -> value.

    Examples
    --------
    >>> notebook_parameters("03_h2sea", "ci")["repeats"]
    2
    >>> notebook_parameters("99_nothing", "ci")
    Traceback (most recent call last):
    ...
    KeyError: "unknown notebook '99_nothing'; known: [...]"
    """
    paths = pipeline.notebook_paths()
    if notebook not in paths:
        raise KeyError(f"unknown notebook {notebook!r}; known: {sorted(paths)}")
    defaults = {k: v["default"] for k, v in pipeline.notebook_parameters(paths[notebook]).items()}
    prof = pipeline.load_profile(profile)
    return {**defaults, **prof.parameters(notebook, defaults)}


def ledger_settings(profile: str) -> dict[str, Any]:
    """The ledger's extra-world settings: chapter 10's parameters under ``profile``.

    Parameters
    ----------
    profile : str
        A profile of ``notebooks/profiles`` (``"ci"``, ``"full"``).

    Returns
    -------
    dict
        ``worlds`` (the extra seeds), ``h2sea_scale, h2sea_repeats, h2sea_grid,
        importance_repeats`` (the H2SEA chapters' extra worlds) and
        ``social_scale, pfli_folds, ln_users, n_whatif, cv_folds, n_estimators``
        (the PFLI and exposure chapters'). A missing one raises ``KeyError``.

    Examples
    --------
    >>> s = ledger_settings("ci")
    >>> s["worlds"][0] > 0, sorted(s)[:3]
    (True, ['cv_folds', 'h2sea_grid', 'h2sea_repeats'])
    """
    p = notebook_parameters(LEDGER_NOTEBOOK, profile)
    keep = ("worlds", "h2sea_scale", "h2sea_repeats", "h2sea_grid", "importance_repeats",
            "social_scale", "pfli_folds", "ln_users", "n_whatif", "cv_folds", "n_estimators")
    missing = [k for k in keep if k not in p]
    if missing:
        raise KeyError(f"{LEDGER_NOTEBOOK}: missing ledger parameter(s) {missing}")
    return {k: p[k] for k in keep}


def worlds(params: Mapping[str, Any], settings: Mapping[str, Any]) -> list[int]:
    """World seeds: the chapter's own seed first, then the extra ones (without repeats).

    Parameters
    ----------
    params : mapping
        The chapter's parameters (``seed``).
    settings : mapping
        The ledger settings (``worlds``).

    Returns
    -------
    list of int
        ``params["seed"]``, then the other seeds of ``settings["worlds"]`` in order.

    Examples
    --------
    >>> worlds({"seed": 0}, {"worlds": [1, 2, 0]})
    [0, 1, 2]
    """
    own = int(params["seed"])
    return [own, *[int(w) for w in settings["worlds"] if int(w) != own]]


def _each_world(params: Mapping[str, Any], settings: Mapping[str, Any]):
    """:func:`worlds` with a progress bar (each world is a full chapter run)."""
    return progress.bar(worlds(params, settings), desc="claims ledger", unit="world")


def _concat(parts: list[Tables]) -> Tables:
    out: dict[str, list[pd.DataFrame]] = {}
    for p in parts:
        for k, v in p.items():
            out.setdefault(k, []).append(v)
    return {k: pd.concat(v, ignore_index=True) for k, v in out.items()}


def _cached(name: str, params: Mapping[str, Any], settings: Mapping[str, Any],
            build: Callable[[], Tables]) -> Tables:
    return io.cached(f"claims_{name}", {"params": dict(params), "settings": dict(settings), "v": 1},
                     build)


# --------------------------------------------------------------------------- H2SEA
def _h2sea_size(w: int, params, settings) -> tuple[float, int]:
    """(scale, repeats) of world ``w``: the chapter's for its own seed, the ledger's otherwise."""
    if w == int(params["seed"]):
        return float(params["scale"]), int(params["repeats"])
    return float(settings["h2sea_scale"]), int(settings["h2sea_repeats"])


def h2sea_03(params: Mapping[str, Any], settings: Mapping[str, Any]) -> Tables:
    """Table 3 per repeat over the worlds: ``h2sea_performance`` and ``h2sea_gains``.

    ``params`` are chapter 03's (``scale, seed, repeats, grid_profile, methods,
    tasks, max_epochs``); its own world reuses the chapter's cached protocol.

    Parameters
    ----------
    params : mapping
        Chapter 03's parameters (:data:`CHAPTER_PARAMS`).
    settings : mapping
        The ledger settings (:func:`ledger_settings`): ``worlds, h2sea_scale,
        h2sea_repeats, h2sea_grid`` are used.

    Returns
    -------
    dict of str to DataFrame
        ``h2sea_performance`` and ``h2sea_gains``
        (:func:`~homelib.claims.adapters.h2sea_performance`,
        :func:`~homelib.claims.adapters.h2sea_gains`), all worlds (cached).

    Examples
    --------
    >>> params = {"seed": 0, "scale": 0.5, "repeats": 1, "grid_profile": "ci",
    ...           "methods": ["POP", "LR"], "tasks": ["education"], "max_epochs": 1}
    >>> with _example_h2sea_worlds():  # one province and year, a scratch cache
    ...     t = h2sea_03(params, {"worlds": []})
    >>> perf = t["h2sea_performance"]
    >>> sorted(t), perf[perf["metric"] == "f1"]["method"].tolist()
    (['h2sea_gains', 'h2sea_performance'], ['POP', 'LR'])
    """
    def build() -> Tables:
        parts = []
        for w in _each_world(params, settings):
            scale, repeats = _h2sea_size(w, params, settings)
            own = w == int(params["seed"])
            ds = h2sea_dataset(scale, w)
            X, y = ds.X, ds.y[list(params["tasks"])]
            nn = {m: {"max_epochs": params["max_epochs"]} for m in NEURAL}
            grids = protocol.default_grids(params["grid_profile"] if own else settings["h2sea_grid"])
            per = models_report.performance_cached(X, y, {"scale": scale, "seed": w},
                                                   list(params["methods"]), grids, repeats, w, nn)
            perf = A.h2sea_performance(per, w)
            parts.append({"h2sea_performance": perf, "h2sea_gains": A.h2sea_gains(perf)})
        return _concat(parts)

    return _cached("03", params, settings, build)


def family_importance(params: Mapping[str, Any], world: int, scale: float,
                      repeats: int) -> pd.DataFrame:
    """Single-family importance of one world (cached, the key chapter 04 uses).

    Returns ``task, feature, f1, auc, gmean, accuracy, score``
    (:func:`homelib.h2sea.analyses.feature_family_importance`) for chapter 04's
    ``families``, ``method`` and ``max_epochs`` on the world of seed ``world``.

    Parameters
    ----------
    params : mapping
        Chapter 04's parameters (``families, method, max_epochs`` are used).
    world : int
        The world's seed.
    scale : float
        The world's scale (:func:`homelib.h2sea.simulated.h2sea_dataset`).
    repeats : int
        Splits.

    Returns
    -------
    pandas.DataFrame
        One row per task and family.

    Examples
    --------
    >>> params = {"families": ["POI", "Average housing price"], "method": "LR",
    ...           "max_epochs": 1}
    >>> with _example_h2sea_worlds():  # one province and year, a scratch cache
    ...     imp = family_importance(params, world=0, scale=0.5, repeats=1)
    >>> imp.columns.tolist(), imp["feature"].unique().tolist()
    (['task', 'feature', 'f1', 'auc', 'gmean', 'accuracy', 'score'], ['POI', 'Average housing price'])
    """
    fams = list(params["families"])
    method = params["method"]
    mp = {"max_epochs": params["max_epochs"]} if method in NEURAL else {}

    def build() -> pd.DataFrame:
        ds = h2sea_dataset(scale, world)
        fam = {f: ds.families[f] for f in fams}
        return analyses.feature_family_importance(ds.X, ds.y, fam, method, mp, repeats, world)

    return io.cached("h2sea_family_importance",
                     {"scale": float(scale), "seed": int(world), "families": fams,
                      "method": method, "params": mp, "repeats": int(repeats), "v": 2}, build)


def table4_world0(profile: str) -> pd.DataFrame:
    """Chapter 04's single-family importance as it runs under ``profile`` (world 0).

    Parameters
    ----------
    profile : str
        A profile of ``notebooks/profiles`` (``"ci"``, ``"full"``).

    Returns
    -------
    pandas.DataFrame
        :func:`family_importance` with chapter 04's parameters and seed.

    Examples
    --------
    >>> p = notebook_parameters("04_feature_importance", "ci")  # what it runs with
    >>> p["method"], len(p["families"])
    ('H2SEA', 14)
    >>> imp = table4_world0("ci")  # doctest: +SKIP
    >>> sorted(imp["task"].unique())  # doctest: +SKIP
    ['education', 'family_income', 'occupation', 'personal_income']

    (Skipped: it fits H2SEA on every family of chapter 04's world, minutes
    rather than the second a doctest may take, unless chapter 04 ran first.)
    """
    p = notebook_parameters("04_feature_importance", profile)
    return family_importance(p, int(p["seed"]), float(p["scale"]), int(p["repeats"]))


def h2sea_04(params: Mapping[str, Any], settings: Mapping[str, Any]) -> Tables:
    """Table 4 over the worlds: ``h2sea_importance`` (single families) and ``h2sea_people``.

    ``params`` are chapter 04's (``scale, seed, repeats, method, max_epochs,
    families``).

    Parameters
    ----------
    params : mapping
        Chapter 04's parameters (:data:`CHAPTER_PARAMS`).
    settings : mapping
        The ledger settings: ``worlds, h2sea_scale, importance_repeats`` are used.

    Returns
    -------
    dict of str to DataFrame
        ``h2sea_importance`` and ``h2sea_people``, all worlds (cached).

    Examples
    --------
    >>> params = {"seed": 0, "scale": 0.5, "repeats": 1, "method": "LR", "max_epochs": 1,
    ...           "families": ["POI", "Average housing price"]}
    >>> with _example_h2sea_worlds():  # one province and year, a scratch cache
    ...     t = h2sea_04(params, {"worlds": []})
    >>> t["h2sea_people"]["group"].tolist()
    ['city', 'village', 'university', 'below university']
    """
    def build() -> Tables:
        parts = []
        for w in _each_world(params, settings):
            own = w == int(params["seed"])
            scale = float(params["scale"]) if own else float(settings["h2sea_scale"])
            repeats = int(params["repeats"]) if own else int(settings["importance_repeats"])
            ds = h2sea_dataset(scale, w)
            imp = family_importance(params, w, scale, repeats)
            parts.append({"h2sea_importance": A.h2sea_importance(imp, w),
                          "h2sea_people": A.h2sea_people(ds.X, ds.y, ds.meta, w)})
        return _concat(parts)

    return _cached("04", params, settings, build)


def h2sea_05(params: Mapping[str, Any], settings: Mapping[str, Any]) -> Tables:
    """Table 5 and Sec 5.4 over the worlds.

    The tables ``h2sea_city_village``, ``h2sea_coverage`` and ``h2sea_subset_importance``.

    ``params`` are chapter 05's (``scale, seed, repeats, dropout_grid,
    max_epochs, rank_families, rank_repeats``).

    Parameters
    ----------
    params : mapping
        Chapter 05's parameters (:data:`CHAPTER_PARAMS`).
    settings : mapping
        The ledger settings: ``worlds, h2sea_scale, h2sea_repeats,
        importance_repeats`` are used.

    Returns
    -------
    dict of str to DataFrame
        ``h2sea_city_village``, ``h2sea_coverage`` and ``h2sea_subset_importance``,
        all worlds (cached).

    Examples
    --------
    >>> params = {"seed": 0, "scale": 0.5, "repeats": 1, "dropout_grid": [0.3],
    ...           "max_epochs": 1, "rank_families": ["POI"], "rank_repeats": 1}
    >>> with _example_h2sea_worlds():  # doctest: +SKIP
    ...     t = h2sea_05(params, {"worlds": []})
    >>> t["h2sea_coverage"]["dataset"].tolist()  # doctest: +SKIP
    ['city+village', 'city-only', 'village-only']

    (Skipped: even on the small world its six H2SEA fits take about 4 s.)
    """
    def build() -> Tables:
        parts = []
        for w in _each_world(params, settings):
            own = w == int(params["seed"])
            scale, repeats = _h2sea_size(w, params, settings)
            rank_repeats = int(params["rank_repeats"]) if own else int(settings["importance_repeats"])
            ds = h2sea_dataset(scale, w)
            is_city = ds.meta["is_city"]
            grid = {"dropout": list(params["dropout_grid"])}
            base = {"max_epochs": params["max_epochs"]}
            tab, _ = io.cached("h2sea_city_village",
                               {"scale": scale, "seed": w, "grid": grid, "base": base,
                                "repeats": repeats, "v": 2},
                               lambda ds=ds, is_city=is_city, grid=grid, base=base,
                               repeats=repeats, w=w:
                               analyses.city_village(ds.X, ds.y, is_city, grid, base, repeats, w))
            fams = list(params["rank_families"])
            fam = {f: ds.families[f] for f in fams}
            ranks = io.cached("h2sea_subset_ranks",
                              {"scale": scale, "seed": w, "families": fams, "base": base,
                               "repeats": rank_repeats, "v": 2},
                              lambda ds=ds, is_city=is_city, fam=fam, base=base,
                              rank_repeats=rank_repeats, w=w:
                              analyses.subset_feature_ranks(ds.X, ds.y, is_city, fam, "H2SEA",
                                                            base, rank_repeats, w))
            parts.append({"h2sea_city_village": A.h2sea_city_village(tab, w),
                          "h2sea_coverage": A.h2sea_coverage(analyses.housing_coverage(ds.meta), w),
                          "h2sea_subset_importance": A.h2sea_importance(ranks, w)})
        return _concat(parts)

    return _cached("05", params, settings, build)


def h2sea_06(params: Mapping[str, Any], settings: Mapping[str, Any]) -> Tables:
    """Sec 6 over the worlds: ``housing``.

    Building a world's data set is cheap, so the extra worlds are at the
    chapter's own scale.

    Parameters
    ----------
    params : mapping
        Chapter 06's parameters (``seed, scale, min_city_n``).
    settings : mapping
        The ledger settings: ``worlds`` is used.

    Returns
    -------
    dict of str to DataFrame
        ``housing`` (:func:`~homelib.claims.adapters.housing`), all worlds (cached).

    Examples
    --------
    >>> with _example_h2sea_worlds():  # one province and year, a scratch cache
    ...     t = h2sea_06({"seed": 0, "scale": 0.5, "min_city_n": 10}, {"worlds": [1]})
    >>> h = t["housing"]
    >>> sorted(set(h["world"])), h[h["world"] == 0]["scope"].tolist()[:2]
    ([0, 1], ['china_level_2km', 'china_level_all'])
    """
    def build() -> Tables:
        parts = []
        for w in _each_world(params, settings):
            ds = h2sea_dataset(float(params["scale"]), w)
            parts.append({"housing": A.housing(ds.X, ds.y, ds.meta, w,
                                               int(params["min_city_n"]))})
        return _concat(parts)

    return _cached("06", params, settings, build)


# --------------------------------------------------------------------------- PFLI
def _pfli_extra(w: int, settings: Mapping[str, Any]):
    """The extra world's social world and PFLI evaluation (shared by chapters 08 and 09)."""
    return world_and_evaluation(float(settings["social_scale"]), w,
                                folds=int(settings["pfli_folds"]),
                                ln_users=int(settings["ln_users"]))


def pfli_08(params: Mapping[str, Any], settings: Mapping[str, Any]) -> Tables:
    """Tables 1-2 and Figs 4-5 over the worlds.

    The tables ``pfli_aed``, ``pfli_acc`` and ``pfli_acc_visibility``.

    ``params`` are chapter 08's; its own world reuses the chapter's cached
    evaluation. The extra worlds reuse chapter 09's kind of evaluation (default
    PFLI settings, ``settings["pfli_folds"]`` folds) at ``social_scale``.

    Parameters
    ----------
    params : mapping
        Chapter 08's parameters (:data:`CHAPTER_PARAMS`).
    settings : mapping
        The ledger settings: ``worlds, social_scale, pfli_folds, ln_users`` are used.

    Returns
    -------
    dict of str to DataFrame
        ``pfli_aed``, ``pfli_acc`` and ``pfli_acc_visibility``, all worlds (cached).

    Examples
    --------
    >>> params = {"seed": 0, "scale": 0.001, "intra_city_miles": 1.0, "folds": 2,
    ...           "cluster_km": 100.0, "close_km": 100.0, "lambda_alpha": 0.05,
    ...           "train_users": 100, "ln_users": 10, "ks": [10, 100]}  # 372 users
    >>> t = pfli_08(params, {"worlds": []})
    >>> sorted(t), sorted(set(t["pfli_aed"]["metric"]))
    (['pfli_acc', 'pfli_acc_visibility', 'pfli_aed'], ['aed100', 'aed100_over_aed80', 'aed60', 'aed80'])
    """
    def build() -> Tables:
        parts = []
        for w in _each_world(params, settings):
            if w == int(params["seed"]):
                wp = {"intra_city_miles": params["intra_city_miles"]}
                world = social.social_world(float(params["scale"]), w, **wp)
                ev = pfli_sim.pfli_evaluation(float(params["scale"]), w, folds=int(params["folds"]),
                                              ln_users=int(params["ln_users"]), ks=params["ks"],
                                              world_params=wp, cluster_km=params["cluster_km"],
                                              close_km=params["close_km"],
                                              lambda_alpha=params["lambda_alpha"],
                                              train_users=int(params["train_users"]))
            else:
                world, ev = _pfli_extra(w, settings)
            vis = pfli_eval.accuracy_by_visibility(world, ev.per_user, ks=(25, 40, 100))
            parts.append({"pfli_aed": A.pfli_aed(ev.aed, w), "pfli_acc": A.pfli_acc(ev.acc_at_k, w),
                          "pfli_acc_visibility": A.pfli_acc_visibility(vis, w)})
        return _concat(parts)

    return _cached("08", params, settings, build)


def _exposure_world(world, evaluation, w: int, p: Mapping[str, Any]) -> Tables:
    """Every exposure table of one world (``p``: ks, bins, forests, what-if sizes)."""
    ks = sorted({float(k) for k in p["ks"]} | {20.0, 100.0})
    users = exp_features.exposure_user_table(world, evaluation.per_user)
    ln = exp_features.exposure_user_table(world, evaluation.ln_per_user)
    bins = exp_features.BinSpec(pct_width=p["pct_width"], cc_width=p["cc_width"])
    groups = exp_features.exposure_groups(users, ks, bins)
    forest = {"min_group_size": p["min_group_size"], "n_estimators": p["n_estimators"],
              "n_jobs": p["n_jobs"], "seed": w}
    models = exp_models.evaluate_exposure_models(groups, folds=p["cv_folds"], **forest)
    rdf = exp_models.fit_exposure_model(groups, **forest)
    est = exp_estimator.ExposureEstimator(world, evaluation.models[-1], evaluation.clusters, rdf)
    ln_ids = ln["user_id"].to_numpy()
    whatif = exp_estimator.what_if(est, ln_ids[: p["n_whatif"]], p["k_km"])
    u1 = likeforlike.u1_like_user(est, ln_ids)
    report = exp_estimator.exposure_report(u1, 100.0, estimator=est)
    degree = np.diff(world.adjacency.tocsr().indptr)[users["user_id"].to_numpy()]
    out = A.exposure_ep_tables(users, ks, w, min_users=p["min_group_size"],
                               pct_width=p["pct_width"])
    out.update({
        "exposure_users": A.exposure_users(users, degree, w),
        "exposure_models": A.exposure_models(models, w),
        "exposure_whatif": A.exposure_whatif(whatif, w),
        "exposure_cases": A.exposure_cases(rdf, io.load_reference("pfli_table7_cases"), w),
        "exposure_cc_curve": A.exposure_cc_curve(rdf, "WE+F", 100.0, 2.1, w),
        "exposure_u1": A.exposure_u1(report.variants, w, u1),
    })
    return out


def exposure_09(params: Mapping[str, Any], settings: Mapping[str, Any]) -> Tables:
    """Sec 8 (Figs 6-8, Tables 5-8, the guidelines) over the worlds.

    ``params`` are chapter 09's; its own world reuses the chapter's cached world
    and PFLI evaluation. Extra worlds use ``social_scale``, ``pfli_folds``,
    ``ln_users``, ``n_whatif``, ``cv_folds`` and ``n_estimators`` of the settings.

    Parameters
    ----------
    params : mapping
        Chapter 09's parameters (:data:`CHAPTER_PARAMS`).
    settings : mapping
        The ledger settings.

    Returns
    -------
    dict of str to DataFrame
        ``exposure_ep_category``, ``exposure_ep_cc``, ``exposure_ep_friends``,
        ``exposure_users``, ``exposure_models``, ``exposure_whatif``,
        ``exposure_cases``, ``exposure_cc_curve`` and ``exposure_u1``, all
        worlds (cached).

    Examples
    --------
    >>> params = {"seed": 0, "profile_scale": 0.001, "pfli_folds": 2, "ln_users": 10,
    ...           "ks": [20, 100], "pct_width": 5.0, "cc_width": 0.05, "min_group_size": 2,
    ...           "cv_folds": 2, "n_estimators": 5, "n_jobs": 1, "k_km": 100.0,
    ...           "n_whatif": 5}  # 372 users
    >>> t = exposure_09(params, {"worlds": []})
    >>> len(t), sorted(set(t["exposure_models"]["metric"]))
    (9, ['mae', 'rmse'])
    """
    def build() -> Tables:
        parts = []
        for w in _each_world(params, settings):
            if w == int(params["seed"]):
                world, ev = world_and_evaluation(float(params["profile_scale"]), w,
                                                 folds=int(params["pfli_folds"]),
                                                 ln_users=int(params["ln_users"]))
                p = dict(params)
            else:
                world, ev = _pfli_extra(w, settings)
                p = {**params, "n_whatif": int(settings["n_whatif"]),
                     "cv_folds": int(settings["cv_folds"]),
                     "n_estimators": int(settings["n_estimators"])}
            parts.append(_exposure_world(world, ev, w, p))
        return _concat(parts)

    return _cached("09", params, settings, build)


CHAPTERS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], Tables]] = {
    "03_h2sea": h2sea_03, "04_feature_importance": h2sea_04, "05_city_village": h2sea_05,
    "06_housing_income": h2sea_06, "08_pfli": pfli_08, "09_exposure": exposure_09,
}


def chapter_tables(chapter: str, params: Mapping[str, Any], settings: Mapping[str, Any]) -> Tables:
    """The tidy tables of one chapter's claims over the worlds (cached).

    ``params`` may hold more than the chapter's :data:`CHAPTER_PARAMS` (a
    notebook passes ``globals()``); only those are used and enter the cache key.

    Parameters
    ----------
    chapter : str
        A key of :data:`CHAPTERS`; another raises ``KeyError``.
    params : mapping
        At least the chapter's :data:`CHAPTER_PARAMS` (a missing one raises
        ``KeyError``).
    settings : mapping
        The ledger settings (:func:`ledger_settings`).

    Returns
    -------
    dict of str to DataFrame
        The chapter's tidy tables, by name.

    Examples
    --------
    >>> params = {"seed": 0, "scale": 0.5, "min_city_n": 10, "anything_else": 1}
    >>> with _example_h2sea_worlds():  # one province and year, a scratch cache
    ...     t = chapter_tables("06_housing_income", params, {"worlds": []})
    >>> list(t)
    ['housing']
    >>> chapter_tables("06_housing_income", {"seed": 0}, {"worlds": []})
    Traceback (most recent call last):
    ...
    KeyError: "chapter 06_housing_income: parameter(s) ['scale', 'min_city_n'] not given"
    """
    if chapter not in CHAPTERS:
        raise KeyError(f"no claims results for chapter {chapter!r}; known: {sorted(CHAPTERS)}")
    missing = [k for k in CHAPTER_PARAMS[chapter] if k not in params]
    if missing:
        raise KeyError(f"chapter {chapter}: parameter(s) {missing} not given")
    used = {k: params[k] for k in CHAPTER_PARAMS[chapter]}
    return CHAPTERS[chapter](used, settings)


def ledger_tables(profile: str, settings: Mapping[str, Any] | None = None,
                  chapters: list[str] | None = None) -> Tables:
    """Every chapter's tables with the parameters the chapters run with under ``profile``.

    Parameters
    ----------
    profile : str
        A profile of ``notebooks/profiles``: the chapters' own parameters
        (:func:`notebook_parameters`).
    settings : mapping, optional
        The extra worlds and their sizes (default: :func:`ledger_settings` of
        ``profile``).
    chapters : list of str, optional
        Keys of :data:`CHAPTERS` (default: all of them).

    Returns
    -------
    dict of str to DataFrame
        Every tidy table of those chapters, by name.

    Examples
    --------
    >>> with _example_h2sea_worlds():  # chapter 06 under ci, on one province and year
    ...     t = ledger_tables("ci", {"worlds": []}, chapters=["06_housing_income"])
    >>> list(t), sorted(set(t["housing"]["world"]))
    (['housing'], [0])
    """
    settings = ledger_settings(profile) if settings is None else settings
    parts = [chapter_tables(ch, notebook_parameters(ch, profile), settings)
             for ch in (chapters or list(CHAPTERS))]
    return {k: v for p in parts for k, v in p.items()}
