"""Tests of homelib.pfli.world: the simulated Facebook-like world."""

import numpy as np
import pandas as pd
import pytest

from homelib.pfli.data import friend_distance_km, read_social_world, world_from_tables
from homelib.pfli.world import SocialConfig, backstrom_p, build_social_world, calibration_table

SMALL = SocialConfig(n_users=1500, n_places=60, n_multi_orgs=4)


@pytest.fixture(scope="module")
def world():
    return build_social_world(SMALL, seed=3)


def test_same_seed_same_world(world):
    other = build_social_world(SMALL, seed=3)
    pd.testing.assert_frame_equal(world.users, other.users)
    np.testing.assert_array_equal(world.edges, other.edges)
    assert not np.array_equal(build_social_world(SMALL, seed=4).edges, world.edges)


def test_schema(world):
    u, p = world.users, world.places
    assert list(u.user_id) == list(range(len(u)))
    assert list(p.place_id) == list(range(len(p)))
    for col in ("current_place", "hometown"):
        assert u[col].between(0, len(p) - 1).all()
    assert u.work.between(0, len(world.orgs) - 1).all()
    assert set(world.orgs.kind) == {"local", "multi"}
    assert all(len(s) == n for s, n in zip(world.orgs.sites, world.orgs.n_sites, strict=True))


def test_edges_clean_and_adjacency_symmetric(world):
    e = world.edges
    assert (e[:, 0] < e[:, 1]).all()
    assert len(np.unique(e[:, 0] * len(world.users) + e[:, 1])) == len(e)
    a = world.adjacency
    assert (a != a.T).nnz == 0
    assert a.sum() == 2 * len(e)
    assert world.stats["edges"] == len(e)


def test_visibility_counts_exact(world):
    u = world.users
    n_la = int(u.current_visible.sum())
    assert n_la == round(SMALL.la_share * len(u))
    la = u[u.current_visible]
    assert la.hometown_visible.sum() == round(SMALL.hometown_share * n_la)
    assert la.work_visible.sum() == round(SMALL.work_share * n_la)
    assert la.friends_visible.sum() == round(SMALL.friends_share * n_la)


def test_calibration_table(world):
    t = calibration_table(world)
    assert list(t.columns) == ["quantity", "published", "simulated", "unit", "within"]
    assert t.set_index("quantity").loc["LA users showing hometown", "within"]
    # the paper's LA + LN counts exceed its total: LN cannot match
    assert not t.set_index("quantity").loc["LN users (current city hidden)", "within"]


def test_friends_are_local(world):
    d = friend_distance_km(world)
    rng = np.random.default_rng(0)
    cu = world.users.current_place.to_numpy()
    a, b = rng.integers(0, len(cu), (2, 5000))
    p = world.places
    from homelib.geo import haversine_km

    rand = haversine_km(p.lat.to_numpy()[cu[a]], p.lon.to_numpy()[cu[a]],
                        p.lat.to_numpy()[cu[b]], p.lon.to_numpy()[cu[b]])
    assert np.median(d) < np.median(rand) / 3


def test_degree_heavy_tailed(world):
    deg = world.degree
    assert deg.max() > 5 * np.median(deg)


def test_backstrom_curve():
    # a (d + b)^-c with d in miles: 1 mile = 1.609344 km
    assert backstrom_p(1.609344) == pytest.approx(0.0019 * 1.196**-1.05)
    assert np.all(np.diff(backstrom_p(np.array([0.0, 1, 10, 100, 1000]))) < 0)


def test_config_validation():
    with pytest.raises(ValueError, match="la_share"):
        SocialConfig(la_share=1.5)
    with pytest.raises(KeyError, match="bogus"):
        SocialConfig.scaled(0.01, bogus=1)
    c = SocialConfig.scaled(0.01, n_places=50)
    assert c.n_places == 50 and c.n_users == 3719


def _tables():
    pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 48.63], "lon": [2.35, 2.45]})
    us = pd.DataFrame({"user_id": [0, 1, 2], "current_place": [0, 1, 1], "hometown": [0, -1, 1],
                       "work": [-1, 0, -1], "current_visible": [True, False, False],
                       "hometown_visible": [True, False, False], "work_visible": False,
                       "friends_visible": [True, False, False]})
    return pl, us


def test_loader_handles_bad_edges():
    pl, us = _tables()
    w = world_from_tables(pl, us, np.array([[0, 1], [1, 0], [1, 1], [0, 1], [2, 1]]))
    assert w.edges.tolist() == [[0, 1], [1, 2]]
    assert w.stats["self_loops_dropped"] == 1
    assert w.stats["duplicates_dropped"] == 2
    # user 1 shows only work (hidden) -> nothing visible; user 2 nothing
    assert w.stats["users_without_information"] == 2
    with pytest.raises(ValueError, match=r"edges: column 'v', row 0, value 9: unknown user id"):
        world_from_tables(pl, us, [[0, 9]])


