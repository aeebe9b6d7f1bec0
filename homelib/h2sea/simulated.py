"""The simulated H2SEA study, wired end to end: world -> sources -> feature table.

The one place where the survey simulator (:mod:`homelib.h2sea.world`), the
simulated collection (:mod:`homelib.h2sea.collection`) and the feature
builder (:mod:`homelib.h2sea.features`) meet. Results are cached in
``data/cache`` by their parameters and the library's code, so a notebook run
alone reuses what an earlier chapter built. Study modules never import this
module: they take the data set as an argument.

Examples
--------
>>> import inspect; list(inspect.signature(h2sea_dataset).parameters)
['scale', 'seed', 'world_params']
"""

from __future__ import annotations

from dataclasses import fields

import pandas as pd

from .. import io
from .collection import SourcesConfig, simulate_sources
from .features import TASKS, H2SEADataset, _schema, build_features, feature_families
from .sources import Sources
from .world import SurveyConfig, SurveyWorld, simulate_survey

__all__ = [
    "h2sea_world",
    "h2sea_dataset",
    "dataset_from_world",
]


def _split_params(params: dict) -> tuple[SurveyConfig, SourcesConfig]:
    wf = {f.name for f in fields(SurveyConfig)}
    sf = {f.name for f in fields(SourcesConfig)}
    unknown = sorted(set(params) - wf - sf)
    if unknown:
        raise KeyError(f"unknown world parameter(s) {unknown}")
    w = {k: (tuple(v) if isinstance(v, list) else v) for k, v in params.items() if k in wf}
    s = {k: (tuple(v) if isinstance(v, list) else v) for k, v in params.items() if k in sf}
    return SurveyConfig(**w), SourcesConfig(**s)


def _scaled(scale: float, params: dict) -> dict:
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1]; got {scale}")
    p = dict(params)
    p.setdefault("households_per_village", max(1, int(round(30 * scale))))
    return p


def h2sea_world(scale: float = 1.0, seed: int = 0, **world_params) -> tuple[SurveyWorld, Sources]:
    """The survey world and its collected sources, cached by parameters.

    ``scale`` shrinks the households interviewed per village (30 at 1.0);
    ``world_params`` are fields of :class:`SurveyConfig` or :class:`SourcesConfig`.

    Parameters
    ----------
    scale : float
        In (0, 1]: households per village are ``round(30 * scale)`` unless given.
    seed : int
        Seed of the world and of the collection.
    **world_params
        Fields of :class:`SurveyConfig` or :class:`SourcesConfig` (an unknown name raises).

    Returns
    -------
    world : SurveyWorld
    sources : Sources

    Examples
    --------
    >>> world, sources = h2sea_world(seed=3, provinces=("Zhejiang",), years=(2015,),
    ...                              counties_per_province=2, households_per_village=3)
    >>> len(world.surveyed), len(sources.homes) == len(world.people)
    (24, True)
    """
    params = _scaled(scale, world_params)
    wcfg, scfg = _split_params(params)

    def build():
        w = simulate_survey(wcfg, seed=seed)
        return w, simulate_sources(w, scfg, seed=seed)

    return io.cached("h2sea_world", {"world": wcfg.params(), "sources": scfg.params(),
                                     "seed": seed, "v": 1}, build)


def h2sea_dataset(scale: float = 1.0, seed: int = 0, **world_params) -> H2SEADataset:
    """Features, labels and ground truth of the kept people (cached).

    Parameters
    ----------
    scale : float
        In (0, 1]: households per village are ``round(30 * scale)`` unless given.
    seed : int
        Seed of the world and of the collection.
    **world_params
        Fields of :class:`SurveyConfig` or :class:`SourcesConfig`.

    Returns
    -------
    H2SEADataset
        As :func:`dataset_from_world` on :func:`h2sea_world`.

    Examples
    --------
    >>> ds = h2sea_dataset(seed=3, provinces=("Zhejiang",), years=(2015,),
    ...                    counties_per_province=2, households_per_village=3)
    >>> list(ds.y.columns)
    ['personal_income', 'family_income', 'education', 'occupation']
    >>> h2sea_dataset(scale=0)
    Traceback (most recent call last):
    ...
    ValueError: scale must be in (0, 1]; got 0
    """
    params = _scaled(scale, world_params)
    wcfg, scfg = _split_params(params)

    def build():
        world, sources = h2sea_world(scale, seed, **world_params)
        return dataset_from_world(world, sources)

    return io.cached("h2sea_dataset", {"world": wcfg.params(), "sources": scfg.params(),
                                       "seed": seed, "v": 1}, build)


def dataset_from_world(world: SurveyWorld, sources: Sources) -> H2SEADataset:
    """Assemble :class:`H2SEADataset` from a world and its sources.

    Parameters
    ----------
    world : SurveyWorld
        The survey world; its kept people give the labels and ``meta``.
    sources : Sources
        The collection around their homes; gives the features.

    Returns
    -------
    H2SEADataset
        Features ``X``, labels ``y`` (nullable, one column per task), ``meta``
        (geography, ground truth, coverage flags), schema, families and fills.

    Examples
    --------
    >>> from homelib.h2sea.collection import simulate_sources
    >>> from homelib.h2sea.world import SurveyConfig, simulate_survey
    >>> cfg = SurveyConfig(provinces=("Zhejiang",), years=(2015,), counties_per_province=2,
    ...                    households_per_village=3)
    >>> world = simulate_survey(cfg, seed=3)
    >>> ds = dataset_from_world(world, simulate_sources(world, seed=3))
    >>> len(ds.X) == len(ds.y) == len(ds.meta) == len(world.people)
    True
    """
    X, fills = build_features(sources)
    p = world.people.reindex(X.index)
    y = p[list(TASKS)].astype("Int64")
    meta = pd.DataFrame({
        "province": p.province, "city": p.city, "county": p.county,
        "urban_type": p.urban_type, "is_city": p.is_city, "exact_income": p.exact_income,
        "income_monthly": p.income_monthly, "own_home_price": p.own_home_price,
        "housing_type": p.housing_type, "commercial": p.commercial,
        "has_sale_price_2km": X.hp_count > 0, "has_rent_price_2km": X.rp_count > 0,
        "survey_year": p.survey_year, "age": p.age.where(p.age_answered),
        "male": p.male, "z": p.z, "area_level": p.area_level,
        "lat": p.lat, "lon": p.lon, "true_lat": p.true_lat, "true_lon": p.true_lon,
        "home_error_km": p.home_error_km,
    })
    return H2SEADataset(X=X, y=y, schema=_schema(X), families=feature_families(list(X.columns)),
                        meta=meta, fills=fills)
