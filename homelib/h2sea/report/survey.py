"""Tables and figures of chapters 01-02 (the survey world and its features).

Chapter 01 shows the simulated survey (the four-stage PPS draw of Table 1 and
Eq 1, door-knocking, who is kept, the home estimated from night check-ins)
and chapter 02 the data collected around each home (Fig 1, the price,
statistics and POI features) beside the paper's Table 2 and coverage figures.
Notebooks only call these; every number shown is computed here from the
world (:class:`~homelib.h2sea.world.SurveyWorld`), the sources
(:class:`~homelib.h2sea.sources.Sources`), the feature table
(:class:`~homelib.h2sea.features.H2SEADataset`) or the calibration table
(:func:`~homelib.h2sea.calibration.calibration_table`).

Examples
--------
>>> funnel = pd.DataFrame({"owner": [True, False], "shares_home": [True, True],
...                        "answered_any": [True, True], "kept": [True, False]})
>>> keep_funnel(funnel).people.tolist()
[2, 1, 1, 1, 1]
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ...io import load_reference, write_result_csv
from ...maps import color_legend
from ..calibration import CALIBRATION_COLUMNS, calibration_table
from ..collection import SourcesConfig, simulate_sources
from ..features import H2SEADataset
from ..simulated import dataset_from_world
from ..sources import POI_CATEGORIES, Sources
from ..world import (
    SurveyConfig,
    SurveyWorld,
    eq1_inclusion,
    places_of_county,
    simulate_survey,
    systematic_pps,
)

__all__ = [
    "stage_table",
    "eq1_table",
    "eq1_monte_carlo",
    "response_table",
    "keep_funnel",
    "home_error_summary",
    "demographics_table",
    "coverage_table",
    "plot_stages",
    "plot_home_error",
    "plot_fig1",
    "plot_price_features",
    "plot_statistics",
    "plot_poi_mix",
    "folium_map",
    "paper_vs_book",
    "table2_reference",
    "parameter_table",
    "write_calibration",
]

_COLORS = {"city_center": "#d62728", "city_border": "#ff7f0e", "rural": "#2ca02c"}


def _example_survey() -> tuple[SurveyWorld, Sources, H2SEADataset]:
    """A tiny survey, its sources and feature table for the examples (seed 3).

    Zhejiang, 2015: 4 counties x 2 towns x 2 villages x 5 households (80 surveyed, 15 kept).
    """
    cfg = SurveyConfig(provinces=("Zhejiang",), years=(2015,), counties_per_province=4,
                       households_per_village=5)
    world = simulate_survey(cfg, seed=3)
    sources = simulate_sources(world, seed=3)
    return world, sources, dataset_from_world(world, sources)


def stage_table(world: SurveyWorld) -> pd.DataFrame:
    """Table 1 beside the simulated design: units drawn per province and year.

    Parameters
    ----------
    world : SurveyWorld
        The simulated survey.

    Returns
    -------
    pandas.DataFrame
        One row per stage (FSU to USU): ``stage, unit``, the paper's and the
        simulated units per parent unit, and the units actually drawn per
        province and year (averaged over them).

    Examples
    --------
    >>> world, _, _ = _example_survey()  # 4 counties x 2 towns x 2 villages x 5 households
    >>> t = stage_table(world)
    >>> t["simulated: drawn per province-year"].tolist()
    [4.0, 8.0, 16.0, 80.0]
    """
    s = world.samples
    g = s.groupby(["year", "province"])
    cfg = world.config
    sim = [g.county_id.size().mean() / (cfg.towns_per_county_sampled * cfg.villages_per_town_sampled),
           g.town_id.size().mean() / cfg.villages_per_town_sampled,
           g.village_id.size().mean(), g.village_id.size().mean() * cfg.households_per_village]
    return pd.DataFrame({
        "stage": ["First (FSU)", "Second (SSU)", "Third (TSU)", "Ultimate (USU)"],
        "unit": ["district, county", "township, town", "village, community", "household"],
        "paper: per parent unit": [10, 2, 2, 30],
        "simulated: per parent unit": [cfg.counties_per_province, cfg.towns_per_county_sampled,
                                       cfg.villages_per_town_sampled, cfg.households_per_village],
        "simulated: drawn per province-year": np.round(sim, 1),
    })


def eq1_table(world: SurveyWorld, n: int = 5) -> pd.DataFrame:
    """Eq 1 on the first ``n`` sampled villages: the four stage factors and their product.

    Parameters
    ----------
    world : SurveyWorld
        The simulated survey.
    n : int
        Sampled villages shown (the first ``n`` of ``world.samples``).

    Returns
    -------
    pandas.DataFrame
        Per village: its province, year, the sizes ``S_p, G_county, G_town,
        G_village``, the four stage probabilities, their product ``s_p`` and
        ``s_p x S_p`` (the same for every household of a province-year: the
        design is self-weighting).

    Examples
    --------
    >>> world, _, _ = _example_survey()
    >>> t = eq1_table(world, n=2)
    >>> t["s_p x S_p"].round(6).tolist()  # 4 x 2 x 2 x 5 households per province
    [80.0, 80.0]
    """
    cfg = world.config
    rows = []
    for r in world.samples.head(n).itertuples():
        f = (cfg.counties_per_province * r.G_county / r.S_p,
             cfg.towns_per_county_sampled * r.G_town / r.G_county,
             cfg.villages_per_town_sampled * r.G_village / r.G_town,
             cfg.households_per_village / r.G_village)
        rows.append((r.province, r.year, int(r.S_p), r.G_county, r.G_town, r.G_village, *f,
                     np.prod(f), eq1_inclusion(r.S_p, r.G_county, r.G_town, r.G_village,
                                               cfg.counties_per_province,
                                               cfg.towns_per_county_sampled,
                                               cfg.villages_per_town_sampled,
                                               cfg.households_per_village) * r.S_p))
    return pd.DataFrame(rows, columns=["province", "year", "S_p", "G_county", "G_town",
                                       "G_village", "p_county", "p_town|county",
                                       "p_village|town", "p_household|village", "s_p",
                                       "s_p x S_p"])


def eq1_monte_carlo(world: SurveyWorld, province: str, reps: int = 2000,
                    seed: int = 0) -> pd.DataFrame:
    """Repeat the 4-stage draw ``reps`` times in one province.

    Checks Eq 1 by simulation: every household of the province should be
    drawn with the same probability.

    Parameters
    ----------
    world : SurveyWorld
        The simulated survey (its design and places).
    province : str
        A province of the world.
    reps : int
        Repetitions of the draw.
    seed : int
        Seed of the repetitions.

    Returns
    -------
    pandas.DataFrame
        Per county of the province's frame: ``county, households``, the
        households it contributed on average divided by its size
        (``empirical_inclusion``) and Eq 1's ``eq1_inclusion`` (households
        drawn per province over ``S_p``; 1200 in the paper's design).

    Examples
    --------
    >>> world, _, _ = _example_survey()
    >>> mc = eq1_monte_carlo(world, "Zhejiang", reps=3)
    >>> mc.columns.tolist()
    ['county', 'households', 'empirical_inclusion', 'eq1_inclusion']
    >>> bool(mc["eq1_inclusion"].nunique() == 1)  # the same for every household
    True
    """
    cfg = world.config
    rng = np.random.default_rng(seed)
    frame = world.counties[(world.counties.province == province) & world.counties.in_frame]
    places = {int(c.county_id): places_of_county(cfg, c, world.seed) for _, c in frame.iterrows()}
    hits = np.zeros(len(frame))
    sizes = frame.households.to_numpy()
    for _ in range(reps):
        for ci in systematic_pps(sizes, cfg.counties_per_province, rng):
            towns, villages = places[int(frame.county_id.iloc[ci])]
            for t in systematic_pps(towns.households.to_numpy(), cfg.towns_per_county_sampled, rng):
                vs = villages[villages.town_local == t].households.to_numpy()
                k = len(systematic_pps(vs, cfg.villages_per_town_sampled, rng))
                hits[ci] += k * cfg.households_per_village
    sp = sizes.sum()
    return pd.DataFrame({"county": frame.county.to_numpy(), "households": sizes,
                         "empirical_inclusion": hits / reps / sizes,
                         "eq1_inclusion": eq1_inclusion(sp, 1, 1, 1, cfg.counties_per_province,
                                                        cfg.towns_per_county_sampled,
                                                        cfg.villages_per_town_sampled,
                                                        cfg.households_per_village)})


def response_table(world: SurveyWorld) -> pd.DataFrame:
    """Door-knocking: households contacted and the response rate by urban type.

    Parameters
    ----------
    world : SurveyWorld
        The simulated survey.

    Returns
    -------
    pandas.DataFrame
        Indexed by urban type and ``all``: ``villages, contacts, responded``
        and ``response_rate_pct`` (rounded to 0.1).

    Examples
    --------
    >>> world, _, _ = _example_survey()
    >>> t = response_table(world)
    >>> t.columns.tolist(), float(t.loc["all", "responded"])
    (['villages', 'contacts', 'responded', 'response_rate_pct'], 80.0)
    """
    s = world.samples
    g = s.groupby("urban_type").agg(villages=("draw_id", "size"), contacts=("contacts", "sum"))
    g["responded"] = g.villages * world.config.households_per_village
    g["response_rate_pct"] = 100 * g.responded / g.contacts
    g.loc["all"] = [g.villages.sum(), g.contacts.sum(), g.responded.sum(),
                    100 * g.responded.sum() / g.contacts.sum()]
    return g.round(1)


def keep_funnel(surveyed: pd.DataFrame) -> pd.DataFrame:
    """Who is kept: surveyed -> owners -> sharing their home -> answering -> kept.

    Parameters
    ----------
    surveyed : DataFrame
        One row per surveyed person with boolean columns ``owner``,
        ``shares_home``, ``answered_any`` and ``kept`` (``SurveyWorld.surveyed``).

    Returns
    -------
    pandas.DataFrame
        ``step, people``: five steps, each counting the people still in.

    Examples
    --------
    >>> funnel = pd.DataFrame({"owner": [True, True, False], "shares_home": [True, False, True],
    ...                        "answered_any": [True, True, True], "kept": [True, False, False]})
    >>> keep_funnel(funnel)["people"].tolist()
    [3, 2, 1, 1, 1]
    """
    steps = [("surveyed", np.ones(len(surveyed), bool)),
             ("home owners", surveyed.owner.to_numpy()),
             ("... sharing their QQ home", (surveyed.owner & surveyed.shares_home).to_numpy()),
             ("... answering at least one attribute",
              (surveyed.owner & surveyed.shares_home & surveyed.answered_any).to_numpy()),
             ("kept", surveyed.kept.to_numpy())]
    return pd.DataFrame({"step": [s for s, _ in steps], "people": [int(m.sum()) for _, m in steps]})


def home_error_summary(world: SurveyWorld) -> pd.DataFrame:
    """Home estimation error (km) by estimation method and overall.

    Parameters
    ----------
    world : SurveyWorld
        The simulated survey (``people.home_method`` and ``people.home_error_km``).

    Returns
    -------
    pandas.DataFrame
        Indexed by method and ``all``: ``size, median, mean, p90, max`` of the
        error in km (rounded to 0.001).

    Examples
    --------
    >>> world, _, _ = _example_survey()
    >>> t = home_error_summary(world)
    >>> t.columns.tolist(), t.index[-1], float(t.loc["all", "size"])
    (['size', 'median', 'mean', 'p90', 'max'], 'all', 15.0)
    """
    p = world.people
    q = lambda x: x.quantile(0.9)  # noqa: E731
    q.__name__ = "p90"
    g = p.groupby("home_method").home_error_km.agg(["size", "median", "mean", q, "max"])
    g.loc["all"] = p.home_error_km.agg(["size", "median", "mean", q, "max"]).to_numpy()
    return g.round(3)


def demographics_table(calibration: pd.DataFrame) -> pd.DataFrame:
    """Table 2 beside the simulated shares (from the calibration table).

    Parameters
    ----------
    calibration : DataFrame
        The calibration table (:func:`~homelib.h2sea.calibration.calibration_table`);
        its rows ``table2_<attribute>: <category>`` are used.

    Returns
    -------
    pandas.DataFrame
        ``attribute, category, published, simulated, within`` (shares in %,
        rounded to 0.01).

    Examples
    --------
    >>> t = demographics_table(calibration_table(*_example_survey()))
    >>> t.columns.tolist()
    ['attribute', 'category', 'published', 'simulated', 'within']
    >>> t["attribute"].unique().tolist()
    ['personal_income', 'family_income', 'occupation', 'education', 'age']
    """
    t = calibration[calibration.quantity.str.startswith("table2_")].copy()
    t[["attribute", "category"]] = t.quantity.str[7:].str.split(": ", n=1, expand=True)
    return t[["attribute", "category", "published", "simulated", "within"]].round(2) \
        .reset_index(drop=True)


def coverage_table(calibration: pd.DataFrame) -> pd.DataFrame:
    """Coverage of every source beside the paper's.

    Parameters
    ----------
    calibration : DataFrame
        The calibration table (:func:`~homelib.h2sea.calibration.calibration_table`).

    Returns
    -------
    pandas.DataFrame
        ``quantity, published, simulated, unit, within``: housing and renting
        prices (all, city-only, village-only), county income, town budget and
        tax, and the POI categories (rounded to 0.1).

    Examples
    --------
    >>> t = coverage_table(calibration_table(*_example_survey()))
    >>> t["quantity"].tolist()[:2], t.columns.tolist()[1:3]
    (['housing_price_coverage', 'renting_price_coverage'], ['published', 'simulated'])
    """
    keys = ["housing_price_coverage", "renting_price_coverage", "housing_coverage_city_only",
            "housing_coverage_village_only", "county_income_coverage", "town_budget_coverage",
            "town_tax_coverage", "poi_first_level_categories", "poi_second_level_categories"]
    t = calibration.set_index("quantity").loc[keys]
    return t[["published", "simulated", "unit", "within"]].round(1).reset_index()


# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------


def plot_stages(world: SurveyWorld, province: str, year: int):
    """The four stages in one province and year: frame, counties, towns, villages.

    Parameters
    ----------
    world : SurveyWorld
        The simulated survey.
    province : str
        A province of the world.
    year : int
        A survey year of the world.

    Returns
    -------
    matplotlib.figure.Figure
        Left: a map of the frame and the units drawn at each stage; right: the
        number of units at each stage (log scale).

    Examples
    --------
    >>> world, _, _ = _example_survey()
    >>> fig = plot_stages(world, "Zhejiang", 2015)
    >>> fig.axes[0].get_title(), fig.axes[1].get_xlabel()
    ('Zhejiang, 2015', 'units (log scale)')
    >>> plt.close(fig)
    """
    c = world.counties[world.counties.province == province]
    s = world.samples[(world.samples.province == province) & (world.samples.year == year)]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1.3, 1]})
    ax = axes[0]
    ax.scatter(c.lon, c.lat, s=8, c="#cccccc", label="counties (not in frame)")
    f = c[c.in_frame]
    ax.scatter(f.lon, f.lat, s=10, c="#7f7f7f", label="counties in the frame")
    sc = c.set_index("county_id").loc[s.county_id.unique()]
    ax.scatter(sc.lon, sc.lat, s=60, facecolors="none", edgecolors="k", label="1: counties drawn")
    t = world.towns.set_index("town_id").loc[s.town_id.unique()]
    ax.scatter(t.lon, t.lat, s=18, c=t.urban_type.map(_COLORS), marker="^", label="2: towns")
    v = world.villages.set_index("village_id").loc[s.village_id]
    ax.scatter(v.lon, v.lat, s=6, c="k", marker=".", label="3: villages / communities")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(f"{province}, {year}")
    ax.legend(fontsize=7, loc="best")
    n = [len(f), s.county_id.nunique(), s.town_id.nunique(), len(s),
         len(s) * world.config.households_per_village]
    axes[1].barh(["counties in frame", "counties drawn", "towns drawn", "villages drawn",
                  "households"][::-1], n[::-1], color="#4c72b0")
    axes[1].set_xscale("log")
    axes[1].set_xlabel("units (log scale)")
    for i, k in enumerate(n[::-1]):
        axes[1].text(k, i, f" {k}", va="center", fontsize=8)
    fig.tight_layout()
    return fig


def plot_home_error(world: SurveyWorld):
    """Distribution of the home estimation error.

    Parameters
    ----------
    world : SurveyWorld
        The simulated survey (``people.home_method`` and ``people.home_error_km``).

    Returns
    -------
    matplotlib.figure.Figure
        The empirical CDF of the error (km, log scale; errors below 1 m drawn
        at 1 m), one curve per estimation method.

    Examples
    --------
    >>> world, _, _ = _example_survey()
    >>> fig = plot_home_error(world)
    >>> fig.axes[0].get_xlabel()
    'error of the estimated home (km, log scale)'
    >>> plt.close(fig)
    """
    p = world.people
    fig, ax = plt.subplots(figsize=(6, 3.5))
    sns.ecdfplot(data=p, x=np.maximum(p.home_error_km, 1e-3), hue="home_method", ax=ax)
    ax.set_xscale("log")
    ax.set_xlabel("error of the estimated home (km, log scale)")
    fig.tight_layout()
    return fig


def plot_fig1(world: SurveyWorld, sources: Sources):
    """Fig 1: distributions of city average housing prices and county average income.

    Parameters
    ----------
    world : SurveyWorld
        The simulated survey (which counties were sampled).
    sources : Sources
        The collected data (``city_prices``, ``county_income``).

    Returns
    -------
    matplotlib.figure.Figure
        (a) histogram of the cities' average housing price; (b) histogram of
        the sampled counties' 2017 average income.

    Examples
    --------
    >>> world, sources, _ = _example_survey()
    >>> fig = plot_fig1(world, sources)
    >>> [ax.get_title()[:3] for ax in fig.axes]
    ['(a)', '(b)']
    >>> plt.close(fig)
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    sns.histplot(sources.city_prices.avg_price, bins=25, ax=axes[0], color="#4c72b0")
    axes[0].set_xlabel("city average housing price (yuan/m²)")
    axes[0].set_title("(a) housing prices of the survey's cities")
    ci = sources.county_income[sources.county_income.year == 2017]
    sampled = world.counties[world.counties.county_id.isin(world.samples.county_id)]
    ci = ci.merge(sampled[["city", "county"]], on=["city", "county"])
    sns.histplot(ci.income, bins=25, ax=axes[1], color="#55a868")
    axes[1].set_xlabel("county average income 2017 (yuan/year)")
    axes[1].set_title("(b) income of the sampled counties")
    fig.tight_layout()
    return fig


