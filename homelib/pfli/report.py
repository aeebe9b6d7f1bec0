"""Tables, figures and maps of chapters 07-08 (the social world and PFLI).

Examples
--------
>>> acc = pd.DataFrame({"user_set": "overall", "method": "PFLI_prob", "k_km": [10.0, 50.0],
...                     "acc": [0.4, 0.6]})
>>> plot_acc_curves(acc, ["PFLI_prob"], "overall").get_ylabel()
'ACC@K'
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..geo import haversine_km
from .data import SocialWorld, friend_distance_km, world_from_tables
from .world import backstrom_p

__all__ = [
    "training_table",
    "backstrom_table",
    "aed_reading_table",
    "friend_only_world",
    "coinciding_methods",
    "plot_world",
    "map_places",
    "plot_acc_curves",
    "map_clusters",
    "map_errors",
    "friendship_probability_by_distance",
]


def training_table(models: list) -> pd.DataFrame:
    """The fitted PFLI weights and what the trainer did, one row per model (fold).

    Parameters
    ----------
    models : list of PFLIModel
        E.g. ``PFLIEvaluation.models``.

    Returns
    -------
    DataFrame
        ``fold, alpha_HT, alpha_WE, mu_HT, mu_WE, nu_HT, nu_WE, n_items,
        share_close, clipped, left_out, fallback`` (``clipped``: the features
        whose logistic coefficient was negative and became 0, with the raw
        value; ``left_out``: features without evidence or duplicating another).

    Examples
    --------
    >>> from homelib.pfli.model import PFLIConfig, fit_pfli
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=400, n_places=30, n_multi_orgs=3), seed=1)
    >>> list(training_table([fit_pfli(w, config=PFLIConfig(train_users=100))]).columns)[:4]
    ['fold', 'alpha_HT', 'alpha_WE', 'mu_HT']
    """
    rows = []
    for f, m in enumerate(models):
        info = m.train_info
        clipped, left, fallback = [], [], []
        for key, what in (("alpha_fit", "alpha"), ("mu_nu_fit", "mu/nu")):
            fit = info[key]
            clipped += [f"{what}: {n} ({fit['raw_coef'][n]:.3g})" for n in fit["clipped"]]
            left += [f"{what}: {n} ({why})" for n, why in fit["dropped"].items()]
            if fit["fallback"]:
                fallback.append(f"{what}: {fit['fallback']}")
        if info.get("fallback"):
            fallback.append(info["fallback"])
        rows.append({"fold": f, **{f"alpha_{k}": v for k, v in m.alpha.items()},
                     **{f"mu_{k}": v for k, v in m.mu.items()}, **{f"nu_{k}": v for k, v in m.nu.items()},
                     "n_items": info["mu_nu_fit"]["n_items"], "share_close": info["mu_nu_fit"]["share_close"],
                     "clipped": "; ".join(clipped), "left_out": "; ".join(left),
                     "fallback": "; ".join(fallback)})
    return pd.DataFrame(rows)


def backstrom_table(baseline_models: list, reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """Base_dist's fitted law ``p(d) = a (d + b)^-c`` per fold, beside the published one.

    Parameters
    ----------
    baseline_models : list of dict
        ``PFLIEvaluation.baseline_models`` (each with a fitted ``"Base_dist"``).
    reference : DataFrame, optional
        ``data/reference/backstrom2010_friendship_law.csv`` (``parameter, value``):
        adds a row ``fold = "Backstrom et al. (2010)"``.

    Returns
    -------
    DataFrame
        ``fold, a, b_miles, c, n_friend_pairs, n_user_pairs``.

    Examples
    --------
    >>> ref = pd.DataFrame({"parameter": ["a", "b", "c"], "value": [0.0019, 0.196, 1.05]})
    >>> backstrom_table([], ref)[["fold", "a", "b_miles", "c"]].values.tolist()
    [['Backstrom et al. (2010)', 0.0019, 0.196, 1.05]]
    """
    rows = []
    for f, fitted in enumerate(baseline_models):
        if "Base_dist" not in fitted:
            continue
        fit = fitted["Base_dist"].fit_
        rows.append({"fold": f, "a": fit.a, "b_miles": fit.b, "c": fit.c,
                     "n_friend_pairs": fit.n_friend_pairs, "n_user_pairs": fit.n_user_pairs})
    if reference is not None:
        ref = reference.set_index("parameter")["value"]
        rows.append({"fold": "Backstrom et al. (2010)", "a": float(ref["a"]), "b_miles": float(ref["b"]),
                     "c": float(ref["c"]), "n_friend_pairs": np.nan, "n_user_pairs": np.nan})
    return pd.DataFrame(rows, columns=["fold", "a", "b_miles", "c", "n_friend_pairs", "n_user_pairs"])


def aed_reading_table(per_user: pd.DataFrame, methods=("PFLI_prob",), ps=(0.6, 0.8)) -> pd.DataFrame:
    """AED@p read two ways: over the smallest errors (the book) and the largest (the text).

    The paper says users are ranked by error "in descending order" and AED@p
    is the mean of the top p share; read literally that is the mean of the
    *largest* errors, which would make AED@60% exceed AED@100%. Its tables
    have AED@60% far below AED@100%, so the book averages the smallest errors.

    Parameters
    ----------
    per_user : DataFrame
        ``method, error_km, has_la_friends`` (``PFLIEvaluation.per_user``).
    methods : sequence of str
    ps : sequence of float

    Returns
    -------
    DataFrame
        ``user_set, method, p, aed_smallest_km, aed_largest_km, aed100_km``.

    Examples
    --------
    >>> pu = pd.DataFrame({"method": "PFLI_prob", "error_km": [10., 20, 30, 40, 1000],
    ...                    "has_la_friends": True})
    >>> t = aed_reading_table(pu, ps=(0.6,))
    >>> t.query("user_set == 'overall'")[["aed_smallest_km", "aed_largest_km", "aed100_km"]].values.tolist()
    [[20.0, 356.6666666666667, 220.0]]
    """
    rows = []
    for uset, df in (("with_la_friends", per_user[per_user["has_la_friends"]]), ("overall", per_user)):
        for m in methods:
            e = np.sort(df.loc[df["method"] == m, "error_km"].to_numpy(float))
            if not e.size:
                continue
            for p in ps:
                n = int(np.ceil(p * e.size - 1e-9))
                rows.append({"user_set": uset, "method": m, "p": p, "aed_smallest_km": float(e[:n].mean()),
                             "aed_largest_km": float(e[::-1][:n].mean()), "aed100_km": float(e.mean())})
    return pd.DataFrame(rows)


def friend_only_world(world: SocialWorld) -> SocialWorld:
    """The same network with every profile field removed: what a check-in network provides.

    No hometown, no work, no organisation table.

    Parameters
    ----------
    world : SocialWorld

    Returns
    -------
    SocialWorld

    Examples
    --------
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = friend_only_world(build_social_world(SocialConfig(n_users=300, n_places=20), seed=1))
    >>> int(w.users.hometown_visible.sum()), int(w.users.work_visible.sum()), len(w.orgs)
    (0, 0, 0)
    """
    users = world.users.assign(hometown=-1, work=-1, hometown_visible=False, work_visible=False)
    return world_from_tables(world.places, users, world.edges, None)


def coinciding_methods(per_user: pd.DataFrame) -> pd.DataFrame:
    """Groups of methods that predict exactly the same location for every user.

    Parameters
    ----------
    per_user : DataFrame
        ``user_id, method, pred_lat, pred_lon``.

    Returns
    -------
    DataFrame
        ``methods`` (comma-separated, table order), ``n_methods``, ``n_users``;
        one row per group, singletons included.

    Examples
    --------
    >>> pu = pd.DataFrame({"user_id": [0, 0, 0], "method": ["A", "B", "C"],
    ...                    "pred_lat": [1.0, 1.0, 2.0], "pred_lon": [0.0, 0.0, 0.0]})
    >>> coinciding_methods(pu)["methods"].tolist()
    ['A, B', 'C']
    """
    order = list(pd.unique(per_user["method"]))
    lat = per_user.pivot(index="user_id", columns="method", values="pred_lat")
    lon = per_user.pivot(index="user_id", columns="method", values="pred_lon")
    groups: list[list[str]] = []
    for m in order:
        for g in groups:
            if np.array_equal(lat[g[0]].to_numpy(), lat[m].to_numpy(), equal_nan=True) and \
                    np.array_equal(lon[g[0]].to_numpy(), lon[m].to_numpy(), equal_nan=True):
                g.append(m)
                break
        else:
            groups.append([m])
    return pd.DataFrame({"methods": [", ".join(g) for g in groups], "n_methods": [len(g) for g in groups],
                         "n_users": len(lat)})


def plot_world(world: SocialWorld, prob: pd.DataFrame | None = None):
    """Two panels: the degree distribution (log-log) and p(friend | distance) vs Backstrom.

    Parameters
    ----------
    world : SocialWorld
        The social world.
    prob : DataFrame, optional
        :func:`friendship_probability_by_distance` of the world (computed when omitted).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=400, n_places=30, n_multi_orgs=3), seed=1)
    >>> fig = plot_world(w)
    >>> [ax.get_title() for ax in fig.axes]
    ['Degree distribution', 'Friendship and distance']
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    prob = friendship_probability_by_distance(world) if prob is None else prob
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    deg = world.degree
    vals, cnt = np.unique(deg[deg > 0], return_counts=True)
    axes[0].loglog(vals, cnt / cnt.sum(), ".", ms=4)
    axes[0].set_xlabel("number of friends")
    axes[0].set_ylabel("share of users")
    axes[0].set_title("Degree distribution")
    ok = prob["p_friend"] > 0
    axes[1].loglog(prob.loc[ok, "d_mid_km"], prob.loc[ok, "p_friend"], "o", ms=4, label="simulated")
    axes[1].loglog(prob["d_mid_km"], prob["backstrom_rescaled"], "-",
                   label="Backstrom et al. a(d+b)^-c (rescaled)")
    axes[1].set_xlabel("distance between the two users' cities (km)")
    axes[1].set_ylabel("probability of friendship")
    axes[1].set_title("Friendship and distance")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def map_places(world: SocialWorld, n: int = 300, seed: int = 0):
    """A folium map of the ``n`` places with the most users (marker size ~ users).

    Parameters
    ----------
    world : SocialWorld
        The social world.
    n : int
        Places drawn.
    seed : int
        Unused (kept for the chapter's call signature).

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=400, n_places=30, n_multi_orgs=3), seed=1)
    >>> m = map_places(w, n=5)
    >>> sum(type(c).__name__ == "CircleMarker" for c in m._children.values())
    5
    """
    import folium

    n_at = np.bincount(world.users["current_place"], minlength=world.n_places)
    top = np.argsort(-n_at, kind="stable")[:n]
    m = folium.Map(location=[45, 5], zoom_start=2)
    p = world.places
    for i in top:
        folium.CircleMarker([float(p["lat"].iat[i]), float(p["lon"].iat[i])],
                            radius=float(2 + 8 * np.sqrt(n_at[i] / n_at[top[0]])),
                            tooltip=f"{p['name'].iat[i]}: {n_at[i]} users", fill=True).add_to(m)
    return m


