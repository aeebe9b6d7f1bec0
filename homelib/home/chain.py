"""The chain: hidden city (PFLI) -> predicted home area -> predicted income level.

PFLI (Han et al.) recovers a hidden current city from a profile and friends;
H2SEA (Ding et al. 2021) reads income levels from where a person lives. An
attacker can chain them: predict the city of a user who hides it, then guess
the income level that is most common in that city. Here:

* the city comes from a fitted PFLI model and its cluster selector
  (``PFLI_prob``, :func:`predicted_places`);
* the attacker's prior is a city-level income distribution estimated from a
  survey (:func:`city_distribution`, pseudo-counts toward the national shares);
  the attacker guesses the most likely level of the predicted city;
* the two worlds have different geographies, so social-world places are
  mapped to survey cities by :func:`rank_mapping` (same population
  percentile); a user's unknown income level is modelled as a draw from the
  distribution of the survey city its *true* place maps to.

For each user, :func:`chain_table` gives whether the city is exposed (error
below ``K``), the probability that the income level is inferred correctly
through the chain (``p_income``), that both are (``p_both``), and that a
prior-only attacker (no city: the national majority level) is right
(``p_prior_only``). :func:`hiding_predictions` recomputes PFLI's city after
each of the 8 ways of hiding HT, WE and F, and :func:`chain_hidings` the chain.

Examples
--------
>>> rank_mapping(pd.Series([10, 1000, 100], index=[0, 1, 2]),
...              pd.Series({"small": 5.0, "big": 50.0})).to_dict()
{0: 'small', 1: 'big', 2: 'small'}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ..exposure.features import HIDEABLE, HIDING_SUBSETS, hide_label, user_category
from ..geo import haversine_km
from ..pfli.clusters import select_locations
from .summary import NONNEGATIVE, SHARE, summarise_splits

__all__ = [
    "CHAIN_COLUMNS",
    "national_distribution",
    "city_distribution",
    "rank_mapping",
    "people_per_city",
    "predicted_places",
    "chain_table",
    "hiding_predictions",
    "chain_hidings",
    "chain_over_splits",
    "hiding_costs",
]

CHAIN_COLUMNS = ["user_id", "true_place", "pred_place", "error_km", "city_exposed",
                 "attacker_level", "p_income", "p_both", "p_prior_only"]
"""Columns of :func:`chain_table`."""


def _levels(levels: pd.Series, n_classes: int) -> NDArray:
    lab = pd.to_numeric(levels, errors="coerce").to_numpy(dtype=float)
    obs = lab[~np.isnan(lab)]
    bad = obs[(obs < 0) | (obs >= n_classes) | (obs != np.round(obs))]
    if bad.size:
        raise ValueError(f"levels: value {bad[0]!r} is not a class 0..{n_classes - 1}")
    return lab


def national_distribution(levels: pd.Series, n_classes: int = 3) -> NDArray:
    """Share of each level among the observed labels.

    >>> national_distribution(pd.Series([0, 0, 1, None], dtype="Int64")).round(3).tolist()
    [0.667, 0.333, 0.0]
    """
    lab = _levels(levels, n_classes)
    obs = lab[~np.isnan(lab)].astype(int)
    if obs.size == 0:
        raise ValueError("levels: no observed label")
    return np.bincount(obs, minlength=n_classes) / obs.size


def city_distribution(levels: pd.Series, cities: pd.Series, n_classes: int = 3,
                      smoothing: float = 1.0) -> pd.DataFrame:
    """City-level distribution of a level: ``(counts + s * national) / (n + s)``.

    Parameters
    ----------
    levels : Series
        Class per person (``Int64``, missing = no answer, left out).
    cities : Series
        City of each person (same index).
    smoothing : float
        Pseudo-count ``s`` pulling small cities toward the national shares.

    Returns
    -------
    DataFrame
        Index city, columns ``0 .. n_classes - 1``, rows summing to 1.

    >>> d = city_distribution(pd.Series([0, 0, 2, 2], dtype="Int64"),
    ...                       pd.Series(["A", "A", "B", "B"]), smoothing=0.0)
    >>> d.to_numpy().tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    if not np.isfinite(smoothing) or smoothing < 0:
        raise ValueError(f"smoothing = {smoothing!r} must be a non-negative number")
    if len(levels) != len(cities) or not levels.index.equals(cities.index):
        raise ValueError("levels and cities must share the same index")
    nat = national_distribution(levels, n_classes)
    lab = _levels(levels, n_classes)
    keep = ~np.isnan(lab)
    if pd.isna(cities[keep]).any():
        raise ValueError("cities: missing city for a labelled person")
    counts = pd.crosstab(cities[keep].to_numpy(), lab[keep].astype(int)).reindex(
        columns=range(n_classes), fill_value=0)
    counts.index.name = "city"
    n = counts.sum(axis=1).to_numpy(float)[:, None]
    out = (counts.to_numpy(float) + smoothing * nat[None, :]) / (n + smoothing)
    return pd.DataFrame(out, index=counts.index, columns=list(range(n_classes)))


