"""Tests of homelib.pfli.scale (PFLI partitioned by users on Dask), of the 10x path of the
social world, and of the component-wise UPGMA of homelib.pfli.clusters."""

import hashlib

import fastcluster
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.cluster.hierarchy import fcluster

from homelib.geo import haversine_km, pairwise_haversine_km
from homelib.pfli import clusters as _clusters
from homelib.pfli import scale
from homelib.pfli.clusters import SELECTORS, cluster_places, select_locations
from homelib.pfli.evaluation import evaluate_pfli
from homelib.pfli.model import PFLIConfig, fit_pfli
from homelib.pfli.world import SocialConfig, build_social_world

SMALL = SocialConfig(n_users=2500, n_places=80, n_multi_orgs=5)


@pytest.fixture(scope="module")
def fitted():
    world = build_social_world(SMALL, seed=5)
    known = world.users["current_visible"].to_numpy(bool).copy()
    known[::3] = False  # a third of the LA users become test users
    model = fit_pfli(world, known=known, config=PFLIConfig(train_users=500), seed=2)
    clusters = cluster_places(world.places["lat"], world.places["lon"], 100.0)
    return world, model, clusters


def _reference(model, world, users, clusters, selector):
    """PFLIModel.score on all the users at once, then select_locations: the plain path."""
    return select_locations(model.score(world, users), world.places, clusters, selector)


@pytest.fixture(scope="module")
def users(fitted):
    world = fitted[0]
    rng = np.random.default_rng(0)
    return rng.permutation(world.n_users)[:1700]  # not sorted, not all users


def test_single_process_equals_score_and_select(fitted, users):
    world, model, clusters = fitted
    pred = scale.predict_users(model, world, users, clusters, selectors=SELECTORS, partition_size=333)
    assert pred.info["n_partitions"] == 6
    np.testing.assert_array_equal(pred.users, users)
    _, prior = model.score(world, users, return_prior=True)
    np.testing.assert_array_equal(pred.prior, prior)
    for s in SELECTORS:
        pd.testing.assert_frame_equal(pred.selections[s], _reference(model, world, users, clusters, s),
                                      check_exact=True)


def _check_same(got, ref, model, world, users, clusters):
    np.testing.assert_array_equal(got.users, users)
    np.testing.assert_array_equal(got.prior, ref.prior)
    np.testing.assert_array_equal(got.has_la_friends, ref.has_la_friends)
    for s in SELECTORS:
        pd.testing.assert_frame_equal(got.selections[s], ref.selections[s], check_exact=True)
        pd.testing.assert_frame_equal(got.selections[s], _reference(model, world, users, clusters, s),
                                      check_exact=True)


def test_dask_processes_with_one_and_two_workers_equal_single_process(fitted, users):
    """Worker processes (the default): one worker, then the same cluster scaled to two."""
    world, model, clusters = fitted
    ref = scale.predict_users(model, world, users, clusters, selectors=SELECTORS, partition_size=400)
    with scale.dask_client(n_workers=1, processes=True) as client:
        for k in (1, 2):
            client.cluster.scale(k)
            client.wait_for_workers(k)
            got = scale.predict_users_dask(model, world, users, clusters, selectors=SELECTORS,
                                           partition_size=250, scheduler=client, max_in_flight=3)
            assert got.info["n_workers"] == k and got.info["n_partitions"] == 7
            assert len(got.info["worker_peak_rss"]) == k
            assert all(v > 0 for v in got.info["worker_peak_rss"].values())
            _check_same(got, ref, model, world, users, clusters)


def test_dask_threads_equal_single_process(fitted, users):
    world, model, clusters = fitted
    ref = scale.predict_users(model, world, users, clusters, selectors=SELECTORS, partition_size=400)
    got = scale.predict_users_dask(model, world, users, clusters, selectors=SELECTORS,
                                   partition_size=250, n_workers=2, processes=False)
    assert got.info["n_workers"] == 2 and got.info["max_in_flight"] == 4
    _check_same(got, ref, model, world, users, clusters)


