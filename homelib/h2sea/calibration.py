"""How closely the simulated survey world matches the H2SEA paper's numbers.

:func:`calibration_table` lists every published number of Table 2 and of
``data/reference/h2sea_facts.csv`` that the world is built to match, the
simulated value, a tolerance and whether it is met (the
``h2sea_calibration.csv`` file contract).

Examples
--------
>>> round(cluster_se([1, 1, 0, 0], ["a", "a", "b", "b"]), 3)
0.5
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .. import io
from .features import FALLBACK_KM, RADIUS_KM, H2SEADataset
from .housing import price_vs_income_level
from .sources import Sources
from .world import SurveyWorld, eq1_inclusion

__all__ = [
    "CALIBRATION_COLUMNS",
    "cluster_se",
    "calibration_table",
]


CALIBRATION_COLUMNS = ["quantity", "published", "simulated", "unit", "within"]


def _pearson(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or a[ok].std() == 0 or b[ok].std() == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def cluster_se(x: ArrayLike, cluster: ArrayLike) -> float:
    """Standard error of the mean of ``x`` when the sample is drawn in clusters.

    The usual cluster-robust (linearisation) estimate,
    ``sqrt(sum_c (sum_{i in c} (x_i - mean))^2) / n``, with a small-sample factor
    ``sqrt(C / (C - 1))``.

    Parameters
    ----------
    x : array-like of float
        One value per sampled unit (0/1 for a share).
    cluster : array-like
        Cluster (primary unit) of each value.

    Returns
    -------
    float
        The standard error; NaN with fewer than two clusters or no values.

    Examples
    --------
    >>> round(cluster_se([1, 1, 0, 0], ["a", "a", "b", "b"]), 3)  # two clusters, all-or-none
    0.5
    >>> round(cluster_se([1, 0, 1, 0], ["a", "a", "b", "b"]), 3)  # no between-cluster variation
    0.0
    """
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return float("nan")
    r = pd.Series(x - x.mean()).groupby(np.asarray(cluster)).sum().to_numpy()
    c = r.size
    if c < 2:
        return float("nan")
    return float(np.sqrt((r ** 2).sum() * c / (c - 1)) / x.size)


def calibration_table(world: SurveyWorld, sources: Sources, ds: H2SEADataset) -> pd.DataFrame:
    """Every number of Table 2 and ``h2sea_facts.csv`` the world is meant to match.

    Columns: ``quantity, published, simulated, unit, within`` (the file
    contract) plus ``tolerance`` (absolute, in ``unit``) and ``note``.
    Counts are scaled by ``households_per_village / 30`` so that a small
    world is compared with the paper pro rata. A share or count estimated
    from the sample gets a tolerance of at least two standard errors of the
    clustered design (counties are the primary units, :func:`cluster_se`),
    because the paper's own numbers are one draw of such a design.

    Parameters
    ----------
    world : SurveyWorld
        The survey world.
    sources : Sources
        Its collected sources.
    ds : H2SEADataset
        The feature table built from them.

    Returns
    -------
    pandas.DataFrame
        One row per quantity.

    Examples
    --------
    >>> from homelib.h2sea.collection import simulate_sources
    >>> from homelib.h2sea.simulated import dataset_from_world
    >>> from homelib.h2sea.world import SurveyConfig, simulate_survey
    >>> cfg = SurveyConfig(provinces=("Zhejiang",), years=(2015,), counties_per_province=2,
    ...                    households_per_village=3)
    >>> world = simulate_survey(cfg, seed=3)
    >>> sources = simulate_sources(world, seed=3)
    >>> table = calibration_table(world, sources, dataset_from_world(world, sources))
    >>> row = table.set_index("quantity").loc["provinces"]  # a one-province world
    >>> float(row.published), float(row.simulated), bool(row.within)
    (9.0, 1.0, False)
    """
    cfg = world.config
    f = cfg.households_per_village / 30 * len(cfg.years) / 3 * len(cfg.provinces) / 9
    p, m, X, y = world.people, ds.meta, ds.X, ds.y
    rows: list[tuple] = []

    def add(q, pub, sim, unit, tol, note=""):
        within = bool(np.isfinite(sim) and abs(sim - pub) <= tol)
        rows.append((q, float(pub), float(sim), unit, within, float(tol), note))

    def share(q, pub, hit, cluster, unit, tol, note=""):
        """A percentage of a sample of people, tolerance max(tol, 2 cluster SEs)."""
        hit = np.asarray(hit, dtype=float)
        se = 100 * cluster_se(hit, np.asarray(cluster))
        if 2 * se > tol:
            note = (note + "; " if note else "") + f"tolerance = 2 cluster SEs ({2 * se:.1f})"
        add(q, pub, 100 * hit.mean() if hit.size else np.nan, unit, max(tol, 2 * se), note)

    add("provinces", 9, p.province.nunique(), "count", 0)
    add("cities", 85, world.surveyed.city.nunique(), "count", 4,
        "cities with someone surveyed; the frame has 85, a city none of whose counties is drawn has no one")
    add("surveyed_people_2015_2017", 32443 * f, len(world.surveyed), "count", 0.01 * 32443 * f,
        "design gives exactly 30 households x 1,080 villages = 32,400")
    sv = world.surveyed
    se_kept = len(sv) * cluster_se(sv.kept.to_numpy(float), sv.county_id.to_numpy())
    add("people_with_home_and_sea", 4509 * f, len(p), "count",
        max(0.04 * 4509 * f, 2 * se_kept), f"tolerance max(4%, 2 cluster SEs = {2 * se_kept:.0f})")
    add("people_with_exact_income", 2800 * f, p.exact_income.notna().sum(), "count",
        0.05 * 2800 * f)
    s = world.samples
    incl = [eq1_inclusion(r.S_p, r.G_county, r.G_town, r.G_village,
                          cfg.counties_per_province, cfg.towns_per_county_sampled,
                          cfg.villages_per_town_sampled, cfg.households_per_village) * r.S_p
            for r in s.itertuples()]
    add("target_sample_per_province", 1200 * cfg.households_per_village / 30,
        float(np.mean(incl)), "count (Eq 1: inclusion x S_p)", 1e-6)
    per = s.groupby(["year", "province"]).size()
    add("villages_per_province_year", 40, per.mean(), "count (10 x 2 x 2)", 0)
    cl = m.county.astype(str) + "/" + m.city.astype(str)
    share("housing_price_coverage", 43, m.has_sale_price_2km, cl, "% of people", 5,
          "43 cannot hold with 57 (city) and 17 (village) at 54/46: that mix gives 38.6")
    share("renting_price_coverage", 32, m.has_rent_price_2km, cl, "% of people", 5)
    share("housing_coverage_city_only", 57, m.has_sale_price_2km[m.is_city], cl[m.is_city],
          "% with housing price", 5)
    share("housing_coverage_village_only", 17, m.has_sale_price_2km[~m.is_city], cl[~m.is_city],
          "% with housing price", 5)
    home_counties = pd.MultiIndex.from_frame(p[["city", "county"]].drop_duplicates())
    pub_c = pd.MultiIndex.from_frame(sources.county_income[["city", "county"]].drop_duplicates())
    add("county_income_coverage", 97, 100 * home_counties.isin(pub_c).mean(), "% of counties", 3)
    home_towns = pd.MultiIndex.from_frame(p[["city", "county", "town"]].drop_duplicates())
    ts = sources.town_stats
    for k, pub in (("budget", 27), ("tax", 16)):
        pt = pd.MultiIndex.from_frame(ts.dropna(subset=[k])[["city", "county", "town"]]
                                      .drop_duplicates())
        add(f"town_{k}_coverage", pub, 100 * home_towns.isin(pt).mean(), "% of towns", 4)
    cp = sources.city_prices.avg_price  # the published averages of the survey's cities
    add("housing_price_max_city_avg", 64354, cp.max(), "yuan/m2", 0.01 * 64354)
    add("housing_price_min_city_avg", 3117, cp.min(), "yuan/m2", 0.01 * 3117)
    ci17 = sources.county_income[sources.county_income.year == 2017]
    ci17 = ci17.set_index(["city", "county"]).income.reindex(home_counties)
    add("county_income_max", 56442, ci17.max(), "yuan/year", 0.02 * 56442)
    add("county_income_min", 13314, ci17.min(), "yuan/year", 0.02 * 13314)
    cats = sources.pois.category.astype(str)
    add("poi_first_level_categories", 21, cats.str.split("/").str[0].nunique(), "count", 0)
    add("poi_second_level_categories", 114, cats.nunique(), "count", 0)
    add("housing_price_radius", 2, RADIUS_KM, "km", 0, "a method constant, used as published")
    add("housing_price_fallback_radius", 10, FALLBACK_KM, "km", 0, "a method constant")
    add("poi_radius", 2, RADIUS_KM, "km", 0, "a method constant")
    for u, pub in (("city_center", 30), ("city_border", 24), ("village", 46)):
        share(f"urban_type_{u}", pub, m.urban_type == ("rural" if u == "village" else u), cl,
              "% of homes", 3)
    facts = {"personal_income": (31.2, 41.5, 27.3), "family_income": (37.6, 36.2, 26.2),
             "education": (54.29, 23.20, 22.51), "occupation": (66.49, 25.12, 8.39)}
    for t, pubs in facts.items():
        ans = y[t].notna().to_numpy()
        for c, lab in enumerate(("low", "mid", "high")):
            share(f"class_share_{t}_{lab}", pubs[c], y[t][ans].astype(int) == c, cl[ans],
                  "% of answers", 2.5)
    # Table 2 (with "no answer")
    t2 = pd.read_csv(io.reference_dir() / "h2sea_table2_demographics.csv")
    for r in t2.itertuples():
        if r.attribute == "age":
            hit = p.age_group.where(p.age_answered, "no answer").reindex(m.index) == r.category
        else:
            cats2 = [c for c in t2[t2.attribute == r.attribute].category if c != "no answer"]
            col = y[r.attribute]
            hit = (col.isna() if r.category == "no answer"
                   else (col == cats2.index(r.category)).fillna(False))
        share(f"table2_{r.attribute}: {r.category}", r.fraction_pct, hit, cl, "% of people", 2.5)
    has = m.has_sale_price_2km
    lvl = y.personal_income.astype(float)
    add("corr_price_vs_income_level_china", 0.185,
        price_vs_income_level(X, y, m)["pearson_r"], "Pearson r", 0.1,
        "homes with a sale listing within 2 km, as Sec 6 and chapter 06 (one definition: "
        "homelib.h2sea.housing.price_vs_income_level)")
    add("corr_price_vs_exact_income_2800", 0.34,
        _pearson(X.hp_mean[has], m.exact_income[has]), "Pearson r", 0.1,
        "people with a sale price within 2 km and an exact income")
    for city, name, pub in (("哈尔滨市", "harbin", 0.37), ("南京市", "nanjing", 0.05)):
        q = has & (m.city == city)
        add(f"corr_price_vs_income_{name}", pub, _pearson(X.hp_mean[q], lvl[q]), "Pearson r",
            0.25, f"n = {int((q & lvl.notna()).sum())}: one city's r is noisy; not tuned")
    out = pd.DataFrame(rows, columns=CALIBRATION_COLUMNS + ["tolerance", "note"])
    return out.round({"published": 4, "simulated": 4, "tolerance": 4})
