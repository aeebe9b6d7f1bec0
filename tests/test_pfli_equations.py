"""Fast, independent checks of the PFLI and exposure equations (issue 10 item 4).

Each test recomputes an equation with a plain (dense, loop-by-loop) implementation on a
small hand-built world and compares, so that changing the library's formula fails here.
These are the tests ``make mutate`` runs against the mutants of the equation functions
(``tests/benchmarks/mutation.py``); they take a few seconds in all.
"""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage

from homelib.exposure.features import cluster_confidence, ep_at_k
from homelib.exposure.risk import risk_band, risk_level, risk_levels
from homelib.geo import haversine_km, pairwise_haversine_km
from homelib.metrics import acc_at_k, acc_curve, aed_at
from homelib.pfli.baselines import (
    base_dist,
    fit_backstrom,
    fit_backstrom_bins,
    friend_pairs_by_distance,
)
from homelib.pfli.clusters import cluster_medoids, cluster_places, select_locations
from homelib.pfli.data import KM_PER_MILE, world_from_tables
from homelib.pfli.evaluation import acc_table, aed_table
from homelib.pfli.model import (
    PFLIConfig,
    PFLITrainingWarning,
    _fit_logistic,
    _items,
    _matrices,
    close_far_labels,
    indication_matrix,
    similarity_matrix,
)

# places: two pairs ~25 km apart, the rest far apart
PLACES = pd.DataFrame({"place_id": range(7),
                       "lat": [48.85, 48.70, 45.76, 45.90, 43.30, 50.63, 47.22],
                       "lon": [2.35, 2.55, 4.84, 4.70, 5.37, 3.06, -1.55]})


def random_world(seed: int = 0, n: int = 30, n_orgs: int = 4, p_edge: float = 0.2):
    """A small world with every visibility mixed (seeded)."""
    rng = np.random.default_rng(seed)
    n_pl = len(PLACES)
    us = pd.DataFrame({
        "user_id": range(n),
        "current_place": rng.integers(0, n_pl, n),
        "hometown": np.where(rng.random(n) < 0.85, rng.integers(0, n_pl, n), -1),
        "work": np.where(rng.random(n) < 0.8, rng.integers(0, n_orgs, n), -1),
        "current_visible": rng.random(n) < 0.6,
        "hometown_visible": rng.random(n) < 0.7,
        "work_visible": rng.random(n) < 0.6,
        "friends_visible": rng.random(n) < 0.75,
    })
    iu = np.triu_indices(n, 1)
    keep = rng.random(iu[0].size) < p_edge
    edges = np.column_stack([iu[0][keep], iu[1][keep]])
    return world_from_tables(PLACES, us, edges)


ATTR = {"HT": ("hometown", "hometown_visible"), "WE": ("work", "work_visible")}


def dense_values(w, k):
    col, vis = ATTR[k]
    v = w.users[col].to_numpy()
    return np.where(w.users[vis].to_numpy(bool) & (v >= 0), v, -1)


def dense_R(w, known, k, n_values):
    """R_k[l, j] = share of known users with value j living in l (loop by loop)."""
    vals, cur = dense_values(w, k), w.users.current_place.to_numpy()
    r = np.zeros((w.n_places, n_values))
    for j in range(n_values):
        users = [u for u in range(w.n_users) if known[u] and vals[u] == j]
        for u in users:
            r[cur[u], j] += 1.0 / len(users)
    return r


def dense_W(w, known, k, n_values, s):
    """w(i, j) over directed pairs (x shows its list, both known); returns a lookup."""
    vals, cur = dense_values(w, k), w.users.current_place.to_numpy()
    fv = w.users.friends_visible.to_numpy(bool)
    adj = w.adjacency.toarray()
    same, total = {}, {}
    n_same = n_tot = 0
    for x in range(w.n_users):
        for y in range(w.n_users):
            if adj[x, y] and fv[x] and known[x] and known[y]:
                key = (vals[x] if vals[x] >= 0 else n_values, vals[y] if vals[y] >= 0 else n_values)
                total[key] = total.get(key, 0) + 1
                same[key] = same.get(key, 0) + (cur[x] == cur[y])
                n_tot += 1
                n_same += cur[x] == cur[y]
    d = n_same / n_tot if n_tot else 0.0

    def look(i, j):
        key = (i if i >= 0 else n_values, j if j >= 0 else n_values)
        t, sm = total.get(key, 0), same.get(key, 0)
        return (sm + s * d) / (t + s) if t + s > 0 else d
    return look


def dense_raw(w, known, users, mu, nu, alpha, lam, s=1.0, hide=frozenset()):
    """PFLI Eq 5-6 for each user, loop by loop."""
    nv = {"HT": w.n_places, "WE": max(len(w.orgs), int(w.users.work.max()) + 1)}
    cur = w.users.current_place.to_numpy()
    fv = w.users.friends_visible.to_numpy(bool)
    adj = w.adjacency.toarray()
    out = np.zeros((len(users), w.n_places))
    for k in ("HT", "WE"):
        R = dense_R(w, known, k, nv[k])
        look = dense_W(w, known, k, nv[k], s)
        vals = dense_values(w, k)
        for row, u in enumerate(users):
            own = -1 if k in hide else vals[u]
            if own >= 0:
                out[row] += mu[k] * R[:, own]
            if not fv[u] or "F" in hide:
                continue
            for v in np.flatnonzero(adj[u]):
                if known[v]:
                    out[row, cur[v]] += nu[k] * look(own, vals[v])
                elif vals[v] >= 0:
                    out[row] += lam * alpha[k] * R[:, vals[v]]
    return out


WEIGHTS = {"mu": {"HT": 0.7, "WE": 1.9}, "nu": {"HT": 0.4, "WE": 2.3}, "alpha": {"HT": 1.3, "WE": 0.6}}


def weighted_model(w, known, lam=0.37, s=1.0):
    m = _matrices(w, known, PFLIConfig(lambda_alpha=lam, w_smoothing=s))
    m.mu, m.nu, m.alpha = dict(WEIGHTS["mu"]), dict(WEIGHTS["nu"]), dict(WEIGHTS["alpha"])
    return m


# --------------------------------------------------------------------------- R_k, W_k