def plot_price_features(ds: H2SEADataset):
    """F_hp: the mean listing price around homes by urban type and by how it was obtained.

    Parameters
    ----------
    ds : H2SEADataset
        The feature table (``hp_mean``, ``hp_count``, the fill flags) and its
        ``meta.urban_type``.

    Returns
    -------
    matplotlib.figure.Figure
        Left: boxes of ``hp_mean`` by urban type and source (listings within
        2 km, the nearest within 10 km, the city average); right: histogram of
        the listings within 2 km.

    Examples
    --------
    >>> _, _, ds = _example_survey()
    >>> fig = plot_price_features(ds)
    >>> fig.axes[0].get_ylabel()
    'F_avhp (yuan/m², log)'
    >>> plt.close(fig)
    """
    X, m = ds.X, ds.meta
    how = np.select([X.hp_fill_nearest == 1, X.hp_fill_city == 1],
                    ["nearest within 10 km", "city average"], "listings within 2 km")
    d = pd.DataFrame({"hp_mean": X.hp_mean, "urban type": m.urban_type, "source": how})
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    sns.boxplot(data=d, x="urban type", y="hp_mean", hue="source", ax=axes[0], fliersize=1,
                order=list(_COLORS))
    axes[0].set_yscale("log")
    axes[0].set_ylabel("F_avhp (yuan/m², log)")
    axes[0].legend(fontsize=7)
    sns.histplot(x=np.log10(X.hp_count[X.hp_count > 0]), ax=axes[1], bins=30)
    axes[1].set_xlabel("log10 listings for sale within 2 km (homes with any)")
    fig.tight_layout()
    return fig


