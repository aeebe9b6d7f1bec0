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

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ..exposure.features import HIDEABLE, HIDING_SUBSETS, hide_label, user_category
from ..geo import haversine_km
from ..pfli.clusters import select_locations
from ..pfli.data import world_from_tables
from ..pfli.model import PFLITrainingWarning, fit_pfli
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


def _example_chain() -> dict[str, Any]:
    """A tiny social world and a tiny survey for the examples of this module.

    Social side: 4 places (Paris, Evry, Lyon, Villeurbanne), 24 users; user ``i`` lives
    at place ``i % 4`` (hometown the same, but swapped with the neighbouring place for
    every third user), works there, shows the work for even ``i`` and has friends in its
    own city; users 4, 9, 14 and 19 hide their city (LN users, ``"users"``, one per
    place). ``"model"`` is PFLI fitted on the others (its clipping warnings silenced);
    ``"clusters"`` groups {Paris, Evry} and {Lyon, Villeurbanne}. Survey side: 12 people,
    6 in a ``"big"`` city (income levels 2, 2, 2, 1, 0 and one unanswered) and 6 in a
    ``"small"`` one (0, 0, 0, 1, 2, 0); ``"mapping"`` sends Paris and Lyon to the big
    city, Evry and Villeurbanne to the small one (:func:`rank_mapping`), and
    ``"distribution"`` is :func:`city_distribution` of the survey (smoothing 1).
    """
    i = np.arange(24)
    cur = i % 4
    places = pd.DataFrame({"place_id": range(4), "name": ["Paris", "Evry", "Lyon", "Villeurbanne"],
                           "lat": [48.86, 48.63, 45.76, 45.77], "lon": [2.35, 2.44, 4.84, 4.88],
                           "population": [2_100_000, 53_000, 520_000, 150_000]})
    users = pd.DataFrame({"user_id": i, "current_place": cur,
                          "hometown": np.where(i % 3 == 0, cur ^ 1, cur), "work": cur,
                          "current_visible": i % 5 != 4, "hometown_visible": True,
                          "work_visible": i % 2 == 0, "friends_visible": True})
    edges = [(a, b) for a in i for b in i[a + 1:] if cur[a] == cur[b] and (a + b) % 3]
    world = world_from_tables(places, users, edges)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PFLITrainingWarning)
        model = fit_pfli(world, seed=0)
    levels = pd.Series([2, 2, 2, 1, 0, None, 0, 0, 0, 1, 2, 0], dtype="Int64")
    cities = pd.Series(["big"] * 6 + ["small"] * 6)
    households = pd.Series({"big": 1000.0, "small": 100.0})
    return {"world": world, "model": model, "clusters": np.array([0, 0, 1, 1]),
            "users": np.flatnonzero(~world.users["current_visible"].to_numpy()),
            "levels": levels, "cities": cities,
            "mapping": rank_mapping(world.places["population"], households),
            "distribution": city_distribution(levels, cities)}


def _levels(levels: pd.Series, n_classes: int) -> NDArray:
    lab = pd.to_numeric(levels, errors="coerce").to_numpy(dtype=float)
    obs = lab[~np.isnan(lab)]
    bad = obs[(obs < 0) | (obs >= n_classes) | (obs != np.round(obs))]
    if bad.size:
        raise ValueError(f"levels: value {bad[0]:g} is not a class 0..{n_classes - 1}")
    return lab


