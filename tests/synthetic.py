"""A small survey-like data set with a known dependence on location, for tests.

It has the shape of :class:`homelib.h2sea.features.H2SEADataset` (``X, y,
schema, families, meta``); the ``signal`` knob sets how much the attributes
depend on location (0 = not at all). It lives with the tests, not in the
library: the book's chapters run on the survey world.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SyntheticDataset:
    """Same fields as ``homelib.h2sea.features.H2SEADataset``: X, y, schema, families, meta."""

    X: pd.DataFrame
    y: pd.DataFrame
    schema: pd.DataFrame
    families: dict[str, list[str]] = field(default_factory=dict)
    meta: pd.DataFrame | None = None


_SHARES = {  # Sec 5.1 class shares and Table 2 non-response
    "personal_income": ((0.312, 0.415, 0.273), 0.26),
    "family_income": ((0.376, 0.362, 0.262), 0.011),
    "education": ((0.543, 0.232, 0.225), 0.0),
    "occupation": ((0.665, 0.251, 0.084), 0.008),
}


def synthetic_dataset(n: int = 1000, signal: float = 1.0, seed: int = 0, n_poi: int = 20,
                      n_counties: int = 30) -> SyntheticDataset:
    """A small survey-like data set with known dependence on location.

    A county effect and a within-county (town) effect define each home's
    latent affluence ``z``; a person's socioeconomic position is
    ``signal * z + noise`` (plus a pairwise term ``poi_0 * urban`` so that
    feature interactions matter). Features are noisy area statistics of ``z``
    (county income, housing and renting prices, POI shares, budget) and names
    (province, city, county, zip, urban type). ``signal=0`` makes the attributes
    ignore location. Classes follow the paper's shares (Sec 5.1) and missing
    labels its non-response (Table 2).

    >>> ds = synthetic_dataset(n=50, seed=0)
    >>> ds.X.shape[0], list(ds.y.columns)[0], str(ds.y.dtypes.iloc[0])
    (50, 'personal_income', 'Int64')
    """
    if n < 20:
        raise ValueError(f"n must be at least 20; got {n}")
    if signal < 0:
        raise ValueError(f"signal must be non-negative; got {signal}")
    rng = np.random.default_rng(seed)
    county_eff = rng.normal(0, 1, n_counties)
    county_prov = np.arange(n_counties) % 5
    county_city = np.arange(n_counties) % 12
    county = rng.integers(0, n_counties, n)
    town = county * 4 + rng.integers(0, 4, n)
    town_eff = rng.normal(0, 0.6, n_counties * 4)
    urban = rng.choice(3, n, p=[0.30, 0.24, 0.46])  # centre, border, rural
    urban_eff = np.array([0.6, 0.1, -0.5])[urban]
    z = county_eff[county] + town_eff[town] + urban_eff
    poi_load = rng.normal(0, 1, n_poi)
    poi = np.exp(0.4 * np.outer(z, poi_load) + rng.normal(0, 0.5, (n, n_poi)))
    poi = poi / poi.mean(axis=0)
    has_hp = rng.random(n) < np.where(urban < 2, 0.57, 0.17)
    hp = np.exp(9.3 + 0.35 * z + rng.normal(0, 0.3, n))
    inter = 0.8 * (np.log(poi[:, 0]) * (urban == 0))
    X = pd.DataFrame({
        "county_income": 30000 + 6000 * county_eff[county] + rng.normal(0, 500, n),
        "hp_avg": np.where(has_hp, hp, np.exp(9.3 + 0.35 * county_eff[county])),
        "hp_fallback_city": (~has_hp).astype(int),
        "rp_avg": 30 + 4 * z + rng.normal(0, 3, n),
        "town_budget": np.exp(rng.normal(0, 1, n)),
        **{f"poi_{j:03d}": poi[:, j] for j in range(n_poi)},
        "province": pd.Categorical([f"P{c}" for c in county_prov[county]]),
        "city": pd.Categorical([f"C{c}" for c in county_city[county]]),
        "county": pd.Categorical([f"K{c}" for c in county]),
        "zip_code": pd.Categorical([f"{100000 + t}" for t in town]),
        "urban_type": pd.Categorical(np.array(["city_center", "city_border", "rural"])[urban]),
    }, index=pd.Index([f"s{i:05d}" for i in range(n)], name="person_id"))
    common = rng.normal(0, 1, n)
    y = {}
    for t, (shares, miss) in _SHARES.items():
        score = signal * (z + inter) + 0.8 * common + rng.normal(0, 1, n)
        cuts = np.quantile(score, np.cumsum(shares)[:-1])
        lab = pd.array(np.searchsorted(cuts, score), dtype="Int64")
        lab[rng.random(n) < miss] = pd.NA
        y[t] = lab
    y = pd.DataFrame(y, index=X.index)
    families = {
        "County-income": ["county_income"], "POI": [f"poi_{j:03d}" for j in range(n_poi)],
        "Province-name": ["province"], "City-name": ["city"], "County-name": ["county"],
        "Zip-code": ["zip_code"], "Urban type": ["urban_type"],
        "Housing price": ["hp_avg", "hp_fallback_city"], "Renting price": ["rp_avg"],
        "Town budget": ["town_budget"],
    }
    fam_of = {c: f for f, cols in families.items() for c in cols}
    schema = pd.DataFrame({
        "column": X.columns, "family": [fam_of[c] for c in X.columns],
        "kind": ["categorical" if isinstance(X[c].dtype, pd.CategoricalDtype) else "continuous"
                 for c in X.columns],
        "description": ["synthetic" for _ in X.columns],
    })
    meta = pd.DataFrame({
        "county": X["county"].astype(str), "city": X["city"].astype(str),
        "urban_type": X["urban_type"].astype(str), "is_city": urban < 2,
        "has_sale_price_2km": has_hp, "latent": z,
    }, index=X.index)
    return SyntheticDataset(X, y, schema, families, meta)