@pytest.mark.parametrize("seed", [0, 1])
def test_indication_matrix_matches_a_loop(seed):
    w = random_world(seed)
    known = w.users.current_visible.to_numpy()
    vals = dense_values(w, "HT")
    cities = np.where(known, w.users.current_place.to_numpy(), -1)
    r = indication_matrix(vals, cities, w.n_places, w.n_places).toarray()
    np.testing.assert_allclose(r, dense_R(w, known, "HT", w.n_places), atol=1e-12)
    with pytest.raises(ValueError, match="values: value 7 >= n_values 7"):
        indication_matrix([7], [0], 7, 7)


@pytest.mark.parametrize("s", [0.0, 1.0, 2.5])
def test_similarity_matrix_matches_a_loop(s):
    w = random_world(2)
    known = w.users.current_visible.to_numpy()
    m = _matrices(w, known, PFLIConfig(w_smoothing=s))
    nv = w.n_places
    look = dense_W(w, known, "HT", nv, s)
    i = np.repeat(np.arange(-1, nv), nv + 1)
    j = np.tile(np.arange(-1, nv), nv + 1)
    got = m.W["HT"].lookup(i, j)
    np.testing.assert_allclose(got, [look(a, b) for a, b in zip(i, j, strict=True)], atol=1e-12)
    assert m.W["HT"].smoothing == s


