"""The simulated H2SEA survey world: a seeded stand-in for a private survey of China.

The H2SEA survey (Ding et al. 2021, Sec 2) is private. This module builds a
world on *real* geography (the counties of the paper's 9 provinces, with their
coordinates and zip codes, from ``china-region``) and simulates, with explicit
and named mechanisms:

1. **Places.** Each county is split into towns and each town into villages
   (rural) or communities (urban), placed around the county seat; every town
   has an urban type (``city_center``, ``city_border``, ``rural``).
2. **Sampling** (Sec 2, Table 1, Eq 1). Per province and survey year, a
   four-stage PPS design: 10 counties, 2 towns per county, 2 villages per
   town, 30 responding households per village (non-responding households are
   replaced by their neighbours). Stages use systematic PPS (Kish 1965), so
   every household of a province has the same inclusion probability
   ``1200 / S_p`` (Eq 1, checked by :func:`eq1_inclusion`).
3. **People.** Age and gender; a latent socioeconomic position ``z`` made of
   a regional level (province, city, county), an urban-rural gap, a town and a
   neighbourhood effect (residential sorting, ``sorting_strength``) and an
   individual part. ``z`` drives personal monthly income, family yearly
   income, education and occupation with correlated residuals.
4. **Who is kept.** Home owners who answered at least one attribute and
   agreed to share their QQ check-ins (about 4,509 of 32,443); item
   non-response as in Table 2.
5. **Home location** (Sec 2). Simulated QQ check-ins; the home is the most
   visited night-time check-in cell, combined with the recorded community
   location; the error against the true home is kept.
6. **Housing** (the mechanism Sec 6 conjectures). Commercial homes, whose price
   tracks the owner's means (``commercial_price_link``), or welfare,
   housing-reform, resettlement and self-built homes, whose price does not.

What "collection" returns around the homes (listings, statistics, POIs) lives
in :mod:`homelib.h2sea.sources`; the feature table in :mod:`homelib.h2sea.features`.

Examples
--------
>>> w = simulate_survey(SurveyConfig(provinces=("Zhejiang",), years=(2015,),
...                                  households_per_village=3), seed=1)
>>> int(w.surveyed.shape[0])   # 10 counties x 2 towns x 2 villages x 3 households
120
>>> set(w.people.urban_type) <= {"city_center", "city_border", "rural"}
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

from ..geo import STUDY_PROVINCES, china_counties, haversine_km

__all__ = [
    "HOUSING_TYPES",
    "AGE_BINS",
    "SurveyConfig",
    "SurveyWorld",
    "systematic_pps",
    "eq1_inclusion",
    "class_cuts_from_shares",
    "survey_counties",
    "places_of_county",
    "estimate_home",
    "simulate_survey",
    "area_log_price",
]

HOUSING_TYPES = ("commercial", "welfare", "housing_reform", "resettlement", "self_built")
AGE_BINS = ("under 30", "31-40", "41-50", "51-60", "over 60")
_AGE_RANGES = {"under 30": (20, 30), "31-40": (31, 40), "41-50": (41, 50),
               "51-60": (51, 60), "over 60": (61, 80)}

# Sub-provincial cities and provincial capitals of the 9 provinces: a regional bonus.
_BIG_CITIES = ("广州市", "深圳市", "杭州市", "宁波市", "南京市", "苏州市", "成都市", "西安市",
               "哈尔滨市", "沈阳市", "大连市", "郑州市", "石家庄市")


def _shares(**kw: float) -> dict[str, float]:
    return dict(kw)


@dataclass(frozen=True)
class SurveyConfig:
    """Every mechanism of the survey world as a named parameter.

    Defaults reproduce the paper's published marginals (see the data card).
    Sizes: ``households_per_village`` scales the survey (30 = paper scale).
    Every field has its own attribute docstring in the source; the main ones:

    Attributes
    ----------
    provinces : tuple of str
        Study provinces (the paper's nine by default).
    years : tuple of int
        Survey years; one village sample per year and province.
    counties_per_province, towns_per_county_sampled, villages_per_town_sampled : int
        Stage sizes of the 4-stage PPS design (H2SEA Eq 1), 10, 2 and 2.
    households_per_village : int
        Households interviewed per village (30 = paper scale).
    location_signal : float
        Multiplies every location-based part of the latent position (0 = none).

    Examples
    --------
    >>> cfg = SurveyConfig(provinces=("Zhejiang",), households_per_village=3)
    >>> cfg.counties_per_province * cfg.towns_per_county_sampled * cfg.villages_per_town_sampled
    40
    """

    # --- geography and frame ------------------------------------------------
    provinces: tuple[str, ...] = tuple(STUDY_PROVINCES)
    n_cities: int = 85
    """Cities in the survey frame, allocated to provinces by their number of cities."""
    anchor_cities: tuple[str, ...] = ("深圳市", "徐州市", "广州市", "达州市", "哈尔滨市", "南京市")
    """Cities the paper names (price and income extremes, Sec 6), always in the frame."""
    towns_per_county: float = 12.0
    """Mean number of towns (Poisson + 4) in a county."""
    villages_per_town: float = 8.0
    """Mean number of villages / communities (Poisson + 3) in a town."""
    county_households_mean: float = 120_000.0
    """Mean households of a county (lognormal, sd 0.5 on the log scale)."""
    urban_type_population: dict = field(default_factory=lambda: {
        "district": _shares(city_center=0.57, city_border=0.23, rural=0.20),
        "county_city": _shares(city_center=0.24, city_border=0.28, rural=0.48),
        "county": _shares(city_center=0.12, city_border=0.22, rural=0.66),
    })
    """Share of a county's households living in each urban type, by county kind."""
    # --- sampling (Sec 2, Table 1, Eq 1) ------------------------------------
    years: tuple[int, ...] = (2015, 2016, 2017)
    counties_per_province: int = 10
    towns_per_county_sampled: int = 2
    villages_per_town_sampled: int = 2
    households_per_village: int = 30
    door_answer_rate: dict = field(default_factory=lambda: _shares(
        city_center=0.55, city_border=0.62, rural=0.75))
    """Probability that a knocked-on household answers (else it is replaced)."""
    # --- socioeconomic position ----------------------------------------------
    province_level: dict = field(default_factory=lambda: {
        "Zhejiang": 0.55, "Jiangsu": 0.50, "Guangdong": 0.45, "Liaoning": 0.10,
        "Shaanxi": -0.10, "Hebei": -0.20, "Heilongjiang": -0.20, "Henan": -0.30,
        "Sichuan": -0.30})
    big_city_bonus: float = 0.35
    city_sd: float = 0.20
    county_kind_level: dict = field(default_factory=lambda: _shares(
        district=0.20, county_city=0.0, county=-0.20))
    county_sd: float = 0.15
    urban_gap: dict = field(default_factory=lambda: _shares(
        city_center=0.45, city_border=0.05, rural=-0.45))
    """Urban-rural gap of the latent position, by urban type."""
    town_sd: float = 0.15
    sorting_strength: float = 1.0
    """Residential sorting: the sd of the neighbourhood (village) effect is
    ``0.45 * sorting_strength``; 0 puts people anywhere regardless of means."""
    individual_sd: float = 0.80
    location_signal: float = 1.0
    """Multiplies every location-based part of the latent position (0 = none)."""
    # --- attributes ------------------------------------------------------------
    male_income_bonus: float = 0.20
    age_education_slope: float = -0.45
    """Change of the education score per 15 years of age (older: less schooling)."""
    residual_sd: dict = field(default_factory=lambda: _shares(
        personal_income=0.55, family_income=0.60, education=0.65, occupation=0.60))
    class_shares: dict = field(default_factory=lambda: {
        "personal_income": (31.16, 41.57, 27.27),
        "family_income": (37.61, 36.23, 26.16),
        "education": (54.29, 23.20, 22.51),
        "occupation": (66.49, 25.12, 8.39)})
    """Class shares (%) among those who answered (Table 2 without "no answer")."""
    income_cuts: tuple[float, float] = (2000.0, 4000.0)
    family_income_cuts: tuple[float, float] = (40_000.0, 75_000.0)
    nonresponse: dict = field(default_factory=lambda: _shares(
        personal_income=0.2606, family_income=0.0113, education=0.0,
        occupation=0.0082, age=0.0005))
    """Item non-response ("not answer" rates of Table 2), missing completely at random."""
    exact_income_rate: float = 0.84
    """Share of personal-income answerers who also give the exact amount (~2,800)."""
    # --- who is kept -------------------------------------------------------------
    owner_rate: dict = field(default_factory=lambda: _shares(
        city_center=0.72, city_border=0.80, rural=0.94))
    share_home_rate: float = 0.169
    """Probability of having QQ check-ins and agreeing to share the home location."""
    # --- home from check-ins -------------------------------------------------
    home_spread_km: dict = field(default_factory=lambda: _shares(
        city_center=0.25, city_border=0.4, rural=0.6))
    """sd (km) of a home around its community / village centre."""
    checkins_mean: float = 25.0
    night_share: float = 0.35
    night_at_home: float = 0.70
    gps_noise_km: float = 0.03
    home_cell_deg: float = 0.002
    combine_radius_km: float = 2.0
    """A modal night cell farther than this from the community falls back to it."""
    # --- housing (Sec 6) --------------------------------------------------------
    housing_type_shares: dict = field(default_factory=lambda: {
        "city": _shares(commercial=0.62, welfare=0.08, housing_reform=0.12,
                        resettlement=0.08, self_built=0.10),
        "rural": _shares(commercial=0.08, welfare=0.02, housing_reform=0.03,
                         resettlement=0.10, self_built=0.77)})
    commercial_price_link: float = 1.0
    """How closely a commercial home's price tracks its owner's means (0 = not)."""
    noncommercial_discount: dict = field(default_factory=lambda: _shares(
        welfare=0.50, housing_reform=0.60, resettlement=0.55, self_built=0.35))
    area_price_slope: float = 0.35
    """log price per unit of a neighbourhood's latent level relative to its city."""
    urban_price_offset: dict = field(default_factory=lambda: _shares(
        city_center=0.25, city_border=-0.10, rural=-0.70))
    city_price_level_link: float = 0.45
    """log city price per unit of city level before anchoring (weak: prices follow more than means)."""
    city_price_sd: float = 0.5
    """City-specific price variation unrelated to means (land supply, speculation)."""
    city_price_range: tuple[float, float] = (3117.0, 64354.0)
    """Published city average prices span this range (Sec 3.1), yuan/m2."""

    def params(self) -> dict:
        """A JSON-serialisable dict of every parameter (for caching and data cards)."""
        return asdict(self)


@dataclass(frozen=True)
class SurveyWorld:
    """The simulated world. All tables are plain DataFrames; ids are row positions.

    - ``counties``: the frame (``county_id, province, city, county, lat, lon,
      zip_code, kind, households, level, in_frame``).
    - ``cities``: ``city, province, level, avg_price`` (published average price).
    - ``towns`` / ``villages``: places of the sampled counties (towns with
      ``town_id, county_id, name, zip_code, urban_type, lat, lon, households,
      level``; villages with ``village_id, town_id, street, name, lat, lon,
      households, level``).
    - ``samples``: one row per (year, village) draw with the contacts made.
    - ``surveyed``: every respondent (about 32,443 at paper scale) with true
      attributes, answers, ``kept`` and the reasons for not being kept.
    - ``people``: the kept home owners (about 4,509), with the true and the
      estimated home, the estimation error and housing.

    Attributes
    ----------
    config : SurveyConfig
        The parameters the world was built with.
    seed : int
        The seed it was built with.
    counties, cities, towns, villages : pandas.DataFrame
        The frame and the places of the sampled counties (columns above).
    samples : pandas.DataFrame
        One row per (year, village) draw.
    surveyed : pandas.DataFrame
        Every respondent.
    people : pandas.DataFrame
        The kept home owners.
    checkins : pandas.DataFrame
        Night check-ins of the kept people, from which the home is estimated.

    Examples
    --------
    >>> w = simulate_survey(SurveyConfig(provinces=("Zhejiang",), years=(2015,),
    ...                                  counties_per_province=2, households_per_village=3), seed=3)
    >>> len(w.samples), len(w.surveyed)  # 2 counties x 2 towns x 2 villages, 3 households each
    (8, 24)
    """

    config: SurveyConfig
    seed: int
    counties: pd.DataFrame
    cities: pd.DataFrame
    towns: pd.DataFrame
    villages: pd.DataFrame
    samples: pd.DataFrame
    surveyed: pd.DataFrame
    people: pd.DataFrame
    checkins: pd.DataFrame


# ---------------------------------------------------------------------------
# sampling arithmetic
# ---------------------------------------------------------------------------


def systematic_pps(sizes: ArrayLike, n: int, rng: np.random.Generator) -> NDArray:
    """Systematic PPS: indices of ``n`` draws, unit ``i`` hit ``size_i n / sum`` times on average.

    The frame is taken in the given order (sort it to stratify implicitly).
    A unit larger than the sampling interval can be hit more than once.

    Parameters
    ----------
    sizes : array-like of float
        Positive measures of size of the units.
    n : int
        Number of draws (at least 1).
    rng : numpy.random.Generator
        Source of the random start.

    Returns
    -------
    numpy.ndarray of int
        The index of the unit hit by each of the ``n`` draws.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> systematic_pps([10, 10, 10, 10], 2, rng).tolist()  # one in each half
    [1, 3]
    >>> len(systematic_pps([5, 1, 1, 1], 4, rng))
    4
    """
    m = np.asarray(sizes, dtype=float)
    if n < 1:
        raise ValueError(f"n must be at least 1; got {n}")
    if m.ndim != 1 or m.size == 0 or (m <= 0).any():
        raise ValueError("sizes must be a non-empty 1-d array of positive numbers")
    step = m.sum() / n
    points = rng.uniform(0, step) + step * np.arange(n)
    return np.minimum(np.searchsorted(np.cumsum(m), points, side="right"), m.size - 1)


def eq1_inclusion(
    province_households: float, county: float, town: float, village: float,
    n_counties: int = 10, n_towns: int = 2, n_villages: int = 2, n_households: int = 30,
) -> float:
    """Inclusion probability of one household under the 4-stage PPS design (Eq 1).

    ``n_c G_c / S_p x n_t G_t / G_c x n_v G_v / G_t x n_h / G_v``, which
    telescopes to ``n_c n_t n_v n_h / S_p = 1200 / S_p`` whatever the sizes
    (H2SEA Eq 1).

    Parameters
    ----------
    province_households : float
        ``S_p``, households of the province.
    county, town, village : float
        ``G_c, G_t, G_v``, households of the drawn county, town and village.
    n_counties, n_towns, n_villages, n_households : int
        Draws at each stage (10, 2, 2 and 30 in the paper).

    Returns
    -------
    float
        The inclusion probability of a household.

    Examples
    --------
    >>> eq1_inclusion(1_000_000, 90_000, 8_000, 600) * 1_000_000
    1200.0
    """
    return (n_counties * county / province_households) * (n_towns * town / county) \
        * (n_villages * village / town) * (n_households / village)


def class_cuts_from_shares(shares_pct: ArrayLike) -> NDArray:
    """Standard-normal cut points giving classes with these shares (%).

    Parameters
    ----------
    shares_pct : array-like of float
        Class shares in percent, lowest class first (normalised by their sum).

    Returns
    -------
    numpy.ndarray
        The ``len(shares_pct) - 1`` increasing cut points.

    Examples
    --------
    >>> class_cuts_from_shares([50, 25, 25]).round(4).tolist()
    [0.0, 0.6745]
    """
    s = np.asarray(shares_pct, dtype=float)
    return norm.ppf(np.cumsum(s)[:-1] / s.sum())


# ---------------------------------------------------------------------------
# geography
# ---------------------------------------------------------------------------


def survey_counties(provinces: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Real counties of the study provinces, de-duplicated and typed.

    ``china-region`` lists a few county names twice within a city (a name
    shared with a county of another city); the copy nearest the city seat is
    kept. ``kind`` is ``district`` (区), ``county_city`` (县级市) or ``county``.

    Parameters
    ----------
    provinces : tuple of str, optional
        Provinces to keep; all study provinces when omitted.

    Returns
    -------
    pandas.DataFrame
        ``county_id, province, city, county, lat, lon, zip_code, kind``, one row per county.

    Examples
    --------
    >>> df = survey_counties(("Zhejiang",))
    >>> sorted(df.kind.unique())
    ['county', 'county_city', 'district']
    >>> bool(df.duplicated(["city", "county"]).any())
    False
    """
    df = china_counties(list(provinces) if provinces else None)
    seats = df[df.is_city_seat].drop_duplicates("city").set_index("city")[["lat", "lon"]]
    df = df[~df.is_city_seat].copy()
    d = haversine_km(df.lat, df.lon, seats.lat.reindex(df.city).to_numpy(),
                     seats.lon.reindex(df.city).to_numpy())
    df["_d"] = np.nan_to_num(d, nan=0.0)
    df = df.sort_values(["city", "county", "_d"]).drop_duplicates(["city", "county"])
    last = df.county.str[-1]
    df["kind"] = np.select([last == "区", last == "市"], ["district", "county_city"], "county")
    order = ["province", "city", "county", "lat", "lon", "zip_code", "kind"]
    df = df.sort_values(["province", "city", "county"])[order].reset_index(drop=True)
    df.insert(0, "county_id", np.arange(len(df)))
    return df


def _frame_cities(counties: pd.DataFrame, n_cities: int, rng: np.random.Generator,
                  anchors: tuple[str, ...] = ()) -> list[str]:
    """Choose ``n_cities`` cities, allocated to provinces by their number of cities.

    ``anchors`` (when in the chosen provinces) are taken first.
    """
    per_prov = counties.groupby("province").city.unique()
    total = sum(len(c) for c in per_prov)
    n_cities = min(n_cities, total)
    raw = {p: n_cities * len(c) / total for p, c in per_prov.items()}
    alloc = {p: max(1, int(np.floor(v))) for p, v in raw.items()}
    for p in sorted(raw, key=lambda p: raw[p] - np.floor(raw[p]), reverse=True):
        if sum(alloc.values()) >= n_cities:
            break
        alloc[p] += 1
    chosen: list[str] = []
    for p, cities in per_prov.items():
        first = [c for c in anchors if c in set(cities)]
        rest = np.sort([c for c in cities if c not in first])
        k = max(0, min(alloc[p], len(cities)) - len(first))
        chosen += first + list(rng.choice(rest, size=k, replace=False))
    return chosen


def _county_table(cfg: SurveyConfig, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    counties = survey_counties(cfg.provinces)
    unknown = [p for p in cfg.provinces if p not in cfg.province_level]
    if unknown:
        raise KeyError(f"province_level has no level for {unknown}")
    frame = set(_frame_cities(counties, cfg.n_cities, rng, cfg.anchor_cities))
    cities = counties.groupby("city", sort=True).agg(province=("province", "first")).reset_index()
    cities["level"] = (cities.province.map(cfg.province_level)
                       + cfg.big_city_bonus * cities.city.isin(_BIG_CITIES)
                       + rng.normal(0, cfg.city_sd, len(cities)))
    cities["in_frame"] = cities.city.isin(frame)
    counties["households"] = np.round(
        cfg.county_households_mean * rng.lognormal(-0.125, 0.5, len(counties))).astype(int)
    counties["level"] = (counties.city.map(cities.set_index("city").level)
                         + counties.kind.map(cfg.county_kind_level)
                         + rng.normal(0, cfg.county_sd, len(counties)))
    counties["in_frame"] = counties.city.isin(frame)
    return counties, cities


def places_of_county(cfg: SurveyConfig, county: pd.Series, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Towns and villages of one county, generated from the county's own seed.

    Town households split the county's; village households split the town's,
    so the PPS measures of size add up across stages (H2SEA Eq 1).

    Parameters
    ----------
    cfg : SurveyConfig
        Place sizes (``towns_per_county``, ``villages_per_town``) and level spreads.
    county : pandas.Series
        One row of the county frame (``county_id, households, level, lat, lon, zip_code``, ...).
    seed : int
        World seed; combined with the county id, so a county's places do not
        depend on which other counties are drawn.

    Returns
    -------
    towns, villages : pandas.DataFrame
        The county's towns and villages (villages keyed by ``town_local``).

    Examples
    --------
    >>> county = pd.Series(dict(county_id=0, households=20000, level=0.0, lat=30.0, city="c",
    ...                         lon=120.0, zip_code="310000", kind="district", county="x"))
    >>> towns, villages = places_of_county(SurveyConfig(), county, seed=0)
    >>> int(towns.households.sum()), int(villages.households.sum())  # sizes add up
    (20000, 20000)
    """
    rng = np.random.default_rng([seed, 7, int(county.county_id)])
    n_t = 4 + rng.poisson(cfg.towns_per_county - 4)
    hh = rng.multinomial(int(county.households) - 50 * n_t, rng.dirichlet(np.full(n_t, 3.0))) + 50
    dist = np.sort(rng.uniform(0.5, 30.0, n_t))  # towns ranked outwards from the seat
    cum = np.cumsum(hh) / hh.sum()
    s = cfg.urban_type_population[county.kind]
    utype = np.where(cum - hh / hh.sum() / 2 < s["city_center"], "city_center",
                     np.where(cum - hh / hh.sum() / 2 < s["city_center"] + s["city_border"],
                              "city_border", "rural"))
    radius = np.select([utype == "city_center", utype == "city_border"],
                       [rng.uniform(0.3, 4.0, n_t), rng.uniform(4.0, 12.0, n_t)],
                       rng.uniform(8.0, 35.0, n_t))
    ang = rng.uniform(0, 2 * np.pi, n_t)
    tlat = county.lat + radius * np.cos(ang) / 111.2
    tlon = county.lon + radius * np.sin(ang) / (111.2 * np.cos(np.radians(county.lat)))
    zip4 = str(county.zip_code)[:4]
    towns = pd.DataFrame({
        "county_id": int(county.county_id),
        "name": [f"{county.county}·{'街道' if u != 'rural' else '镇'}{k + 1:02d}"
                 for k, u in enumerate(utype)],
        "zip_code": [f"{zip4}{(k + 1) % 100:02d}" for k in range(n_t)],
        "urban_type": utype, "lat": tlat, "lon": tlon, "households": hh,
        "dist_seat_km": dist,
    })
    towns["level"] = (county.level + towns.urban_type.map(cfg.urban_gap)
                      + rng.normal(0, cfg.town_sd, n_t))
    rows = []
    for k, t in towns.iterrows():
        n_v = 3 + rng.poisson(cfg.villages_per_town - 3)
        vh = rng.multinomial(int(t.households) - 10 * n_v, rng.dirichlet(np.full(n_v, 2.0))) + 10
        spread = {"city_center": 1.2, "city_border": 2.5, "rural": 4.0}[t.urban_type]
        r = spread * np.sqrt(rng.uniform(0, 1, n_v))
        a = rng.uniform(0, 2 * np.pi, n_v)
        kind = "社区" if t.urban_type != "rural" else "村"
        rows.append(pd.DataFrame({
            "town_local": k,
            "street": [f"{t['name']}·{'路' if t.urban_type != 'rural' else '组'}{j // 3 + 1}"
                       for j in range(n_v)],
            "name": [f"{t['name']}·{kind}{j + 1:02d}" for j in range(n_v)],
            "lat": t.lat + r * np.cos(a) / 111.2,
            "lon": t.lon + r * np.sin(a) / (111.2 * np.cos(np.radians(t.lat))),
            "households": vh,
            "level": t.level + cfg.sorting_strength * rng.normal(0, 0.45, n_v),
        }))
    return towns, pd.concat(rows, ignore_index=True)


# ---------------------------------------------------------------------------
# home location from check-ins
# ---------------------------------------------------------------------------


def estimate_home(
    checkins: pd.DataFrame, community: pd.DataFrame, cell_deg: float = 0.002,
    combine_radius_km: float = 2.0,
) -> pd.DataFrame:
    """Home of each person from night check-ins combined with the community location.

    The most visited night-time cell (a ``cell_deg`` grid) gives the home, as
    the mean of its check-ins, unless it lies farther than
    ``combine_radius_km`` from the recorded community location (or there is
    no night check-in), in which case the community location is used.

    Parameters
    ----------
    checkins : DataFrame
        ``person_id, lat, lon, night`` (bool).
    community : DataFrame
        Indexed by ``person_id``, columns ``lat, lon`` (recorded community).

    Returns
    -------
    DataFrame
        Indexed like ``community``: ``lat, lon, method`` (``night_checkin`` or
        ``community``).

    Examples
    --------
    >>> ci = pd.DataFrame({"person_id": [1, 1, 1, 2], "lat": [30.0, 30.0, 30.1, 40.0],
    ...                    "lon": [120.0, 120.0, 120.1, 116.0], "night": [True] * 4})
    >>> com = pd.DataFrame({"lat": [30.001, 30.0], "lon": [120.0, 120.0]}, index=[1, 2])
    >>> estimate_home(ci, com).method.tolist()
    ['night_checkin', 'community']
    """
    night = checkins[checkins["night"]]
    cell = pd.DataFrame({
        "person_id": night.person_id.to_numpy(),
        "ci": np.floor(night.lat.to_numpy() / cell_deg).astype(np.int64),
        "cj": np.floor(night.lon.to_numpy() / cell_deg).astype(np.int64),
        "lat": night.lat.to_numpy(), "lon": night.lon.to_numpy(),
    })
    g = cell.groupby(["person_id", "ci", "cj"]).agg(n=("lat", "size"), lat=("lat", "mean"),
                                                    lon=("lon", "mean")).reset_index()
    com = community.reindex(g.person_id)
    g["d"] = haversine_km(g.lat, g.lon, com.lat.to_numpy(), com.lon.to_numpy())
    g = g.sort_values(["person_id", "n", "d"], ascending=[True, False, True])
    best = g.drop_duplicates("person_id").set_index("person_id")
    out = community[["lat", "lon"]].copy()
    out["method"] = "community"
    ok = best.index[best.d <= combine_radius_km].intersection(out.index)
    out.loc[ok, ["lat", "lon"]] = best.loc[ok, ["lat", "lon"]].to_numpy()
    out.loc[ok, "method"] = "night_checkin"
    return out


def _checkins(cfg: SurveyConfig, people: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(people)
    k = 3 + rng.poisson(cfg.checkins_mean - 3, n)
    pid = np.repeat(people.index.to_numpy(), k)
    idx = np.repeat(np.arange(n), k)
    night = rng.random(idx.size) < cfg.night_share
    at_home = np.where(night, rng.random(idx.size) < cfg.night_at_home, rng.random(idx.size) < 0.3)
    # away check-ins: a work place per person (within ~8 km) or anywhere within ~5 km
    wr, wa = 8 * np.sqrt(rng.random(n)), rng.uniform(0, 2 * np.pi, n)
    work = rng.random(idx.size) < 0.5
    rr, ra = 5 * np.sqrt(rng.random(idx.size)), rng.uniform(0, 2 * np.pi, idx.size)
    dy = np.where(work, wr[idx] * np.cos(wa[idx]), rr * np.cos(ra))
    dx = np.where(work, wr[idx] * np.sin(wa[idx]), rr * np.sin(ra))
    dy, dx = np.where(at_home, 0.0, dy), np.where(at_home, 0.0, dx)
    lat0, lon0 = people.true_lat.to_numpy()[idx], people.true_lon.to_numpy()[idx]
    noise = rng.normal(0, cfg.gps_noise_km, (2, idx.size))
    lat = lat0 + (dy + noise[0]) / 111.2
    lon = lon0 + (dx + noise[1]) / (111.2 * np.cos(np.radians(lat0)))
    return pd.DataFrame({"person_id": pid, "lat": lat, "lon": lon, "night": night,
                         "at_home": at_home})


# ---------------------------------------------------------------------------
# the world
# ---------------------------------------------------------------------------


def _sample(cfg: SurveyConfig, counties: pd.DataFrame, seed: int, rng: np.random.Generator):
    """Run the 4-stage design; return towns, villages of sampled counties and the draws."""
    town_parts, village_parts, draws = [], [], []
    made: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = {}
    for year in cfg.years:
        for prov in cfg.provinces:
            frame = counties[(counties.province == prov) & counties.in_frame]
            sp = float(frame.households.sum())
            for c in systematic_pps(frame.households.to_numpy(), cfg.counties_per_province, rng):
                county = frame.iloc[c]
                cid = int(county.county_id)
                if cid not in made:
                    made[cid] = places_of_county(cfg, county, seed)
                towns, villages = made[cid]
                for t in systematic_pps(towns.households.to_numpy(), cfg.towns_per_county_sampled, rng):
                    vs = villages[villages.town_local == t]
                    for v in systematic_pps(vs.households.to_numpy(), cfg.villages_per_town_sampled, rng):
                        draws.append((year, prov, cid, t, int(vs.index[v]), sp,
                                      int(county.households), int(towns.households.iloc[t]),
                                      int(vs.households.iloc[v])))
    for cid, (towns, villages) in sorted(made.items()):
        town_parts.append(towns.assign(town_local=np.arange(len(towns))))
        village_parts.append(villages.assign(county_id=cid, village_local=np.arange(len(villages))))
    towns = pd.concat(town_parts, ignore_index=True)
    towns.insert(0, "town_id", np.arange(len(towns)))
    villages = pd.concat(village_parts, ignore_index=True)
    key = towns.set_index(["county_id", "town_local"]).town_id
    villages["town_id"] = key.reindex(pd.MultiIndex.from_frame(
        villages[["county_id", "town_local"]])).to_numpy()
    villages.insert(0, "village_id", np.arange(len(villages)))
    vkey = villages.set_index(["county_id", "village_local"]).village_id
    d = pd.DataFrame(draws, columns=["year", "province", "county_id", "town_local", "village_local",
                                     "S_p", "G_county", "G_town", "G_village"])
    d["village_id"] = vkey.reindex(pd.MultiIndex.from_frame(
        d[["county_id", "village_local"]])).to_numpy()
    d["town_id"] = villages.town_id.to_numpy()[d.village_id]
    return towns, villages, d.drop(columns=["town_local", "village_local"])


def _attributes(cfg: SurveyConfig, z: NDArray, age: NDArray, male: NDArray, ref: NDArray,
                rng: np.random.Generator) -> tuple[pd.DataFrame, NDArray, NDArray]:
    """True classes of the four attributes, exact personal and family incomes.

    Each attribute's score is turned into a normal score through its
    distribution among the ``ref`` people (the kept home owners, the population
    Table 2 describes), so that the published class shares hold there.
    """
    n = z.size
    e = rng.normal(size=(4, n))
    rs = cfg.residual_sd
    age_inc = -0.25 * ((age - 45) / 15) ** 2
    scores = {
        "personal_income": z + cfg.male_income_bonus * male + age_inc + rs["personal_income"] * e[0],
        "family_income": z + rs["family_income"] * (0.7 * e[0] + 0.71 * e[1]),
        "education": z + cfg.age_education_slope * (age - 50) / 15 + rs["education"] * e[2],
        "occupation": z + 0.1 * male + rs["occupation"] * (0.6 * e[2] + 0.8 * e[3]),
    }
    classes = {}
    q = {}
    for k, s in scores.items():
        srt = np.sort(s[ref]) if ref.any() else np.sort(s)
        q[k] = norm.ppf((np.searchsorted(srt, s) + 0.5) / (srt.size + 1))  # normal scores
        classes[k] = np.digitize(q[k], class_cuts_from_shares(cfg.class_shares[k]))

    def money(qk: NDArray, shares: tuple, cuts: tuple) -> NDArray:
        # lognormal whose quantiles put the published class borders (yuan) at the class shares
        c = class_cuts_from_shares(shares)
        slope = (np.log(cuts[1]) - np.log(cuts[0])) / (c[1] - c[0])
        return np.exp(np.log(cuts[0]) + slope * (qk - c[0]))

    inc = money(q["personal_income"], cfg.class_shares["personal_income"], cfg.income_cuts)
    fam = money(q["family_income"], cfg.class_shares["family_income"], cfg.family_income_cuts)
    return pd.DataFrame(classes), inc, fam


def simulate_survey(config: SurveyConfig | None = None, seed: int = 0) -> SurveyWorld:
    """Build the survey world (seeded; about 10 s at paper scale).

    Parameters
    ----------
    config : SurveyConfig, optional
        Every mechanism's parameters; defaults reproduce the paper's marginals.
    seed : int
        Seed of every random draw (``numpy.random.default_rng``).

    Returns
    -------
    SurveyWorld
        The frame, the samples, the respondents and the kept people.

    Examples
    --------
    >>> cfg = SurveyConfig(provinces=("Zhejiang",), years=(2015,), counties_per_province=2,
    ...                    households_per_village=3)
    >>> w = simulate_survey(cfg, seed=3)
    >>> len(w.surveyed), sorted(w.people.province.unique())
    (24, ['Zhejiang'])
    """
    cfg = config or SurveyConfig()
    if cfg.households_per_village < 1:
        raise ValueError(f"households_per_village must be at least 1; got {cfg.households_per_village}")
    if not 0 <= cfg.sorting_strength:
        raise ValueError(f"sorting_strength must be non-negative; got {cfg.sorting_strength}")
    rng = np.random.default_rng(seed)
    counties, cities = _county_table(cfg, rng)
    towns, villages, draws = _sample(cfg, counties, seed, rng)

    # door knocking: contacts until the quota of households answered
    ut = towns.urban_type.to_numpy()[draws.town_id]
    p_ans = pd.Series(ut).map(cfg.door_answer_rate).to_numpy()
    h = cfg.households_per_village
    draws["contacts"] = h + rng.negative_binomial(h, p_ans)
    draws["urban_type"] = ut
    draws.insert(0, "draw_id", np.arange(len(draws)))

    # respondents: one per responding household
    rep = np.repeat(draws.index.to_numpy(), h)
    d = draws.iloc[rep].reset_index(drop=True)
    n = len(d)
    sv = pd.DataFrame({"person_id": np.arange(n), "survey_year": d.year.to_numpy(),
                       "draw_id": d.draw_id.to_numpy(), "village_id": d.village_id.to_numpy(),
                       "town_id": d.town_id.to_numpy(), "county_id": d.county_id.to_numpy()})
    cty = counties.set_index("county_id")
    sv["province"] = cty.province.reindex(sv.county_id).to_numpy()
    sv["city"] = cty.city.reindex(sv.county_id).to_numpy()
    sv["county"] = cty.county.reindex(sv.county_id).to_numpy()
    sv["urban_type"] = towns.urban_type.to_numpy()[sv.town_id]
    age_p = np.array([6.18, 11.40, 24.36, 27.74, 30.27])
    sv["age_group"] = np.array(AGE_BINS)[rng.choice(5, n, p=age_p / age_p.sum())]
    lo = sv.age_group.map({k: v[0] for k, v in _AGE_RANGES.items()}).to_numpy()
    hi = sv.age_group.map({k: v[1] for k, v in _AGE_RANGES.items()}).to_numpy()
    sv["age"] = rng.integers(lo, hi + 1)
    sv["male"] = rng.random(n) < 0.5
    area = villages.level.to_numpy()[sv.village_id]
    sv["area_level"] = area
    sv["z"] = cfg.location_signal * area + rng.normal(0, cfg.individual_sd, n)
    # who is kept: owners who share their home and answered something (all MCAR here)
    sv["owner"] = rng.random(n) < sv.urban_type.map(cfg.owner_rate).to_numpy()
    sv["shares_home"] = rng.random(n) < cfg.share_home_rate
    tasks = ("personal_income", "family_income", "education", "occupation")
    answers = {k: rng.random(n) >= cfg.nonresponse[k] for k in tasks}
    sv["age_answered"] = rng.random(n) >= cfg.nonresponse["age"]
    sv["answered_any"] = np.column_stack([answers[k] for k in tasks]).any(axis=1)
    sv["kept"] = sv.owner & sv.shares_home & sv.answered_any
    classes, inc, fam = _attributes(cfg, sv.z.to_numpy(), sv.age.to_numpy().astype(float),
                                    sv.male.to_numpy().astype(float), sv.kept.to_numpy(), rng)
    for k in tasks:
        sv[f"true_{k}"] = classes[k].to_numpy()
        sv[k] = pd.arrays.IntegerArray(classes[k].to_numpy(np.int64), ~answers[k])
    sv["income_monthly"] = inc
    sv["family_income_yearly"] = fam
    gave = sv.personal_income.notna().to_numpy() & (rng.random(n) < cfg.exact_income_rate)
    sv["exact_income"] = np.where(gave, np.round(inc, -1), np.nan)

    # the kept people: true home, check-ins, estimated home, housing
    ppl = sv[sv.kept].set_index("person_id").copy()
    m = len(ppl)
    vid = ppl.village_id.to_numpy()
    spread = ppl.urban_type.map(cfg.home_spread_km).to_numpy()
    vlat, vlon = villages.lat.to_numpy()[vid], villages.lon.to_numpy()[vid]
    off = rng.normal(0, 1, (2, m)) * spread
    ppl["community_lat"], ppl["community_lon"] = vlat, vlon
    ppl["true_lat"] = vlat + off[0] / 111.2
    ppl["true_lon"] = vlon + off[1] / (111.2 * np.cos(np.radians(vlat)))
    checkins = _checkins(cfg, ppl, rng)
    est = estimate_home(checkins, ppl[["community_lat", "community_lon"]].set_axis(
        ["lat", "lon"], axis=1), cfg.home_cell_deg, cfg.combine_radius_km)
    ppl["lat"], ppl["lon"], ppl["home_method"] = est.lat, est.lon, est.method
    ppl["home_error_km"] = haversine_km(ppl.lat, ppl.lon, ppl.true_lat, ppl.true_lon)
    ppl["town"] = towns.name.to_numpy()[ppl.town_id]
    ppl["zip_code"] = towns.zip_code.to_numpy()[ppl.town_id]
    ppl["street"] = villages.street.to_numpy()[vid]
    ppl["village"] = villages.name.to_numpy()[vid]
    ppl["is_city"] = ppl.urban_type != "rural"

    cities = _city_prices(cfg, cities, counties, rng)
    ppl = _housing(cfg, ppl, cities, villages, rng)
    return SurveyWorld(config=cfg, seed=seed, counties=counties, cities=cities, towns=towns,
                       villages=villages, samples=draws, surveyed=sv, people=ppl,
                       checkins=checkins)


def _city_prices(cfg: SurveyConfig, cities: pd.DataFrame, counties: pd.DataFrame,
                 rng: np.random.Generator) -> pd.DataFrame:
    """Published city average price: log-linear in the city level.

    It spans the paper's range over the frame cities.
    """
    out = cities.copy()
    x = cfg.city_price_level_link * out.level + rng.normal(0, cfg.city_price_sd, len(out))
    fx = x[out.in_frame]
    lo, hi = np.log(cfg.city_price_range[0]), np.log(cfg.city_price_range[1])
    span = fx.max() - fx.min()
    if span <= 0:
        out["avg_price"] = np.exp((lo + hi) / 2)
    else:
        out["avg_price"] = np.round(np.exp(lo + (x - fx.min()) / span * (hi - lo)))
    return out


def area_log_price(cfg: SurveyConfig, city_price: ArrayLike, level: ArrayLike,
                   city_level: ArrayLike, urban_type: ArrayLike) -> NDArray:
    """Log price (yuan/m2) of the market around a place.

    The city's published average, shifted by the place's latent level relative to the city and by its urban type.

    Parameters
    ----------
    cfg : SurveyConfig
        Gives ``area_price_slope`` and ``urban_price_offset``.
    city_price : array-like of float
        Published average price of each place's city (yuan/m2).
    level, city_level : array-like of float
        Latent level of each place and of its city.
    urban_type : array-like of str
        ``city_center``, ``city_border`` or ``rural``.

    Returns
    -------
    numpy.ndarray
        ``log(city_price) + slope * (level - city_level) + offset[urban_type]``.

    Examples
    --------
    >>> cfg = SurveyConfig()  # offsets: city centre +0.25, rural -0.7
    >>> np.exp(area_log_price(cfg, [10000.0, 10000.0], [0.0, 0.0], [0.0, 0.0],
    ...                       ["city_center", "rural"])).round(1).tolist()
    [12840.3, 4965.9]
    """
    off = pd.Series(np.asarray(urban_type)).map(cfg.urban_price_offset).to_numpy()
    return (np.log(np.asarray(city_price, float))
            + cfg.area_price_slope * (np.asarray(level, float) - np.asarray(city_level, float))
            + off)


def _housing(cfg: SurveyConfig, ppl: pd.DataFrame, cities: pd.DataFrame,
             villages: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    out = ppl.copy()
    m = len(out)
    types = np.empty(m, dtype=object)
    for scope, mask in (("city", out.is_city.to_numpy()), ("rural", ~out.is_city.to_numpy())):
        sh = cfg.housing_type_shares[scope]
        p = np.array([sh[t] for t in HOUSING_TYPES])
        types[mask] = np.array(HOUSING_TYPES)[rng.choice(len(p), mask.sum(), p=p / p.sum())]
    out["housing_type"] = types
    out["commercial"] = out.housing_type == "commercial"
    c = cities.set_index("city")
    base = area_log_price(cfg, c.avg_price.reindex(out.city).to_numpy(), out.area_level,
                          c.level.reindex(out.city).to_numpy(), out.urban_type)
    own = np.where(
        out.commercial,
        base + cfg.commercial_price_link * 0.35 * (out.z - out.area_level) + rng.normal(0, 0.15, m),
        base + np.log(out.housing_type.map(cfg.noncommercial_discount).fillna(1.0).to_numpy())
        + rng.normal(0, 0.30, m),
    )
    out["own_home_price"] = np.round(np.exp(own))
    return out
