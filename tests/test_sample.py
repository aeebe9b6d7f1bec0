"""Tests of a survey sample of your own (homelib.h2sea.sample): the people loader and Table 2."""

import numpy as np
import pandas as pd
import pytest

from homelib.h2sea.calibration import calibration_table
from homelib.h2sea.collection import simulate_sources
from homelib.h2sea.sample import AGE_GROUPS, ATTRIBUTES, age_group, load_people, table2
from homelib.h2sea.simulated import dataset_from_world
from homelib.h2sea.world import SurveyConfig, simulate_survey


@pytest.fixture(scope="module")
def tiny():
    w = simulate_survey(SurveyConfig(provinces=("Zhejiang",), years=(2015,), counties_per_province=4,
                                     households_per_village=15), seed=3)
    return w, simulate_sources(w, seed=3)


def _people_of(world) -> pd.DataFrame:
    """The world's kept people in the layout of people.csv (age blank where not answered)."""
    p = world.people
    cols = ["lat", "lon", "province", "city", "county", "urban_type", *ATTRIBUTES]
    return p[cols].assign(age=p.age.where(p.age_answered).astype("Int64")).reset_index()


def test_table2_unweighted_equals_the_calibration_on_the_world(tiny, tmp_path):
    w, src = tiny
    _people_of(w).to_csv(tmp_path / "people.csv", index=False)
    mine = table2(load_people(tmp_path)).set_index(["attribute", "category"])
    assert not mine.weighted.any()
    cal = calibration_table(w, src, dataset_from_world(w, src)).set_index("quantity")
    t2 = cal[cal.index.str.startswith("table2_")]
    for quantity, row in t2.iterrows():
        attribute, category = quantity[len("table2_"):].split(": ", 1)
        assert mine.loc[(attribute, category), "this data"] == pytest.approx(row.simulated, abs=1e-4)
        assert mine.loc[(attribute, category), "published"] == row.published


def test_weights_turn_sample_shares_into_population_shares():
    people = pd.DataFrame({"education": [0, 0, 2], "personal_income": [0, 1, 2],
                           "family_income": [0, 1, 2], "occupation": [0, 1, 2],
                           "weight": [1.0, 1.0, 8.0]})
    edu = table2(people).set_index(["attribute", "category"]).loc["education", "this data"]
    assert edu.to_dict() == {"lower secondary": 20.0, "upper secondary": 0.0, "university": 80.0}
    edu = table2(people, weight=None).set_index(["attribute", "category"]).loc["education", "this data"]
    assert edu.round(2).tolist() == [66.67, 0.0, 33.33]
    assert table2(people).attribute.unique().tolist() == list(ATTRIBUTES)  # no age column, no age rows


def test_a_no_answer_row_the_paper_lacks_is_added_without_a_published_value():
    people = pd.DataFrame({a: pd.array([0, 1, None] if a == "education" else [0, 1, 2], dtype="Int64")
                           for a in ATTRIBUTES})
    row = table2(people).set_index(["attribute", "category"]).loc[("education", "no answer")]
    assert np.isnan(row.published) and row["this data"] == pytest.approx(100 / 3)


def test_age_groups_follow_the_paper_s_bounds():
    ages = pd.Series([20, 30, 31, 40, 41, 50, 51, 60, 61, 95, None], dtype="Int64")
    assert age_group(ages).tolist() == ["under 30", "under 30", "31-40", "31-40", "41-50", "41-50",
                                        "51-60", "51-60", "over 60", "over 60", "no answer"]
    assert set(age_group(ages)) == {*AGE_GROUPS, "no answer"}


def test_a_bad_people_table_is_named(tiny, tmp_path):
    w, _ = tiny
    people = _people_of(w)
    with pytest.raises(FileNotFoundError, match="needs people.csv"):
        load_people(tmp_path)
    people.drop(columns="education").to_csv(tmp_path / "people.csv", index=False)
    with pytest.raises(ValueError, match=r"people\.csv: missing column\(s\) \['education'\]"):
        load_people(tmp_path)
    people.assign(weight=[0.0] + [1.0] * (len(people) - 1)).to_csv(tmp_path / "people.csv", index=False)
    with pytest.raises(ValueError, match=r"column 'weight', row 0 \(line 2\), value '0.0'"):
        load_people(tmp_path)