def test_similarity_lookup_leave_out_and_defaults_by_hand():
    # pairs (0,1) same city, (0,2) not, (1,3) not: values 0, 0, 1, null
    W = similarity_matrix([0, 0, 1, -1, 0], [5, 5, 7, 6, -1],
                           np.array([[0, 1], [0, 2], [1, 3], [0, 4]]), 2, smoothing=2.0)
    # pair (0, 4) is ignored: user 4's city is unknown
    assert W.default == pytest.approx(1 / 3)
    assert W.lookup([0], [0])[0] == pytest.approx((1 + 2 / 3) / (1 + 2))
    assert W.lookup([0], [1])[0] == pytest.approx((0 + 2 / 3) / (1 + 2))
    assert W.lookup([0], [-1])[0] == pytest.approx((0 + 2 / 3) / (1 + 2))
    assert W.lookup([1], [1])[0] == pytest.approx(1 / 3)  # unseen: (0 + 2 d) / (0 + 2)
    # leave the (0, 0) pair out with a new default
    assert W.lookup([0], [0], [1.0], [1.0], default=0.2)[0] == pytest.approx((0 + 2 * 0.2) / (0 + 2))
    assert W.lookup([0], [1], [1.0], [0.0], default=[0.4])[0] == pytest.approx(0.4)
    raw = similarity_matrix([0, 0, 1, -1], [5, 5, 7, 6], np.array([[0, 1], [0, 2], [1, 3]]), 2)
    assert raw.lookup([0], [1])[0] == 0.0 and raw.lookup([1], [1])[0] == pytest.approx(1 / 3)
    # a cell emptied by the leave-out falls back on the default, not on 0/0
    assert raw.lookup([0], [1], [1.0], [0.0], default=0.3)[0] == pytest.approx(0.3)
    np.testing.assert_allclose(raw.to_sparse().toarray(),
                               [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(raw.to_sparse().toarray()[0, 2], 0.0)
    empty = similarity_matrix([0], [-1], np.zeros((0, 2)), 1, smoothing=1.0)
    assert empty.default == 0.0 and empty.lookup([0], [0])[0] == 0.0


# --------------------------------------------------------------------------- Eq 5-7


@pytest.mark.parametrize("seed", [0, 3])
def test_raw_scores_match_eq6_loop(seed):
    w = random_world(seed)
    known = w.users.current_visible.to_numpy()
    m = weighted_model(w, known)
    users = np.arange(w.n_users)
    ref = dense_raw(w, known, users, WEIGHTS["mu"], WEIGHTS["nu"], WEIGHTS["alpha"], 0.37)
    np.testing.assert_allclose(m.raw_scores(w, users).toarray(), ref, atol=1e-6)
    for hide in ({"HT"}, {"WE", "F"}):
        ref = dense_raw(w, known, users, WEIGHTS["mu"], WEIGHTS["nu"], WEIGHTS["alpha"], 0.37,
                        hide=hide)
        np.testing.assert_allclose(m.raw_scores(w, users, hide=hide).toarray(), ref, atol=1e-6)


def test_components_are_the_unweighted_pieces():
    w = random_world(4)
    known = w.users.current_visible.to_numpy()
    m = weighted_model(w, known)
    users = np.arange(w.n_users)
    comps = m.components(w, users)
    total = sum(m.mu[k] * comps[f"sigma_{k}"] + m.nu[k] * comps[f"delta_{k}"]
                + m.config.lambda_alpha * m.alpha[k] * comps[f"eta_{k}"] for k in ("HT", "WE"))
    np.testing.assert_allclose(total.toarray(), m.raw_scores(w, users).toarray(), atol=1e-6)
    one = {"HT": 1.0, "WE": 1.0}
    zero = {"HT": 0.0, "WE": 0.0}
    for name, (mu, nu, al) in {"sigma": (one, zero, zero), "delta": (zero, one, zero),
                               "eta": (zero, zero, one)}.items():
        lam = 1.0 if name == "eta" else 0.0
        for k in ("HT", "WE"):
            mk = {kk: (mu if kk == k else zero)[kk] for kk in one}
            nk = {kk: (nu if kk == k else zero)[kk] for kk in one}
            ak = {kk: (al if kk == k else zero)[kk] for kk in one}
            ref = dense_raw(w, known, users, mk, nk, ak, lam)
            np.testing.assert_allclose(comps[f"{name}_{k}"].toarray(), ref, atol=1e-6,
                                       err_msg=f"{name}_{k}")


def test_score_normalises_rows_and_uses_the_prior():
    w = random_world(5)
    known = w.users.current_visible.to_numpy()
    m = weighted_model(w, known)
    users = np.arange(w.n_users)
    raw = dense_raw(w, known, users, WEIGHTS["mu"], WEIGHTS["nu"], WEIGHTS["alpha"], 0.37)
    s, prior = m.score(w, users, return_prior=True)
    has = raw.sum(axis=1) > 0
    np.testing.assert_array_equal(prior, ~has)
    np.testing.assert_array_equal(m.has_evidence(w, users), has)
    np.testing.assert_allclose(s.toarray()[has], raw[has] / raw[has].sum(axis=1, keepdims=True),
                               atol=1e-6)
    # nothing shown: every row is the prior, the known users' city shares over the top cities
    s2 = m.score(w, users[:3], hide={"HT", "WE", "F"}).toarray()
    cur = w.users.current_place.to_numpy()[known]
    counts = np.bincount(cur, minlength=w.n_places).astype(float)
    top = np.argsort(-counts, kind="stable")[: m.config.prior_top]
    pri = np.zeros(w.n_places)
    pri[top] = counts[top]
    np.testing.assert_allclose(s2, np.tile(pri / pri.sum(), (3, 1)), atol=1e-12)
    np.testing.assert_allclose(m.prior, pri / pri.sum())
    assert isinstance(m.score(w, users[:2]), sp.csr_matrix)


def test_prior_keeps_only_the_top_cities():
    w = random_world(6, n=40)
    known = w.users.current_visible.to_numpy()
    m = _matrices(w, known, PFLIConfig(prior_top=2))
    cur = w.users.current_place.to_numpy()[known]
    counts = np.bincount(cur, minlength=w.n_places).astype(float)
    top = np.argsort(-counts, kind="stable")[:2]
    assert np.count_nonzero(m.prior) == 2
    np.testing.assert_allclose(m.prior[top], counts[top] / counts[top].sum())


@pytest.mark.parametrize("seed", [0, 7])
def test_loo_components_equal_a_model_without_the_user(seed):
    w = random_world(seed, n=30, p_edge=0.3)
    known = w.users.current_visible.to_numpy().copy()
    for s in (0.0, 1.0):
        cfg = PFLIConfig(w_smoothing=s)
        m = _matrices(w, known, cfg)
        users = np.flatnonzero(known)
        loo = m.components(w, users, loo=True)
        full = m.components(w, users)
        moved = dict.fromkeys(loo, False)
        for i, u in enumerate(users):
            k2 = known.copy()
            k2[u] = False
            ref = _matrices(w, k2, cfg).components(w, [u])
            for name, mat in loo.items():
                np.testing.assert_allclose(mat[i].toarray(), ref[name].toarray(), atol=1e-12,
                                           err_msg=f"{name} of user {u}, s={s}")
                moved[name] |= abs(mat[i] - full[name][i]).max() > 1e-9
        assert all(moved.values()), moved


# --------------------------------------------------------------------------- training pieces


def test_close_far_labels_inclusive_threshold():
    lat, lon = PLACES.lat.to_numpy(), PLACES.lon.to_numpy()
    d01 = haversine_km(lat[0], lon[0], lat[1], lon[1])
    truth, cols = np.array([0, 0, 0, 1]), np.array([0, 1, 2, 0])
    assert close_far_labels(lat, lon, truth, cols, d01).tolist() == [1, 1, 0, 1]
    assert close_far_labels(lat, lon, truth, cols, d01 - 1e-6).tolist() == [1, 0, 0, 0]
    assert close_far_labels(lat, lon, truth, cols, d01).dtype.kind == "i"


def test_items_merge_components_by_user_and_place():
    comps = {"a": sp.csr_matrix([[0.0, 0.5, 0.0], [0.2, 0.0, 0.0]]),
             "b": sp.csr_matrix([[0.0, 0.25, 0.75], [0.0, 0.0, 0.0]])}
    rows, cols, x = _items(comps, ["a", "b"], 3)
    assert rows.tolist() == [0, 0, 1] and cols.tolist() == [1, 2, 0]
    np.testing.assert_allclose(x, [[0.5, 0.25], [0.0, 0.75], [0.2, 0.0]])
    r2, c2, x2 = _items(comps, ["b"], 3)
    assert r2.tolist() == [0, 0] and c2.tolist() == [1, 2]
    np.testing.assert_allclose(x2, [[0.25], [0.75]])


def test_fit_logistic_weights_clipping_and_fallbacks():
    rng = np.random.default_rng(0)
    n = 400
    y = (rng.random(n) < 0.5).astype(int)
    good = y + rng.normal(0, 0.3, n) + 1.0          # informative, positive
    bad = (1 - y) + rng.normal(0, 0.3, n) + 1.0     # anti-informative: clipped
    x = np.column_stack([good, bad, np.zeros(n), good])
    with pytest.warns(PFLITrainingWarning, match="clipped to 0"):
        wts, info = _fit_logistic(x, y, ["g", "b", "z", "g2"], seed=0)
    assert wts["g"] > 1.0 and wts["b"] == 0.0 and wts["z"] == 0.0 and wts["g2"] == 0.0
    assert info["clipped"] == ["b"] and info["raw_coef"]["b"] < 0 < info["raw_coef"]["g"]
    assert set(info["dropped"]) == {"z", "g2"} and "identical to g" in info["dropped"]["g2"]
    assert info["n_items"] == info["n_used"] == n and info["share_close"] == pytest.approx(y.mean())
    assert info["fallback"] is None and info["intercept"] is not None
    with pytest.warns(PFLITrainingWarning, match="all close"):
        wts, info = _fit_logistic(x[:5], np.ones(5, int), ["g", "b", "z", "g2"], seed=0)
    assert wts == {"g": 1.0, "b": 1.0, "z": 0.0, "g2": 0.0} and "one class" in info["fallback"]
    with pytest.warns(PFLITrainingWarning, match="no feature has evidence"):
        wts, info = _fit_logistic(np.zeros((4, 1)), np.array([0, 1, 0, 1]), ["z"], seed=0)
    assert wts == {"z": 0.0} and info["fallback"].startswith("no feature")
    with pytest.warns(PFLITrainingWarning, match="no \\(user, location\\) training item"):
        wts, info = _fit_logistic(np.zeros((0, 2)), np.zeros(0, int), ["a", "b"], seed=0)
    assert wts == {"a": 0.0, "b": 0.0} and info["share_close"] is None
    with pytest.warns(PFLITrainingWarning):
        wts, info = _fit_logistic(x, y, ["g", "b", "z", "g2"], seed=0, max_items=100)
    assert info["n_used"] == 100 and info["n_items"] == n and wts["g"] > 0


# --------------------------------------------------------------------------- clusters, selectors


def test_upgma_labels_match_scipy_average_linkage():
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(43, 50, 25), rng.uniform(-1, 7, 25)
    for t in (60.0, 150.0):
        got = cluster_places(lat, lon, t)
        ref = fcluster(linkage(pairwise_haversine_km(lat, lon), "average"), t, "distance")
        # same partition, labelled 0..C-1 in order of first appearance
        first = pd.unique(ref)
        relab = np.array([np.flatnonzero(first == r)[0] for r in ref])
        assert got.tolist() == relab.tolist()
    assert cluster_places([48.0], [2.0], 10.0).tolist() == [0]
    with pytest.raises(ValueError, match="threshold_km must be positive; got 0"):
        cluster_places(lat, lon, 0)


def test_medoids_minimise_summed_distance():
    rng = np.random.default_rng(2)
    lat, lon = rng.uniform(43, 50, 20), rng.uniform(-1, 7, 20)
    cl = np.array([0] * 6 + [1] * 2 + [2] * 1 + [3] * 11)
    d = pairwise_haversine_km(lat, lon)
    from scipy.spatial.distance import squareform
    dd = squareform(d)
    ref = []
    for c in range(4):
        idx = np.flatnonzero(cl == c)
        ref.append(idx[np.argmin(dd[np.ix_(idx, idx)].sum(axis=1))] if idx.size > 2 else idx[0])
    assert cluster_medoids(lat, lon, cl).tolist() == ref


def dense_select(scores, lat, lon, cl, selector):
    """Cluster then location selection, loop by loop (ties -> smaller id)."""
    out = []
    for row in scores:
        if not (row > 0).any():
            out.append((-1, np.nan, np.nan, -1, np.nan))
            continue
        csum = np.bincount(cl, weights=row, minlength=cl.max() + 1)
        best = int(np.argmax(csum))
        inside = np.where(cl == best, row, -1.0)
        if selector == "prob":
            p = int(np.argmax(inside))
            out.append((p, lat[p], lon[p], best, csum[best]))
        elif selector == "noclst":
            p = int(np.argmax(row))
            out.append((p, lat[p], lon[p], cl[p], csum[cl[p]]))
        elif selector == "dist":
            p = cluster_medoids(lat, lon, cl)[best]
            out.append((p, lat[p], lon[p], best, csum[best]))
        else:  # cent
            m = (cl == best) & (row > 0)
            la, lo = np.radians(lat[m]), np.radians(lon[m])
            v = (row[m][:, None] * np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo),
                                                    np.sin(la)])).sum(axis=0)
            v = v / np.linalg.norm(v)
            out.append((-1, np.degrees(np.arcsin(v[2])), np.degrees(np.arctan2(v[1], v[0])), best,
                        csum[best]))
    return pd.DataFrame(out, columns=["pred_place", "pred_lat", "pred_lon", "cluster", "cluster_prob"])