def test_scheduler_address_runs_the_same_code(fitted, users):
    from distributed import LocalCluster

    world, model, clusters = fitted
    ref = scale.predict_users(model, world, users[:500], clusters)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        got = scale.predict_users_dask(model, world, users[:500], clusters,
                                       scheduler=cluster.scheduler_address, partition_size=200)
        assert got.info["scheduler"] == cluster.scheduler_address
    for s in scale.EVALUATION_SELECTORS:
        pd.testing.assert_frame_equal(got.selections[s], ref.selections[s], check_exact=True)


def test_context_is_broadcast_once_and_results_are_small(fitted, users):
    """Workers hold one copy of the model, however many partitions they score."""
    from distributed import Client, LocalCluster

    world, model, clusters = fitted
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        seen = []
        orig = client.scatter

        def spy(data, **kw):
            seen.append((type(data).__name__, kw.get("broadcast", False)))
            return orig(data, **kw)

        client.scatter = spy
        pred = scale.predict_users_dask(model, world, users, clusters, scheduler=client,
                                        partition_size=100)
    contexts = [b for name, b in seen if name == "_Context"]
    parts = [b for name, b in seen if name == "_Partition"]
    assert contexts == [True]  # one broadcast of the fitted model
    assert len(parts) == pred.info["n_partitions"] == 17 and not any(parts)
    for df in pred.selections.values():  # per-user arrays, no score matrix
        assert len(df) == users.size
        assert not any(isinstance(v, sp.spmatrix) for v in df.iloc[0])


def test_bad_input(fitted):
    world, model, clusters = fitted
    with pytest.raises(ValueError, match="appears more than once"):
        scale.predict_users(model, world, [3, 3], clusters)
    with pytest.raises(ValueError, match="unknown user id 99999"):
        scale.predict_users(model, world, [1, 99999], clusters)
    with pytest.raises(TypeError, match="integer user ids"):
        scale.predict_users(model, world, [True, False], clusters)
    with pytest.raises(ValueError, match="selectors must be"):
        scale.predict_users(model, world, [1], clusters, selectors=["best"])
    with pytest.raises(ValueError, match="partition_size"):
        scale.predict_users(model, world, [1], clusters, partition_size=0)
    with pytest.raises(ValueError, match="one label per place"):
        scale.predict_users(model, world, [1], clusters[:-1])
    other = build_social_world(SocialConfig(n_users=300, n_places=20, n_multi_orgs=3), seed=0)
    with pytest.raises(ValueError, match="another size"):
        scale.predict_users(model, other, [1], np.zeros(20, int))
    with pytest.raises(TypeError, match="scheduler"):
        scale.predict_users_dask(model, world, [1], clusters, scheduler=8786)
    with pytest.raises(ValueError, match="n_workers"):
        scale.predict_users_dask(model, world, [1], clusters, n_workers=0)


def test_prediction_table_errors_by_hand(fitted, users):
    world, model, clusters = fitted
    pred = scale.predict_users(model, world, users[:50], clusters)
    t = scale.prediction_table(world, pred)
    assert list(t.method.unique()) == list(scale.PFLI_METHODS)
    truth = world.users.current_place.to_numpy()[users[:50]]
    lat, lon = world.places.lat.to_numpy(), world.places.lon.to_numpy()
    cmb = pred.selections["cmb"]
    cent = t[t.method == "PFLI_cent"]
    np.testing.assert_allclose(cent.error_km, haversine_km(lat[truth], lon[truth], cmb.cent_lat,
                                                           cmb.cent_lon))
    prob = t[t.method == "PFLI_prob"]
    np.testing.assert_array_equal(prob.pred_lat, lat[cmb.pred_place])
    assert (prob.error_km[prob.pred_lat.to_numpy() == lat[truth]] < 1e-6).all()
    # cluster confidence (Eq 9) is the probability mass of the selected cluster
    s = model.score(world, users[:50]).toarray()
    mass = np.array([s[i, clusters == cmb.cluster[i]].sum() for i in range(50)])
    np.testing.assert_allclose(prob.cluster_prob, mass, rtol=1e-12)
    with pytest.raises(ValueError, match="selector"):
        scale.prediction_table(world, scale.predict_users(model, world, [1], clusters,
                                                          selectors=["prob"]))


