"""Tests of homelib.h2sea.housing: Pearson r and its interval, the Sec 6 table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from homelib.h2sea import housing


def test_correlation_matches_scipy_and_fisher_by_hand():
    rng = np.random.default_rng(0)
    x = rng.normal(size=50)
    y = 0.5 * x + rng.normal(size=50)
    c = housing.correlation(x, y)
    ref = stats.pearsonr(x, y)
    assert c["pearson_r"] == pytest.approx(ref.statistic)
    assert c["p_value"] == pytest.approx(ref.pvalue)
    z, se = np.arctanh(ref.statistic), 1 / np.sqrt(47)
    assert c["ci_low"] == pytest.approx(np.tanh(z - 1.959964 * se), abs=1e-5)
    assert c["ci_high"] == pytest.approx(np.tanh(z + 1.959964 * se), abs=1e-5)
    ci = ref.confidence_interval(0.95)
    assert c["ci_low"] == pytest.approx(ci.low, abs=1e-6)


def test_correlation_drops_nan_and_small_n():
    c = housing.correlation([1, 2, np.nan, 4, 5], [1, 2, 3, np.nan, 6])
    assert c["n"] == 3 and np.isnan(c["pearson_r"])
    with pytest.raises(ValueError, match="same length"):
        housing.correlation([1, 2], [1, 2, 3])


@settings(max_examples=30, deadline=None)
@given(st.integers(5, 200), st.integers(0, 10_000))
def test_interval_contains_r(n, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=n), rng.normal(size=n)
    c = housing.correlation(x, y)
    assert c["ci_low"] <= c["pearson_r"] <= c["ci_high"]
    assert -1 <= c["ci_low"] and c["ci_high"] <= 1


def _toy(n=200, seed=0):
    rng = np.random.default_rng(seed)
    idx = pd.Index([f"p{i}" for i in range(n)], name="person_id")
    income = rng.lognormal(8, 0.5, n)
    com = rng.random(n) < 0.5
    own = np.where(com, income * 5, rng.lognormal(9, 0.3, n))
    X = pd.DataFrame({"hp_mean": own * rng.lognormal(0, 0.2, n)}, index=idx)
    lvl = pd.array(np.digitize(income, np.quantile(income, [0.33, 0.66])), dtype="Int64")
    y = pd.DataFrame({"personal_income": lvl}, index=idx)
    meta = pd.DataFrame({"has_sale_price_2km": rng.random(n) < 0.7, "exact_income": income,
                         "commercial": com, "city": np.where(rng.random(n) < 0.5, "哈尔滨市", "B"),
                         "own_home_price": own}, index=idx)
    return X, y, meta


def test_table_contract_and_commercial_split():
    X, y, meta = _toy()
    t = housing.housing_income_correlations(X, y, meta, min_city_n=10)
    assert list(t.columns[:6]) == housing.CORRELATION_COLUMNS
    s = t.set_index("scope")
    assert s.loc["own_price_exact:commercial", "pearson_r"] > s.loc["own_price_exact:noncommercial", "pearson_r"]
    assert "city_level_2km:Harbin" in s.index
    assert s.loc["china_level_2km", "published"] == 0.185
    has = meta.has_sale_price_2km
    assert s.loc["china_exact_2km", "n"] == int(has.sum())


def test_table_bad_input():
    X, y, meta = _toy()
    with pytest.raises(KeyError, match="commercial"):
        housing.housing_income_correlations(X, y, meta.drop(columns="commercial"))
    with pytest.raises(KeyError, match="price"):
        housing.housing_income_correlations(X, y, meta, price="nope")


def test_sweep_uses_builder():
    X, y, meta = _toy()

    class DS:
        pass

    def build(v):
        d = DS()
        d.X, d.y, d.meta = X, y, meta
        return d

    sw = housing.price_link_sweep([0.0, 1.0], build)
    assert sorted(set(sw.commercial_price_link)) == [0.0, 1.0]
    assert {"china_level_2km", "china_exact_2km", "own_price_exact:commercial"} <= set(sw.scope)


def test_p_value_matches_statsmodels_ols():
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    x = rng.normal(size=80)
    y = 0.3 * x + rng.normal(size=80)
    c = housing.correlation(x, y)
    zx, zy = (x - x.mean()) / x.std(), (y - y.mean()) / y.std()
    fit = sm.OLS(zy, sm.add_constant(zx)).fit()
    assert fit.params[1] == pytest.approx(c["pearson_r"], rel=1e-9)  # slope of z-scores = r
    assert fit.pvalues[1] == pytest.approx(c["p_value"], rel=1e-6)
