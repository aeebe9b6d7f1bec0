"""What "collection" returns around the survey homes, simulated or real (H2SEA Sec 3).

Six tables, each with a fixed schema (:data:`SCHEMAS`), whether they come from
the simulated world (:func:`simulate_sources`) or from real files (the
``load_*`` functions, which validate and never drop a row silently):

- ``homes``: ``person_id, lat, lon, province, city, county, town, street,
  zip_code, urban_type`` (the estimated home and its names, Sec 3.5);
- ``sale`` / ``rent``: listings ``lat, lon, price, city`` (yuan/m2 for sale,
  yuan/m2/month for rent; Lianjia-like, Sec 3.1-3.2);
- ``city_prices``: published city average price ``city, avg_price``;
- ``county_income``: published county average income, long format
  ``city, county, year, income`` (2012-2017; missing counties have no rows);
- ``town_stats``: published town ``budget`` / ``tax``, long format
  ``city, county, town, year, budget, tax`` (NaN = not published);
- ``pois``: ``lat, lon, category`` (one of the 114 second-level codes of
  :data:`POI_CATEGORIES`, Sec 3.4).

The simulated markets are dense in cities and sparse in villages; statistics
have gaps and one-off shocks; the POI mix follows each neighbourhood's
function (education, business, industry, farming, residential), which is tied
to its residents' latent position.

Examples
--------
>>> len(POI_CATEGORIES), POI_CATEGORIES.group.nunique()
(114, 21)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .geo import STUDY_PROVINCES
from .worlds.survey import URBAN_TYPES, SurveyWorld, area_log_price

__all__ = [
    "POI_CATEGORIES",
    "AREA_FUNCTIONS",
    "YEARS",
    "SCHEMAS",
    "SourcesConfig",
    "Sources",
    "simulate_sources",
    "validate_table",
    "LoadReport",
    "load_table",
    "load_sources",
]

YEARS = tuple(range(2012, 2018))
AREA_FUNCTIONS = ("education", "business", "industry", "farming", "residential")

# Baidu Map's 21 first-level POI industries, each with its second-level kinds (114 in all)
# and the area function it signals.
_TAXONOMY: dict[str, tuple[str, list[str]]] = {
    "food": ("business", ["chinese_restaurant", "foreign_restaurant", "snack_bar", "cake_shop",
                          "coffee_shop", "tea_house", "bar", "hotpot", "other_food"]),
    "hotel": ("business", ["star_hotel", "budget_hotel", "apartment_hotel", "guesthouse"]),
    "shopping": ("business", ["mall", "supermarket", "convenience_store", "home_building",
                              "electronics", "market", "specialty_shop", "stationery"]),
    "life_service": ("residential", ["telecom_office", "post_office", "logistics", "laundry",
                                     "photo_studio", "housekeeping", "repair", "funeral",
                                     "public_toilet"]),
    "beauty": ("business", ["beauty_salon", "hair_salon", "nail_salon", "body_care"]),
    "scenery": ("farming", ["park", "zoo", "botanical_garden", "amusement_park", "museum",
                            "memorial", "temple", "scenic_spot"]),
    "leisure": ("business", ["resort", "farm_stay", "cinema", "ktv", "theatre", "dance_hall",
                             "internet_cafe", "game_hall"]),
    "sport": ("education", ["stadium", "gym", "swimming_pool", "sports_venue"]),
    "education": ("education", ["university", "high_school", "primary_school", "kindergarten",
                                "adult_education", "training_school", "research_institute",
                                "library", "science_museum"]),
    "culture_media": ("education", ["press", "broadcasting", "art_group", "exhibition_hall",
                                    "cultural_palace"]),
    "hospital": ("residential", ["general_hospital", "specialist_hospital", "clinic",
                                 "pharmacy", "health_centre", "disease_control"]),
    "car_service": ("industry", ["gas_station", "car_repair", "car_wash", "car_sales",
                                 "car_rental", "driving_school"]),
    "transport": ("residential", ["bus_stop", "metro_station", "railway_station",
                                  "long_distance_bus", "parking", "port"]),
    "finance": ("business", ["bank", "atm", "credit_union", "investment", "pawnshop"]),
    "real_estate": ("residential", ["residential_area", "office_building", "dormitory",
                                    "villa_area"]),
    "company": ("industry", ["company", "factory", "agriculture_forestry",
                             "industrial_park", "mine"]),
    "government": ("education", ["government_office", "party_office", "public_security",
                                 "court", "social_organisation", "foreign_affairs"]),
    "entrance": ("residential", ["gate", "highway_exit"]),
    "natural_feature": ("farming", ["island", "mountain", "river_lake"]),
    "admin_landmark": ("farming", ["village_landmark", "town_landmark"]),
    "door_address": ("residential", ["building_number"]),
}

POI_CATEGORIES = pd.DataFrame(
    [(f"{g}/{c}", g, c, f) for g, (f, cs) in _TAXONOMY.items() for c in cs],
    columns=["code", "group", "name", "function"],
)
"""The 114 second-level POI categories (``code = group/name``) in 21 first-level groups."""

SCHEMAS: dict[str, dict[str, str]] = {
    "homes": {"person_id": "id", "lat": "lat", "lon": "lon", "province": "province",
              "city": "name", "county": "name", "town": "name", "street": "name",
              "zip_code": "zip", "urban_type": "urban_type"},
    "sale": {"lat": "lat", "lon": "lon", "price": "price", "city": "name"},
    "rent": {"lat": "lat", "lon": "lon", "price": "price", "city": "name"},
    "city_prices": {"city": "name", "avg_price": "price"},
    "county_income": {"city": "name", "county": "name", "year": "year", "income": "price"},
    "town_stats": {"city": "name", "county": "name", "town": "name", "year": "year",
                   "budget": "amount", "tax": "amount"},
    "pois": {"lat": "lat", "lon": "lon", "category": "poi"},
}
"""Column kinds of every source table (see :func:`validate_table`)."""


@dataclass(frozen=True)
class SourcesConfig:
    """Parameters of the simulated collection (defaults give the paper's coverage)."""

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
        return asdict(self)


@dataclass(frozen=True)
class Sources:
    """The collected tables (schemas in :data:`SCHEMAS`) plus the area functions."""

    homes: pd.DataFrame
    sale: pd.DataFrame
    rent: pd.DataFrame
    city_prices: pd.DataFrame
    county_income: pd.DataFrame
    town_stats: pd.DataFrame
    pois: pd.DataFrame
    functions: pd.DataFrame
    """Per village of the world: the five area-function scores (simulation only)."""


# ---------------------------------------------------------------------------
# simulation
# ---------------------------------------------------------------------------


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
    """Collect listings, statistics and POIs around the homes of ``world`` (seeded)."""
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


# ---------------------------------------------------------------------------
# validation and loaders for real data
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadReport:
    """A validated table and the rows dropped (``row, column, value, reason``)."""

    table: pd.DataFrame
    dropped: pd.DataFrame

    @property
    def n_dropped(self) -> int:
        return int(self.dropped.row.nunique()) if len(self.dropped) else 0


def _problems(df: pd.DataFrame, col: str, kind: str) -> tuple[pd.Series, str]:
    """Boolean mask of bad values in ``col`` and the reason."""
    s = df[col]
    num = pd.to_numeric(s, errors="coerce")
    if kind == "lat":
        return ~num.between(-90, 90), "latitude outside [-90, 90] or not a number"
    if kind == "lon":
        return ~num.between(-180, 180), "longitude outside [-180, 180] or not a number"
    if kind == "price":
        return ~(num > 0) | ~np.isfinite(num), "not a positive number"
    if kind == "amount":
        return (s.notna() & ~(num >= 0)), "not a non-negative number"
    if kind == "year":
        return ~num.isin(YEARS), f"year not in {YEARS[0]}-{YEARS[-1]}"
    if kind == "province":
        return ~s.isin(list(STUDY_PROVINCES)), f"unknown province (known: {list(STUDY_PROVINCES)})"
    if kind == "urban_type":
        return ~s.isin(URBAN_TYPES), f"unknown urban type (known: {list(URBAN_TYPES)})"
    if kind == "poi":
        return ~s.isin(POI_CATEGORIES.code), "unknown POI category code"
    if kind == "zip":
        return ~s.astype(str).str.fullmatch(r"\d{6}"), "zip code is not 6 digits"
    if kind == "name":
        return s.isna() | (s.astype(str).str.strip() == ""), "empty name"
    if kind == "id":
        return s.isna() | s.duplicated(keep="first"), "missing or duplicate id"
    raise KeyError(f"unknown column kind {kind!r}")


def validate_table(df: pd.DataFrame, name: str, *, drop_invalid: bool = False) -> LoadReport:
    """Check ``df`` against ``SCHEMAS[name]``.

    Missing columns always raise. Bad values raise ``ValueError`` naming the
    table, column, row and value, unless ``drop_invalid`` is set: then the
    bad rows are removed and listed in the report (never dropped silently).

    >>> bad = pd.DataFrame({"lat": [30.0, 95.0], "lon": [120.0, 120.0],
    ...                     "price": [10000, 12000], "city": ["A", "A"]})
    >>> validate_table(bad, "sale")
    Traceback (most recent call last):
    ...
    ValueError: sale: column 'lat', row 1, value 95.0: latitude outside [-90, 90] or not a number
    >>> validate_table(bad, "sale", drop_invalid=True).n_dropped
    1
    """
    if name not in SCHEMAS:
        raise KeyError(f"unknown source table {name!r}; known: {list(SCHEMAS)}")
    spec = SCHEMAS[name]
    missing = [c for c in spec if c not in df.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}; got {list(df.columns)}")
    issues = []
    for col, kind in spec.items():
        bad, reason = _problems(df, col, kind)
        for i in np.flatnonzero(bad.to_numpy()):
            value = df[col].iloc[i]
            issues.append((df.index[i], col, value.item() if isinstance(value, np.generic)
                           else value, reason))
    dropped = pd.DataFrame(issues, columns=["row", "column", "value", "reason"])
    if issues and not drop_invalid:
        row, col, value, reason = issues[0]
        more = f" ({len(issues) - 1} more problem(s))" if len(issues) > 1 else ""
        raise ValueError(f"{name}: column {col!r}, row {row}, value {value!r}: {reason}{more}")
    out = df.drop(index=dropped.row.unique()).copy()
    for col, kind in spec.items():
        if kind in ("lat", "lon", "price", "amount"):
            out[col] = pd.to_numeric(out[col]).astype(float)
        elif kind == "year":
            out[col] = pd.to_numeric(out[col]).astype(int)
        elif kind == "zip":
            out[col] = out[col].astype(str)
    return LoadReport(table=out, dropped=dropped)


def load_table(source: str | Path | pd.DataFrame, name: str, *,
               drop_invalid: bool = False) -> LoadReport:
    """Read a CSV (or take a frame) and validate it as source table ``name``."""
    df = source.copy() if isinstance(source, pd.DataFrame) else pd.read_csv(
        source, dtype={"zip_code": str})
    return validate_table(df, name, drop_invalid=drop_invalid)


def load_sources(folder: str | Path, *, drop_invalid: bool = False) -> tuple[Sources, pd.DataFrame]:
    """Load ``<name>.csv`` for every table of :data:`SCHEMAS` from ``folder``.

    Returns the sources and one frame of every dropped row (``table, row,
    column, value, reason``); the area functions are unknown for real data.
    """
    folder = Path(folder)
    tables, dropped = {}, []
    for name in SCHEMAS:
        rep = load_table(folder / f"{name}.csv", name, drop_invalid=drop_invalid)
        tables[name] = rep.table
        dropped.append(rep.dropped.assign(table=name))
    return (Sources(**tables, functions=pd.DataFrame()),
            pd.concat(dropped, ignore_index=True)[["table", "row", "column", "value", "reason"]])

