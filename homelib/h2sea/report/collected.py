"""Chapters 01-02 on data of your own (a folder, no survey world): Fig 1, the map, the paper.

:mod:`homelib.h2sea.report.survey` draws chapter 02 for the simulated survey, whose world knows
the sampled counties and their coordinates. A folder in the layout of
:func:`homelib.h2sea.sources.load_sources` has only the collected tables, so the variants here
take the sources and their feature table (:func:`homelib.h2sea.features.dataset_from_sources`)
and read nothing else: the counties are those of the homes, placed at the mean of their homes,
and the paper's numbers are set beside the data's without a tolerance (a description, not a
calibration). The figures and tables that need no world (price features, statistics, POI mix,
fallback counts) are :mod:`~homelib.h2sea.report.survey`'s own. For chapter 01,
:func:`sample_vs_paper` sets the paper's sample counts beside a people table's
(:mod:`homelib.h2sea.sample`).

Examples
--------
>>> table = sources_vs_paper(*_example_dataset()).set_index("quantity")
>>> float(table.loc["housing_price_coverage", "this data"])  # one of the two homes
50.0
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ...io import load_reference
from ...maps import color_legend
from ..features import H2SEADataset, dataset_from_sources
from ..sources import Sources

__all__ = [
    "SOURCE_FACTS",
    "homes_counties",
    "plot_fig1",
    "folium_map",
    "sources_vs_paper",
    "sample_vs_paper",
]

_COLORS = {"city_center": "#d62728", "city_border": "#ff7f0e", "rural": "#2ca02c"}

SOURCE_FACTS = (
    "housing_price_coverage", "renting_price_coverage", "housing_coverage_city_only",
    "housing_coverage_village_only", "county_income_coverage", "town_budget_coverage",
    "town_tax_coverage", "housing_price_max_city_avg", "housing_price_min_city_avg",
    "county_income_max", "county_income_min", "poi_first_level_categories",
    "poi_second_level_categories", "urban_type_city_center", "urban_type_city_border",
    "urban_type_village",
)
"""The keys of ``h2sea_facts.csv`` that collected sources alone can be set beside (Sec 3)."""


def _example_dataset() -> tuple[Sources, H2SEADataset]:
    """Two homes of city ``A`` (one with a sale listing within 2 km), for the examples."""
    homes = pd.DataFrame({"person_id": [7, 8], "lat": [30.25, 30.40], "lon": [120.15, 120.30],
                          "province": "Zhejiang", "city": "A", "county": ["a1", "a2"],
                          "town": ["t1", "t2"], "street": "s", "zip_code": "310000",
                          "urban_type": ["city_center", "rural"]})
    sale = pd.DataFrame({"lat": [30.25], "lon": [120.15], "price": [2e4], "city": "A"})
    years = list(range(2012, 2018))
    ci = pd.DataFrame({"city": "A", "county": "a1", "year": years, "income": 9e4})
    ts = pd.DataFrame({"city": "A", "county": "a1", "town": "t1", "year": years,
                       "budget": 5.0, "tax": np.nan})
    pois = pd.DataFrame({"lat": [30.25, 30.4], "lon": [120.15, 120.3],
                         "category": ["food/bar", "food/coffee_shop"]})
    src = Sources(homes, sale, sale.assign(price=50.0),
                  pd.DataFrame({"city": ["A"], "avg_price": [15000.0]}), ci, ts, pois,
                  pd.DataFrame())
    return src, dataset_from_sources(src)


def homes_counties(sources: Sources) -> pd.DataFrame:
    """The counties of the homes, each at the mean position of its homes, with its latest income.

    Parameters
    ----------
    sources : Sources
        The collected tables.

    Returns
    -------
    pandas.DataFrame
        ``city, county, homes, lat, lon, year, income``: one row per (city, county) of the
        homes; ``year`` and ``income`` are the county's latest published figure (NaN when the
        county has none).

    Examples
    --------
    >>> homes_counties(_example_dataset()[0])[["county", "homes", "year", "income"]].to_dict("records")
    [{'county': 'a1', 'homes': 1, 'year': 2017.0, 'income': 90000.0}, {'county': 'a2', 'homes': 1, 'year': nan, 'income': nan}]
    """
    h = sources.homes
    c = h.groupby(["city", "county"], sort=True).agg(homes=("person_id", "size"), lat=("lat", "mean"),
                                                     lon=("lon", "mean")).reset_index()
    ci = sources.county_income.sort_values("year").drop_duplicates(["city", "county"], keep="last")
    return c.merge(ci[["city", "county", "year", "income"]], on=["city", "county"], how="left")


def plot_fig1(sources: Sources):
    """The paper's Fig 1 on collected sources: city average prices and the homes' county income.

    Panel (b) shows each county of the homes once, at its latest published year (2017 in
    the paper's data).

    Parameters
    ----------
    sources : Sources
        The collected tables.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_fig1(_example_dataset()[0])
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['city average housing price (yuan/m²)', 'county average income, latest year (yuan/year)']
    >>> plt.close(fig)
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    sns.histplot(sources.city_prices.avg_price, bins=25, ax=axes[0], color="#4c72b0")
    axes[0].set_xlabel("city average housing price (yuan/m²)")
    axes[0].set_title("(a) housing prices of the cities")
    c = homes_counties(sources).dropna(subset=["income"])
    sns.histplot(c.income, bins=25, ax=axes[1], color="#55a868")
    axes[1].set_xlabel("county average income, latest year (yuan/year)")
    axes[1].set_title("(b) income of the homes' counties")
    fig.tight_layout()
    return fig


def folium_map(sources: Sources, ds: H2SEADataset, max_homes: int = 300, seed: int = 0):
    """Homes coloured by urban type and the homes' counties coloured by income (folium).

    Parameters
    ----------
    sources : Sources
        The collected tables.
    ds : H2SEADataset
        Their feature table (its ``meta`` gives the homes' positions and urban types).
    max_homes : int
        Homes drawn (a random sample without replacement when there are more).
    seed : int
        Seed of the sample.

    Returns
    -------
    folium.Map
        Two layers (homes, county income) and a colour scale.

    Examples
    --------
    >>> src, ds = _example_dataset()
    >>> m = folium_map(src, ds, max_homes=1)
    >>> sorted(type(c).__name__ for c in m._children.values())[:2]
    ['FeatureGroup', 'FeatureGroup']
    """
    import branca.colormap as cm
    import folium

    rng = np.random.default_rng(seed)
    m = ds.meta
    pick = m.iloc[np.sort(rng.choice(len(m), min(max_homes, len(m)), replace=False))]
    fmap = folium.Map(location=[float(m.lat.mean()), float(m.lon.mean())], zoom_start=5)
    homes = folium.FeatureGroup(name="homes (urban type)")
    for r in pick.itertuples():
        folium.CircleMarker([r.lat, r.lon], radius=3, color=_COLORS[r.urban_type], fill=True,
                            fill_opacity=0.8, tooltip=r.urban_type).add_to(homes)
    homes.add_to(fmap)
    c = homes_counties(sources).dropna(subset=["income"])
    if len(c):
        lo, hi = float(c.income.min()), float(c.income.max())
        cmap = cm.linear.viridis.scale(lo, hi if hi > lo else lo + 1.0)
        counties = folium.FeatureGroup(name="county income")
        for r in c.itertuples():
            folium.Circle([r.lat, r.lon], radius=6000, color=cmap(r.income), fill=True,
                          fill_opacity=0.5,
                          tooltip=f"{r.county}: {r.income:.0f} ({int(r.year)})").add_to(counties)
        counties.add_to(fmap)
        color_legend(cmap, "county average income, latest year (yuan/year)").add_to(fmap)
    folium.LayerControl().add_to(fmap)
    return fmap


def sources_vs_paper(sources: Sources, ds: H2SEADataset) -> pd.DataFrame:
    """The paper's Sec 3 numbers (:data:`SOURCE_FACTS`) beside the same quantities of the data.

    Computed as :func:`homelib.h2sea.calibration.calibration_table` computes them for the
    simulated world (a test checks that they agree there), from the sources and the feature
    table only: coverages are shares of the homes (or of their counties and towns), the
    price range is over ``city_prices``, the county income range over the homes' counties in
    2017, the urban types are shares of the homes. No tolerance and no verdict: on data of
    your own the table describes the data.

    Parameters
    ----------
    sources : Sources
        The collected tables.
    ds : H2SEADataset
        Their feature table (:func:`homelib.h2sea.features.dataset_from_sources`).

    Returns
    -------
    pandas.DataFrame
        ``quantity, published, this data, unit, where`` (the paper's section): one row per key of
        :data:`SOURCE_FACTS`; ``this data`` is NaN where the data has nothing to count
        (no city homes for the city-only coverage, no 2017 income).

    Examples
    --------
    >>> t = sources_vs_paper(*_example_dataset()).set_index("quantity")
    >>> t.loc[["county_income_coverage", "town_tax_coverage", "urban_type_village"], "this data"].tolist()
    [50.0, 0.0, 50.0]
    """
    facts = load_reference("h2sea_facts").set_index("key")
    homes, m = sources.homes, ds.meta
    sale, rent = m.has_sale_price_2km.to_numpy(bool), m.has_rent_price_2km.to_numpy(bool)
    city = m.is_city.to_numpy(bool)

    def pct(hits) -> float:
        hits = np.asarray(hits, dtype=float)
        return float(100 * hits.mean()) if hits.size else float("nan")

    def covered(keys: list[str], table: pd.DataFrame) -> float:
        mine = pd.MultiIndex.from_frame(homes[keys].drop_duplicates())
        return pct(mine.isin(pd.MultiIndex.from_frame(table[keys].drop_duplicates())))

    ts = sources.town_stats
    town = ["city", "county", "town"]
    ci17 = sources.county_income[sources.county_income.year == 2017]
    ci17 = ci17.merge(homes[["city", "county"]].drop_duplicates(), on=["city", "county"]).income
    cats = sources.pois.category.astype(str)
    ours = {
        "housing_price_coverage": pct(sale), "renting_price_coverage": pct(rent),
        "housing_coverage_city_only": pct(sale[city]),
        "housing_coverage_village_only": pct(sale[~city]),
        "county_income_coverage": covered(["city", "county"], sources.county_income),
        "town_budget_coverage": covered(town, ts.dropna(subset=["budget"])),
        "town_tax_coverage": covered(town, ts.dropna(subset=["tax"])),
        "housing_price_max_city_avg": float(sources.city_prices.avg_price.max()),
        "housing_price_min_city_avg": float(sources.city_prices.avg_price.min()),
        "county_income_max": float(ci17.max()) if len(ci17) else float("nan"),
        "county_income_min": float(ci17.min()) if len(ci17) else float("nan"),
        "poi_first_level_categories": float(cats.str.split("/").str[0].nunique()),
        "poi_second_level_categories": float(cats.nunique()),
        "urban_type_city_center": pct(m.urban_type == "city_center"),
        "urban_type_city_border": pct(m.urban_type == "city_border"),
        "urban_type_village": pct(m.urban_type == "rural"),
    }
    # the unit without the paper's own extreme (``yuan/m2 (Shenzhen)``): the row is about both
    rows = [(k, float(facts.loc[k, "value"]), ours[k], facts.loc[k, "unit"].split(" (")[0],
             facts.loc[k, "where"]) for k in SOURCE_FACTS]
    return pd.DataFrame(rows, columns=["quantity", "published", "this data", "unit", "where"])


def sample_vs_paper(people: pd.DataFrame) -> pd.DataFrame:
    """The paper's Sec 2-3 counts of its sample beside those of a people table of your own.

    Provinces, cities, people (kept, with a home and an attribute) and the urban types of the
    homes; no tolerance and no verdict (a description of your sample, not a calibration).

    Parameters
    ----------
    people : DataFrame
        As :func:`homelib.h2sea.sample.load_people` returns.

    Returns
    -------
    pandas.DataFrame
        ``quantity, published, this data, unit, where``.

    Examples
    --------
    >>> people = pd.DataFrame({"province": ["Zhejiang", "Hebei"], "city": ["A", "B"],
    ...                        "urban_type": ["rural", "city_center"]})
    >>> sample_vs_paper(people).set_index("quantity")["this data"].tolist()
    [2.0, 2.0, 2.0, 50.0, 0.0, 50.0]
    """
    facts = load_reference("h2sea_facts").set_index("key")
    ut = people.urban_type
    ours = {"provinces": people.province.nunique(), "cities": people.city.nunique(),
            "people_with_home_and_sea": len(people),
            "urban_type_city_center": 100 * (ut == "city_center").mean(),
            "urban_type_city_border": 100 * (ut == "city_border").mean(),
            "urban_type_village": 100 * (ut == "rural").mean()}
    rows = [(k, float(facts.loc[k, "value"]), float(v), facts.loc[k, "unit"].split(" (")[0],
             facts.loc[k, "where"]) for k, v in ours.items()]
    return pd.DataFrame(rows, columns=["quantity", "published", "this data", "unit", "where"])
