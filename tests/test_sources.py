"""Tests of the collected sources and the real-data loaders (homelib.h2sea.sources)."""

import numpy as np
import pandas as pd
import pytest

from homelib.h2sea.collection import SourcesConfig, simulate_sources
from homelib.h2sea.sources import POI_CATEGORIES, SCHEMAS, load_sources, load_table, validate_table
from homelib.h2sea.world import SurveyConfig, simulate_survey


@pytest.fixture(scope="module")
def tiny():
    w = simulate_survey(SurveyConfig(provinces=("Zhejiang",), years=(2015,),
                                     households_per_village=2), seed=3)
    return w, simulate_sources(w, SourcesConfig(), seed=3)


def good_homes():
    return pd.DataFrame({"person_id": [1, 2], "lat": [30.0, 30.1], "lon": [120.0, 120.1],
                         "province": ["Zhejiang", "Zhejiang"], "city": ["杭州市", "杭州市"],
                         "county": ["西湖区", "西湖区"], "town": ["t1", "t2"],
                         "street": ["s1", "s2"], "zip_code": ["310000", "310001"],
                         "urban_type": ["city_center", "rural"]})


def test_taxonomy_has_21_groups_and_114_categories():
    assert len(POI_CATEGORIES) == 114
    assert POI_CATEGORIES.group.nunique() == 21
    assert POI_CATEGORIES.code.is_unique


def test_good_table_passes_unchanged():
    rep = validate_table(good_homes(), "homes")
    assert rep.n_dropped == 0 and len(rep.table) == 2


def test_missing_column_is_named():
    with pytest.raises(ValueError, match=r"homes: missing column\(s\) \['zip_code'\]"):
        validate_table(good_homes().drop(columns="zip_code"), "homes")


def test_out_of_range_coordinate_names_column_row_value():
    h = good_homes()
    h.loc[1, "lon"] = 190.0
    with pytest.raises(ValueError, match=r"column 'lon', row 1, value 190.0"):
        validate_table(h, "homes")


@pytest.mark.parametrize("col,value", [("urban_type", "suburb"), ("province", "Hubei"),
                                       ("zip_code", "31000")])
def test_unknown_category_code(col, value):
    h = good_homes()
    h.loc[0, col] = value
    with pytest.raises(ValueError, match=rf"column '{col}', row 0, value '{value}'"):
        validate_table(h, "homes")


def test_unknown_poi_code():
    p = pd.DataFrame({"lat": [30.0], "lon": [120.0], "category": ["food/pizza_on_mars"]})
    with pytest.raises(ValueError, match="unknown POI category code"):
        validate_table(p, "pois")


def test_duplicate_person_id():
    h = good_homes()
    h.loc[1, "person_id"] = 1
    with pytest.raises(ValueError, match=r"column 'person_id', row 1, value 1.*duplicate"):
        validate_table(h, "homes")


def test_non_numeric_price():
    s = pd.DataFrame({"lat": [30.0, 30.0], "lon": [120.0, 120.0], "price": [9000, "n/a"],
                      "city": ["A", "A"]})
    with pytest.raises(ValueError, match=r"column 'price', row 1, value 'n/a'"):
        validate_table(s, "sale")


def test_drop_invalid_counts_and_reports_every_row():
    s = pd.DataFrame({"lat": [30.0, 99.0, 30.0], "lon": [120.0, 120.0, 120.0],
                      "price": [9000, 8000, -1], "city": ["A", "A", "A"]})
    rep = validate_table(s, "sale", drop_invalid=True)
    assert rep.n_dropped == 2
    assert len(rep.table) == 1
    assert set(rep.dropped.column) == {"lat", "price"}
    assert rep.table.price.dtype == float


def test_load_table_reads_csv(tmp_path):
    path = tmp_path / "homes.csv"
    good_homes().to_csv(path, index=False)
    t = load_table(path, "homes").table
    assert t.zip_code.tolist() == ["310000", "310001"]


def test_simulated_sources_follow_the_schemas(tiny):
    _, src = tiny
    for name in SCHEMAS:
        rep = validate_table(getattr(src, name), name)
        assert rep.n_dropped == 0, name


def test_round_trip_through_files(tiny, tmp_path):
    _, src = tiny
    for name in SCHEMAS:
        getattr(src, name).to_csv(tmp_path / f"{name}.csv", index=False)
    loaded, dropped = load_sources(tmp_path)
    assert len(dropped) == 0
    assert len(loaded.sale) == len(src.sale) and len(loaded.pois) == len(src.pois)


def test_statistics_have_gaps_and_years(tiny):
    w, src = tiny
    assert set(src.county_income.year) == set(range(2012, 2018))
    published = src.county_income[["city", "county"]].drop_duplicates()
    assert len(published) < len(w.counties)
    assert src.town_stats.budget.isna().any() or src.town_stats.tax.isna().any()


def test_listings_are_denser_in_cities(tiny):
    w, src = tiny
    assert (src.sale.price > 0).all() and (src.rent.price > 0).all()
    assert src.rent.price.median() < src.sale.price.median() / 50
    assert np.isfinite(src.pois.lat).all()


