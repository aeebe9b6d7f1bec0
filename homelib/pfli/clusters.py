"""Location clusters and location selection (PFLI Sec 6, Algorithm 1).

Candidate locations are clustered by UPGMA (:func:`cluster_places`), the
cluster with the largest summed probability is selected, and a location in it
(:func:`select_locations`): the highest probability (``prob``), the
probability-weighted centroid (``cent``) or the centre of minimum distance
(``dist``, the medoid of the cluster's candidate locations,
:func:`cluster_medoids`); ``noclst`` takes the most probable location overall;
``cmb`` uses ``prob`` below 40 km and ``cent`` above for ACC@K.

Examples
--------
>>> cluster_places([48.85, 48.86, 45.76], [2.35, 2.29, 4.84], 100.0).tolist()
[0, 0, 1]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ..geo import EARTH_RADIUS_KM, haversine_km, pairwise_haversine_km, validate_coords

__all__ = [
    "SELECTORS",
    "cluster_places",
    "cluster_medoids",
    "select_locations",
    "select_many",
]


SELECTORS = ("prob", "cent", "dist", "noclst", "cmb")


def cluster_places(lat: ArrayLike, lon: ArrayLike, threshold_km: float) -> NDArray:
    """UPGMA clusters of places (Sec 6.1, Algorithm 1), labels ``0..C-1``.

    Average linkage on great-circle distances (``fastcluster``), cut where
    the average distance between merged groups exceeds ``threshold_km``.

    Two groups merge below the cut only if their *average* distance is at
    most ``threshold_km``, so some pair of their places is at most that far
    apart: every cluster lies inside one connected component of the graph
    "two places are at most ``threshold_km`` apart" (the single-linkage
    clusters at the same cut), and UPGMA can run on each component alone.
    The components come from ``fastcluster.linkage_vector`` (single linkage
    on unit vectors, ``O(n)`` memory); the pairwise matrix is formed per
    component only (at 100 km the 12,863 places of the paper fall into
    components holding about a tenth of all pairs). Labels are those of
    UPGMA over all places at once (a test compares both).

    Parameters
    ----------
    lat, lon : array_like
        Coordinates of the places, degrees.
    threshold_km : float
        The cut height (Fig 3 uses 100 km).

    Returns
    -------
    ndarray of int
        Cluster label of every place, numbered in order of first appearance.

    Examples
    --------
    >>> cluster_places([48.85, 48.86, 45.76], [2.35, 2.29, 4.84], 100.0).tolist()
    [0, 0, 1]
    """
    import fastcluster
    from scipy.cluster.hierarchy import fcluster

    if not threshold_km > 0:
        raise ValueError(f"threshold_km must be positive; got {threshold_km}")
    lat, lon = validate_coords(lat, lon, "places")
    if lat.size == 1:
        return np.zeros(1, dtype=np.int64)
    comp = _components_within(lat, lon, threshold_km)
    order = np.argsort(comp, kind="stable")
    bounds = np.searchsorted(comp[order], np.arange(comp.max() + 2))
    lab = np.empty(lat.size, dtype=np.int64)
    next_label = 0
    for c in range(bounds.size - 1):  # loop over components, not places
        idx = order[bounds[c]: bounds[c + 1]]
        if idx.size == 1:
            lab[idx] = next_label
            next_label += 1
            continue
        d = pairwise_haversine_km(lat[idx], lon[idx])
        z = fastcluster.linkage(d, method="average", preserve_input=False)
        sub = fcluster(z, t=threshold_km, criterion="distance")
        lab[idx] = next_label + sub - 1
        next_label += int(sub.max())
    # relabel 0..C-1 in order of first appearance
    _, first, inv = np.unique(lab, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))
    return rank[inv].astype(np.int64)


def _components_within(lat: NDArray, lon: NDArray, threshold_km: float) -> NDArray:
    """Connected components of "at most ``threshold_km`` apart" (single linkage, O(n) memory).

    Computed on chord distances between unit vectors, with a relative margin
    of 1e-6 so that rounding never splits two places whose great-circle
    distance is within the threshold (a coarser split is still exact).
    """
    import fastcluster
    from scipy.cluster.hierarchy import fcluster

    la, lo = np.radians(lat), np.radians(lon)
    xyz = np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    half_angle = min(threshold_km * (1 + 1e-6) / (2 * EARTH_RADIUS_KM), np.pi / 2)
    chord = 2 * np.sin(half_angle) + 1e-9
    z = fastcluster.linkage_vector(xyz, method="single")
    return fcluster(z, t=chord, criterion="distance").astype(np.int64) - 1


def cluster_medoids(lat: ArrayLike, lon: ArrayLike, clusters: ArrayLike) -> NDArray:
    """The centre of minimum distance of every cluster (PFLI Sec 6.3, selector ``dist``).

    The medoid is the place of the cluster with the least summed great-circle
    distance to the other places of the cluster; a cluster of one or two places
    keeps its first place.

    Parameters
    ----------
    lat, lon : array_like
        Coordinates of the places, degrees.
    clusters : array_like of int
        Cluster label of every place, ``0..C-1`` (:func:`cluster_places`).

    Returns
    -------
    ndarray of int
        For every cluster ``c``, the index of its medoid place.

    Examples
    --------
    Four places on the equator at longitudes 0, 1, 3 (cluster 0) and 5 (cluster 1):
    the place at longitude 1 is nearest to the other two.

    >>> cluster_medoids([0, 0, 0, 5], [0, 1, 3, 5], [0, 0, 0, 1]).tolist()
    [1, 3]
    """
    lat, lon = validate_coords(lat, lon, "places")
    cl = np.asarray(clusters, dtype=np.int64)
    n_cl = int(cl.max()) + 1
    order = np.argsort(cl, kind="stable")
    bounds = np.searchsorted(cl[order], np.arange(n_cl + 1))
    med = np.empty(n_cl, dtype=np.int64)
    for c in range(n_cl):  # loop over clusters, not users
        idx = order[bounds[c]: bounds[c + 1]]
        if idx.size <= 2:
            med[c] = idx[0]
            continue
        d = haversine_km(lat[idx, None], lon[idx, None], lat[None, idx], lon[None, idx])
        med[c] = idx[int(np.argmin(d.sum(axis=1)))]
    return med


def _row_argmax(rows: NDArray, score: NDArray, tie: NDArray, n_rows: int) -> NDArray:
    """Position (into the arrays) of the largest ``score`` per row; -1 for empty rows.

    Ties go to the smallest ``tie``, then to the first position. With rows in
    non-decreasing order (CSR order, as every caller passes them) this is
    one pass of ``maximum.reduceat`` plus a sort of the tied candidates only;
    otherwise (or with NaN scores) a full ``lexsort``, with the same result.
    """
    out = np.full(n_rows, -1, dtype=np.int64)
    if rows.size == 0:
        return out
    if (rows[1:] < rows[:-1]).any() or np.isnan(score).any():
        order = np.lexsort((tie, -score, rows))
        r = rows[order]
        first = np.ones(r.size, dtype=bool)
        first[1:] = r[1:] != r[:-1]
        out[r[first]] = order[first]
        return out
    starts = np.flatnonzero(np.concatenate([[True], rows[1:] != rows[:-1]]))
    seg = np.repeat(np.arange(starts.size), np.diff(np.append(starts, rows.size)))
    best = np.maximum.reduceat(score, starts)
    cand = np.flatnonzero(score == best[seg])  # the row maxima (ties included), in order
    o = np.lexsort((cand, tie[cand], seg[cand]))
    cseg = seg[cand][o]
    first = np.ones(cseg.size, dtype=bool)
    first[1:] = cseg[1:] != cseg[:-1]
    out[rows[starts[cseg[first]]]] = cand[o][first]
    return out


def _cluster_sums(s: sp.csr_matrix, p: NDArray, cl: NDArray, rows: NDArray, pos_cl: NDArray,
                  n_cl: int) -> tuple[NDArray, NDArray, NDArray]:
    """Row, cluster and summed probability of every (row, cluster) pair present.

    Rows come in order, and sums are added in the stored order of the row.
    With positive entries the sums come from one sparse product with the
    place-to-cluster indicator (the same additions in the same order as
    ``bincount``, without sorting all entries); otherwise (a zero-sum cluster
    must still count as present) from ``np.unique`` and ``bincount``.
    """
    if not (p > 0).all():
        key, inv = np.unique(rows * n_cl + pos_cl, return_inverse=True)
        return key // n_cl, key % n_cl, np.bincount(inv, weights=p, minlength=key.size)
    n, n_pl = s.shape
    s64 = sp.csr_matrix((p, s.indices, s.indptr), shape=s.shape)
    ind = sp.csr_matrix((np.ones(n_pl), cl, np.arange(n_pl + 1)), shape=(n_pl, n_cl))
    c = (s64 @ ind).tocsr()
    krow = np.repeat(np.arange(n, dtype=np.int64), np.diff(c.indptr))
    return krow, c.indices, c.data


def select_locations(scores: sp.spmatrix, places: pd.DataFrame, clusters: ArrayLike,
                     selector: str) -> pd.DataFrame:
    """Cluster selection then location selection (Sec 6.2-6.3), for every row of ``scores``.

    Parameters
    ----------
    scores : sparse matrix (n, N)
        PFLI probabilities (rows need not sum to 1).
    places : DataFrame with ``lat, lon``
        The N candidate places, in the column order of ``scores``.
    clusters : array of int, length N
        Cluster label of every place (:func:`cluster_places`).
    selector : {"prob", "cent", "dist", "noclst", "cmb"}
        ``cmb`` returns the ``prob`` prediction plus ``cent_lat, cent_lon``
        (ACC@K uses ``prob`` below 40 km and ``cent`` above).

    Returns
    -------
    DataFrame
        ``user_index, pred_lat, pred_lon, cluster, cluster_prob`` and
        ``pred_place`` (-1 for a centroid); NaN rows for empty score rows.

    Examples
    --------
    Two places near Paris (cluster 0) share 0.6; Beijing alone has 0.4. ``prob``
    picks the most probable place of the heavier cluster, ``noclst`` the most
    probable place overall.

    >>> s = sp.csr_matrix([[0.3, 0.3, 0.4]])
    >>> pl = pd.DataFrame({"lat": [48.85, 48.63, 39.9], "lon": [2.35, 2.45, 116.4]})
    >>> select_locations(s, pl, [0, 0, 1], "prob")[["cluster", "cluster_prob", "pred_place"]].values.tolist()
    [[0.0, 0.6, 0.0]]
    >>> select_locations(s, pl, [0, 0, 1], "noclst").pred_place.tolist()
    [2]
    """
    return select_many(scores, places, clusters, [selector])[selector]


def select_many(scores: sp.spmatrix, places: pd.DataFrame, clusters: ArrayLike,
                selectors: Sequence[str]) -> dict[str, pd.DataFrame]:
    """:func:`select_locations` for several selectors at once (the cluster sums once).

    Parameters
    ----------
    scores, places, clusters
        As in :func:`select_locations`.
    selectors : sequence of str
        Names from :data:`SELECTORS`.

    Returns
    -------
    dict of str to DataFrame
        ``select_locations(scores, places, clusters, s)`` for every selector ``s``.

    Examples
    --------
    >>> s = sp.csr_matrix([[0.3, 0.3, 0.4]])
    >>> pl = pd.DataFrame({"lat": [48.85, 48.63, 39.9], "lon": [2.35, 2.45, 116.4]})
    >>> out = select_many(s, pl, [0, 0, 1], ["prob", "noclst"])
    >>> out["prob"].pred_place.tolist(), out["noclst"].pred_place.tolist()
    ([0], [2])
    """
    selectors = list(selectors)
    bad = [x for x in selectors if x not in SELECTORS]
    if bad or not selectors:
        raise ValueError(f"selector must be one of {SELECTORS}; got {bad[0] if bad else selectors!r}")
    s = sp.csr_matrix(scores)
    n, n_pl = s.shape
    cl = np.asarray(clusters, dtype=np.int64)
    if cl.shape != (n_pl,):
        raise ValueError(f"clusters must have length {n_pl}; got {cl.shape}")
    lat, lon = places["lat"].to_numpy(float), places["lon"].to_numpy(float)
    rows = np.repeat(np.arange(n), np.diff(s.indptr))
    cols, p = s.indices, s.data.astype(float, copy=False)
    pos_cl = cl[cols]
    n_cl = int(cl.max()) + 1
    krow, kcl, csum = _cluster_sums(s, p, cl, rows, pos_cl, n_cl)
    best = _row_argmax(krow, csum, kcl, n)
    has = best >= 0
    sel_cl = np.full(n, -1, dtype=np.int64)
    sel_p = np.full(n, np.nan)
    sel_cl[has], sel_p[has] = kcl[best[has]], csum[best[has]]
    in_sel = pos_cl == sel_cl[rows]
    cache: dict = {}

    def argmax_place(mask):
        b = _row_argmax(rows[mask], p[mask], cols[mask], n)
        ok = b >= 0
        place = np.full(n, -1, dtype=np.int64)
        place[ok] = cols[mask][b[ok]]
        return place

    def in_cluster_place():
        if "prob" not in cache:
            cache["prob"] = argmax_place(in_sel)
        return cache["prob"]

    def centroid():
        if "cent" not in cache:
            cache["cent"] = _weighted_centroid(rows[in_sel], p[in_sel], lat[cols[in_sel]],
                                               lon[cols[in_sel]], n)
        return cache["cent"]

    result = {}
    for selector in selectors:
        out = pd.DataFrame({"user_index": np.arange(n), "pred_place": -1, "pred_lat": np.nan,
                            "pred_lon": np.nan, "cluster": sel_cl, "cluster_prob": sel_p})
        if selector in ("prob", "cmb"):
            place = in_cluster_place()
        elif selector == "noclst":
            place = argmax_place(np.ones(rows.size, dtype=bool))
            ok = place >= 0
            c_of = np.where(ok, cl[np.maximum(place, 0)], -1)
            out.loc[ok, "cluster"] = c_of[ok]
            # cluster_prob of the cluster holding the chosen place (same additions as csum)
            m = pos_cl == c_of[rows]
            mass = np.bincount(rows[m], weights=p[m], minlength=n)
            out.loc[ok, "cluster_prob"] = mass[ok]
        elif selector == "dist":
            med = cluster_medoids(lat, lon, cl)
            place = np.where(sel_cl >= 0, med[np.maximum(sel_cl, 0)], -1)
        else:
            place = None
        if place is not None:
            ok = place >= 0
            out["pred_place"] = place
            out.loc[ok, "pred_lat"] = lat[place[ok]]
            out.loc[ok, "pred_lon"] = lon[place[ok]]
        if selector in ("cent", "cmb"):
            clat, clon = centroid()
            if selector == "cent":
                out["pred_lat"], out["pred_lon"] = clat, clon
            else:
                out["cent_lat"], out["cent_lon"] = clat, clon
        result[selector] = out
    return result


def _weighted_centroid(rows, w, lat, lon, n):
    """Probability-weighted centroid per row (mean of unit vectors, back to degrees)."""
    la, lo = np.radians(lat), np.radians(lon)
    xyz = np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    acc = np.zeros((n, 3))
    for d in range(3):
        acc[:, d] = np.bincount(rows, weights=w * xyz[:, d], minlength=n)
    norm = np.linalg.norm(acc, axis=1)
    ok = norm > 0
    clat, clon = np.full(n, np.nan), np.full(n, np.nan)
    clat[ok] = np.degrees(np.arcsin(np.clip(acc[ok, 2] / norm[ok], -1, 1)))
    clon[ok] = np.degrees(np.arctan2(acc[ok, 1], acc[ok, 0]))
    return clat, clon
