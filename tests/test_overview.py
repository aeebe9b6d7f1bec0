import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from homelib import geo, overview  # noqa: E402


def test_table3_long_shape():
    t = overview.table3_long()
    assert len(t) == 4 * 6 * 4
    assert list(t.method.cat.categories) == overview.METHOD_ORDER


def test_gain_over_pop_matches_sec52_statement():
    g = overview.h2sea_gain_over_pop("gmean").set_index("task")["gain_pct"]
    assert g["personal_income"] == pytest.approx(42.57, abs=0.01)


def test_bad_metric():
    with pytest.raises(ValueError, match="metric 'rmse'"):
        overview.best_method_per_task("rmse")


def test_plot_and_map():
    fig = overview.plot_table3("auc")
    assert fig.axes[0].get_ylabel() == "AUC"
    assert fig.axes[0].get_legend() is None and len(fig.legends) == 1  # the legend sits off the bars
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == list(overview.TASK_LABELS.values())  # the paper's order of tasks
    m = overview.county_map(["Zhejiang"], radius=5)
    html = m.get_root().render()
    counties = geo.china_counties(["Zhejiang"])
    # one circle per real county seat, with its tooltip, and nothing from other provinces
    assert html.count("L.circleMarker(") == len(counties) > 50
    first = counties.iloc[0]
    assert f"{first.county}, {first.city} (Zhejiang) {first.zip_code}" in html
    assert "(Hebei)" not in html and '"radius": 5' in html


def test_county_summary():
    s = overview.county_summary(["Zhejiang", "Hebei"]).set_index("province")
    assert s.loc["Zhejiang", "cities"] == 11