def plot_statistics(sources: Sources, ds: H2SEADataset, n_counties: int = 8, seed: int = 0):
    """County income and town budget histories 2012-2017 (with the shocks).

    Parameters
    ----------
    sources : Sources
        The collected data (``county_income``).
    ds : H2SEADataset
        The feature table (``town_budget_<year>`` and ``town_budget_missing``).
    n_counties : int
        Counties drawn at random in the left panel.
    seed : int
        Seed of that draw.

    Returns
    -------
    matplotlib.figure.Figure
        Left: income per year of ``n_counties`` counties; right: the budgets
        of up to 40 homes' towns, each relative to its own 2012-2017 mean.

    Examples
    --------
    >>> _, sources, ds = _example_survey()
    >>> fig = plot_statistics(sources, ds, n_counties=2)
    >>> len(fig.axes[0].lines), fig.axes[1].get_ylabel()
    (2, 'town budget / its 2012-2017 mean')
    >>> plt.close(fig)
    """
    rng = np.random.default_rng(seed)
    X = ds.X
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    ci = sources.county_income
    keys = ci[["city", "county"]].drop_duplicates()
    pick = keys.iloc[rng.choice(len(keys), min(n_counties, len(keys)), replace=False)]
    for _, k in pick.iterrows():
        s = ci[(ci.city == k.city) & (ci.county == k.county)]
        axes[0].plot(s.year, s.income, marker="o", ms=3)
    axes[0].set_ylabel("county average income (yuan/year)")
    axes[0].set_title("county income, a few counties")
    cols = [c for c in X.columns if c.startswith("town_budget_2")]
    pub = X[X.town_budget_missing == 0][cols]
    rel = pub.div(pub.mean(axis=1), axis=0)
    for i in range(min(40, len(rel))):
        axes[1].plot([int(c[-4:]) for c in cols], rel.iloc[i], color="#4c72b0", alpha=0.3, lw=1)
    axes[1].set_ylabel("town budget / its 2012-2017 mean")
    axes[1].set_title("town budgets of homes (published only)")
    fig.tight_layout()
    return fig


