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
from .data import SocialWorld, friend_distance_km
from .world import backstrom_p

__all__ = [
    "plot_world",
    "map_places",
    "plot_acc_curves",
    "map_clusters",
    "map_errors",
    "friendship_probability_by_distance",
]


def plot_world(world: SocialWorld, prob: pd.DataFrame | None = None):
    """Two panels: the degree distribution (log-log) and p(friend | distance) vs Backstrom."""
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
    """A folium map of the ``n`` places with the most users (marker size ~ users)."""
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
    """ACC@K curves of ``methods`` for one user set (Figs 4-5)."""
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
    """A folium map of the candidate locations in ``box`` (lat0, lat1, lon0, lon1) coloured
    by UPGMA cluster (the style of the paper's Fig 3)."""
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
    """A folium map of ``n`` sampled predictions of ``method``: true city, prediction, error line."""
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