@pytest.mark.parametrize("selector", ["prob", "noclst", "dist", "cent"])
def test_selectors_match_a_loop(selector):
    rng = np.random.default_rng(3)
    n_pl = 12
    lat, lon = rng.uniform(43, 50, n_pl), rng.uniform(-1, 7, n_pl)
    cl = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 4, 4])
    dense = np.where(rng.random((30, n_pl)) < 0.35, rng.random((30, n_pl)), 0.0)
    dense[0] = 0.0
    dense[1, [0, 5]] = 0.5          # tie between clusters 0 and 2: the smaller cluster wins
    dense[2, [3, 4]] = [0.2, 0.2]   # tie within a cluster: the smaller place wins
    pl = pd.DataFrame({"lat": lat, "lon": lon})
    got = select_locations(sp.csr_matrix(dense), pl, cl, selector)
    ref = dense_select(dense, lat, lon, cl, selector)
    assert got.user_index.tolist() == list(range(30))
    for col in ref:
        np.testing.assert_allclose(got[col].to_numpy(float), ref[col].to_numpy(float), atol=1e-9,
                                   err_msg=col)


def test_cmb_selector_gives_prob_and_centroid():
    rng = np.random.default_rng(4)
    lat, lon = rng.uniform(43, 50, 6), rng.uniform(-1, 7, 6)
    cl = np.array([0, 0, 1, 1, 1, 2])
    dense = np.where(rng.random((10, 6)) < 0.5, rng.random((10, 6)), 0.0)
    pl = pd.DataFrame({"lat": lat, "lon": lon})
    cmb = select_locations(sp.csr_matrix(dense), pl, cl, "cmb")
    prob = select_locations(sp.csr_matrix(dense), pl, cl, "prob")
    cent = select_locations(sp.csr_matrix(dense), pl, cl, "cent")
    pd.testing.assert_frame_equal(cmb[prob.columns], prob)
    np.testing.assert_allclose(cmb.cent_lat, cent.pred_lat)
    np.testing.assert_allclose(cmb.cent_lon, cent.pred_lon)
    with pytest.raises(ValueError, match="selector must be one of"):
        select_locations(sp.csr_matrix(dense), pl, cl, "max")
    with pytest.raises(ValueError, match="clusters must have length 6"):
        select_locations(sp.csr_matrix(dense), pl, cl[:5], "prob")


# --------------------------------------------------------------------------- Backstrom, Base_dist


def test_friend_pairs_by_distance_matches_a_loop():
    w = random_world(8, n=25)
    known = w.users.current_visible.to_numpy() | (np.arange(25) % 3 == 0)
    edges = np.array([0.0, 1e-6, 10, 30, 100, 300, 1000])
    t = friend_pairs_by_distance(w, known, edges)
    lat, lon = PLACES.lat.to_numpy(), PLACES.lon.to_numpy()
    cur = w.users.current_place.to_numpy()
    fv = w.users.friends_visible.to_numpy(bool)
    adj = w.adjacency.toarray()
    pairs, fr, dsum = np.zeros(6), np.zeros(6), np.zeros(6)
    for x in range(25):
        for y in range(x + 1, 25):
            if not (known[x] and known[y]):
                continue
            d = 0.0 if cur[x] == cur[y] else haversine_km(lat[cur[x]], lon[cur[x]], lat[cur[y]],
                                                           lon[cur[y]]) / KM_PER_MILE
            b = np.searchsorted(edges, d, side="right") - 1
            if fv[x] or fv[y]:
                pairs[b] += 1
                dsum[b] += d
                fr[b] += adj[x, y]
    np.testing.assert_allclose(t.user_pairs, pairs)
    np.testing.assert_allclose(t.friend_pairs, fr)
    np.testing.assert_allclose(t.d_mean_mi, np.where(pairs > 0, dsum / np.maximum(pairs, 1), np.nan))
    np.testing.assert_allclose(t.p_friend, np.where(pairs > 0, fr / np.maximum(pairs, 1), np.nan))
    np.testing.assert_allclose(t.d_low_mi, edges[:-1])
    np.testing.assert_allclose(t.d_high_mi, edges[1:])
    with pytest.raises(ValueError, match="bins_miles must be increasing"):
        friend_pairs_by_distance(w, known, [1.0, 2.0])