def test_evaluation_equals_evaluate_pfli():
    w = build_social_world(SocialConfig(n_users=1500, n_places=50, n_multi_orgs=4), seed=7)
    cfg = PFLIConfig(train_users=300)
    ref = evaluate_pfli(w, config=cfg, folds=2, seed=3, ks=[10, 100], ln_users=40)
    got = scale.evaluate_pfli_dask(w, config=cfg, folds=2, seed=3, ks=[10, 100], ln_users=40,
                                   n_workers=2, processes=False, partition_size=150)
    cols = list(got.per_user.columns)
    for mine, theirs in ((got.per_user, ref.per_user), (got.ln_per_user, ref.ln_per_user)):
        theirs = theirs[theirs.method.isin(list(scale.PFLI_METHODS))]
        key = ["method", "user_id"]
        a = mine.sort_values(key).reset_index(drop=True)
        b = theirs[[c for c in cols if c in theirs]].sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(a[b.columns], b, check_exact=True)
    aed = ref.aed[ref.aed.method.isin(got.aed.method)].reset_index(drop=True)
    pd.testing.assert_frame_equal(got.aed.sort_values(["user_set", "method"]).reset_index(drop=True),
                                  aed.sort_values(["user_set", "method"]).reset_index(drop=True))
    assert len(got.models) == 3


def test_memory_monitor_sees_an_allocation():
    with scale.MemoryMonitor(interval=0.01) as mon:
        x = np.ones(50_000_000)  # 400 MB
        x[::4096] = 2.0
        del x
    assert mon.driver_peak - mon.baseline > 300e6
    assert mon.total_peak >= mon.driver_peak
    with pytest.raises(ValueError, match="interval"):
        scale.MemoryMonitor(interval=0)


# ----------------------------------------------------------------------------- UPGMA


def _upgma_all_pairs(lat, lon, t):
    """UPGMA over the full condensed matrix (the implementation before issue 14)."""
    z = fastcluster.linkage(pairwise_haversine_km(lat, lon), method="average")
    lab = fcluster(z, t=t, criterion="distance")
    _, first, inv = np.unique(lab, return_index=True, return_inverse=True)
    return np.argsort(np.argsort(first))[inv]


@pytest.mark.parametrize("seed,n,t", [(0, 600, 100.0), (1, 900, 25.0), (2, 400, 800.0),
                                      (3, 300, 5000.0), (4, 2, 10.0)])
def test_upgma_by_components_equals_all_pairs(seed, n, t):
    rng = np.random.default_rng(seed)
    # clumps of places (cities around a few centres) plus scattered ones, and one duplicate
    centres = rng.uniform([-40, -120], [60, 140], size=(8, 2))
    pick = rng.integers(0, 8, n)
    lat = np.clip(centres[pick, 0] + rng.normal(0, 1.5, n), -89, 89)
    lon = np.clip(centres[pick, 1] + rng.normal(0, 2.0, n), -179, 179)
    lat[-1], lon[-1] = lat[0], lon[0]
    np.testing.assert_array_equal(cluster_places(lat, lon, t), _upgma_all_pairs(lat, lon, t))


def test_upgma_by_components_on_world_places():
    w = build_social_world(SocialConfig.scaled(0.0538, n_users=200), seed=0)
    lat, lon = w.places.lat.to_numpy(), w.places.lon.to_numpy()
    for t in (50.0, 100.0, 300.0):
        np.testing.assert_array_equal(cluster_places(lat, lon, t), _upgma_all_pairs(lat, lon, t))


# ----------------------------------------------------------------------------- the world


def world_hash(w) -> str:
    """Hash of everything a world holds (places, users, edges, adjacency, orgs, stats)."""
    h = hashlib.sha256()
    for df in (w.places, w.users):
        h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
        h.update(repr(list(df.dtypes)).encode())
    h.update(w.edges.tobytes())
    h.update(str(w.edges.dtype).encode())
    for x in (w.adjacency.data, w.adjacency.indices, w.adjacency.indptr):
        h.update(x.tobytes())
    h.update(repr(w.orgs.to_dict("list")).encode())
    h.update(repr(sorted(w.stats.items())).encode())
    return h.hexdigest()[:16]


