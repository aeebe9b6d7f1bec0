"""The simulated wing of chapters 13-14, wired end to end (cached in ``data/cache``).

The survey side of chapter 13: the survey world of
:mod:`homelib.h2sea.simulated` (its features, sources and gazetteer), the
disclosed feature tables and the attacker's outcomes over splits, cached by
their parameters (and the library's code). With the parameters of chapters
01-03 the world and the data set are the very objects those chapters built.
The social side (the profile check's estimator) is in
:mod:`homelib.home.simulated_profile`.

Examples
--------
>>> attacker_params("ci", 10, ["LR"])
{'LR': {'C': 0.05}}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .. import io
from ..geo import SphereIndex
from ..h2sea.collection import simulate_sources
from ..h2sea.features import H2SEADataset
from ..h2sea.protocol import default_grids, stratified_split
from ..h2sea.simulated import dataset_from_world, h2sea_dataset, h2sea_world
from ..h2sea.sources import Sources
from ..h2sea.world import SurveyConfig, SurveyWorld, simulate_survey
from .attacker import run_attack
from .disclosure import (
    LADDER,
    disclosed_features,
    disclosed_homes,
    near_points,
    poi_counts,
    poi_reference_shares,
    within_tolerance,
)

__all__ = [
    "survey_gazetteer",
    "survey_city_sizes",
    "Disclosures",
    "disclosures",
    "attacker_params",
    "survey_splits",
    "attack",
]


def _example_survey() -> tuple[SurveyWorld, Sources, H2SEADataset]:
    """A small survey world, its sources and data set for the examples of this module.

    One province (Zhejiang), one year, 2 sampled counties, 10 households interviewed per
    village (seed 3): 14 people are kept. Built directly, not cached, in about a second.
    """
    cfg = SurveyConfig(provinces=("Zhejiang",), years=(2015,), counties_per_province=2,
                       households_per_village=10)
    world = simulate_survey(cfg, seed=3)
    sources = simulate_sources(world, seed=3)
    return world, sources, dataset_from_world(world, sources)


def survey_gazetteer(world: SurveyWorld) -> pd.DataFrame:
    """The villages and communities of the survey world with their names (a public gazetteer).

    The world generates villages in its sampled counties, where every home lies.

    Parameters
    ----------
    world : SurveyWorld

    Returns
    -------
    DataFrame
        ``province, city, county, town, lat, lon, households``, one row per village.

    Examples
    --------
    >>> world, _, _ = _example_survey()
    >>> g = survey_gazetteer(world)
    >>> g.columns.tolist(), len(g) == len(world.villages), g["county"].nunique()
    (['province', 'city', 'county', 'town', 'lat', 'lon', 'households'], True, 2)
    """
    v = world.villages.merge(world.towns[["town_id", "name"]].rename(columns={"name": "town"}),
                             on="town_id", how="left", validate="many_to_one")
    v = v.merge(world.counties[["county_id", "province", "city", "county"]], on="county_id",
                how="left", validate="many_to_one")
    return v[["province", "city", "county", "town", "lat", "lon", "households"]]


def survey_city_sizes(world: SurveyWorld) -> pd.Series:
    """Households of every city of the survey world's frame (sum over its counties).

    The sizes :func:`homelib.home.chain.rank_mapping` matches places of a social world to.

    Parameters
    ----------
    world : SurveyWorld

    Returns
    -------
    Series
        Households (float) indexed by city name.

    Examples
    --------
    >>> world, _, _ = _example_survey()
    >>> sizes = survey_city_sizes(world)
    >>> len(sizes) == world.counties["city"].nunique()
    True
    >>> float(sizes.sum()) == float(world.counties["households"].sum())
    True
    """
    return world.counties.groupby("city")["households"].sum().astype(float)


@dataclass
class Disclosures:
    """The feature table an attacker computes from each disclosure of every home.

    Attributes
    ----------
    features : dict
        disclosure name -> feature table (index and columns of the data set's ``X``).
    usefulness : DataFrame
        ``disclosure, person_id, useful, useful_price, location_error_km``:
        whether the POI count within 2 km (and the 2 km mean sale price) at the
        disclosed point is within ``tolerance`` of its value at the home.
    tolerance : float
        Relative tolerance of ``useful`` and ``useful_price``.
    cell_km : float
        The grid cell of the ``grid_2km`` disclosure.

    Examples
    --------
    :func:`disclosures` builds one on a whole survey world; here on a small one:

    >>> world, sources, ds = _example_survey()
    >>> d = _disclosures(ds, world, sources, ["exact", "town", "city"], cell_km=2.0, tolerance=0.25)
    >>> sorted(d.features), d.features["city"].shape == ds.X.shape
    (['city', 'exact', 'town'], True)
    >>> d.usefulness.groupby("disclosure", sort=False)["useful"].mean().round(2).tolist()
    [1.0, 0.29, 0.0]
    """

    features: dict[str, pd.DataFrame]
    usefulness: pd.DataFrame
    tolerance: float
    cell_km: float = 2.0


def _disclosures(ds: H2SEADataset, world: SurveyWorld, sources: Sources, names: Sequence[str],
                 cell_km: float, tolerance: float) -> Disclosures:
    gaz = survey_gazetteer(world)
    homes = sources.homes
    # only POIs near a disclosed point can be counted: index those (same counts, faster)
    seen = [disclosed_homes(homes, LADDER[n], gaz, cell_km) for n in names]
    near = near_points(sources.pois["lat"], sources.pois["lon"],
                       np.concatenate([homes["lat"].to_numpy()] + [s["lat"].to_numpy() for s in seen]),
                       np.concatenate([homes["lon"].to_numpy()] + [s["lon"].to_numpy() for s in seen]))
    sources = replace(sources, pois=sources.pois[near].reset_index(drop=True))
    index = SphereIndex.from_coords(sources.pois["lat"].to_numpy(), sources.pois["lon"].to_numpy(),
                                    "pois")
    ref = poi_reference_shares(poi_counts(homes["lat"], homes["lon"], sources.pois, index=index))
    feats, rows = {}, []
    for name in names:
        X, seen = disclosed_features(sources, LADDER[name], gazetteer=gaz, reference_shares=ref,
                                     columns=list(ds.X.columns), cell_km=cell_km, poi_index=index)
        X = X.loc[ds.X.index]
        seen = seen.loc[ds.X.index]
        feats[name] = X
        rows.append(pd.DataFrame({
            "disclosure": name, "person_id": X.index.to_numpy(),
            "useful": within_tolerance(ds.X["poi_count"], X["poi_count"], tolerance),
            "useful_price": within_tolerance(ds.X["hp_mean"], X["hp_mean"], tolerance),
            "location_error_km": seen["location_error_km"].to_numpy(float)}))
    return Disclosures(feats, pd.concat(rows, ignore_index=True), tolerance, cell_km)


def disclosures(scale: float, seed: int = 0, *, names: Sequence[str] = tuple(LADDER),
                cell_km: float = 2.0, tolerance: float = 0.25) -> Disclosures:
    """:class:`Disclosures` of the survey world at ``scale`` (cached).

    The world and data set are those of :func:`homelib.h2sea.simulated.h2sea_world` and
    :func:`homelib.h2sea.simulated.h2sea_dataset` (chapters 01-03); only POIs near a
    disclosed point are indexed (the counts are the same).

    Parameters
    ----------
    scale : float
        In (0, 1]: the survey's scale (households per village ``round(30 * scale)``).
    seed : int
        Seed of the world.
    names : sequence of str
        Disclosures of :data:`homelib.home.disclosure.LADDER`.
    cell_km : float
        The grid cell of the ``grid_2km`` disclosure.
    tolerance : float
        Relative tolerance of the usefulness flags.

    Returns
    -------
    Disclosures

    Examples
    --------
    Names are checked before anything is built (a whole world takes a while; see
    :class:`Disclosures` for one on a small world):

    >>> disclosures(0.25, names=["exact", "street"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    KeyError: "names: unknown disclosure(s) ['street']; known ['exact', 'no_names', ...]"
    """
    unknown = [n for n in names if n not in LADDER]
    if unknown:
        raise KeyError(f"names: unknown disclosure(s) {unknown}; known {list(LADDER)}")

    def build() -> Disclosures:
        ds = h2sea_dataset(scale, seed)
        world, sources = h2sea_world(scale, seed)
        return _disclosures(ds, world, sources, list(names), cell_km, tolerance)

    key = {"scale": scale, "seed": seed, "names": list(names), "cell_km": cell_km,
           "tolerance": tolerance, "v": 1}
    return io.cached("home_disclosures", key, build)


def attacker_params(grid_profile: str = "ci", max_epochs: int = 60,
                    methods: Sequence[str] = ("LR", "XGBoost", "H2SEA")) -> dict[str, dict]:
    """One setting per candidate: the first point of chapter 03's grid, and ``max_epochs``.

    ``max_epochs`` is set for the neural models (ETNA, H2SEA-NA, H2SEA) only.

    Parameters
    ----------
    grid_profile : str
        The grid profile of :func:`homelib.h2sea.protocol.default_grids`.
    max_epochs : int
        Training epochs of the neural models.
    methods : sequence of str
        Candidate methods.

    Returns
    -------
    dict
        Method -> hyper-parameters.

    Examples
    --------
    >>> attacker_params("ci", 15, ["XGBoost", "H2SEA"])
    {'XGBoost': {'max_depth': 3}, 'H2SEA': {'dropout': 0.3, 'max_epochs': 15}}
    >>> attacker_params("ci", 15, ["SVM"])
    Traceback (most recent call last):
    ...
    KeyError: "methods: unknown method 'SVM'; known ['POP', 'LR', 'XGBoost', 'ETNA', 'H2SEA-NA', 'H2SEA']"
    """
    grids = default_grids(grid_profile)
    out = {}
    for m in methods:
        if m not in grids:
            raise KeyError(f"methods: unknown method {m!r}; known {list(grids)}")
        p = {k: v[0] for k, v in grids[m].items()}
        if m in ("ETNA", "H2SEA-NA", "H2SEA"):
            p["max_epochs"] = max_epochs
        out[m] = p
    return out


def survey_splits(scale: float, seed: int, repeats: int,
                  tasks: Sequence[str]) -> list[dict[str, np.ndarray]]:
    """The ``repeats`` stratified 70/20/10 splits of the survey, computed once and cached.

    Split ``r`` is :func:`homelib.h2sea.protocol.stratified_split` with seed ``seed + r``
    and strata on ``tasks``; the attacker and the chain share them.

    Parameters
    ----------
    scale : float
        In (0, 1]: the survey's scale (as in :func:`disclosures`).
    seed : int
        Seed of the world and of the first split.
    repeats : int
        Number of splits.
    tasks : sequence of str
        Label columns the strata are made of.

    Returns
    -------
    list of dict
        Per split, ``{"train": ..., "val": ..., "test": ...}`` row positions.

    Examples
    --------
    The survey is built (or read from the cache) on the first call; a scale outside
    (0, 1] is refused then:

    >>> survey_splits(0.0, 0, 2, ["education"])
    Traceback (most recent call last):
    ...
    ValueError: scale must be in (0, 1]; got 0.0
    """

    def build():
        y = h2sea_dataset(scale, seed).y[list(tasks)]
        return [stratified_split(y, seed=seed + r) for r in range(repeats)]

    key = {"scale": scale, "seed": seed, "repeats": repeats, "tasks": list(tasks), "v": 1}
    return io.cached("home_splits", key, build)


def attack(scale: float, seed: int, disclosed: Disclosures, *, repeats: int,
           methods: Sequence[str], params: dict[str, dict], tasks: Sequence[str],
           progress: Callable[[str], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`homelib.home.attacker.run_attack` on the survey world (cached).

    The attacker is trained on the exact homes and scored on every table of
    ``disclosed.features``, on the splits of :func:`survey_splits`.

    Parameters
    ----------
    scale, seed : float, int
        The survey world (as in :func:`disclosures`).
    disclosed : Disclosures
        From :func:`disclosures` with the same ``scale`` and ``seed``.
    repeats : int
        Number of splits.
    methods : sequence of str
        Candidate methods (chosen per split and task on validation F1).
    params : dict
        Method -> hyper-parameters (:func:`attacker_params`).
    tasks : sequence of str
        Attributes attacked.
    progress : callable, optional
        Called with a short message as the attack advances.

    Returns
    -------
    (DataFrame, DataFrame)
        The outcomes and the validation table of
        :func:`homelib.home.attacker.run_attack`.

    Examples
    --------
    Like :func:`survey_splits`, the survey is built on the first call:

    >>> nothing = Disclosures(features={}, usefulness=pd.DataFrame(), tolerance=0.25)
    >>> attack(2.0, 0, nothing, repeats=1, methods=["LR"], params=attacker_params(methods=["LR"]),
    ...        tasks=["education"])
    Traceback (most recent call last):
    ...
    ValueError: scale must be in (0, 1]; got 2.0
    """

    def build():
        ds = h2sea_dataset(scale, seed)
        splits = survey_splits(scale, seed, repeats, tasks)
        return run_attack(ds.X, ds.y[list(tasks)], disclosed.features, repeats=repeats, seed=seed,
                          methods=methods, params=params, progress=progress, splits=splits)

    key = {"scale": scale, "seed": seed, "repeats": repeats, "methods": list(methods),
           "params": params, "tasks": list(tasks), "disclosures": sorted(disclosed.features),
           "cell_km": disclosed.cell_km, "v": 1}
    return io.cached("home_attack", key, build)
