import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import squareform
from sklearn.metrics.pairwise import haversine_distances

from homelib import geo

# Great-circle distances between city centres (spherical Earth), from standard references.
CITY_PAIRS = [
    ((48.8566, 2.3522), (51.5074, -0.1278), 343.5),  # Paris - London
    ((40.7128, -74.0060), (34.0522, -118.2437), 3935.7),  # New York - Los Angeles
    ((39.9042, 116.4074), (31.2304, 121.4737), 1067.3),  # Beijing - Shanghai
    ((-33.8688, 151.2093), (-37.8136, 144.9631), 713.4),  # Sydney - Melbourne
]


@pytest.mark.parametrize(("a", "b", "km"), CITY_PAIRS)
def test_known_city_pairs(a, b, km):
    assert geo.haversine_km(*a, *b) == pytest.approx(km, rel=0.005)


def test_zero_antipode_and_quarter():
    assert float(geo.haversine_km(10, 20, 10, 20)) == 0.0
    half = np.pi * geo.EARTH_RADIUS_KM
    assert float(geo.haversine_km(0, 0, 0, 180)) == pytest.approx(half)
    assert float(geo.haversine_km(90, 0, 0, 0)) == pytest.approx(half / 2)


def test_broadcasting_and_inputs_untouched():
    lat = np.array([0.0, 10.0, 20.0])
    lon = np.array([0.0, 0.0, 0.0])
    before = lat.copy()
    d = geo.haversine_km(lat, lon, 0.0, 0.0)
    assert d.shape == (3,)
    np.testing.assert_array_equal(lat, before)


coords = st.tuples(st.floats(-89.9, 89.9), st.floats(-179.9, 179.9))


@settings(max_examples=60, deadline=None)
@given(coords, coords, coords)
def test_metric_properties(a, b, c):
    ab = float(geo.haversine_km(*a, *b))
    ba = float(geo.haversine_km(*b, *a))
    assert ab == pytest.approx(ba, abs=1e-6)
    assert ab >= 0
    ac = float(geo.haversine_km(*a, *c))
    cb = float(geo.haversine_km(*c, *b))
    assert ab <= ac + cb + 1e-6


def test_matches_sklearn_haversine():
    rng = np.random.default_rng(0)
    lat = rng.uniform(-80, 80, 40)
    lon = rng.uniform(-180, 180, 40)
    ref = haversine_distances(np.radians(np.c_[lat, lon])) * geo.EARTH_RADIUS_KM
    ours = geo.haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    np.testing.assert_allclose(ours, ref, atol=1e-6)
    np.testing.assert_allclose(squareform(geo.pairwise_haversine_km(lat, lon)), ref, atol=1e-6)


def test_radius_and_nearest_against_brute_force():
    rng = np.random.default_rng(1)
    lat = rng.uniform(20, 50, 500)
    lon = rng.uniform(100, 125, 500)
    idx = geo.SphereIndex.from_coords(lat, lon)
    qlat, qlon = rng.uniform(20, 50, 30), rng.uniform(100, 125, 30)
    full = geo.haversine_km(qlat[:, None], qlon[:, None], lat[None, :], lon[None, :])
    got = idx.query_radius(qlat, qlon, 150.0)
    counts = idx.count_radius(qlat, qlon, 150.0)
    for i in range(30):
        expected = np.flatnonzero(full[i] <= 150.0)
        np.testing.assert_array_equal(got[i], expected)
        assert counts[i] == expected.size
    d, j = idx.query_nearest(qlat, qlon, k=3)
    np.testing.assert_array_equal(j, np.argsort(full, axis=1)[:, :3])
    np.testing.assert_allclose(d, np.sort(full, axis=1)[:, :3], atol=1e-6)


def test_radius_with_distances_sorted():
    idx = geo.SphereIndex.from_coords([0, 0, 0], [0, 0.5, 1.0])
    ind, dist = idx.query_radius([0.0], [0.0], 200.0, return_distance=True)
    assert ind[0].tolist() == [0, 1, 2]
    assert np.all(np.diff(dist[0]) >= 0)


@pytest.mark.parametrize(
    ("lat", "lon", "msg"),
    [([91.0], [0.0], "latitude 91.0"), ([0.0], [-181.0], "longitude -181.0"),
     ([np.nan], [0.0], "latitude nan")],
)
def test_out_of_range_coordinates_are_named(lat, lon, msg):
    with pytest.raises(ValueError, match=msg):
        geo.SphereIndex.from_coords(lat, lon, "homes")


def test_bad_query_arguments():
    idx = geo.SphereIndex.from_coords([0.0], [0.0])
    with pytest.raises(ValueError, match="radius_km"):
        idx.query_radius([0.0], [0.0], 0)
    with pytest.raises(ValueError, match="k must be"):
        idx.query_nearest([0.0], [0.0], k=2)


def test_china_counties_frame():
    df = geo.china_counties()
    assert set(df.province) == set(geo.STUDY_PROVINCES)
    assert df.zip_code.str.fullmatch(r"\d{6}").all()
    assert df.lat.between(18, 54).all() and df.lon.between(97, 136).all()
    harbin = df[(df.province == "Heilongjiang") & df.is_city_seat & (df.city == "哈尔滨市")]
    assert len(harbin) == 1
    assert float(harbin.lat.iloc[0]) == pytest.approx(45.75, abs=0.2)
    with pytest.raises(KeyError, match="Atlantis"):
        geo.china_counties(["Atlantis"])


def test_world_cities_frame():
    df = geo.world_cities(500_000)
    assert (df.population >= 500_000).all()
    assert df.geonameid.is_unique
    paris = df[(df.name == "Paris") & (df.country == "FR")]
    assert len(paris) == 1


def test_radius_result_is_one_array_per_query_even_with_equal_counts():
    idx = geo.SphereIndex.from_coords([0.0, 0.0], [0.0, 0.01])
    got = idx.query_radius([0.0, 0.0], [0.0, 0.005], 50.0)
    assert got.shape == (2,) and got.dtype == object
    assert got[0].dtype.kind == "i" and got[0].tolist() == [0, 1]