def plot_poi_mix(ds: H2SEADataset):
    """Mean of_j/OF_j by first-level POI group and urban type (the area's function).

    Parameters
    ----------
    ds : H2SEADataset
        The feature table (``poi_<code>`` columns) and its ``meta.urban_type``.

    Returns
    -------
    matplotlib.figure.Figure
        A heatmap of log2 of the mean share ratio, first-level POI groups by
        urban type (centred at 0: as common as overall).

    Examples
    --------
    >>> _, _, ds = _example_survey()
    >>> fig = plot_poi_mix(ds)
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
    ('urban type', 'first-level POI group')
    >>> plt.close(fig)
    """
    X, m = ds.X, ds.meta
    cols = [f"poi_{c}" for c in POI_CATEGORIES.code]
    grp = POI_CATEGORIES.group.to_numpy()
    by = X[cols].T.groupby(grp).mean().T
    # a folder may lack an urban type: its column stays empty (NaN)
    tab = by.groupby(m.urban_type.to_numpy()).mean().T.reindex(columns=list(_COLORS))
    fig, ax = plt.subplots(figsize=(6, 6))
    sns.heatmap(np.log2(tab.clip(lower=1e-3)), cmap="vlag", center=0, ax=ax,
                cbar_kws={"label": "log2 mean of_j/OF_j"})
    ax.set_xlabel("urban type")
    ax.set_ylabel("first-level POI group")
    fig.tight_layout()
    return fig