@pytest.mark.parametrize("abc", [(0.0019, 0.196, 1.05), (0.01, 2.0, 0.5), (0.003, 0.05, 2.2)])
def test_backstrom_fit_recovers_the_law(abc):
    a, b, c = abc
    d = np.array([0.0, 0.3, 1, 2, 5, 10, 30, 100, 300, 1000])
    n = np.full(d.size, 1e10)
    fa, fb, fc = fit_backstrom_bins(d, n * a * (d + b) ** -c, n)
    assert fa == pytest.approx(a, rel=1e-3)
    assert fb == pytest.approx(b, rel=1e-3)
    assert fc == pytest.approx(c, rel=1e-3)
    # bins without user pairs are ignored, bins without friend pairs are not
    fa2, fb2, fc2 = fit_backstrom_bins(np.append(d, 5000.0), np.append(n * a * (d + b) ** -c, 7.0),
                                       np.append(n, 0.0))
    assert (fa2, fb2, fc2) == pytest.approx((fa, fb, fc), rel=1e-6)
    nan = fit_backstrom_bins(d, np.zeros(d.size), n)
    assert all(np.isnan(nan))


def test_fit_backstrom_on_a_world_fills_the_bins():
    w = random_world(9, n=30, p_edge=0.3)
    known = np.ones(30, bool)
    fit = fit_backstrom(w, known, [0.0, 1e-6, 30, 100, 300, 1000])
    t = friend_pairs_by_distance(w, known, [0.0, 1e-6, 30, 100, 300, 1000])
    assert fit.ok and fit.n_friend_pairs == int(t.friend_pairs.sum())
    assert fit.n_user_pairs == pytest.approx(t.user_pairs.sum())
    ref = fit_backstrom_bins(t.d_mean_mi, t.friend_pairs, t.user_pairs)
    assert (fit.a, fit.b, fit.c) == pytest.approx(ref)
    np.testing.assert_allclose(fit.bins.p_fit, fit.a * (t.d_mean_mi + fit.b) ** -fit.c)


def test_base_dist_matches_a_loop():
    w = random_world(10, n=30, p_edge=0.3)
    known = w.users.current_visible.to_numpy()
    users = np.flatnonzero(~known)
    lat, lon = PLACES.lat.to_numpy(), PLACES.lon.to_numpy()
    cur = w.users.current_place.to_numpy()
    fv = w.users.friends_visible.to_numpy(bool)
    adj = w.adjacency.toarray()
    for a, b, c in [(0.0019, 0.196, 1.05), (0.01, 30.0, 3.0)]:
        got = base_dist(w, users, known, a, b, c)
        for u, g in zip(users, got, strict=True):
            cities = [cur[v] for v in np.flatnonzero(adj[u]) if known[v]] if fv[u] else []
            if not cities:
                assert g == -1
                continue
            cand = sorted(set(cities))
            ll = [sum(np.log(a) - c * np.log((0.0 if q == m else haversine_km(
                lat[q], lon[q], lat[m], lon[m]) / KM_PER_MILE) + b) for m in cities) for q in cand]
            assert g == cand[int(np.argmax(ll))], (u, a, b, c)
    assert (base_dist(w, users, known, 0.0, 1.0, 1.0) == -1).all()
    assert (base_dist(w, users, known, 0.01, -1.0, 1.0) == -1).all()
    assert (base_dist(w, users, known, np.nan, 1.0, 1.0) == -1).all()


# --------------------------------------------------------------------------- AED@p, ACC@K


def test_aed_and_acc_by_hand():
    e = [50.0, 10.0, 40.0, 20.0, 30.0, 1000.0, 0.0]
    assert aed_at(e, 1.0) == pytest.approx(1150 / 7)
    assert aed_at(e, 0.6) == pytest.approx((0 + 10 + 20 + 30 + 40) / 5)  # ceil(4.2) = 5
    assert aed_at(e, 5 / 7) == pytest.approx(100 / 5)  # exactly 5 users, not 6
    assert aed_at(e, 0.01) == 0.0
    assert acc_at_k(e, 10.0) == pytest.approx(1 / 7)  # strict: 10 km is not within 10 km
    assert acc_at_k(e, 10.0001) == pytest.approx(2 / 7)
    assert acc_curve(e, [10, 1000.5]).to_dict("list") == {"k_km": [10.0, 1000.5],
                                                           "acc": [1 / 7, 1.0]}
    for bad, match in [((e, 0.0), "p must be in"), ((e, 1.01), "p must be in"),
                       (([], 0.5), "no error distances"), (([1.0, np.nan], 0.5), "non-negative"),
                       (([-1.0], 0.5), "non-negative")]:
        with pytest.raises(ValueError, match=match):
            aed_at(*bad)
    with pytest.raises(ValueError, match="K must be positive; got 0"):
        acc_at_k(e, 0)
    with pytest.raises(ValueError, match="non-negative"):
        acc_at_k([-0.5], 10)


