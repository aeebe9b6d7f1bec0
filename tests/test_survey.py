"""Tests of the simulated survey world (homelib.h2sea.world)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homelib.h2sea.world import (
    SurveyConfig,
    class_cuts_from_shares,
    eq1_inclusion,
    estimate_home,
    simulate_survey,
    survey_counties,
    systematic_pps,
)

TINY = dict(provinces=("Zhejiang",), years=(2015,), households_per_village=2)


@pytest.fixture(scope="module")
def tiny():
    return simulate_survey(SurveyConfig(**TINY), seed=3)


# --- sampling arithmetic ---------------------------------------------------


def test_systematic_pps_hand_case():
    # sizes 1, 3 and n = 2: interval 2; start u in [0, 2) -> hits unit 1 at least once
    rng = np.random.default_rng(0)
    for _ in range(20):
        hits = systematic_pps([1, 3], 2, rng)
        assert len(hits) == 2 and (hits == 1).sum() >= 1


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 1000), min_size=1, max_size=30), st.integers(1, 12),
       st.integers(0, 10_000))
def test_systematic_pps_hits_are_floor_or_ceil_of_expectation(sizes, n, seed):
    hits = np.bincount(systematic_pps(sizes, n, np.random.default_rng(seed)), minlength=len(sizes))
    expected = np.asarray(sizes) * n / np.sum(sizes)
    assert hits.sum() == n
    assert np.all(hits >= np.floor(expected - 1e-9)) and np.all(hits <= np.ceil(expected + 1e-9))


def test_systematic_pps_mean_hits_match_pps():
    rng = np.random.default_rng(1)
    sizes = np.array([5, 1, 10, 4])
    hits = np.mean([np.bincount(systematic_pps(sizes, 2, rng), minlength=4) for _ in range(4000)],
                   axis=0)
    np.testing.assert_allclose(hits, sizes * 2 / sizes.sum(), atol=0.03)


def test_systematic_pps_rejects_bad_sizes():
    with pytest.raises(ValueError, match="positive"):
        systematic_pps([1, 0], 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least 1"):
        systematic_pps([1, 2], 0, np.random.default_rng(0))


@given(st.floats(1e4, 1e7), st.floats(0.01, 1), st.floats(0.01, 1), st.floats(0.01, 1))
def test_eq1_telescopes_to_1200_over_sp(sp, fc, ft, fv):
    county = sp * fc
    town = county * ft
    village = max(town * fv, 1.0)
    assert eq1_inclusion(sp, county, town, village) * sp == pytest.approx(1200)


def test_class_cuts_give_the_shares():
    from scipy.stats import norm

    cuts = class_cuts_from_shares([54.29, 23.20, 22.51])
    assert norm.cdf(cuts[0]) == pytest.approx(0.5429)
    assert norm.cdf(cuts[1]) - norm.cdf(cuts[0]) == pytest.approx(0.2320)


# --- geography ---------------------------------------------------------------


def test_counties_are_real_and_unique():
    c = survey_counties(("Guangdong",))
    assert {"越秀区", "南山区"} <= set(c.county)
    assert not c.duplicated(["city", "county"]).any()
    assert c.zip_code.str.fullmatch(r"\d{6}").all()


# --- home estimation -------------------------------------------------------------


def test_estimate_home_mode_and_fallback():
    ci = pd.DataFrame({
        "person_id": [1, 1, 1, 1, 2, 2, 3],
        "lat": [30.0001, 30.0002, 30.05, 30.0, 40.0, 40.0, 50.0],
        "lon": [120.0001, 120.0002, 120.05, 120.0, 116.0, 116.0, 10.0],
        "night": [True, True, True, False, True, True, False],
    })
    com = pd.DataFrame({"lat": [30.0, 30.0, 50.0], "lon": [120.0, 120.0, 10.0]}, index=[1, 2, 3])
    est = estimate_home(ci, com, cell_deg=0.002, combine_radius_km=2.0)
    assert est.loc[1, "method"] == "night_checkin"
    assert est.loc[1, "lat"] == pytest.approx(30.00015)
    assert est.loc[2, "method"] == "community"  # modal night cell is ~1,100 km away
    assert est.loc[3, "method"] == "community"  # no night check-in at all


# --- the world ------------------------------------------------------------------


def test_tiny_world_design_counts(tiny):
    assert len(tiny.samples) == 10 * 2 * 2
    assert len(tiny.surveyed) == 10 * 2 * 2 * 2
    assert (tiny.samples.contacts >= 2).all()
    assert tiny.surveyed.kept.sum() == len(tiny.people)
    assert set(tiny.people.urban_type) <= {"city_center", "city_border", "rural"}


def test_kept_people_satisfy_the_rules(tiny):
    p = tiny.people
    assert p.owner.all() and p.shares_home.all() and p.answered_any.all()
    assert str(p.personal_income.dtype) == "Int64"


def test_world_is_seeded(tiny):
    again = simulate_survey(SurveyConfig(**TINY), seed=3)
    pd.testing.assert_frame_equal(tiny.people, again.people)
    other = simulate_survey(SurveyConfig(**TINY), seed=4)
    assert not tiny.people.index.equals(other.people.index) or not np.allclose(
        tiny.people.z.to_numpy(), other.people.z.to_numpy())


def test_location_signal_zero_removes_the_area_from_the_position():
    w = simulate_survey(SurveyConfig(**{**TINY, "households_per_village": 10},
                                     location_signal=0.0), seed=1)
    s = w.surveyed
    assert abs(np.corrcoef(s.z, s.area_level)[0, 1]) < 0.1


def test_exact_income_falls_in_its_class(tiny):
    s = tiny.surveyed
    cls = np.digitize(s.income_monthly, [2000, 4000])
    np.testing.assert_array_equal(cls, s.true_personal_income)


def test_bad_config_raises():
    with pytest.raises(ValueError, match="households_per_village"):
        simulate_survey(SurveyConfig(**{**TINY, "households_per_village": 0}))
