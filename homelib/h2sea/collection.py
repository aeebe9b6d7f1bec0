"""The simulated collection around the survey homes (H2SEA Sec 3).

What a researcher would collect for each home, simulated from the survey
world of :mod:`homelib.h2sea.world`: sale and rent listings (Lianjia-like,
Sec 3.1-3.2), county income and town budget / tax statistics with gaps and
one-off shocks (Sec 3.3) and POIs whose mix follows each neighbourhood's
function (Sec 3.4). The tables have the schemas of :mod:`homelib.h2sea.sources`,
the same as real data loaded with :func:`homelib.h2sea.sources.load_sources`.

The simulated markets are dense in cities and sparse in villages; the POI mix
follows the area function (education, business, industry, farming,
residential), which is tied to its residents' latent position.

Examples
--------
>>> SourcesConfig().rent_yield
0.022
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .sources import AREA_FUNCTIONS, POI_CATEGORIES, URBAN_TYPES, YEARS, Sources
from .world import SurveyWorld, area_log_price

__all__ = [
    "SourcesConfig",
    "simulate_sources",
]


@dataclass(frozen=True)
class SourcesConfig:
    """Parameters of the simulated collection (defaults give the paper's coverage).

    Every field has its own attribute docstring in the source; the main ones:

    Attributes
    ----------
    sale_active, rent_active : dict
        Share of communities / villages with recent sale (rent) listings, by urban type.
    sale_per_active, rent_per_active : dict
        Mean listings of an active place, by urban type.
    rent_yield : float
        Yearly rent / price ratio.
    county_income_published, town_budget_published, town_tax_published : float
        Shares of counties (towns) whose statistics are published (H2SEA Sec 3.3).
    pois_per_place : dict
        Mean POIs around a place, by urban type.

    Examples
    --------
    >>> cfg = SourcesConfig(rent_yield=0.03)
    >>> cfg.rent_yield, cfg.params()["town_tax_published"]
    (0.03, 0.16)
    """

    sale_active: dict = field(default_factory=lambda: dict(
        city_center=0.075, city_border=0.085, rural=0.06))
    """Share of communities / villages with recent sale listings, by urban type."""
    sale_per_active: dict = field(default_factory=lambda: dict(
        city_center=10.0, city_border=6.0, rural=3.0))
    rent_active: dict = field(default_factory=lambda: dict(
        city_center=0.05, city_border=0.055, rural=0.035))
    rent_per_active: dict = field(default_factory=lambda: dict(
        city_center=8.0, city_border=4.0, rural=2.0))
    listing_spread_km: float = 0.6
    listing_price_sd: float = 0.25
    rent_yield: float = 0.022
    """Yearly rent / price ratio (a monthly rent per m2 is price x yield / 12)."""
    county_income_published: float = 0.97
    town_budget_published: float = 0.27
    town_tax_published: float = 0.16
    county_income_range: tuple[float, float] = (13314.0, 56442.0)
    """Published county income (2017) spans this range over the sampled counties."""
    income_growth: float = 0.08
    shock_rate: float = 0.10
    """Chance that a town's budget or tax has a one-off shock in one year."""
    pois_per_place: dict = field(default_factory=lambda: dict(
        city_center=120.0, city_border=60.0, rural=20.0))
    poi_spread_km: float = 1.0
    poi_function_strength: float = 0.8
    """How strongly the area function tilts the POI mix (0 = the same mix everywhere)."""

    def params(self) -> dict:
        """The configuration as a plain dict (a cache key)."""
        return asdict(self)


def _scatter(lat, lon, n, spread_km, rng):
    idx = np.repeat(np.arange(len(lat)), n)
    r = spread_km * np.sqrt(rng.random(idx.size))
    a = rng.uniform(0, 2 * np.pi, idx.size)
    la = np.asarray(lat)[idx] + r * np.cos(a) / 111.2
    lo = np.asarray(lon)[idx] + r * np.sin(a) / (111.2 * np.cos(np.radians(np.asarray(lat)[idx])))
    return idx, la, lo


def _listings(world, places, active, per, cfg, rng, rent: bool):
    ut = places.urban_type.to_numpy()
    on = rng.random(len(places)) < pd.Series(ut).map(active).to_numpy()
    n = np.where(on, 1 + rng.poisson(pd.Series(ut).map(per).to_numpy() - 1), 0)
    idx, la, lo = _scatter(places.lat, places.lon, n, cfg.listing_spread_km, rng)
    c = world.cities.set_index("city")
    city = places.city.to_numpy()[idx]
    logp = area_log_price(world.config, c.avg_price.reindex(city).to_numpy(),
                          places.level.to_numpy()[idx], c.level.reindex(city).to_numpy(), ut[idx])
    price = np.exp(logp + rng.normal(0, cfg.listing_price_sd, idx.size))
    if rent:
        price = price * cfg.rent_yield / 12 * np.exp(rng.normal(0, 0.15, idx.size))
    return pd.DataFrame({"lat": la, "lon": lo, "price": np.round(price, 2), "city": city})


def _functions(places: pd.DataFrame, rng) -> pd.DataFrame:
    """Area-function scores of each place, tied to its latent level and urban type."""
    lv = (places.level - places.level.mean()) / places.level.std()
    ut = places.urban_type
    e = rng.normal(0, 0.5, (len(places), 5))
    return pd.DataFrame({
        "education": 0.8 * lv + 0.3 * (ut == "city_center") + e[:, 0],
        "business": 0.5 * lv + 0.8 * (ut == "city_center") + e[:, 1],
        "industry": -0.3 * lv + 0.8 * (ut == "city_border") + e[:, 2],
        "farming": -0.5 * lv + 1.2 * (ut == "rural") + e[:, 3],
        "residential": e[:, 4],
    }, index=places.index)


def _pois(places, func, cfg, rng) -> pd.DataFrame:
    cats = POI_CATEGORIES
    base = rng.normal(0, 0.8, len(cats))  # some kinds are simply common everywhere
    load = np.zeros((len(cats), 5))
    load[np.arange(len(cats)), cats.function.map(AREA_FUNCTIONS.index).to_numpy()] = 1.0
    logit = base + cfg.poi_function_strength * func.to_numpy() @ load.T
    p = np.exp(logit - logit.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    n = rng.poisson(places.urban_type.map(cfg.pois_per_place).to_numpy())
    counts = rng.multinomial(n, p)
    v, c = np.nonzero(counts)
    k = counts[v, c]
    vi, ci = np.repeat(v, k), np.repeat(c, k)
    _, la, lo = _scatter(places.lat.to_numpy()[vi], places.lon.to_numpy()[vi],
                         np.ones(vi.size, int), cfg.poi_spread_km, rng)
    code = pd.Categorical.from_codes(ci, categories=cats.code.to_numpy())
    return pd.DataFrame({"lat": la, "lon": lo, "category": code})


def _anchor(x: pd.Series, ref: pd.Series, lo: float, hi: float) -> pd.Series:
    """Map ``x`` log-linearly so that ``ref``'s min and max land on ``lo`` and ``hi``."""
    span = ref.max() - ref.min()
    if span <= 0:
        return pd.Series(np.sqrt(lo * hi), index=x.index)
    return np.exp(np.log(lo) + (x - ref.min()) / span * (np.log(hi) - np.log(lo)))


def simulate_sources(world: SurveyWorld, config: SourcesConfig | None = None,
                     seed: int = 0) -> Sources:
    """Collect listings, statistics and POIs around the homes of ``world`` (seeded).

    Parameters
    ----------
    world : SurveyWorld
        The survey world (:func:`homelib.h2sea.world.simulate_survey`).
    config : SourcesConfig, optional
        Coverage and density parameters; the defaults give the paper's coverage.
    seed : int
        Seed of every random draw.

    Returns
    -------
    Sources
        Homes, sale and rent listings, city prices, county income, town
        statistics and POIs, in the schemas of :mod:`homelib.h2sea.sources`.

    Examples
    --------
    >>> from homelib.h2sea.world import SurveyConfig, simulate_survey
    >>> cfg = SurveyConfig(provinces=("Zhejiang",), years=(2015,), counties_per_province=2,
    ...                    households_per_village=3)
    >>> world = simulate_survey(cfg, seed=3)
    >>> sources = simulate_sources(world, seed=3)
    >>> len(sources.homes) == len(world.people), sorted(sources.sale.columns)
    (True, ['city', 'lat', 'lon', 'price'])
    """
    cfg = config or SourcesConfig()
    rng = np.random.default_rng([seed, 11])
    wc = world.config
    v = world.villages.copy()
    t = world.towns.set_index("town_id")
    cty = world.counties.set_index("county_id")
    v["urban_type"] = t.urban_type.reindex(v.town_id).to_numpy()
    v["city"] = cty.city.reindex(v.county_id).to_numpy()

    sale = _listings(world, v, cfg.sale_active, cfg.sale_per_active, cfg, rng, rent=False)
    rent = _listings(world, v, cfg.rent_active, cfg.rent_per_active, cfg, rng, rent=True)
    func = _functions(v, rng)
    pois = _pois(v, func, cfg, rng)

    # county income: the county level with its urban mix, anchored on the published range
    c = world.counties.copy()
    mix = c.kind.map(lambda k: sum(wc.urban_type_population[k][u] * wc.urban_gap[u]
                                   for u in URBAN_TYPES))
    x = 0.9 * (c.level + mix) + rng.normal(0, 0.1, len(c))
    sampled = c.county_id.isin(world.samples.county_id)
    inc2017 = _anchor(x, x[sampled], *cfg.county_income_range)
    pub = rng.random(len(c)) < cfg.county_income_published
    rows = []
    for y in YEARS:
        g = (1 + cfg.income_growth) ** (y - 2017) * np.exp(rng.normal(0, 0.02, len(c)) * (y != 2017))
        rows.append(pd.DataFrame({"city": c.city, "county": c.county, "year": y,
                                  "income": np.round(inc2017 * g)})[pub])
    county_income = pd.concat(rows, ignore_index=True)

    # town budget and tax (10k yuan), one-off shocks, published for some towns only
    tw = world.towns.copy()
    tw["city"] = cty.city.reindex(tw.county_id).to_numpy()
    tw["county"] = cty.county.reindex(tw.county_id).to_numpy()
    size = tw.households * np.exp(0.6 * tw.level) * 0.05
    bpub = rng.random(len(tw)) < cfg.town_budget_published
    tpub = rng.random(len(tw)) < cfg.town_tax_published
    rows = []
    shock_year = {k: rng.choice(YEARS) for k in ("budget", "tax")}
    shocked = {k: rng.random(len(tw)) < cfg.shock_rate for k in ("budget", "tax")}
    for y in YEARS:
        g = (1 + cfg.income_growth) ** (y - 2017)
        vals = {}
        for k, share in (("budget", 1.0), ("tax", 0.35)):
            s = np.where(shocked[k] & (y == shock_year[k]), rng.lognormal(0.0, 0.6, len(tw)), 1.0)
            vals[k] = np.round(size * share * g * s * np.exp(rng.normal(0, 0.08, len(tw))), 1)
        rows.append(pd.DataFrame({"city": tw.city, "county": tw.county, "town": tw.name,
                                  "year": y, "budget": np.where(bpub, vals["budget"], np.nan),
                                  "tax": np.where(tpub, vals["tax"], np.nan)})[bpub | tpub])
    town_stats = pd.concat(rows, ignore_index=True)

    p = world.people
    homes = pd.DataFrame({"person_id": p.index.to_numpy(), "lat": p.lat.to_numpy(),
                          "lon": p.lon.to_numpy(), "province": p.province.to_numpy(),
                          "city": p.city.to_numpy(), "county": p.county.to_numpy(),
                          "town": p.town.to_numpy(), "street": p.street.to_numpy(),
                          "zip_code": p.zip_code.to_numpy(), "urban_type": p.urban_type.to_numpy()})
    city_prices = world.cities.loc[world.cities.in_frame, ["city", "avg_price"]].reset_index(drop=True)
    return Sources(homes=homes, sale=sale, rent=rent, city_prices=city_prices,
                   county_income=county_income, town_stats=town_stats, pois=pois,
                   functions=func.assign(village_id=v.village_id.to_numpy()))