# Hashes of worlds built by main at 82b9e24, before the 10x path was added.
PINNED = [
    (SocialConfig(n_users=1500, n_places=60, n_multi_orgs=4), 3, "8f8ed5b53d44feb1"),
    (SocialConfig.scaled(0.02), 1, "cb07cecda719cc13"),
]


@pytest.mark.parametrize("cfg,seed,expected", PINNED)
def test_default_scale_world_is_byte_identical(cfg, seed, expected):
    assert world_hash(build_social_world(cfg, seed=seed)) == expected


def test_scaled_configs_unchanged_up_to_paper_scale():
    for s, (n, n_pl, n_multi) in {0.01: (3719, 407, 13), 0.0538: (20009, 1437, 45),
                                  0.25: (92978, 4548, 141), 1.0: (371913, 12863, 400)}.items():
        c = SocialConfig.scaled(s)
        assert (c.n_users, c.n_places, c.n_multi_orgs) == (n, n_pl, n_multi)


def test_scaled_config_above_paper_scale_keeps_the_places():
    c = SocialConfig.scaled(10)
    assert (c.n_users, c.n_places, c.n_multi_orgs) == (3_719_130, 12_863, 400)
    assert SocialConfig.scaled(3, n_users=1000).n_users == 1000
    with pytest.raises(ValueError, match="scale must be in"):
        SocialConfig.scaled(10.5)