def plot_acc_curves(acc: pd.DataFrame, methods, user_set: str, ax=None, title: str | None = None):
    """ACC@K curves of ``methods`` for one user set (Figs 4-5).

    Parameters
    ----------
    acc : DataFrame
        ``user_set, method, k_km, acc`` (``PFLIEvaluation.acc_at_k``).
    methods : sequence of str
        Methods drawn, one line each.
    user_set : str
        ``overall``, ``with LA friends`` ...
    ax : matplotlib Axes, optional
        Where to draw (a new figure when omitted).
    title : str, optional
        Panel title (default ``user_set``).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> acc = pd.DataFrame({"user_set": "overall", "method": ["PFLI_prob"] * 2 + ["Base_freq"] * 2,
    ...                     "k_km": [10.0, 50.0] * 2, "acc": [0.4, 0.6, 0.2, 0.3]})
    >>> ax = plot_acc_curves(acc, ["PFLI_prob", "Base_freq"], "overall")
    >>> [t.get_text() for t in ax.get_legend().get_texts()], tuple(map(float, ax.get_ylim()))
    (['PFLI_prob', 'Base_freq'], (0.0, 1.0))
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    d = acc[acc["user_set"] == user_set]
    for m in methods:
        g = d[d["method"] == m]
        ax.plot(g["k_km"], g["acc"], marker="o", ms=3, label=m)
    ax.set_xlabel("K (km)")
    ax.set_ylabel("ACC@K")
    ax.set_ylim(0, 1)
    ax.set_title(title or user_set)
    ax.legend(fontsize=8)
    return ax


def map_clusters(places: pd.DataFrame, clusters: ArrayLike, box=(47.0, 49.0, -1.0, 6.0)):
    """A folium map of the candidate locations in ``box``, coloured by UPGMA cluster (Fig 3).

    Parameters
    ----------
    places : DataFrame
        ``lat, lon, name`` per place (``SocialWorld.places``).
    clusters : (n_places,) int array
        Cluster of each place (:func:`homelib.pfli.clusters.cluster_places`).
    box : (float, float, float, float)
        ``lat0, lat1, lon0, lon1``: the paper's Fig 3 box by default (47-49N, 1W-6E).

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> pl = pd.DataFrame({"lat": [48.85, 48.0, 10.0], "lon": [2.35, 2.0, 0.0],
    ...                    "name": ["Paris", "Orleans", "far"]})
    >>> m = map_clusters(pl, [0, 0, 1])
    >>> sum(type(c).__name__ == "CircleMarker" for c in m._children.values())  # in the box
    2
    """
    import folium

    lat0, lat1, lon0, lon1 = box
    cl = np.asarray(clusters)
    sel = places["lat"].between(lat0, lat1) & places["lon"].between(lon0, lon1)
    pl = places[sel]
    palette = ["red", "blue", "green", "purple", "orange", "darkred", "cadetblue", "darkgreen",
               "black", "pink", "gray", "beige"]
    m = folium.Map(location=[(lat0 + lat1) / 2, (lon0 + lon1) / 2], zoom_start=6)
    codes = {c: i for i, c in enumerate(pd.unique(cl[sel.to_numpy()]))}
    for i, row in pl.iterrows():
        c = codes[cl[i]]
        folium.CircleMarker([row["lat"], row["lon"]], radius=3, color=palette[c % len(palette)],
                            fill=True, tooltip=f"{row['name']} (cluster {cl[i]})").add_to(m)
    return m


def map_errors(world, per_user: pd.DataFrame, method: str = "PFLI_prob", n: int = 150, seed: int = 0):
    """A folium map of ``n`` sampled predictions of ``method``: true city, prediction, error line.

    Parameters
    ----------
    world : SocialWorld
        The social world.
    per_user : DataFrame
        ``user_id, method, pred_lat, pred_lon, error_km`` (``PFLIEvaluation.per_user``).
    method : str
        The method drawn.
    n : int
        Users sampled.
    seed : int
        Seed of the sample.

    Returns
    -------
    folium.Map
        Green lines: errors under 40 km; red: the others.

    Examples
    --------
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=400, n_places=30, n_multi_orgs=3), seed=1)
    >>> pu = pd.DataFrame({"user_id": [0, 1], "method": "PFLI_prob", "pred_lat": [48.0, 40.0],
    ...                    "pred_lon": [2.0, 3.0], "error_km": [10.0, 900.0]})
    >>> m = map_errors(w, pu, n=2)
    >>> sorted(c.options["color"] for c in m._children.values() if type(c).__name__ == "PolyLine")
    ['green', 'red']
    """
    import folium

    df = per_user[per_user["method"] == method]
    df = df.sample(n=min(n, len(df)), random_state=seed)
    pl = world.places
    truth = world.users["current_place"].to_numpy()[df["user_id"].to_numpy()]
    m = folium.Map(location=[47, 5], zoom_start=4)
    for (_, r), t in zip(df.iterrows(), truth, strict=True):
        tl = [float(pl["lat"].iat[t]), float(pl["lon"].iat[t])]
        pr = [float(r["pred_lat"]), float(r["pred_lon"])]
        color = "green" if r["error_km"] < 40 else "red"
        folium.CircleMarker(tl, radius=2, color="black").add_to(m)
        folium.PolyLine([tl, pr], color=color, weight=1).add_to(m)
    return m


def friendship_probability_by_distance(world: SocialWorld, bins_km=None) -> pd.DataFrame:
    """Empirical probability of friendship by distance, beside Backstrom et al.'s curve.

    For each distance bin: friend pairs / all user pairs (pairs of users are
    counted through place pairs, chunked, never formed one by one). The
    Backstrom curve ``a (d + b)^-c`` is given both as published
    (``backstrom``) and rescaled to the simulated level at 10-100 km
    (``backstrom_rescaled``): the world is a sample of a population, so only
    the shape can be compared.

    Parameters
    ----------
    world : SocialWorld
        The social world.
    bins_km : array of float, optional
        Bin edges (km); default 0 then 30 log-spaced edges from 1 to 20,000 km.

    Returns
    -------
    DataFrame
        ``d_low_km, d_high_km, d_mid_km, friend_pairs, user_pairs, p_friend, backstrom,
        backstrom_rescaled`` per bin.

    Examples
    --------
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=400, n_places=30, n_multi_orgs=3), seed=1)
    >>> p = friendship_probability_by_distance(w, bins_km=[0, 100, 1000, 20000])
    >>> int(p.friend_pairs.sum()) == len(w.edges), bool((p.p_friend <= 1).all())
    (True, True)
    """
    if bins_km is None:
        bins_km = np.concatenate([[0.0], np.logspace(0, np.log10(20_000), 30)])
    bins_km = np.asarray(bins_km, dtype=float)
    p = world.places
    lat, lon = p["lat"].to_numpy(), p["lon"].to_numpy()
    n_at = np.bincount(world.users["current_place"], minlength=len(p)).astype(float)
    pairs = np.zeros(bins_km.size - 1)
    chunk = max(1, 2_000_000 // len(p))
    for c0 in range(0, len(p), chunk):  # chunks of places
        c1 = min(c0 + chunk, len(p))
        d = haversine_km(lat[c0:c1, None], lon[c0:c1, None], lat[None, :], lon[None, :])
        w = n_at[c0:c1, None] * n_at[None, :]
        w[np.arange(c1 - c0), np.arange(c0, c1)] = n_at[c0:c1] * (n_at[c0:c1] - 1)
        pairs += np.histogram(d, bins=bins_km, weights=w)[0]
    pairs /= 2
    fr = np.histogram(friend_distance_km(world), bins=bins_km)[0]
    mid = np.where(bins_km[:-1] == 0, bins_km[1] / 2, np.sqrt(bins_km[:-1] * bins_km[1:]))
    prob = np.where(pairs > 0, fr / np.maximum(pairs, 1), np.nan)
    out = pd.DataFrame({"d_low_km": bins_km[:-1], "d_high_km": bins_km[1:], "d_mid_km": mid,
                        "friend_pairs": fr, "user_pairs": pairs, "p_friend": prob,
                        "backstrom": backstrom_p(mid)})
    ref = out[(out.d_mid_km > 10) & (out.d_mid_km < 100) & (out.p_friend > 0)]
    k = float(np.exp(np.mean(np.log(ref.p_friend / ref.backstrom)))) if len(ref) else 1.0
    out["backstrom_rescaled"] = out["backstrom"] * k
    return out