def rank_mapping(source_size: pd.Series, target_size: pd.Series) -> pd.Series:
    """Map each source (e.g. a social-world place) to the target (a survey city)
    at the nearest population percentile.

    Percentiles are mid-ranks divided by the count, so the largest source goes
    to the largest target and the smallest to the smallest. Ties go to the
    smaller target.

    Parameters
    ----------
    source_size, target_size : Series
        Sizes (population, households) indexed by source and target ids.

    Returns
    -------
    Series
        Target id per source id.
    """
    for name, s in (("source_size", source_size), ("target_size", target_size)):
        v = pd.to_numeric(s, errors="coerce").to_numpy(float)
        if s.empty or not np.isfinite(v).all() or (v < 0).any():
            raise ValueError(f"{name}: sizes must be non-empty, finite and non-negative")
    sp = ((source_size.rank(method="average") - 0.5) / len(source_size)).to_numpy(float)
    t = target_size.sort_values(kind="stable")
    tp = ((t.rank(method="average") - 0.5) / len(t)).to_numpy(float)
    pos = np.clip(np.searchsorted(tp, sp), 0, len(tp) - 1)
    lower = np.clip(pos - 1, 0, len(tp) - 1)
    pick = np.where(np.abs(tp[lower] - sp) <= np.abs(tp[pos] - sp), lower, pos)
    return pd.Series(t.index.to_numpy()[pick], index=source_size.index)


def people_per_city(cities: pd.Series, weights: pd.Series | None = None) -> pd.Series:
    """The size of every city of a table of people: its people, or their summed weights.

    A feature table of your own has no households per city (the survey world's
    :func:`homelib.home.simulated.survey_city_sizes`); its people, weighted by their survey
    weights when the table has them, stand in for the city sizes :func:`rank_mapping` ranks.

    Parameters
    ----------
    cities : Series
        City of each person (no missing value).
    weights : Series, optional
        Positive survey weight of each person (same index).

    Returns
    -------
    Series
        City -> people (or summed weights), as float, sorted by city.

    Examples
    --------
    >>> c = pd.Series(["B", "A", "B"])
    >>> people_per_city(c).to_dict()
    {'A': 1.0, 'B': 2.0}
    >>> people_per_city(c, pd.Series([2.0, 1.0, 0.5])).to_dict()
    {'A': 1.0, 'B': 2.5}
    """
    if cities.isna().any():
        raise ValueError(f"cities: {int(cities.isna().sum())} person(s) have no city")
    if weights is None:
        return cities.groupby(cities.to_numpy()).size().astype(float)
    if not weights.index.equals(cities.index):
        raise ValueError("weights: its index must be that of cities")
    w = pd.to_numeric(weights, errors="coerce").to_numpy(float)
    if not np.isfinite(w).all() or (w <= 0).any():
        raise ValueError("weights: must be positive finite numbers")
    return pd.Series(w, index=cities.index).groupby(cities.to_numpy()).sum().astype(float)


def predicted_places(pfli_model: Any, world: Any, clusters: ArrayLike, users: ArrayLike,
                     hide: Sequence[str] | frozenset = frozenset()) -> NDArray[np.int64]:
    """The place PFLI predicts for each user (``PFLI_prob``: the most probable
    place of the selected cluster, Sec 6), after hiding ``hide``."""
    scores = pfli_model.score(world, np.asarray(users, dtype=np.int64), hide=frozenset(hide))
    sel = select_locations(scores, world.places, np.asarray(clusters), "prob")
    place = sel["pred_place"].to_numpy(np.int64)
    if (place < 0).any():
        raise ValueError("predicted_places: PFLI gave an empty score row")
    return place