def test_parquet_round_trip_in_chunks(tmp_path):
    from homelib.pfli.world import read_social_world_parquet, write_social_world_parquet

    w = build_social_world(SMALL, seed=5)
    folder = write_social_world_parquet(w, tmp_path / "w", chunk_rows=700)
    import pyarrow.parquet as pq

    assert pq.ParquetFile(folder / "edges.parquet").num_row_groups == -(-len(w.edges) // 700)
    r = read_social_world_parquet(folder)
    assert world_hash(r) == world_hash(w)
    assert r.config == w.config
    with pytest.raises(FileExistsError, match="already exists"):
        write_social_world_parquet(w, folder)
    (folder / "meta.json").write_text((folder / "meta.json").read_text().replace(
        f'"n_edges": {len(w.edges)}', f'"n_edges": {len(w.edges) + 1}'))
    with pytest.raises(ValueError, match="edges but meta.json says"):
        read_social_world_parquet(folder)
    (folder / "orgs.parquet").unlink()
    with pytest.raises(FileNotFoundError, match="orgs.parquet"):
        read_social_world_parquet(folder)


# ----------------------------------------------------------------------------- the chapter


def test_growth_exponent_by_hand():
    from homelib.pfli.scale.report import growth_exponent

    assert growth_exponent([1e3, 1e4, 1e5], [2.0, 20.0, 200.0])["verdict"] == "linear"
    g = growth_exponent([1e3, 1e4, 1e5], [1.0, 100.0, 1e4])
    assert g["slope"] == pytest.approx(2.0) and g["verdict"] == "faster than linear"
    assert growth_exponent([1, 100], [5.0, 6.0])["verdict"] == "slower than linear"
    # 1.14 is linear within the default tolerance, 1.16 is not
    assert growth_exponent([1, 10], [1, 10**1.14])["verdict"] == "linear"
    assert growth_exponent([1, 10], [1, 10**1.16])["verdict"] == "faster than linear"
    with pytest.raises(ValueError, match="two distinct x"):
        growth_exponent([5, 5], [1, 2])


def test_measure_scaling_small_worlds():
    from homelib.pfli.scale import experiment, report

    run = experiment.measure_scaling([0.002, 0.004], seed=1, n_workers=[1, 2], processes=False,
                                     partition_size=300, config=PFLIConfig(train_users=200))
    r = run.runs
    assert list(r.path.unique()) == [experiment.SINGLE, "Dask, 1 worker", "Dask, 2 workers"]
    assert r.identical.all() and (r.seconds > 0).all()
    assert list(run.worlds.n_users) == [744, 1488]
    assert set(run.startup) == {"Dask, 1 worker", "Dask, 2 workers"}
    g = report.growth_table(run)
    assert len(g) == 3 and set(g.verdict) <= {"linear", "faster than linear", "slower than linear"}
    t = report.book_vs_paper(run, pd.DataFrame({"key": ["users_crawled", "candidate_locations"],
                                                "value": ["371913", "12863"]}))
    assert t.iloc[0, 1] == "371,913" and t.iloc[3, 2] == "yes"
    with pytest.raises(ValueError, match="increasing"):
        experiment.measure_scaling([0.004, 0.002])


def test_measure_scaling_given_worlds(fitted):
    from homelib.pfli.data import subsample_world
    from homelib.pfli.scale import experiment

    world = fitted[0]
    subs = [subsample_world(world, s, seed=3) for s in (0.4, 1.0)]
    run = experiment.measure_scaling([0.4, 1.0], seed=1, n_workers=[1], processes=False,
                                     partition_size=400, worlds=subs,
                                     config=PFLIConfig(train_users=200))
    assert run.worlds.n_users.tolist() == [1000, 2500] and run.worlds.scale.tolist() == [0.4, 1.0]
    assert run.worlds.n_edges.tolist() == [len(subs[0].edges), len(world.edges)]
    assert run.worlds.seconds_world.isna().all() and run.info["worlds"] == "given"
    assert run.runs.identical.all() and len(run.runs) == 4
    with pytest.raises(ValueError, match="worlds: 1 given for 2 scales"):
        experiment.measure_scaling([0.4, 1.0], worlds=subs[:1])
    with pytest.raises(ValueError, match="world_params: must be empty"):
        experiment.measure_scaling([0.4, 1.0], worlds=subs, world_params={"n_multi_orgs": 3})
    with pytest.raises(ValueError, match="worlds: item 1 is a str"):
        experiment.measure_scaling([0.4, 1.0], worlds=[subs[0], "x"])


def test_accepts_a_fitted_pfli_estimator(fitted, users):
    from homelib.pfli.model import PFLI

    world, model, clusters = fitted
    est = PFLI(PFLIConfig(train_users=500), seed=2, clusters=clusters).fit(world, model.known)
    got = scale.predict_users(est, world, users[:300], selectors=["prob"])
    ref = est.locate(world, users[:300], "prob")
    pd.testing.assert_frame_equal(got.selections["prob"], ref, check_exact=True)
    with pytest.raises(TypeError, match="PFLIModel or a fitted PFLI"):
        scale.predict_users(PFLI(), world, [1], clusters)
    with pytest.raises(ValueError, match="clusters"):
        scale.predict_users(model, world, [1])


# ----------------------------------------------------------------------------- selectors
# The selectors before issue 14, verbatim, as the oracle of the faster select_locations.

def _ref_row_argmax(rows, score, tie, n_rows):
    """Position (into the arrays) of the largest ``score`` per row; -1 for empty rows."""
    order = np.lexsort((tie, -score, rows))
    r = rows[order]
    first = np.ones(r.size, dtype=bool)
    first[1:] = r[1:] != r[:-1]
    out = np.full(n_rows, -1, dtype=np.int64)
    out[r[first]] = order[first]
    return out


def _ref_select_locations(scores: sp.spmatrix, places: pd.DataFrame, clusters, selector):
    """select_locations as it was at 82b9e24 (lexsort and np.unique over all entries)."""
    if selector not in SELECTORS:
        raise ValueError(f"selector must be one of {SELECTORS}; got {selector!r}")
    s = sp.csr_matrix(scores)
    n, n_pl = s.shape
    cl = np.asarray(clusters, dtype=np.int64)
    if cl.shape != (n_pl,):
        raise ValueError(f"clusters must have length {n_pl}; got {cl.shape}")
    lat, lon = places["lat"].to_numpy(float), places["lon"].to_numpy(float)
    rows = np.repeat(np.arange(n), np.diff(s.indptr))
    cols, p = s.indices.astype(np.int64), s.data.astype(float)
    pos_cl = cl[cols]
    n_cl = int(cl.max()) + 1
    key, inv = np.unique(rows * n_cl + pos_cl, return_inverse=True)
    csum = np.bincount(inv, weights=p, minlength=key.size)
    krow, kcl = key // n_cl, key % n_cl
    best = _ref_row_argmax(krow, csum, kcl, n)
    has = best >= 0
    sel_cl = np.full(n, -1, dtype=np.int64)
    sel_p = np.full(n, np.nan)
    sel_cl[has], sel_p[has] = kcl[best[has]], csum[best[has]]
    out = pd.DataFrame({"user_index": np.arange(n), "pred_place": -1, "pred_lat": np.nan,
                        "pred_lon": np.nan, "cluster": sel_cl, "cluster_prob": sel_p})
    in_sel = pos_cl == sel_cl[rows]

    def argmax_place(mask):
        b = _ref_row_argmax(rows[mask], p[mask], cols[mask], n)
        ok = b >= 0
        place = np.full(n, -1, dtype=np.int64)
        place[ok] = cols[mask][b[ok]]
        return place

    if selector in ("prob", "cmb"):
        place = argmax_place(in_sel)
    elif selector == "noclst":
        place = argmax_place(np.ones(rows.size, dtype=bool))
        ok = place >= 0
        out.loc[ok, "cluster"] = cl[place[ok]]
        # cluster_prob of the cluster holding the chosen place
        lookup = pd.Series(csum, index=key)
        out.loc[ok, "cluster_prob"] = lookup.reindex(np.flatnonzero(ok) * n_cl + cl[place[ok]]).to_numpy()
    elif selector == "dist":
        med = _clusters.cluster_medoids(lat, lon, cl)
        place = np.where(sel_cl >= 0, med[np.maximum(sel_cl, 0)], -1)
    else:
        place = None
    if place is not None:
        ok = place >= 0
        out["pred_place"] = place
        out.loc[ok, "pred_lat"] = lat[place[ok]]
        out.loc[ok, "pred_lon"] = lon[place[ok]]
    if selector in ("cent", "cmb"):
        clat, clon = _clusters._weighted_centroid(rows[in_sel], p[in_sel], lat[cols[in_sel]], lon[cols[in_sel]], n)
        if selector == "cent":
            out["pred_lat"], out["pred_lon"] = clat, clon
        else:
            out["cent_lat"], out["cent_lon"] = clat, clon
    return out




def test_selectors_equal_the_implementation_before(fitted, users):
    world, model, clusters = fitted
    s = model.score(world, users)
    many = _clusters.select_many(s, world.places, clusters, SELECTORS)
    for sel in SELECTORS:
        ref = _ref_select_locations(s, world.places, clusters, sel)
        pd.testing.assert_frame_equal(select_locations(s, world.places, clusters, sel), ref,
                                      check_exact=True)
        pd.testing.assert_frame_equal(many[sel], ref, check_exact=True)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 8), n_pl=st.integers(2, 15),
       zeros=st.booleans(), ties=st.booleans())
def test_selectors_equal_the_implementation_before_on_random_rows(seed, n, n_pl, zeros, ties):
    rng = np.random.default_rng(seed)
    dense = rng.random((n, n_pl)) * (rng.random((n, n_pl)) < 0.5)
    if ties:
        dense = np.round(dense * 4) / 4  # many equal probabilities
    s = sp.csr_matrix(dense)
    if zeros and s.nnz:  # an explicit zero entry, and an empty row
        s.data[0] = 0.0
    pl = pd.DataFrame({"lat": rng.uniform(40, 50, n_pl), "lon": rng.uniform(0, 10, n_pl)})
    cl = np.unique(rng.integers(0, 4, n_pl), return_inverse=True)[1]
    for sel in SELECTORS:
        pd.testing.assert_frame_equal(select_locations(s, pl, cl, sel),
                                      _ref_select_locations(s, pl, cl, sel), check_exact=True)
