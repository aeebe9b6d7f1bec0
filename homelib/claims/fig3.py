"""PFLI Fig 3 against the social world: places and UPGMA clusters in the paper's box.

PFLI Fig 3 illustrates UPGMA clustering on the 154 candidate locations between
47-49 N and 1 W-6 E, cut at 100 km into 5 clusters. The social world's places
are drawn with weight ``population ** place_pop_exponent`` times ``focus_boost``
in the focus countries (:class:`homelib.pfli.world.SocialConfig`), so the box
count moves with ``focus_boost``. :func:`fig3_box` measures the box's places and
clusters for several boosts and seeds: the evidence behind the calibration
decision recorded in the social data card (``book/data_card_social.md``).

The places of a world depend only on its config's place fields and its seed
(they are drawn first), so a world with few users has the same places as the
paper-scale world of that seed.

Examples
--------
>>> FIG3_BOX
{'lat': (47.0, 49.0), 'lon': (-1.0, 6.0), 'places': 154, 'clusters': 5, 'cut_km': 100.0}
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..pfli.clusters import cluster_places
from ..pfli.world import SocialConfig, build_social_world

__all__ = ["FIG3_BOX", "box_places", "fig3_box"]

#: The paper's Fig 3 example (PFLI Sec 6.1, data/reference/pfli_facts.csv ``cluster_example``).
FIG3_BOX = {"lat": (47.0, 49.0), "lon": (-1.0, 6.0), "places": 154, "clusters": 5, "cut_km": 100.0}


def box_places(places: pd.DataFrame) -> pd.DataFrame:
    """The places inside the Fig 3 box (47-49 N, 1 W-6 E), bounds included.

    Parameters
    ----------
    places : DataFrame
        Places with ``lat`` and ``lon`` in degrees (e.g. a social world's ``places``).

    Returns
    -------
    DataFrame
        The rows of ``places`` inside the box (``places`` is not changed).

    Examples
    --------
    >>> p = pd.DataFrame({"lat": [48.0, 50.0, 47.0], "lon": [2.3, 2.3, -1.0]})
    >>> box_places(p)["lat"].tolist()   # 50 N is outside; (47 N, 1 W) is on the corner
    [48.0, 47.0]
    """
    lat, lon = FIG3_BOX["lat"], FIG3_BOX["lon"]
    return places[places["lat"].between(*lat) & places["lon"].between(*lon)]


def fig3_box(boosts: Sequence[float] = (1.0, 2.0, 3.0, 4.0, 6.0), seeds: Sequence[int] = range(5),
             n_users: int = 1000) -> pd.DataFrame:
    """Places and 100 km UPGMA clusters in the Fig 3 box, per ``focus_boost`` and seed.

    Parameters
    ----------
    boosts : sequence of float
        Values of ``SocialConfig.focus_boost`` (the default world has 6.0).
    seeds : sequence of int
        World seeds.
    n_users : int
        Users of the world built to draw the places (with one multi-site
        employer); the places do not depend on either.

    Returns
    -------
    DataFrame
        ``focus_boost, seed, box_places, box_clusters, focus_share_pct`` (the
        share of all places in the focus countries).

    Examples
    --------
    Building a world's places takes seconds, so this example is skipped here;
    ``tests/test_claims_adapters.py`` runs it.

    >>> t = fig3_box([6.0], [0], n_users=100)  # doctest: +SKIP
    >>> int(t["box_places"].iloc[0]), int(t["box_clusters"].iloc[0])  # doctest: +SKIP
    (228, 7)
    """
    rows = []
    for b in boosts:
        for s in seeds:
            # places are drawn first: few users and employers give the same places, faster
            cfg = SocialConfig(n_users=n_users, n_multi_orgs=1, focus_boost=float(b))
            places = build_social_world(cfg, seed=int(s)).places
            box = box_places(places)
            labels = cluster_places(box["lat"], box["lon"], FIG3_BOX["cut_km"])
            rows.append({"focus_boost": float(b), "seed": int(s), "box_places": len(box),
                         "box_clusters": int(labels.max()) + 1,
                         "focus_share_pct": 100 * float(places["country"]
                                                        .isin(cfg.focus_countries).mean())})
    return pd.DataFrame(rows)