def test_simulated_survey_follows_the_survey_schemas(tiny):
    from homelib import schemas

    w, _ = tiny
    for name, schema in schemas.SURVEY_SCHEMAS.items():
        table = getattr(w, name)
        table = table.reset_index() if name == "people" else table  # person_id is its index
        rep = schemas.validate(table, schema, what=name)
        assert rep.n_dropped == 0 and len(rep.table) == len(table), name


def test_validate_collects_every_problem_of_every_row():
    s = pd.DataFrame({"lat": [30.0, 99.0, "x"], "lon": [120.0, 200.0, 120.0],
                      "price": [9000, 0, 1], "city": ["A", "", "A"]})
    with pytest.raises(ValueError) as err:
        validate_table(s, "sale")
    f = err.value.failures
    assert f[["row", "column"]].values.tolist() == [
        [1, "lat"], [1, "lon"], [1, "price"], [1, "city"], [2, "lat"]]
    assert str(err.value).startswith("sale: 5 problems: column 'lat', row 1, value 99.0")


def test_write_sources_round_trips_through_load_sources(tiny, tmp_path):
    from homelib.h2sea.sources import write_sources

    _, src = tiny
    assert write_sources(src, tmp_path / "collected") == tmp_path / "collected"
    loaded, dropped = load_sources(tmp_path / "collected")
    assert len(dropped) == 0
    for name in SCHEMAS:
        expected = validate_table(getattr(src, name), name).table[list(SCHEMAS[name].columns)]
        # text columns and integers exactly; floats to the last bit or one: the loaders parse
        # with pandas.to_numeric, whose fast parser can be 1 ulp off the shortest repr written
        pd.testing.assert_frame_equal(getattr(loaded, name).reset_index(drop=True),
                                      expected.reset_index(drop=True), check_exact=False,
                                      rtol=1e-15, atol=0, obj=name)
    assert loaded.town_stats.budget.isna().any() or loaded.town_stats.tax.isna().any()  # gaps stay gaps


def test_write_sources_refuses_a_bad_table_and_writes_nothing_of_it(tiny, tmp_path):
    import dataclasses

    from homelib.h2sea.sources import write_sources

    _, src = tiny
    bad = dataclasses.replace(src, sale=src.sale.assign(price=-1.0))
    with pytest.raises(ValueError, match=r"sale: .*column 'price'"):
        write_sources(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_folder_missing_a_file_or_a_column_fails_with_its_name(tiny, tmp_path):
    from homelib.h2sea.sources import write_sources

    _, src = tiny
    folder = write_sources(src, tmp_path / "collected")
    (folder / "town_stats.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"missing town_stats\.csv$"):
        load_sources(folder)
    write_sources(src, folder)
    pd.read_csv(folder / "county_income.csv").drop(columns="income").to_csv(
        folder / "county_income.csv", index=False)
    with pytest.raises(ValueError, match=r"county_income\.csv: missing column\(s\) \['income'\]"):
        load_sources(folder)


def test_dataset_from_sources_is_the_world_s_feature_table_without_labels(tiny):
    from homelib.h2sea.features import dataset_from_sources
    from homelib.h2sea.simulated import dataset_from_world

    w, src = tiny
    mine, theirs = dataset_from_sources(src), dataset_from_world(w, src)
    pd.testing.assert_frame_equal(mine.X, theirs.X)
    pd.testing.assert_frame_equal(mine.fills, theirs.fills)
    pd.testing.assert_frame_equal(mine.schema, theirs.schema)
    assert mine.families == theirs.families
    assert mine.y.shape == (len(mine.X), 0)  # collected sources hold no answers
    shared = ["province", "city", "county", "urban_type", "is_city", "has_sale_price_2km",
              "has_rent_price_2km", "lat", "lon"]
    pd.testing.assert_frame_equal(mine.meta[shared], theirs.meta[shared], check_dtype=False)
    assert "z" not in mine.meta and "exact_income" not in mine.meta  # no ground truth invented


def test_sources_vs_paper_agrees_with_the_calibration_on_the_world(tiny):
    from homelib.h2sea.calibration import calibration_table
    from homelib.h2sea.features import dataset_from_sources
    from homelib.h2sea.report.collected import SOURCE_FACTS, sources_vs_paper
    from homelib.h2sea.simulated import dataset_from_world

    w, src = tiny
    cal = calibration_table(w, src, dataset_from_world(w, src)).set_index("quantity")
    mine = sources_vs_paper(src, dataset_from_sources(src)).set_index("quantity")
    assert list(mine.index) == list(SOURCE_FACTS)
    np.testing.assert_allclose(mine["this data"].astype(float), cal.loc[list(SOURCE_FACTS), "simulated"],
                               atol=1e-4, equal_nan=True)  # the calibration rounds to 4 places
    np.testing.assert_array_equal(mine.published, cal.loc[list(SOURCE_FACTS), "published"])
