"""The exposure estimator and what to hide (PFLI Sec 8.2.2-8.3, Tables 7-8).

For one user (an id of the world or a profile given as data, see
:mod:`homelib.exposure.profile`) the estimator gives the exposure probability
and risk level now and after hiding each of the 8 subsets of {HT, WE, F}, and
the smallest change that reaches a requested level. Hiding recomputes the
user's PFLI probabilities (``PFLIModel.score(..., hide=...)``), the category,
the % friends with attributes and the cluster confidence: it is never a table
lookup. :func:`pick_cases` finds users like the paper's Table 7 cases and
:func:`check_guidelines` tests the three hiding guidelines of Sec 8.3.

A user who shows none of HT, WE, F falls outside Table 4; such users get the
category ``"none"`` (:data:`homelib.exposure.features.NO_CATEGORY`) so that
"hide everything" can be estimated too.

Examples
--------
>>> smallest_change(pd.DataFrame({"hide": ["", "HT"], "n_changed": [0, 1],
...                               "risk_level": [4, 2], "exposure_probability": [0.8, 0.3]}), 2)["hide"]
'HT'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .features import (
    CMB_SWITCH_KM,
    HIDEABLE,
    HIDING_SUBSETS,
    _check_k,
    _errors_for_k,
    _shown,
    _user_ids,
    category_of,
    cluster_confidence,
    hide_label,
    parse_hide,
    pct_friends_with_attributes,
    user_category,
)
from .models import ExposureModel
from .profile import world_with_profile
from .risk import RISK_LEVELS, _check_level, risk_levels

__all__ = [
    "ExposureEstimator",
    "exposure_features",
    "what_if",
    "smallest_change",
    "ExposureReport",
    "exposure_report",
    "pick_cases",
    "check_guidelines",
    "reliability_table",
]


# ---------------------------------------------------------------------------
# the estimator (Sec 8.2.2, 8.3)
# ---------------------------------------------------------------------------


@dataclass
class ExposureEstimator:
    """Everything the estimator needs: the world, PFLI and the exposure model.

    Attributes
    ----------
    world : SocialWorld
    pfli_model : PFLIModel or PFLI
        A fitted :class:`homelib.pfli.model.PFLI` estimator (its ``model_`` is
        used) or anything with ``score(world, users, *, hide) -> (n, n_places)``.
    clusters : (n_places,) int array
        Location clusters used by the cluster selector (Eq 9).
    model : ExposureModel
        The RDF exposure model.

    Examples
    --------
    >>> from homelib.exposure.simulated import example_estimator
    >>> est = example_estimator()  # built as chapter 09 builds its own, on 300 users
    >>> type(est.model).__name__, est.clusters.size == est.world.n_places
    ('ExposureModel', True)
    """

    world: Any
    pfli_model: Any
    clusters: NDArray[np.int64]
    model: ExposureModel


def exposure_features(
    world: Any,
    pfli_model: Any,
    clusters: ArrayLike,
    users: ArrayLike,
    hide: Iterable[str] | str = frozenset(),
) -> pd.DataFrame:
    """Exposure features of ``users`` after hiding ``hide``, through PFLI.

    The PFLI probabilities are recomputed with ``pfli_model.score(world,
    users, hide=hide)``; cluster confidence (Eq 9) comes from them, category
    and % friends with attributes from the world with ``hide`` applied.

    Parameters
    ----------
    world : SocialWorld
        The world the users belong to.
    pfli_model : PFLIModel or PFLI
        A fitted PFLI model (or anything with ``score(world, users, *, hide)``).
    clusters : (n_places,) int array
        Location clusters (PFLI Eq 9's cluster confidence sums over them).
    users : int array
        User ids.
    hide : str or iterable of str
        Fields to hide, a subset of ``HT, WE, F`` (``"HT+F"`` or ``{"HT", "F"}``).

    Returns
    -------
    DataFrame
        ``user_id, category, pct_friends_with_attributes, cluster_confidence``.

    Examples
    --------
    >>> from homelib.exposure.simulated import example_estimator
    >>> est = example_estimator()  # chapter 09's chain on a 300-user world (about 1 s)
    >>> f = exposure_features(est.world, est.pfli_model, est.clusters, [0, 1])
    >>> f.category.tolist(), f.pct_friends_with_attributes.tolist()
    (['HT', 'HT+WE+F'], [0.0, 100.0])
    >>> exposure_features(est.world, est.pfli_model, est.clusters, [1], hide="F").category.tolist()
    ['HT+WE']
    """
    ids = _user_ids(world, users)
    h = parse_hide(hide)
    scores = _scorer(pfli_model).score(world, ids, hide=h)
    if scores.shape[0] != ids.size:
        raise ValueError(f"pfli_model.score returned {scores.shape[0]} rows for {ids.size} users")
    return pd.DataFrame(
        {
            "user_id": ids,
            "category": user_category(world, ids, h),
            "pct_friends_with_attributes": pct_friends_with_attributes(world, ids, h),
            "cluster_confidence": cluster_confidence(scores, np.asarray(clusters)),
        }
    )


def _scorer(pfli_model: Any) -> Any:
    """The object with ``score``: a fitted PFLI estimator's ``model_``, else the model itself."""
    return getattr(pfli_model, "model_", pfli_model)


def _model_for_world(pfli_model: Any, world: Any) -> Any:
    """``pfli_model`` extended to the users a profile added to ``world``.

    :class:`homelib.pfli.PFLIModel` keeps per-user arrays (``known``, ``city``,
    ``values``) sized to the world it was fitted on; a profile's new user is
    appended as unknown (city -1) with its visible attribute values. Models
    without such arrays are returned unchanged; a fitted PFLI estimator is
    replaced by its ``model_``.
    """
    pfli_model = _scorer(pfli_model)
    known = getattr(pfli_model, "known", None)
    n = len(world.users)
    if known is None or len(known) >= n:
        return pfli_model
    extra = np.arange(len(known), n)
    new_values = {}
    u = world.users.iloc[extra]
    cols = {"HT": ("hometown", "hometown_visible"), "WE": ("work", "work_visible")}
    for k, v in pfli_model.values.items():
        col, vis = cols[k]
        val = u[col].to_numpy(np.int64)
        add = np.where(u[vis].to_numpy(bool) & (val >= 0), val, -1)
        new_values[k] = np.concatenate([np.asarray(v), add])
    return replace(
        pfli_model,
        known=np.concatenate([np.asarray(known, bool), np.zeros(extra.size, bool)]),
        city=np.concatenate([np.asarray(pfli_model.city), np.full(extra.size, -1)]),
        values=new_values,
    )


def what_if(
    estimator: ExposureEstimator,
    users: ArrayLike,
    k_km: float,
    *,
    world: Any | None = None,
) -> pd.DataFrame:
    """Exposure of ``users`` now and after hiding each of the 8 subsets (Table 8).

    For every subset of {HT, WE, F} the features are recomputed through PFLI
    (:func:`exposure_features`) and the RDF model gives EP@K.

    Parameters
    ----------
    estimator : ExposureEstimator
        World, PFLI model, clusters and exposure model.
    users : int array
        User ids (of ``world`` when given).
    k_km : float
        Error distance K (km) of EP@K (PFLI Eq 8).
    world : SocialWorld, optional
        Another world to score the users in (e.g. with a profile added,
        :func:`homelib.exposure.profile.world_with_profile`); default the estimator's.

    Returns
    -------
    DataFrame
        ``user_id, hide, setting, n_changed, changed, category,
        pct_friends_with_attributes, cluster_confidence, k_km,
        exposure_probability, risk_level`` (8 rows per user); ``changed`` lists
        the hidden fields that were shown before, ``setting`` is Table 8's label.

    Examples
    --------
    >>> from homelib.exposure.simulated import example_estimator
    >>> est = example_estimator()  # chapter 09's chain on a 300-user world (about 1 s)
    >>> v = what_if(est, [0], 100.0)  # user 0 shows only HT
    >>> v.hide.tolist()
    ['', 'HT', 'WE', 'F', 'HT+WE', 'HT+F', 'WE+F', 'HT+WE+F']
    >>> v.n_changed.tolist()  # hiding a field the user does not show changes nothing
    [0, 1, 0, 0, 1, 1, 0, 1]
    """
    k = _check_k(k_km)
    w = estimator.world if world is None else world
    pfli_model = _model_for_world(estimator.pfli_model, w)
    ids = _user_ids(w, users)
    shown = _shown(w, ids, frozenset())
    current = np.asarray(category_of(shown["HT"], shown["WE"], shown["F"]), dtype=object)
    parts = []
    for h in HIDING_SUBSETS:
        feats = exposure_features(w, pfli_model, estimator.clusters, ids, h)
        label = hide_label(h)
        changed = [
            "+".join(x for x in HIDEABLE if x in h and shown[x][i]) for i in range(ids.size)
        ]
        feats.insert(1, "hide", label)
        feats.insert(
            2,
            "setting",
            [f"current ({c})" for c in current] if not h else f"hide {label}",
        )
        feats.insert(3, "n_changed", [len(c.split("+")) if c else 0 for c in changed])
        feats.insert(4, "changed", changed)
        feats["k_km"] = k
        parts.append(feats)
    out = pd.concat(parts, ignore_index=True)
    out["exposure_probability"] = estimator.model.predict(out)
    out["risk_level"] = risk_levels(out["exposure_probability"])
    order = {label: i for i, label in enumerate(hide_label(h) for h in HIDING_SUBSETS)}
    out["_o"] = out["hide"].map(order)
    out = out.sort_values(["user_id", "_o"], kind="stable").drop(columns="_o")
    return out.reset_index(drop=True)


def smallest_change(variants: pd.DataFrame, target_level: int) -> pd.Series | None:
    """The smallest hiding that brings one user to ``target_level`` or below.

    Among the rows of :func:`what_if` for one user whose risk level is at most
    ``target_level``, the one hiding the fewest shown fields, then the lowest
    exposure probability. ``None`` when no hiding reaches the level.

    Parameters
    ----------
    variants : DataFrame
        One user's rows of :func:`what_if` (``hide, n_changed, exposure_probability,
        risk_level``).
    target_level : int
        Risk level 1-5 (PFLI Table 3).

    Returns
    -------
    Series or None
        The chosen row.

    Examples
    --------
    >>> v = pd.DataFrame({"hide": ["", "WE", "HT+WE"], "n_changed": [0, 1, 2],
    ...                   "exposure_probability": [0.97, 0.5, 0.07], "risk_level": [5, 3, 1]})
    >>> smallest_change(v, 3)["hide"], smallest_change(v, 1)["hide"]
    ('WE', 'HT+WE')
    """
    level = _check_level(target_level)
    ok = variants[variants["risk_level"] <= level]
    if ok.empty:
        return None
    ok = ok.sort_values(["n_changed", "exposure_probability"], kind="stable")
    return ok.iloc[0]


@dataclass
class ExposureReport:
    """Result of :func:`exposure_report` for one user.

    Attributes
    ----------
    user : int or str
        The user id, or ``"profile"``.
    k_km : float
    current : Series
        Features, exposure probability and risk level now.
    variants : DataFrame
        The 8 hiding variants (Table 8 style, see :func:`what_if`).
    target_level : int or None
    suggestion : Series or None
        The smallest change reaching ``target_level`` (None if none does or
        no level was asked for).

    Examples
    --------
    >>> from homelib.exposure.simulated import example_estimator
    >>> est = example_estimator()  # chapter 09's chain on a 300-user world (about 1 s)
    >>> r = exposure_report(0, 100.0, estimator=est, target_level=1)
    >>> r.table8().columns.tolist(), len(r.variants)
    (['setting', 'exposure_probability', 'risk_level'], 8)
    >>> r.advice()
    'already at level 1, within the requested level 1'
    """

    user: Any
    k_km: float
    current: pd.Series
    variants: pd.DataFrame
    target_level: int | None
    suggestion: pd.Series | None

    def table8(self) -> pd.DataFrame:
        """The variants as Table 8: ``setting, exposure_probability, risk_level``."""
        return self.variants[["setting", "exposure_probability", "risk_level"]].reset_index(
            drop=True
        )

    def advice(self) -> str:
        """One sentence of advice for the requested level."""
        if self.target_level is None:
            return "no target level requested"
        now = int(self.current["risk_level"])
        if now <= self.target_level:
            return f"already at level {now}, within the requested level {self.target_level}"
        if self.suggestion is None:
            return f"no way of hiding HT, WE, F reaches level {self.target_level} or below"
        s = self.suggestion
        return (
            f"hide {s['changed']} to go from level {now} to level {int(s['risk_level'])} "
            f"(EP {self.current['exposure_probability']:.3f} -> "
            f"{s['exposure_probability']:.3f})"
        )


def exposure_report(
    user: int | Mapping[str, Any],
    k_km: float,
    *,
    estimator: ExposureEstimator,
    target_level: int | None = None,
) -> ExposureReport:
    """Exposure probability and risk level of one user, and what to hide.

    Parameters
    ----------
    user : int or mapping
        A user id of ``estimator.world``, or a profile as data (see
        :func:`world_with_profile`), scored as a new user who hides the
        current city.
    k_km : float
        Error distance K (km) at which the user counts as exposed.
    estimator : ExposureEstimator
    target_level : int, optional
        Risk level 1-5 the user wants to reach; the smallest change reaching
        it is returned as ``suggestion``.

    Raises
    ------
    TypeError
        ``user`` is neither one integer id nor a mapping (e.g. a list of ids).
    KeyError
        Unknown user id or profile field.
    ValueError
        ``k_km`` not positive, unknown profile values, level outside 1-5.

    Notes
    -----
    The estimator is meant for users who hide their city (LN users, or a
    profile). An LA user's own city is part of the matrices of a PFLI model
    fitted on all LA users, so the features of such a user are computed with
    their city known; the exposure model itself was trained on
    cross-validated predictions where it was not.

    Examples
    --------
    >>> from homelib.exposure.simulated import example_estimator
    >>> est = example_estimator()  # chapter 09's chain on a 300-user world (about 1 s)
    >>> r = exposure_report(1, 100.0, estimator=est)
    >>> r.user, r.current["category"], r.suggestion is None
    (1, 'HT+WE+F', True)
    >>> exposure_report([1, 2], 100.0, estimator=est)
    Traceback (most recent call last):
    ...
    TypeError: user: expected one user id (an integer) or a profile mapping; got [1, 2]
    """
    k = _check_k(k_km)
    level = None if target_level is None else _check_level(target_level)
    if isinstance(user, Mapping):
        world, uid = world_with_profile(estimator.world, user)
        label: Any = "profile"
    else:
        if isinstance(user, (bool, np.bool_)) or not isinstance(user, (int, np.integer)):
            raise TypeError("user: expected one user id (an integer) or a profile mapping; "
                            f"got {user!r}")
        world = estimator.world
        uid = int(_user_ids(world, user)[0])
        label = uid
    variants = what_if(estimator, [uid], k, world=world)
    current = variants.iloc[0]
    suggestion = None if level is None else smallest_change(variants, level)
    return ExposureReport(label, k, current, variants, level, suggestion)


def pick_cases(
    estimator: ExposureEstimator,
    users: ArrayLike,
    ks: Sequence[float] = (100.0, 20.0),
    *,
    per_level: int = 2,
    seed: int = 0,
) -> pd.DataFrame:
    """Table 7 style case studies picked from ``users`` to span the risk levels.

    Features of all candidates are computed once (no hiding); for each K and
    each risk level 1-5, up to ``per_level`` users are drawn (``seed``),
    preferring categories not drawn yet for that K.

    Parameters
    ----------
    estimator : ExposureEstimator
        World, PFLI model, clusters and exposure model.
    users : int array
        Candidate user ids (chapter 09: LN users).
    ks : sequence of float
        Error distances K (km), Table 7's 100 and 20 km by default.
    per_level : int
        Users drawn per K and risk level.
    seed : int
        Seed of the draws.

    Returns
    -------
    DataFrame
        The ``exposure_cases.csv`` contract: ``user, category,
        cluster_confidence, error_distance_km, pct_friends_with_attributes,
        exposure_probability, risk_level``.

    Examples
    --------
    >>> from homelib.exposure.simulated import example_estimator
    >>> est = example_estimator()  # chapter 09's chain on a 300-user world (about 1 s)
    >>> c = pick_cases(est, range(est.world.n_users), ks=[100.0], per_level=1)
    >>> c.columns.tolist()[:3], bool(c.risk_level.is_unique), bool(c.risk_level.between(1, 5).all())
    (['user', 'category', 'cluster_confidence'], True, True)
    """
    rng = np.random.default_rng(seed)
    ids = _user_ids(estimator.world, users)
    feats = exposure_features(estimator.world, estimator.pfli_model, estimator.clusters, ids)
    rows = []
    for k in ks:
        f = feats.assign(k_km=_check_k(k, "ks"))
        f["exposure_probability"] = estimator.model.predict(f)
        f["risk_level"] = risk_levels(f["exposure_probability"])
        for level in RISK_LEVELS:
            pool = f[f["risk_level"] == level]
            seen: set[str] = set()
            for _ in range(per_level):
                if pool.empty:
                    break
                fresh = pool[~pool["category"].isin(seen)]
                cand = fresh if not fresh.empty else pool
                pick = cand.iloc[int(rng.integers(len(cand)))]
                seen.add(pick["category"])
                rows.append(pick)
                pool = pool.drop(index=pick.name)
    out = pd.DataFrame(rows).reset_index(drop=True)
    cols = [
        "user", "category", "cluster_confidence", "error_distance_km",
        "pct_friends_with_attributes", "exposure_probability", "risk_level",
    ]
    if out.empty:
        return pd.DataFrame(columns=cols)
    out = out.rename(columns={"user_id": "user", "k_km": "error_distance_km"})
    return out[cols]


def check_guidelines(whatif: pd.DataFrame, *, high_cc: float = 0.9) -> pd.DataFrame:
    """Check the paper's three guidelines (Sec 8.3) on what-if results.

    Parameters
    ----------
    whatif : DataFrame
        :func:`what_if` rows of many users at one K.
    high_cc : float
        Cluster confidence from which "most friends indicate the same place".

    Returns
    -------
    DataFrame
        ``guideline, statement, measured, holds``:

        1. Hiding HT, WE and F gives the lowest mean EP of the 8 settings.
        2. WE is the most sensitive field: among users showing all three,
           hiding WE lowers the mean EP more than hiding HT or F alone.
        3. Hiding F helps users whose friends point to one place more than
           the others: among users showing F, the mean EP drop of hiding F
           is larger when the cluster confidence of the friends alone (the
           "hide HT+WE" variant) is at least ``high_cc``.

    Examples
    --------
    >>> from homelib.exposure.simulated import example_estimator
    >>> est = example_estimator()  # chapter 09's chain on a 300-user world (about 1 s)
    >>> g = check_guidelines(what_if(est, range(40), 100.0))
    >>> g.guideline.tolist(), g.columns.tolist()
    ([1, 2, 3], ['guideline', 'statement', 'measured', 'holds'])
    """
    need = ["user_id", "hide", "changed", "cluster_confidence", "exposure_probability"]
    missing = [c for c in need if c not in whatif]
    if missing:
        raise ValueError(f"whatif: missing column(s) {missing}")
    mean_ep = whatif.groupby("hide")["exposure_probability"].mean()
    all_label = hide_label(HIDEABLE)
    g1 = bool(mean_ep[all_label] <= mean_ep.min() + 1e-12)
    now = whatif[whatif["hide"] == ""].set_index("user_id")
    full = now.index[now["setting"] == "current (HT+WE+F)"] if "setting" in now else now.index
    drops = {}
    for f in HIDEABLE:
        hid = whatif[whatif["hide"] == f].set_index("user_id")
        d = (now["exposure_probability"] - hid["exposure_probability"]).loc[full]
        drops[f] = float(d.mean()) if len(d) else float("nan")
    g2 = bool(len(full) and drops["WE"] >= max(drops["HT"], drops["F"]))
    hid_f = whatif[whatif["hide"] == "F"].set_index("user_id")
    shows_f = whatif[(whatif["hide"] == "F") & (whatif["changed"] == "F")]["user_id"]
    drop_f = (now["exposure_probability"] - hid_f["exposure_probability"]).loc[shows_f]
    friends_only = whatif[whatif["hide"] == "HT+WE"].set_index("user_id")
    high = friends_only.loc[shows_f, "cluster_confidence"] >= high_cc
    d_high = float(drop_f[high.to_numpy()].mean()) if high.any() else float("nan")
    d_low = float(drop_f[~high.to_numpy()].mean()) if (~high).any() else float("nan")
    g3 = bool(np.isfinite(d_high) and np.isfinite(d_low) and d_high > d_low)
    return pd.DataFrame(
        [
            {
                "guideline": 1,
                "statement": "hide WE, F and HT for the highest security",
                "measured": (
                    f"mean EP hiding all = {mean_ep[all_label]:.3f}; "
                    f"lowest other = {mean_ep.drop(all_label).min():.3f}; "
                    f"now = {mean_ep['']:.3f}"
                ),
                "holds": g1,
            },
            {
                "guideline": 2,
                "statement": "hide the most sensitive field (WE) first",
                "measured": (
                    f"mean EP drop for {len(full)} HT+WE+F users: hide WE {drops['WE']:.3f}, "
                    f"hide HT {drops['HT']:.3f}, hide F {drops['F']:.3f}"
                ),
                "holds": g2,
            },
            {
                "guideline": 3,
                "statement": "hide F if most friends indicate the same place",
                "measured": (
                    f"mean EP drop hiding F: friends-only CC >= {high_cc:g}: {d_high:.3f} "
                    f"({int(high.sum())} users); below: {d_low:.3f} "
                    f"({int((~high).sum())} users)"
                ),
                "holds": g3,
            },
        ]
    )


def reliability_table(model: ExposureModel, table: pd.DataFrame, k_km: float,
                      *, switch_km: float = CMB_SWITCH_KM) -> pd.DataFrame:
    """Predicted EP against the observed exposure of users with known truth.

    ``table`` holds users *not* used to train ``model`` (e.g. LN users scored
    against the simulated ground truth, :func:`exposure_user_table` of
    ``PFLIEvaluation.ln_per_user``). Users are grouped by predicted risk level.

    Parameters
    ----------
    model : ExposureModel
        The fitted exposure model.
    table : DataFrame
        Exposure features and error distances of the users (``category,
        pct_friends_with_attributes, cluster_confidence`` and ``error_km``, or
        ``error_prob_km`` and ``error_cent_km``).
    k_km : float
        Error distance K (km).
    switch_km : float
        Below this K the PFLI_prob error counts, else PFLI_cent's (PFLI_cmb).

    Returns
    -------
    DataFrame
        ``risk_level, n_users, mean_predicted_ep, observed_share`` (observed
        share = users whose error is below K, Eq 8), one row per level 1-5.

    Examples
    --------
    >>> from homelib.exposure.simulated import example_estimator
    >>> est = example_estimator()  # chapter 09's chain on a 300-user world (about 1 s)
    >>> t = pd.DataFrame({"category": ["HT+WE+F", "HT"], "pct_friends_with_attributes": [80.0, 0.0],
    ...                   "cluster_confidence": [0.9, 0.1], "error_km": [3.0, 900.0]})
    >>> r = reliability_table(est.model, t, 100.0)
    >>> r.risk_level.tolist(), int(r.n_users.sum())
    ([1, 2, 3, 4, 5], 2)
    """
    k = _check_k(k_km)
    f = table.assign(k_km=k)
    pred = model.predict(f)
    hit = _errors_for_k(table, k, switch_km) < k
    out = pd.DataFrame({"risk_level": risk_levels(pred), "pred": pred, "hit": hit})
    g = out.groupby("risk_level").agg(
        n_users=("pred", "size"), mean_predicted_ep=("pred", "mean"), observed_share=("hit", "mean")
    )
    return g.reindex(list(RISK_LEVELS)).fillna({"n_users": 0}).reset_index()