def chain_table(users: ArrayLike, true_place: ArrayLike, pred_place: ArrayLike,
                places: pd.DataFrame, mapping: pd.Series, attacker: pd.DataFrame,
                truth: pd.DataFrame, national_level: int, k_km: float) -> pd.DataFrame:
    """The chain for each user.

    Parameters
    ----------
    users, true_place, pred_place : arrays
        User ids, true and PFLI-predicted place ids.
    places : DataFrame
        ``lat, lon`` by place id (row position).
    mapping : Series
        Place id -> survey city (:func:`rank_mapping`).
    attacker, truth : DataFrame
        City-level distributions (:func:`city_distribution`): the attacker's
        prior (e.g. from a training split) and the distribution a user's
        level is drawn from.
    national_level : int
        The prior-only attacker's guess.
    k_km : float
        The city counts as exposed when the error is below ``k_km``.

    Returns
    -------
    DataFrame
        :data:`CHAIN_COLUMNS`.
    """
    if not np.isfinite(k_km) or k_km <= 0:
        raise ValueError(f"k_km = {k_km!r} must be a positive number of km")
    tp, pp = np.asarray(true_place, np.int64), np.asarray(pred_place, np.int64)
    uid = np.asarray(users, np.int64)
    if not (uid.shape == tp.shape == pp.shape):
        raise ValueError("users, true_place and pred_place must have the same length")
    for name, p in (("true_place", tp), ("pred_place", pp)):
        bad = ~np.isin(p, mapping.index.to_numpy())
        if bad.any():
            raise KeyError(f"mapping: {name} {int(p[bad][0])} has no survey city")
    cities = set(mapping.unique())
    for name, d in (("attacker", attacker), ("truth", truth)):
        miss = sorted(cities - set(d.index))
        if miss:
            raise KeyError(f"{name}: no distribution for mapped city {miss[0]!r}")
    if not 0 <= national_level < truth.shape[1]:
        raise ValueError(f"national_level = {national_level!r} is not a class")
    lat, lon = places["lat"].to_numpy(float), places["lon"].to_numpy(float)
    err = haversine_km(lat[tp], lon[tp], lat[pp], lon[pp])
    guess = attacker.loc[mapping.loc[pp].to_numpy()].to_numpy().argmax(axis=1)
    q = truth.loc[mapping.loc[tp].to_numpy()].to_numpy()
    p_income = q[np.arange(q.shape[0]), guess]
    exposed = err < k_km
    return pd.DataFrame({"user_id": uid, "true_place": tp, "pred_place": pp, "error_km": err,
                         "city_exposed": exposed, "attacker_level": guess, "p_income": p_income,
                         "p_both": np.where(exposed, p_income, 0.0),
                         "p_prior_only": q[:, int(national_level)]})


def hiding_predictions(pfli_model: Any, world: Any, clusters: ArrayLike,
                       users: ArrayLike) -> pd.DataFrame:
    """PFLI's predicted place for each user now and after each of the 8 subsets
    of {HT, WE, F} is hidden.

    Hiding recomputes the user's PFLI probabilities and hence the predicted
    city (never a lookup). ``n_changed`` counts the hidden fields the user
    actually showed (the cost of the hiding).

    Returns
    -------
    DataFrame
        ``hide, n_changed, user_id, true_place, pred_place``, 8 rows per user.
    """
    ids = np.asarray(users, dtype=np.int64)
    truth_place = world.users["current_place"].to_numpy(np.int64)[ids]
    shown = [set(c.split("+")) & set(HIDEABLE) for c in user_category(world, ids)]
    parts = []
    for h in HIDING_SUBSETS:
        parts.append(pd.DataFrame({
            "hide": hide_label(h), "n_changed": [len(s & h) for s in shown], "user_id": ids,
            "true_place": truth_place,
            "pred_place": predicted_places(pfli_model, world, clusters, ids, h)}))
    return pd.concat(parts, ignore_index=True)


def chain_hidings(predictions: pd.DataFrame, places: pd.DataFrame, mapping: pd.Series,
                  attacker: pd.DataFrame, truth: pd.DataFrame, national_level: int,
                  k_km: float) -> pd.DataFrame:
    """:func:`chain_table` for every row of :func:`hiding_predictions`.

    Returns
    -------
    DataFrame
        ``hide, n_changed`` and :data:`CHAIN_COLUMNS`.
    """
    need = ["hide", "n_changed", "user_id", "true_place", "pred_place"]
    missing = [c for c in need if c not in predictions]
    if missing:
        raise ValueError(f"predictions: missing column(s) {missing}")
    t = chain_table(predictions["user_id"], predictions["true_place"], predictions["pred_place"],
                    places, mapping, attacker, truth, national_level, k_km)
    t.insert(0, "n_changed", predictions["n_changed"].to_numpy())
    t.insert(0, "hide", predictions["hide"].to_numpy())
    return t


_CHAIN_VALUES = ["n_changed", "city_exposed", "p_income", "p_both", "p_prior_only"]