def folium_map(world: SurveyWorld, sources: Sources, ds: H2SEADataset, max_homes: int = 300,
               seed: int = 0):
    """Homes coloured by urban type and counties sized and coloured by income (folium).

    Parameters
    ----------
    world : SurveyWorld
        The simulated survey (counties and which were sampled).
    sources : Sources
        The collected data (``county_income``, 2017 is shown).
    ds : H2SEADataset
        The homes (``meta``: ``lat, lon, urban_type``).
    max_homes : int
        Homes drawn at random (at most).
    seed : int
        Seed of that draw.

    Returns
    -------
    folium.Map
        Two layers (homes, county income), a colour scale and a layer control.

    Examples
    --------
    >>> world, sources, ds = _example_survey()
    >>> fmap = folium_map(world, sources, ds, max_homes=5)
    >>> type(fmap).__name__
    'Map'
    """
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
    ci = sources.county_income[sources.county_income.year == 2017]
    c = world.counties.merge(ci, on=["city", "county"])
    c = c[c.county_id.isin(world.samples.county_id)]
    lo, hi = c.income.min(), c.income.max()
    import branca.colormap as cm

    cmap = cm.linear.viridis.scale(lo, hi)
    counties = folium.FeatureGroup(name="county income")
    for r in c.itertuples():
        folium.Circle([r.lat, r.lon], radius=6000, color=cmap(r.income), fill=True,
                      fill_opacity=0.5, tooltip=f"{r.county}: {r.income:.0f}").add_to(counties)
    counties.add_to(fmap)
    color_legend(cmap, "county average income 2017 (yuan/year)").add_to(fmap)
    folium.LayerControl().add_to(fmap)
    return fmap