def test_aed_and_acc_tables_by_hand():
    pu = pd.DataFrame({"method": ["PFLI_prob"] * 4 + ["PFLI_cent"] * 4 + ["Base_freq"] * 4,
                       "error_km": [5.0, 30.0, 45.0, 500.0, 50.0, 35.0, 20.0, 90.0,
                                    0.0, 100.0, 200.0, 300.0],
                       "has_la_friends": [True, True, False, False] * 3})
    aed = aed_table(pu).set_index(["user_set", "method"])
    assert aed.loc[("overall", "PFLI_prob"), ["aed60", "aed80", "aed100"]].tolist() == pytest.approx(
        [(5 + 30 + 45) / 3, (5 + 30 + 45 + 500) / 4, (5 + 30 + 45 + 500) / 4])
    assert aed.loc[("with_la_friends", "Base_freq"), "aed60"] == pytest.approx(50.0)
    assert aed.loc[("overall", "PFLI_cmb"), "note"] == "prob predictions"
    assert aed.loc[("overall", "PFLI_cmb"), "aed60"] == aed.loc[("overall", "PFLI_prob"), "aed60"]
    assert aed.loc[("with_la_friends", "PFLI_cent"), "n_users"] == 2
    assert aed.loc[("overall", "Base_freq"), "note"] == ""
    acc = acc_table(pu, [10, 40, 50, 100]).set_index(["user_set", "method", "k_km"]).acc
    # cmb: prob errors below the 40 km switch, cent errors from 40 km on
    assert acc.loc[("overall", "PFLI_cmb", 10.0)] == pytest.approx(1 / 4)
    assert acc.loc[("overall", "PFLI_cmb", 40.0)] == pytest.approx(2 / 4)   # cent: 35, 20
    assert acc.loc[("overall", "PFLI_cmb", 50.0)] == pytest.approx(2 / 4)   # cent: strict < 50
    assert acc.loc[("with_la_friends", "PFLI_cmb", 100.0)] == pytest.approx(1.0)
    assert acc.loc[("overall", "Base_freq", 100.0)] == pytest.approx(1 / 4)
    acc30 = acc_table(pu, [35], PFLIConfig(cmb_switch_km=30.0)).set_index(["user_set", "method"]).acc
    assert acc30.loc[("overall", "PFLI_cmb")] == pytest.approx(1 / 4)  # cent: 20 only
    assert "PFLI_cmb" not in set(acc_table(pu[pu.method != "PFLI_cent"], [10]).method)


# --------------------------------------------------------------------------- exposure Eq 8-9, Table 3


def test_cluster_confidence_by_hand():
    s = np.array([[0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 0.0, 0.0], [2.0, 0.0, 1.0, 1.0]])
    cl = np.array([3, 3, 1, 7])
    np.testing.assert_allclose(cluster_confidence(s, cl), [0.4, 0.0, 0.5])
    np.testing.assert_allclose(cluster_confidence(sp.csr_matrix(s), cl), [0.4, 0.0, 0.5])
    with pytest.raises(ValueError, match="3 labels for 4 places"):
        cluster_confidence(s, cl[:3])
    with pytest.raises(ValueError, match="negative probability"):
        cluster_confidence(-s, cl)
    with pytest.raises(TypeError, match="1-d integer array"):
        cluster_confidence(s, cl.astype(float))


def test_ep_at_k_by_hand():
    t = pd.DataFrame({"g": ["b", "a", "a", "a", "b"], "error_km": [10.0, 0.0, 10.0, 300.0, 9.99]})
    out = ep_at_k(t, [100, 10], by=["g"])
    assert out.g.tolist() == ["a", "a", "b", "b"] and out.k_km.tolist() == [10, 100, 10, 100]
    assert out.n_users.tolist() == [3, 3, 2, 2]
    assert out.n_exposed.tolist() == [1, 2, 1, 2]   # strict: 10 km is not exposed at K = 10
    np.testing.assert_allclose(out.ep, [1 / 3, 2 / 3, 1 / 2, 1.0])
    assert list(out.columns) == ["g", "k_km", "n_users", "n_exposed", "ep"]
    one = ep_at_k(t, 50)
    assert one.to_dict("list") == {"k_km": [50.0], "n_users": [5], "n_exposed": [4], "ep": [0.8]}
    # two error columns: prob below the switch, cent from it on
    t2 = pd.DataFrame({"error_prob_km": [5.0, 50.0], "error_cent_km": [60.0, 20.0]})
    assert ep_at_k(t2, [10, 40, 100], switch_km=40).ep.tolist() == [0.5, 0.5, 1.0]
    assert ep_at_k(t2, [30], switch_km=20).ep.tolist() == [0.5]
    for kwargs, match in [({"by": ["h"]}, "not in the user table"), ({"ks": []}, "no error distance")]:
        with pytest.raises(ValueError, match=match):
            ep_at_k(t, **({"ks": [10]} | kwargs))
    with pytest.raises(ValueError, match="no users"):
        ep_at_k(t.iloc[:0], [10])
    with pytest.raises(ValueError, match="missing or negative"):
        ep_at_k(t.assign(error_km=[-1.0, 0, 0, 0, 0]), [10])
    with pytest.raises(ValueError, match="needs error_km"):
        ep_at_k(t.drop(columns="error_km"), [10])