def chain_over_splits(predictions: pd.DataFrame, places: pd.DataFrame, mapping: pd.Series,
                      levels: pd.Series, cities: pd.Series, train_rows: Sequence[ArrayLike],
                      k_km: float, *, seed: int = 0, smoothing: float = 1.0,
                      level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The chain after every hiding, with intervals across splits.

    Split ``r`` pairs the survey's split ``train_rows[r]`` (the attacker's
    city-level prior is estimated on these rows, e.g. the training part of the
    attacker's split in :mod:`homelib.home.attacker`) with the ``r``-th of
    ``len(train_rows)`` disjoint random parts (``seed``) of the users. The
    distribution a user's level is drawn from is estimated on all labelled
    survey people.

    Parameters
    ----------
    predictions : DataFrame
        :func:`hiding_predictions`.
    places, mapping : see :func:`chain_table`.
    levels : Series
        The survey's labels of the attribute inferred through the chain
        (``Int64``, e.g. personal income).
    cities : Series
        City of every survey person (index of ``levels``).
    train_rows : sequence of arrays
        Row positions of each split's training part.

    Returns
    -------
    (DataFrame, DataFrame)
        Per split and hiding the means of ``n_changed, city_exposed,
        p_income, p_both, p_prior_only`` and the number of users; and their
        summary over splits (:func:`homelib.home.summary.summarise_splits`).
    """
    repeats = len(train_rows)
    if repeats < 1:
        raise ValueError("train_rows: at least one split is needed")
    truth = city_distribution(levels, cities, smoothing=smoothing)
    users = np.unique(predictions["user_id"].to_numpy())
    if users.size < repeats:
        raise ValueError(f"{repeats} splits: only {users.size} users to split")
    part = np.empty(users.size, dtype=np.int64)
    part[np.random.default_rng(seed).permutation(users.size)] = np.arange(users.size) % repeats
    part_of = pd.Series(part, index=users)
    rows = []
    for r, tr in enumerate(train_rows):
        tr = np.asarray(tr, dtype=np.int64)
        nat_shares = national_distribution(levels.iloc[tr])
        attacker = city_distribution(levels.iloc[tr], cities.iloc[tr], smoothing=smoothing)
        attacker = attacker.reindex(truth.index).fillna(pd.Series(nat_shares, index=truth.columns))
        sub = predictions[predictions["user_id"].map(part_of).to_numpy() == r]
        t = chain_hidings(sub.reset_index(drop=True), places, mapping, attacker, truth,
                          int(nat_shares.argmax()), k_km)
        g = t.groupby("hide", sort=False)[_CHAIN_VALUES].mean()
        g["users"] = t.groupby("hide", sort=False).size()
        rows.append(g.reset_index().assign(split=r))
    per = pd.concat(rows, ignore_index=True)
    per["city_exposed"] = per["city_exposed"].astype(float)
    bounds = {v: NONNEGATIVE if v == "n_changed" else SHARE for v in _CHAIN_VALUES}
    return per, summarise_splits(per, ["hide"], _CHAIN_VALUES, level, bounds)


def hiding_costs(summary: pd.DataFrame) -> pd.DataFrame:
    """What each hiding buys against the chain, per field hidden.

    Parameters
    ----------
    summary : DataFrame
        ``hide, n_changed, p_both`` (the summary of :func:`chain_over_splits`;
        the row with ``hide == ""`` is the current state).

    Returns
    -------
    DataFrame
        Every hiding but the empty one, with ``drop`` (``p_both`` now minus
        after hiding), ``drop_per_field`` (``drop / n_changed``) and ``rank``
        (1 = the most exposure removed per field actually hidden).

    >>> s = pd.DataFrame({"hide": ["", "HT", "F", "HT+F"], "n_changed": [0.0, 1.0, 1.0, 2.0],
    ...                   "p_both": [0.4, 0.35, 0.2, 0.1]})
    >>> hiding_costs(s)[["hide", "drop_per_field", "rank"]].round(3).to_numpy().tolist()
    [['F', 0.2, 1], ['HT+F', 0.15, 2], ['HT', 0.05, 3]]
    """
    need = ["hide", "n_changed", "p_both"]
    missing = [c for c in need if c not in summary]
    if missing:
        raise ValueError(f"summary: missing column(s) {missing}")
    now = summary.loc[summary["hide"] == "", "p_both"]
    if len(now) != 1:
        raise ValueError("summary: needs exactly one row with hide == '' (the current state)")
    out = summary[summary["hide"] != ""].copy()
    out["drop"] = float(now.iloc[0]) - out["p_both"]
    cost = out["n_changed"].to_numpy(float)
    out["drop_per_field"] = np.where(cost > 0, out["drop"] / np.where(cost > 0, cost, 1), np.nan)
    out = out.sort_values(["drop_per_field", "n_changed"], ascending=[False, True],
                          na_position="last", kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    return out.reset_index(drop=True)