def paper_vs_book(calibration: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The closing table: selected calibration rows.

    Parameters
    ----------
    calibration : DataFrame
        The calibration table (:func:`~homelib.h2sea.calibration.calibration_table`).
    keys : list of str
        The ``quantity`` values to show, in this order (an unknown one raises
        ``KeyError``).

    Returns
    -------
    pandas.DataFrame
        ``quantity, published, simulated, unit, within, note``.

    Examples
    --------
    >>> t = paper_vs_book(calibration_table(*_example_survey()), ["provinces"])
    >>> t[["quantity", "published", "simulated"]].to_numpy().tolist()  # a one-province world
    [['provinces', 9.0, 1.0]]
    """
    t = calibration.set_index("quantity").loc[keys]
    return t[["published", "simulated", "unit", "within", "note"]].reset_index()


def table2_reference() -> pd.DataFrame:
    """Table 2 as published (for side-by-side display).

    Returns
    -------
    pandas.DataFrame
        ``attribute, category, fraction_pct`` from
        ``data/reference/h2sea_table2_demographics.csv``.

    Examples
    --------
    >>> t = table2_reference()
    >>> t.columns.tolist(), float(t["fraction_pct"].iloc[0])
    (['attribute', 'category', 'fraction_pct'], 23.04)
    """
    return load_reference("h2sea_table2_demographics.csv")


def parameter_table(world: SurveyWorld, sources_config: SourcesConfig | None = None) -> pd.DataFrame:
    """Every world and collection parameter with its value (for the data card).

    Parameters
    ----------
    world : SurveyWorld
        The simulated survey (its config and seed).
    sources_config : SourcesConfig, optional
        The collection's config (default: ``SourcesConfig()``).

    Returns
    -------
    pandas.DataFrame
        ``part, parameter, value``: value is the ``repr`` of the parameter;
        the world's seed comes last.

    Examples
    --------
    >>> world, _, _ = _example_survey()
    >>> t = parameter_table(world)
    >>> t.iloc[0].tolist(), t.iloc[-1].tolist()
    (['survey world', 'provinces', "('Zhejiang',)"], ['survey world', 'seed', '3'])
    """
    rows = [("survey world", k, repr(v)) for k, v in world.config.params().items()]
    scfg = sources_config or SourcesConfig()
    rows += [("collection", k, repr(v)) for k, v in scfg.params().items()]
    rows.append(("survey world", "seed", repr(world.seed)))
    return pd.DataFrame(rows, columns=["part", "parameter", "value"])


def write_calibration(world: SurveyWorld, sources: Sources, ds: H2SEADataset,
                      sources_config: SourcesConfig | None = None) -> pd.DataFrame:
    """Compute the calibration table and write it (with the parameter table) to data/results.

    The files are ``h2sea_calibration.csv`` and ``h2sea_world_parameters.csv``,
    written with :func:`homelib.io.write_result_csv` (so into the pipeline's
    staging folder, or ``data/scratch/<run id>`` outside it).

    Parameters
    ----------
    world : SurveyWorld
        The simulated survey.
    sources : Sources
        The collected data.
    ds : H2SEADataset
        The feature table.
    sources_config : SourcesConfig, optional
        The collection's config, for the parameter table (default: ``SourcesConfig()``).

    Returns
    -------
    pandas.DataFrame
        The calibration table (as written).

    Examples
    --------
    >>> import os, tempfile
    >>> from unittest import mock
    >>> out = tempfile.mkdtemp()
    >>> with mock.patch.dict(os.environ, {"HOMELIB_RESULTS_DIR": out}):  # a scratch folder
    ...     cal = write_calibration(*_example_survey())
    >>> sorted(os.listdir(out)), cal.columns.tolist()[:3]
    (['h2sea_calibration.csv', 'h2sea_world_parameters.csv'], ['quantity', 'published', 'simulated'])
    """
    cal = calibration_table(world, sources, ds)
    write_result_csv(cal, "h2sea_calibration.csv", CALIBRATION_COLUMNS)
    write_result_csv(parameter_table(world, sources_config), "h2sea_world_parameters.csv",
                     ["part", "parameter", "value"])
    return cal