def test_loader_rejects_bad_places_and_users():
    pl, us = _tables()
    bad = pl.assign(lat=[48.85, 95.0])
    with pytest.raises(ValueError, match=r"places: column 'lat', row 1, value 95.0: not a finite"):
        world_from_tables(bad, us, [])
    with pytest.raises(ValueError, match=r"users: column 'hometown', row 1, value 5: unknown place"):
        world_from_tables(pl, us.assign(hometown=[0, 5, 1]), [])
    with pytest.raises(ValueError, match=r"missing column\(s\) \['work'\]"):
        world_from_tables(pl, us.drop(columns="work"), [])
    with pytest.raises(ValueError, match=r"column 'work', row 1, value 0: unknown organisation id"):
        world_from_tables(pl, us, [], orgs=pd.DataFrame({"org_id": [], "kind": []}))


@pytest.mark.parametrize(
    ("change", "msg"),
    [
        ({"current_visible": ["yes", "no", "no"]}, r"column 'current_visible', row 0, value 'yes': not a boolean"),
        ({"friends_visible": [True, None, False]}, r"column 'friends_visible', row 1, value None: missing value"),
        ({"friends_visible": [1, 0, 0]}, r"column 'friends_visible', row 0, value 1: not a boolean"),
        ({"hometown": [0.0, 1.5, 1.0]}, r"column 'hometown', row 1, value 1.5: not an integer"),
        ({"hometown": [0.0, np.nan, 1.0]}, r"column 'hometown', row 1, value nan: missing value"),
        ({"user_id": [0, 2, 1]}, r"user_id must be 0..N-1 in row order"),
        ({"current_place": [-1, 1, 1]}, r"current_visible', row 0, value True: True for a user whose"),
    ],
)
def test_loader_never_coerces_users(change, msg):
    pl, us = _tables()
    with pytest.raises(ValueError, match=msg):
        world_from_tables(pl, us.assign(**change), [[0, 1]])


@pytest.mark.parametrize(
    ("edges", "msg"),
    [
        (pd.DataFrame({"u": [0, 1.5], "v": [1, 2]}), r"column 'u', row 1, value 1.5: not an integer"),
        (pd.DataFrame({"u": [0, np.nan], "v": [1, 2]}), r"column 'u', row 1, value nan: missing value"),
        (np.array([[0, 1, 2]]), r"expected shape \(E, 2\)"),
    ],
)
def test_loader_never_truncates_edge_ids(edges, msg):
    pl, us = _tables()
    with pytest.raises(ValueError, match=msg):
        world_from_tables(pl, us, edges)


def _write(folder, pl, us, edges="u,v\n0,1\n1,2\n1,1\n"):
    pl.to_csv(folder / "places.csv", index=False)
    us.to_csv(folder / "users.csv", index=False)
    (folder / "edges.csv").write_text(edges)


def test_read_social_world_roundtrip(tmp_path):
    pl, us = _tables()
    _write(tmp_path, pl, us)
    w = read_social_world(tmp_path)
    assert w.edges.tolist() == [[0, 1], [1, 2]] and w.stats["self_loops_dropped"] == 1
    assert w.users.current_visible.dtype == bool and w.users.hometown.dtype == np.int64
    assert w.users.current_visible.tolist() == [True, False, False]
    (tmp_path / "edges.csv").unlink()
    with pytest.raises(FileNotFoundError, match="edges.csv"):
        read_social_world(tmp_path)


@pytest.mark.parametrize(
    ("users_csv", "msg"),
    [
        ("", r"users.csv: the file is empty \(0 bytes\)"),
        ("user_id,current_place\n0,0,5\n", r"users.csv: line 2 has 3 field\(s\), the header has 2"),
        (None, r"users.csv: column 'current_visible', row 1 \(line 3\), value 'yes'"),
    ],
)
def test_read_social_world_reports_files_and_lines(tmp_path, users_csv, msg):
    pl, us = _tables()
    _write(tmp_path, pl, us)
    if users_csv is None:
        text = (tmp_path / "users.csv").read_text().splitlines()
        text[2] = text[2].replace("False", "yes", 1)
        users_csv = "\n".join(text) + "\n"
    (tmp_path / "users.csv").write_text(users_csv)
    with pytest.raises(ValueError, match=msg):
        read_social_world(tmp_path)


def test_read_social_world_rejects_bad_coordinates_by_line(tmp_path):
    pl, us = _tables()
    _write(tmp_path, pl.astype({"lat": object}).assign(lat=["48.85", "abc"]), us)
    with pytest.raises(ValueError, match=r"places.csv: column 'lat', row 1 \(line 3\), value 'abc': not a number"):
        read_social_world(tmp_path)


def test_simulated_world_follows_the_social_schemas(world):
    from homelib import schemas

    for name, table in (("places", world.places), ("users", world.users),
                        ("orgs", world.orgs),
                        ("edges", pd.DataFrame(world.edges, columns=["u", "v"]))):
        rep = schemas.validate(table, schemas.SOCIAL_SCHEMAS[name], what=name)
        assert rep.n_dropped == 0, name
    again = world_from_tables(world.places, world.users, world.edges, world.orgs)
    np.testing.assert_array_equal(again.edges, world.edges)
    pd.testing.assert_frame_equal(again.users, world.users, check_dtype=False)
