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
from ..h2sea.features import H2SEADataset
from ..h2sea.protocol import default_grids, stratified_split
from ..h2sea.simulated import h2sea_dataset, h2sea_world
from ..h2sea.sources import Sources
from ..h2sea.world import SurveyWorld
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

def survey_gazetteer(world: SurveyWorld) -> pd.DataFrame:
    """Every village and community of the survey world's frame with its names:
    ``province, city, county, town, lat, lon, households`` (a public gazetteer)."""
    v = world.villages.merge(world.towns[["town_id", "name"]].rename(columns={"name": "town"}),
                             on="town_id", how="left", validate="many_to_one")
    v = v.merge(world.counties[["county_id", "province", "city", "county"]], on="county_id",
                how="left", validate="many_to_one")
    return v[["province", "city", "county", "town", "lat", "lon", "households"]]


def survey_city_sizes(world: SurveyWorld) -> pd.Series:
    """Households of every city of the survey world's frame (sum over its counties)."""
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
    cell_km : float
        The grid cell of the ``grid_2km`` disclosure.
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
    """:class:`Disclosures` of the survey world at ``scale`` (cached)."""
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
    """One setting per candidate: the first point of chapter 03's grid, and
    ``max_epochs`` for the neural models.

    >>> attacker_params("ci", 15, ["XGBoost", "H2SEA"])
    {'XGBoost': {'max_depth': 3}, 'H2SEA': {'dropout': 0.3, 'max_epochs': 15}}
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
    """The ``repeats`` stratified 70/20/10 splits of the survey (seeds ``seed + r``,
    strata on ``tasks``), computed once and cached: the attacker and the chain share them."""

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