def national_distribution(levels: pd.Series, n_classes: int = 3) -> NDArray:
    """Share of each level among the observed labels.

    Parameters
    ----------
    levels : Series
        Class per person (``Int64``, missing = no answer, left out).
    n_classes : int
        Number of levels ``0 .. n_classes - 1``.

    Returns
    -------
    ndarray
        ``n_classes`` shares summing to 1.

    Examples
    --------
    >>> national_distribution(pd.Series([0, 0, 1, None], dtype="Int64")).round(3).tolist()
    [0.667, 0.333, 0.0]
    >>> national_distribution(pd.Series([None, None], dtype="Int64"))
    Traceback (most recent call last):
    ...
    ValueError: levels: no observed label
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
    n_classes : int
        Number of levels ``0 .. n_classes - 1``.
    smoothing : float
        Pseudo-count ``s`` pulling small cities toward the national shares.

    Returns
    -------
    DataFrame
        Index city, columns ``0 .. n_classes - 1``, rows summing to 1.

    Examples
    --------
    >>> d = city_distribution(pd.Series([0, 0, 2, 2], dtype="Int64"),
    ...                       pd.Series(["A", "A", "B", "B"]), smoothing=0.0)
    >>> d.to_numpy().tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]

    With one pseudo-count, city A (2 people of level 0) moves a third of the way to
    the national shares (0.5, 0, 0.5):

    >>> city_distribution(pd.Series([0, 0, 2, 2], dtype="Int64"),
    ...                   pd.Series(["A", "A", "B", "B"])).round(3).loc["A"].tolist()
    [0.833, 0.0, 0.167]
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
    """Map each source (a social-world place) to the target (a survey city) of nearest percentile.

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

    Examples
    --------
    >>> places = pd.Series([2_100_000, 53_000, 520_000, 150_000], index=[0, 1, 2, 3])
    >>> rank_mapping(places, pd.Series({"big": 6.0, "small": 3.0})).to_dict()
    {0: 'big', 1: 'small', 2: 'big', 3: 'small'}
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
    """The place PFLI predicts for each user, after hiding ``hide``.

    The prediction is ``PFLI_prob`` (Sec 6): the most probable place of the cluster
    that :func:`homelib.pfli.clusters.select_locations` selects.

    Parameters
    ----------
    pfli_model : PFLIModel
        A fitted PFLI model (:func:`homelib.pfli.model.fit_pfli`), or any object with
        its ``score(world, users, hide=...)`` method.
    world : SocialWorld
    clusters : array of int
        Cluster of every place (:mod:`homelib.pfli.clusters`).
    users : array of int
        User ids.
    hide : subset of {"HT", "WE", "F"}
        What the users hide on top of their city.

    Returns
    -------
    ndarray of int64
        Predicted place id per user.

    Examples
    --------
    >>> ex = _example_chain()
    >>> ex["users"].tolist(), ex["world"].users["current_place"][ex["users"]].tolist()
    ([4, 9, 14, 19], [0, 1, 2, 3])
    >>> predicted_places(ex["model"], ex["world"], ex["clusters"], ex["users"]).tolist()
    [0, 1, 2, 3]
    >>> predicted_places(ex["model"], ex["world"], ex["clusters"], ex["users"],
    ...                  hide={"F"}).tolist()  # user 9 shows only its friends
    [0, 0, 2, 3]
    """
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

    Examples
    --------
    User 4 lives in Paris (place 0) and is predicted there; user 9 lives in Evry (1)
    and is predicted in Lyon (2), 367 km away. Paris and Lyon map to the big city,
    where the attacker guesses level 2; Evry maps to the small one, where level 2 has
    a share of 0.195:

    >>> ex = _example_chain()
    >>> t = chain_table([4, 9], [0, 1], [0, 2], ex["world"].places, ex["mapping"],
    ...                 attacker=ex["distribution"], truth=ex["distribution"],
    ...                 national_level=0, k_km=100.0)
    >>> t[["city_exposed", "attacker_level"]].to_numpy().tolist()
    [[True, 2], [False, 2]]
    >>> t[["p_income", "p_both", "p_prior_only"]].round(3).to_numpy().tolist()
    [[0.561, 0.561, 0.242], [0.195, 0.0, 0.636]]
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
    """PFLI's predicted place of each user, now and after hiding each subset of {HT, WE, F}.

    The 8 subsets run from nothing hidden (``hide == ""``) to all three. Hiding recomputes the user's PFLI probabilities and hence the predicted
    city (never a lookup). ``n_changed`` counts the hidden fields the user
    actually showed (the cost of the hiding).

    Parameters
    ----------
    pfli_model, world, clusters, users
        As in :func:`predicted_places`.

    Returns
    -------
    DataFrame
        ``hide, n_changed, user_id, true_place, pred_place``, 8 rows per user.

    Examples
    --------
    User 9 (in Evry, place 1) shows a hometown and its friends but no work: hiding WE
    costs nothing and changes nothing, and its friends are what place it in Evry:

    >>> ex = _example_chain()
    >>> p = hiding_predictions(ex["model"], ex["world"], ex["clusters"], [9])
    >>> p[["hide", "n_changed", "pred_place"]].to_numpy().tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['', 0, 1], ['HT', 1, 1], ['WE', 0, 1], ['F', 1, 0], ['HT+WE', 1, 1], ['HT+F', 2, 0],
     ['WE+F', 1, 0], ['HT+WE+F', 2, 0]]
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

    Parameters
    ----------
    predictions : DataFrame
        :func:`hiding_predictions`.
    places, mapping, attacker, truth, national_level, k_km
        As in :func:`chain_table`.

    Returns
    -------
    DataFrame
        ``hide, n_changed`` and :data:`CHAIN_COLUMNS`.

    Examples
    --------
    >>> ex = _example_chain()
    >>> p = hiding_predictions(ex["model"], ex["world"], ex["clusters"], ex["users"])
    >>> t = chain_hidings(p, ex["world"].places, ex["mapping"], ex["distribution"],
    ...                   ex["distribution"], national_level=0, k_km=100.0)
    >>> t.columns.tolist()[:4], len(t)
    (['hide', 'n_changed', 'user_id', 'true_place'], 32)
    >>> t.groupby("hide", sort=False)["city_exposed"].mean().loc[["", "HT+WE+F"]].tolist()
    [1.0, 0.5]
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
    places, mapping : DataFrame, Series
        As in :func:`chain_table`.
    levels : Series
        The survey's labels of the attribute inferred through the chain
        (``Int64``, e.g. personal income).
    cities : Series
        City of every survey person (index of ``levels``).
    train_rows : sequence of arrays
        Row positions of each split's training part.
    k_km : float
        The city counts as exposed when the error is below ``k_km``.
    seed : int
        Seed of the random parts of the users.
    smoothing : float
        Pseudo-count of :func:`city_distribution`.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    (DataFrame, DataFrame)
        Per split and hiding the means of ``n_changed, city_exposed,
        p_income, p_both, p_prior_only`` and the number of users; and their
        summary over splits (:func:`homelib.home.summary.summarise_splits`).

    Examples
    --------
    Two splits of the survey (the first and the last 8 people), each paired with 2 of
    the 4 users:

    >>> ex = _example_chain()
    >>> p = hiding_predictions(ex["model"], ex["world"], ex["clusters"], ex["users"])
    >>> per, summary = chain_over_splits(p, ex["world"].places, ex["mapping"], ex["levels"],
    ...                                  ex["cities"], [range(8), range(4, 12)], 100.0)
    >>> per.groupby("split")["users"].first().tolist(), len(summary)
    ([2, 2], 8)
    >>> summary[["hide", "city_exposed"]].tail(3).to_numpy().tolist()
    [['HT+F', 0.75], ['WE+F', 1.0], ['HT+WE+F', 0.5]]
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

    Examples
    --------
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