def test_risk_levels_of_table_3():
    assert risk_levels([0.0, 0.2499, 0.25, 0.4999, 0.5, 0.7499, 0.75, 0.8999, 0.9, 1.0]).tolist() == [
        1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert risk_levels([0.3]).dtype == np.int64 and risk_level(0.883) == 4
    assert [risk_band(k) for k in (1, 2, 3, 4, 5)] == [(0.0, 0.25), (0.25, 0.5), (0.5, 0.75),
                                                       (0.75, 0.9), (0.9, 1.0)]
    for bad in (-0.01, 1.01, np.nan):
        with pytest.raises(ValueError, match="outside \\[0, 1\\]"):
            risk_levels([0.5, bad])
    with pytest.raises(ValueError, match="outside the risk levels"):
        risk_band(6)
    with pytest.raises(ValueError, match="outside the risk levels"):
        risk_band(0)
    with pytest.raises(TypeError, match="must be an integer risk level"):
        risk_band(True)
    with pytest.raises(TypeError, match="must be an integer risk level"):
        risk_band(2.0)


# --------------------------------------------------------------------------- edge cases found by mutation testing


def test_similarity_to_sparse_ratios_off_the_diagonal():
    # cells (0, 1): 1 of 2 pairs same city; (1, null): 1 of 1; (null, 0): 1 of 2
    W = similarity_matrix([0, 1, 1, -1, 0], [5, 5, 7, 5, 8],
                          np.array([[0, 1], [0, 2], [1, 3], [3, 4], [3, 0]]), 2)
    np.testing.assert_allclose(W.to_sparse().toarray(),
                               [[0.0, 0.5, 0.0], [0.0, 0.0, 1.0], [0.5, 0.0, 0.0]])
    assert W.to_sparse().nnz == 3


def test_items_ignore_stored_zeros_and_give_int_ids():
    a = sp.csr_matrix((np.array([0.0, 0.5]), (np.array([0, 1]), np.array([2, 0]))), shape=(2, 3))
    assert a.nnz == 2  # the stored zero is kept by the constructor
    rows, cols, x = _items({"a": a}, ["a"], 3)
    assert rows.tolist() == [1] and cols.tolist() == [0] and x.tolist() == [[0.5]]
    assert rows.dtype == np.int64 and cols.dtype == np.int64


def test_close_far_labels_accept_float_ids():
    lat, lon = PLACES.lat.to_numpy(), PLACES.lon.to_numpy()
    got = close_far_labels(lat, lon, np.array([0.0, 0.0]), np.array([1.0, 2.0]), 100.0)
    assert got.tolist() == [1, 0]


def test_cluster_confidence_edge_cases():
    cl = np.array([0, 0, 1])
    # a stored zero is a valid probability, not a negative one
    s = sp.csr_matrix((np.array([0.0, 0.5, 0.5]), (np.array([0, 0, 0]), np.array([0, 1, 2]))),
                      shape=(1, 3))
    np.testing.assert_allclose(cluster_confidence(s, cl), [0.5])
    assert cluster_confidence(np.zeros((0, 3)), cl).shape == (0,)
    assert cluster_confidence(sp.csr_matrix((0, 3)), cl).shape == (0,)
    with pytest.raises(TypeError, match="^clusters: expected a 1-d integer array"):
        cluster_confidence(np.ones((1, 3)), cl.astype(float))


def test_acc_curve_has_float_ks():
    t = acc_curve([5.0, 50.0], [10, 100])
    assert t.k_km.dtype == np.float64 and t.acc.tolist() == [0.5, 1.0]


def test_risk_messages_and_non_numbers():
    from homelib.exposure.risk import _check_level

    with pytest.raises(ValueError, match="^level = 6 is outside the risk levels 1-5$"):
        risk_band(6)
    with pytest.raises(TypeError, match="^level = 2.0 must be an integer"):
        risk_band(2.0)
    with pytest.raises(ValueError, match="^target_level = 7 is outside"):
        _check_level(7)
    with pytest.raises(ValueError, match="^exposure_probability = .*nan.* is outside"):
        risk_levels([0.5, None])
    assert risk_levels([0, 1]).tolist() == [1, 5]


def test_fit_logistic_records_every_field():
    rng = np.random.default_rng(1)
    n = 300
    y = (rng.random(n) < 0.4).astype(int)
    small = 0.2 * y + rng.uniform(0.01, 0.3, n)  # informative, every value below 1
    wts, info = _fit_logistic(small[:, None], y, ["s"], seed=0)
    assert set(info) == {"features", "n_items", "n_used", "share_close", "dropped", "clipped",
                         "fallback", "raw_coef", "intercept"}
    assert info["dropped"] == {} and info["clipped"] == [] and info["fallback"] is None
    assert set(info["raw_coef"]) == {"s"} and wts["s"] == info["raw_coef"]["s"] > 0
    assert isinstance(info["intercept"], float)
    with pytest.warns(PFLITrainingWarning):
        _, info = _fit_logistic(np.zeros((0, 1)), np.zeros(0, int), ["s"], seed=0)
    assert info["fallback"] == "no training item: every weight 0" and set(info) >= {"clipped"}
    with pytest.warns(PFLITrainingWarning):
        _, info = _fit_logistic(np.column_stack([small, np.zeros(n)]), np.ones(n, int), ["s", "z"], 0)
    assert info["dropped"] == {"z": "no evidence (zero on every item)"}


# --------------------------------------------------------------------------- survivors of the sampled run (mut3)


def test_fit_logistic_one_class_fallback_messages():
    # a single item (y[0] is the only label) and each class: the exact fallback and warning
    x = np.array([[0.5, 0.0]])
    with pytest.warns(PFLITrainingWarning, match=r"^PFLI weights: the training items are all close;"):
        wts, info = _fit_logistic(x, np.ones(1, int), ["a", "z"], seed=0)
    assert info["fallback"] == "one class only (all close): kept weights 1"
    assert wts == {"a": 1.0, "z": 0.0}
    with pytest.warns(PFLITrainingWarning, match=r"^PFLI weights: the training items are all far;"):
        _, info = _fit_logistic(np.array([[0.5], [0.2]]), np.zeros(2, int), ["a"], seed=0)
    assert info["fallback"] == "one class only (all far): kept weights 1"


def test_matrices_start_with_unit_weights_and_count_the_pairs():
    w = random_world(3, n=20, p_edge=0.3)
    known = w.users.current_visible.to_numpy().copy()
    m = _matrices(w, known, PFLIConfig())
    assert m.alpha == m.mu == m.nu == {"HT": 1.0, "WE": 1.0}
    cur = w.users.current_place.to_numpy()
    np.testing.assert_array_equal(m.city, np.where(known, cur, -1))  # -1 marks an unknown city
    fv = w.users.friends_visible.to_numpy(bool)
    adj = w.adjacency.toarray()
    n_pairs = sum(bool(adj[x, y] and fv[x] and known[x] and known[y])
                  for x in range(20) for y in range(20))
    assert n_pairs > 2 and m.train_info == {"n_pairs_W": n_pairs}


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_loo_components_one_user_at_a_time_in_tiny_worlds(seed):
    # tiny worlds: a user may have a single known friend (one W pair) and W few pairs in all
    w = random_world(seed, n=8, p_edge=0.35)
    known = w.users.current_visible.to_numpy().copy()
    m = _matrices(w, known, PFLIConfig(w_smoothing=1.0))
    for u in np.flatnonzero(known):
        k2 = known.copy()
        k2[u] = False
        ref = _matrices(w, k2, PFLIConfig(w_smoothing=1.0)).components(w, [u])
        loo = m.components(w, [u], loo=True)
        for name, mat in loo.items():
            np.testing.assert_allclose(mat.toarray(), ref[name].toarray(), atol=1e-12,
                                       err_msg=f"{name} of user {u}")


def test_has_evidence_respects_hide():
    w = random_world(4, n=30, p_edge=0.3)
    known = w.users.current_visible.to_numpy().copy()
    m = _matrices(w, known, PFLIConfig())
    users = np.flatnonzero(~known)
    assert m.has_evidence(w, users).any()
    assert not m.has_evidence(w, users, hide={"HT", "WE", "F"}).any()


def test_cluster_labels_are_int64():
    one = cluster_places([48.85], [2.35], 25.0)
    assert one.dtype == np.int64 and one.tolist() == [0]
    lab = cluster_places(PLACES.lat, PLACES.lon, 40.0)
    assert lab.dtype == np.int64


def test_row_argmax_unsorted_rows_and_nan_scores():
    from homelib.pfli.clusters import _row_argmax

    # rows out of order: row 0 at positions 1, 3 (tie 0.2: the smaller tie wins), row 1 at 0, 2
    got = _row_argmax(np.array([1, 0, 1, 0]), np.array([0.5, 0.2, 0.9, 0.2]),
                      np.array([0, 3, 2, 1]), 3)
    assert got.tolist() == [3, 2, -1]
    # sorted rows with a NaN score: NaN is never the maximum
    got = _row_argmax(np.array([0, 0, 1]), np.array([np.nan, 1.0, 2.0]), np.zeros(3, int), 2)
    assert got.tolist() == [1, 2]


def test_weighted_centroid_keeps_trailing_empty_rows():
    from homelib.pfli.clusters import _weighted_centroid

    clat, clon = _weighted_centroid(np.array([0, 0]), np.array([1.0, 1.0]),
                                    np.array([10.0, 10.0]), np.array([20.0, 20.0]), 3)
    np.testing.assert_allclose(clat[:1], [10.0])
    np.testing.assert_allclose(clon[:1], [20.0])
    assert np.isnan(clat[1:]).all() and np.isnan(clon[1:]).all()


def test_friend_pairs_single_bin_and_single_pair_bins():
    w = random_world(8, n=25)
    known = np.ones(25, bool)
    one = friend_pairs_by_distance(w, known, [0.0, 5000.0])  # one bin is a valid binning
    assert len(one) == 1
    # a bin holding exactly one user pair: its mean distance is that pair's distance
    lat, lon = PLACES.lat.to_numpy(), PLACES.lon.to_numpy()
    us = pd.DataFrame({"user_id": [0, 1], "current_place": [0, 2], "hometown": [-1, -1],
                       "work": [-1, -1], "current_visible": [True, True],
                       "hometown_visible": [False, False], "work_visible": [False, False],
                       "friends_visible": [True, True]})
    w2 = world_from_tables(PLACES, us, np.array([[0, 1]]))
    t = friend_pairs_by_distance(w2, np.ones(2, bool), [0.0, 1e-6, 10_000.0])
    d = haversine_km(lat[0], lon[0], lat[2], lon[2]) / KM_PER_MILE
    assert t.user_pairs.tolist() == [0, 1] and t.friend_pairs.tolist() == [0, 1]
    assert np.isnan(t.d_mean_mi[0]) and t.d_mean_mi[1] == pytest.approx(d)


def test_fit_backstrom_bins_gives_no_solver_warning():
    import warnings

    from scipy.optimize import OptimizeWarning

    d = np.array([0.0, 0.3, 1, 2, 5, 10, 30, 100, 300, 1000])
    n = np.full(d.size, 1e10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", OptimizeWarning)  # e.g. an unknown solver option
        fit_backstrom_bins(d, n * 0.0019 * (d + 0.196) ** -1.05, n)


@pytest.mark.filterwarnings("ignore:divide by zero encountered in log")
def test_base_dist_fits_the_law_itself_and_accepts_b_zero():
    w = random_world(10, n=30, p_edge=0.3)
    known = w.users.current_visible.to_numpy()
    users = np.flatnonzero(~known)
    fit = fit_backstrom(w, known)
    assert fit.ok
    np.testing.assert_array_equal(base_dist(w, users, known),
                                  base_dist(w, users, known, fit.a, fit.b, fit.c))
    cur = w.users.current_place.to_numpy()
    fv = w.users.friends_visible.to_numpy(bool)
    adj = w.adjacency.toarray()
    got = base_dist(w, users, known, 0.01, 0.0, 1.0)  # b = 0 is a valid law (log(0) at d = 0)
    assert (got >= 0).any()
    for u, g in zip(users, got, strict=True):
        cities = [cur[v] for v in np.flatnonzero(adj[u]) if known[v]] if fv[u] else []
        if cities and len(set(cities)) == 1:
            assert g == cities[0]


def test_aed_and_acc_tables_keep_the_methods_in_order_of_appearance():
    pu = pd.DataFrame({"method": ["PFLI_prob"] * 2 + ["Base_freq"] * 2 + ["PFLI_cent"] * 2,
                       "error_km": [5.0, 30.0, 45.0, 500.0, 50.0, 35.0],
                       "has_la_friends": [True, False] * 3})
    overall = aed_table(pu).query("user_set == 'overall'").method.tolist()
    assert overall == ["PFLI_prob", "PFLI_cmb", "Base_freq", "PFLI_cent"]
    acc = acc_table(pu, ks=[10.0]).query("user_set == 'overall'")
    assert acc.method.drop_duplicates().tolist() == ["PFLI_prob", "Base_freq", "PFLI_cent",
                                                     "PFLI_cmb"]


def test_error_messages_are_exact():
    with pytest.raises(ValueError, match=r"^error distances must be non-negative numbers$"):
        aed_at([-1.0], 0.5)
    t = pd.DataFrame({"error_km": [1.0]})
    with pytest.raises(ValueError, match=r"^user table: no users$"):
        ep_at_k(t.iloc[:0], [10])


def test_ep_at_k_by_a_categorical_column_keeps_only_observed_groups():
    t = pd.DataFrame({"g": pd.Categorical(["a", "b", "a"], categories=["a", "b", "c"]),
                      "error_km": [5.0, 50.0, 500.0]})
    out = ep_at_k(t, [10], by=["g"])
    assert out.g.astype(str).tolist() == ["a", "b"]
    assert out.n_users.tolist() == [2, 1] and out.ep.tolist() == [0.5, 0.0]
