"""homelib.realdata: check-ins -> homes -> places -> a PFLI world; feature tables,
leak-safe area aggregates and the leakage check; the census and Columbus loaders."""

from __future__ import annotations

import gzip
import io as stdio
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from homelib.geo import haversine_km
from homelib.pfli.data import read_social_world
from homelib.realdata import aggregates as agg
from homelib.realdata import census, checkins, ecological, homes, places, social, tables

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "checkins"


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def data():
    return checkins.read_checkins(FIXTURE / "edges.txt", FIXTURE / "checkins.txt")


@pytest.fixture(scope="module")
def truth():
    return pd.read_csv(FIXTURE / "truth.csv", keep_default_na=False).set_index("user")


@pytest.fixture(scope="module")
def gz():
    return places.gazetteer()


def _cities(h: pd.DataFrame, gz: pd.DataFrame, radius_km: float = 25.0) -> pd.Series:
    near = places.nearest_places(h["lat"].to_numpy(), h["lon"].to_numpy(), gz, radius_km)
    name = np.where(near["place"] >= 0, gz["name"].to_numpy()[np.maximum(near["place"], 0)], "")
    return pd.Series(name, index=h.index)


# --------------------------------------------------------------------------- check-in files
def test_fixture_is_read_with_every_count(data):
    st = data.stats
    assert (st["edge_lines"], st["checkin_lines"], st["null_island_dropped"]) == (74, 246, 1)
    assert len(data.checkins) == 245 and not ((data.checkins.lat == 0) & (data.checkins.lon == 0)).any()
    assert data.users.size == 39 and st["users_with_checkins"] == 37
    assert str(data.checkins["time"].dt.tz) == "UTC"
    assert data.checkins.dtypes["user"] == np.int64 and data.checkins["place"].map(type).eq(str).all()


def test_gzip_file_reads_like_the_plain_one(data, tmp_path):
    gzf = tmp_path / "checkins.txt.gz"
    gzf.write_bytes(gzip.compress((FIXTURE / "checkins.txt").read_bytes()))
    df, _ = checkins.read_checkin_log(gzf)
    pd.testing.assert_frame_equal(df, data.checkins)


def test_null_island_kept_on_request():
    log = "1\t2010-01-01T00:00:00Z\t0\t0\tp\n"
    df, st = checkins.read_checkin_log(stdio.StringIO(log), drop_null_island=False)
    assert len(df) == 1 and st["null_island_dropped"] == 0


@pytest.mark.parametrize("line, message", [
    ("1\t2010-01-01T00:00:00Z\t48.8\t2.3\n", "expected 5"),
    ("1\t2010-01-01T00:00:00Z\t48.8\t2.3\tp\tq\n", "expected 5"),
    ("x\t2010-01-01T00:00:00Z\t48.8\t2.3\tp\n", "line 2: user 'x'"),
    ("1\tnot-a-time\t48.8\t2.3\tp\n", "line 2: time 'not-a-time'"),
    ("1\t2010-01-01T00:00:00Z\t98.8\t2.3\tp\n", "line 2: lat '98.8'"),
    ("1\t2010-01-01T00:00:00Z\t48.8\teast\tp\n", "line 2: lon 'east'"),
    ("1\t2010-01-01T00:00:00Z\t\t2.3\tp\n", "line 2: field 'lat' is empty"),
])
def test_bad_checkin_line_is_named(line, message):
    good = "1\t2010-01-01T00:00:00Z\t48.8\t2.3\tp\n"
    with pytest.raises(ValueError, match=message):
        checkins.read_checkin_log(stdio.StringIO(good + line))


def test_bad_edge_line_is_named():
    with pytest.raises(ValueError, match="line 2: u '-3'"):
        checkins.read_edges(stdio.StringIO("1\t2\n-3\t4\n"))


# --------------------------------------------------------------------------- homes
def test_local_hours_and_night_window_by_hand():
    t = pd.to_datetime(pd.Series(["2010-01-01T23:30:00Z", "2010-01-01T12:00:00Z"]))
    assert homes.local_hours(t, [30.0, -180.0]).tolist() == [1.5, 0.0]  # +2 h, -12 h
    assert homes.is_night([23.9, 0.0, 5.99, 6.0, 12.0], (22, 6)).tolist() == [True, True, True, False, False]
    assert homes.is_night([1.0, 2.0], (1, 2)).tolist() == [True, False]
    for bad in [(22,), (5, 5), (-1, 6), (22, 25)]:
        with pytest.raises(ValueError, match="night"):
            homes.is_night([1.0], bad)
    with pytest.raises(ValueError, match="clock"):
        homes.local_hours(t, [0.0, 0.0], "local")


def test_night_rule_recovers_every_home_of_the_fixture(data, truth, gz):
    h = homes.homes_from_checkins(data.checkins, rule="night")
    city = _cities(h, gz)
    t = truth.join(city.rename("city"), how="inner")
    lived = t[t.kind.isin(["stayer", "commuter"])]
    assert len(lived) == 33 and (lived.city == lived.home_city).all()
    assert (h.loc[truth.index[truth.kind == "day_only"], "method"] == "none").all()
    assert h.loc[truth.index[truth.kind == "day_only"], "lat"].isna().all()
    assert (city[truth.index[truth.kind == "at_sea"]] == "").all()
    assert set(truth.index[truth.kind == "no_checkins"]).isdisjoint(h.index)


def test_ignoring_the_longitude_misreads_the_clock(data, truth, gz):
    """San Francisco's 15:00 is 23:08 UTC: with UTC hours the day spot looks like night."""
    sf = truth.index[(truth.home_city == "San Francisco") & (truth.kind == "stayer")]
    solar = _cities(homes.homes_from_checkins(data.checkins), gz)
    utc = _cities(homes.homes_from_checkins(data.checkins, clock="as_given"), gz)
    assert (solar[sf] == "San Francisco").all()
    assert (utc[sf] != "San Francisco").any()


def test_frequent_cell_rule_finds_the_commuters_work_city(data, truth, gz):
    h = homes.homes_from_checkins(data.checkins, rule="frequent_cell")
    city = _cities(h, gz)
    com = truth[truth.kind == "commuter"]
    assert (city[com.index] == com.work_city).all()
    st = truth[truth.kind == "stayer"]
    assert (city[st.index] == st.home_city).all()
    assert (h["method"][h.n_checkins > 0] == "frequent_cell").all()


def test_frequent_cell_matches_a_brute_force_count():
    rng = np.random.default_rng(5)
    n = 400
    ci = pd.DataFrame({"user": rng.integers(0, 20, n), "lat": rng.uniform(48, 49, n),
                       "lon": rng.uniform(2, 3.5, n)})
    h = homes.homes_from_checkins(ci, rule="frequent_cell", cell_km=25.0)
    r, c = homes.grid_cells(ci.lat, ci.lon, 25.0)
    for u, g in ci.assign(r=r, c=c).groupby("user"):
        counts = Counter(zip(g.r, g.c, strict=True))
        top = max(counts.values())
        best = min(k for k, v in counts.items() if v == top)  # ties: lowest cell key
        in_cell = g[(g.r == best[0]) & (g.c == best[1])]
        assert h.loc[u, "n_in_cell"] == top == len(in_cell)
        assert h.loc[u, "lat"] == pytest.approx(in_cell.lat.mean())
        assert h.loc[u, "lon"] == pytest.approx(in_cell.lon.mean())
        assert h.loc[u, "share_in_cell"] == pytest.approx(top / len(g))


def test_night_rule_combines_with_the_recorded_location():
    night = "2015-01-01T16:00:00Z"  # midnight in solar time at 120 E
    ci = pd.DataFrame({"user": [1, 1, 1, 1, 2, 2, 3],
                       "lat": [30.0, 30.0, 30.5, 30.5, 40.0, 40.0, 31.0],
                       "lon": [120.0, 120.0, 120.5, 120.5, 120.0, 120.0, 120.0],
                       "time": pd.to_datetime([night] * 7)})
    com = pd.DataFrame({"lat": [30.501, 30.0, 31.0, 25.0], "lon": [120.5, 120.0, 120.0, 120.0]},
                       index=[1, 2, 3, 4])
    h = homes.homes_from_checkins(ci, community=com)
    # user 1: two cells of 2 check-ins each, the tie goes to the one near the community
    assert h.loc[1, ["lat", "lon"]].tolist() == [30.5, 120.5] and h.loc[1, "method"] == "night_checkin"
    # user 2: the night cell is 1,100 km away from the community: fall back to it
    assert h.loc[2, "method"] == "community" and h.loc[2, "lat"] == 30.0
    # user 4: no check-in at all, only a community location
    assert h.loc[4, "method"] == "community" and h.loc[4, "n_checkins"] == 0
    # min_checkins: one night check-in is not enough
    h2 = homes.homes_from_checkins(ci, min_checkins=2)
    assert h2.loc[3, "method"] == "none" and h2.loc[1, "method"] == "night_checkin"


def test_homes_reject_bad_parameters():
    ci = pd.DataFrame({"user": [1], "lat": [0.0], "lon": [0.0]})
    with pytest.raises(ValueError, match="rule"):
        homes.homes_from_checkins(ci, rule="mode")
    with pytest.raises(ValueError, match="missing column"):
        homes.homes_from_checkins(ci, rule="night")
    with pytest.raises(ValueError, match="cell_km"):
        homes.homes_from_checkins(ci, rule="frequent_cell", cell_km=0)
    with pytest.raises(ValueError, match="min_checkins"):
        homes.homes_from_checkins(ci, rule="frequent_cell", min_checkins=0)


# --------------------------------------------------------------------------- places
def test_nearest_places_match_a_brute_force_search():
    rng = np.random.default_rng(2)
    gzr = pd.DataFrame({"lat": rng.uniform(40, 50, 300), "lon": rng.uniform(-5, 10, 300)})
    lat, lon = rng.uniform(40, 50, 200), rng.uniform(-5, 10, 200)
    res = places.nearest_places(lat, lon, gzr, radius_km=20.0)
    d = haversine_km(lat[:, None], lon[:, None], gzr.lat.to_numpy()[None], gzr.lon.to_numpy()[None])
    best, dist = d.argmin(1), d.min(1)
    assert np.allclose(res.distance_km, dist)
    assert (res.place.to_numpy() == np.where(dist <= 20.0, best, -1)).all()
    assert (res.place == -1).any() and (res.place >= 0).any()


def test_gazetteer_merges_city_sections_but_keeps_nearby_towns(gz):
    fr = gz[gz.country == "FR"]
    assert {"Paris", "Versailles", "Lyon"} <= set(fr.name)
    assert not fr.name.str.match(r"Paris \d\d").any()
    assert len(places.gazetteer(merge_km=0)) > len(gz)
    # no two kept places are within 5 km
    idx = places.SphereIndex.from_coords(gz.lat, gz.lon)
    assert (idx.count_radius(gz.lat, gz.lon, 4.99) == 1).all()
    with pytest.raises(ValueError, match="min_population"):
        places.gazetteer(1000)


def test_places_table_rejects_bad_rows():
    g = pd.DataFrame({"lat": [0.0, 1.0], "lon": [0.0, 1.0]})
    with pytest.raises(ValueError, match="unknown gazetteer row 2"):
        places.places_table(g, [2])
    with pytest.raises(ValueError, match="duplicated"):
        places.places_table(g, [1, 1])


# --------------------------------------------------------------------------- the world
def test_split_visible_is_exact_seeded_and_only_among_eligible():
    el = np.arange(100) % 3 != 0
    a = social.split_visible(el, 0.4, seed=7)
    assert a.sum() == round(0.4 * el.sum()) and not a[~el].any()
    assert (a == social.split_visible(el, 0.4, seed=7)).all()
    assert (a != social.split_visible(el, 0.4, seed=8)).any()
    with pytest.raises(ValueError, match="visible_share"):
        social.split_visible(el, 1.5, seed=0)


def test_checkin_world_from_the_fixture(data, truth, gz):
    h = homes.homes_from_checkins(data.checkins)
    w = social.checkin_world(data, h, gz, radius_km=25.0, visible_share=0.5, seed=0)
    u = w.users
    assert w.n_users == 39 and u.source_id.tolist() == sorted(truth.index)
    assert w.stats["self_loops_dropped"] == 1 and w.stats["duplicates_dropped"] == 37
    assert w.stats["edges"] == 36 and w.n_places == 10
    assert (u.hometown == -1).all() and (u.work == -1).all() and u.friends_visible.all()
    assert not (u.hometown_visible | u.work_visible).any()
    has_city = u.current_place >= 0
    assert has_city.sum() == 33 and w.stats["homes_beyond_radius"] == 1
    assert u.current_visible.sum() == round(0.5 * 33) and not u.current_visible[~has_city].any()
    city = w.places.name.to_numpy()[u.current_place[has_city]]
    home_city = truth.loc[u.source_id[has_city], "home_city"].to_numpy()
    assert (city == home_city).all()
    # an edge of the file is an edge of the world, in the new numbering
    pos = {s: i for i, s in enumerate(u.source_id)}
    a, b = data.edges.iloc[0]
    assert sorted((pos[a], pos[b])) in w.edges.tolist()


def test_world_round_trips_through_its_folder(data, gz, tmp_path):
    w = social.checkin_world(data, homes.homes_from_checkins(data.checkins), gz, seed=3)
    back = read_social_world(social.write_world(w, tmp_path / "world"))
    assert sorted(p.name for p in (tmp_path / "world").iterdir()) == ["edges.csv", "places.csv", "users.csv"]
    assert (back.edges == w.edges).all()
    pd.testing.assert_frame_equal(back.users[social.USER_COLUMNS], w.users[social.USER_COLUMNS],
                                  check_dtype=False)
    assert np.allclose(back.places[["lat", "lon"]], w.places[["lat", "lon"]])


def test_pfli_runs_on_the_friend_only_checkin_world(data, gz):
    """PFLI and every baseline fit the visible users and score the hidden ones; with no
    profile field, PFLI without clusters is a vote of visible friends, as Base_freq."""
    from homelib.pfli.evaluation import evaluate_pfli

    w = social.checkin_world(data, homes.homes_from_checkins(data.checkins), gz, seed=0)
    hidden = ~w.users.current_visible.to_numpy() & (w.users.current_place >= 0).to_numpy()
    ev = evaluate_pfli(w, folds=3, seed=0, ln_users=int(hidden.sum()))
    pu = ev.ln_per_user
    assert set(pu.user_id) == set(np.flatnonzero(hidden))
    a = pu[pu.method == "PFLI_noclst"].set_index("user_id")
    b = pu[pu.method == "Base_freq"].set_index("user_id")
    answered = a.index[~a.pfli_prior.astype(bool)]
    assert len(answered) > 0
    assert np.allclose(a.loc[answered, ["pred_lat", "pred_lon"]], b.loc[answered, ["pred_lat", "pred_lon"]])
    # a hidden user whose every visible friend lives in its city is predicted exactly
    vis, cur, adj = w.users.current_visible.to_numpy(), w.users.current_place.to_numpy(), w.adjacency.tocsr()
    checked = 0
    for uid in np.flatnonzero(hidden):
        fr = adj.indices[adj.indptr[uid]:adj.indptr[uid + 1]]
        fr = fr[vis[fr]]
        if fr.size and (cur[fr] == cur[uid]).all():
            assert a.loc[uid, "error_km"] == pytest.approx(0.0, abs=1e-6)
            checked += 1
    assert checked > 0


# --------------------------------------------------------------------------- feature tables
def _toy(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"area": rng.choice(list("abcdef"), n), "region": "r",
                         "x": rng.normal(size=n), "t5": rng.integers(0, 5, n),
                         "t2": pd.array(np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 2, n)),
                                        dtype="Int64")})


def test_feature_table_takes_any_number_of_classes():
    t = tables.feature_table(_toy(), tasks=["t5", "t2"], numeric=["x"], categorical=["area"],
                             areas=["area"], classes={"t2": ["no", "yes"]})
    assert t.n_classes == {"t5": 5, "t2": 2} and t.classes["t2"] == ("no", "yes")
    assert str(t.X["area"].dtype) == "category" and t.X["x"].dtype == float
    assert t.y["t2"].isna().sum() == _toy()["t2"].isna().sum()


@pytest.mark.parametrize("kw, message", [
    ({"tasks": ["t5"], "numeric": ["x"], "categorical": ["x"]}, "more than one role"),
    ({"tasks": ["t5"], "numeric": ["nope"]}, "missing column"),
    ({"tasks": [], "numeric": ["x"]}, "at least one task"),
    ({"tasks": ["t5"]}, "no feature column"),
    ({"tasks": ["x"], "numeric": ["t5"]}, "not class codes"),
    ({"tasks": ["t5"], "numeric": ["x"], "classes": {"t5": ["a", "b"]}}, "code 4 has no class name"),
    ({"tasks": ["t5"], "numeric": ["x"], "classes": {"zz": ["a"]}}, "unknown task"),
    ({"tasks": ["t5"], "numeric": ["area"]}, "has dtype"),
    ({"tasks": "t5", "numeric": ["x"]}, "list of column names"),
])
def test_feature_table_names_what_is_wrong(kw, message):
    with pytest.raises((ValueError, TypeError), match=message):
        tables.feature_table(_toy(), **kw)


def test_feature_table_refuses_missing_values_and_single_classes():
    df = _toy()
    df.loc[3, "x"] = np.nan
    with pytest.raises(ValueError, match="numeric column 'x' has 1 missing"):
        tables.feature_table(df, tasks=["t5"], numeric=["x"])
    df = _toy().assign(area=lambda d: d.area.where(d.index != 5))
    with pytest.raises(ValueError, match="column 'area' has 1 missing"):
        tables.feature_table(df, tasks=["t5"], categorical=["area"])
    with pytest.raises(ValueError, match="two observed classes"):
        tables.feature_table(_toy().assign(t5=1), tasks=["t5"], numeric=["x"])


def test_read_feature_table_round_trip_and_schema_errors(tmp_path):
    df = _toy()
    df["area_t5_mean"] = df.groupby("area")["t5"].transform("mean")
    df.to_csv(tmp_path / "features.csv", index=False)
    schema = pd.DataFrame({"column": ["area", "region", "x", "t5", "t2", "area_t5_mean"],
                           "role": ["area", "meta", "numeric", "task", "task", "aggregate"],
                           "classes": ["", "", "", "", "no|yes", ""],
                           "source": ["", "", "", "", "", "t5"], "area": ["", "", "", "", "", "area"],
                           "method": ["", "", "", "", "", "in_sample"]})
    schema.to_csv(tmp_path / "schema.csv", index=False)
    with pytest.raises(agg.LeakageError, match="'area_t5_mean' \\(in_sample of 't5'\\)"):
        tables.read_feature_table(tmp_path)
    t = tables.read_feature_table(tmp_path, on_leak="report")
    assert t.classes["t2"] == ("no", "yes") and list(t.X.columns) == ["x", "area_t5_mean"]
    assert t.leakage.leaks.tolist() == [True] and list(t.meta.columns) == ["region"]
    schema.iloc[:5].to_csv(tmp_path / "schema.csv", index=False)
    with pytest.raises(ValueError, match="not in the schema \\['area_t5_mean'\\]"):
        tables.read_feature_table(tmp_path)
    schema.assign(role=schema.role.replace("meta", "label")).to_csv(tmp_path / "schema.csv", index=False)
    with pytest.raises(ValueError, match="column 'role', row 1 \\(line 3\\), value 'label': unknown role"):
        tables.read_feature_table(tmp_path)


FEATURE_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "feature_table"


def test_the_feature_table_fixture_reads_with_its_classes_and_reference_aggregate():
    t = tables.read_feature_table(FEATURE_FIXTURE)
    assert t.n_classes == {"personal_income": 3, "education": 3, "occupation": 2}
    assert t.classes["occupation"] == ("other", "manager")
    assert list(t.areas.columns) == ["county"] and t.weights is not None
    assert t.y["education"].isna().sum() == 9 and len(t.X) == 240
    assert t.leakage.leaks.tolist() == [False]  # a reference statistic, constant within a county
    assert t.schema.set_index("column").kind.to_dict() == {
        "county_income": "continuous", "price_mean": "continuous", "poi_school": "continuous",
        "county_education_mean": "continuous", "region": "categorical", "urban_type": "categorical"}
    assert list(t.meta.columns) == ["person", "income_exact", "has_sale_price_2km", "hp_count",
                                    "rp_count", "poi_count"]


def test_a_bad_cell_of_features_csv_is_named_with_its_line(tmp_path):
    for f in ("features.csv", "schema.csv"):
        (tmp_path / f).write_text((FEATURE_FIXTURE / f).read_text())
    lines = (tmp_path / "features.csv").read_text().splitlines()
    cells = lines[5].split(",")
    cells[4] = "n/a"  # county_income of data row 4 (line 6)
    lines[5] = ",".join(cells)
    (tmp_path / "features.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="column 'county_income', row 4 \\(line 6\\)"):
        tables.read_feature_table(tmp_path)


def test_select_tasks_keeps_the_order_and_refuses_the_wrong_number_of_classes():
    t = tables.read_feature_table(FEATURE_FIXTURE)
    s = tables.select_tasks(t, ["education", "personal_income"], n_classes=3)
    assert s.tasks == ["education", "personal_income"] and s.X is t.X
    with pytest.raises(ValueError, match="task 'occupation' has 2 classes"):
        tables.select_tasks(t, ["occupation"], n_classes=3)
    with pytest.raises(ValueError, match="\\['family_income'\\] are not in the table"):
        tables.select_tasks(t, ["family_income"])


def test_table_families_come_from_the_schema_else_one_per_column(tmp_path):
    t = tables.read_feature_table(FEATURE_FIXTURE)
    assert tables.table_families(t) == {
        "County statistics": ["county_income", "county_education_mean"], "Housing price": ["price_mean"],
        "POI": ["poi_school"], "region": ["region"], "Urban type": ["urban_type"]}  # region: no family
    assert t.schema.set_index("column").family["county_education_mean"] == "County statistics"
    for f in ("features.csv", "schema.csv"):
        (tmp_path / f).write_text((FEATURE_FIXTURE / f).read_text())
    schema = pd.read_csv(FEATURE_FIXTURE / "schema.csv", keep_default_na=False)
    schema.drop(columns="family").to_csv(tmp_path / "schema.csv", index=False)
    plain = tables.read_feature_table(tmp_path)
    assert tables.table_families(plain) == {c: [c] for c in plain.X.columns}  # no family column


@pytest.mark.parametrize("column, family, message", [
    ("weight", "Survey", r"family given for column\(s\) \['weight'\], which are not feature columns"),
    ("price_mean", "region", r"column\(s\) \['region'\] have no family"),
])
def test_a_bad_family_is_named(tmp_path, column, family, message):
    for f in ("features.csv", "schema.csv"):
        (tmp_path / f).write_text((FEATURE_FIXTURE / f).read_text())
    schema = pd.read_csv(FEATURE_FIXTURE / "schema.csv", keep_default_na=False)
    schema.loc[schema.column == column, "family"] = family
    schema.to_csv(tmp_path / "schema.csv", index=False)
    with pytest.raises(ValueError, match=message):
        tables.read_feature_table(tmp_path)


def test_three_class_tasks_keeps_them_and_reports_the_others():
    t, left = tables.three_class_tasks(tables.read_feature_table(FEATURE_FIXTURE))
    assert t.tasks == ["personal_income", "education"] and left == {"occupation": 2}
    two = tables.feature_table(pd.DataFrame({"p": [1.0, 2.0], "b": [0, 1]}), tasks=["b"], numeric=["p"])
    with pytest.raises(ValueError, match="no task with 3 classes"):
        tables.three_class_tasks(two)


def test_classes_by_cuts_and_quantiles():
    assert tables.level_classes([0, 1, 1.5, 2, 3], [1, 2]).tolist() == [0, 0, 1, 1, 2]
    codes = tables.level_classes(np.arange(300.0), tables.quantile_cuts(np.arange(300.0), 3))
    assert codes.value_counts().tolist() == [100, 100, 100]
    with pytest.raises(ValueError, match="increasing"):
        tables.level_classes([1], [2, 1])
    with pytest.raises(ValueError, match="ties"):
        tables.quantile_cuts([1, 1, 1, 1, 2], 3)


# --------------------------------------------------------------------------- area aggregates
def _brute(df, area, col, allowed, prior_key=None, m=0.0):
    """Independent loop: mean over contributors j allowed for row i, shrunk to a prior."""
    out = []
    x = df[col].to_numpy(float)
    a = df[area].to_numpy()
    p = df[prior_key].to_numpy() if prior_key else np.zeros(len(df))
    for i in range(len(df)):
        c = [j for j in range(len(df)) if a[j] == a[i] and allowed(i, j) and np.isfinite(x[j])]
        pc = [j for j in range(len(df)) if p[j] == p[i] and allowed(i, j) and np.isfinite(x[j])]
        prior = np.mean(x[pc])
        out.append((x[c].sum() + m * prior) / (len(c) + m) if len(c) + m > 0 else prior)
    return np.array(out)


def test_aggregates_match_an_independent_loop():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"area": rng.choice(list("abcdefgh"), 80), "state": "s",
                       "v": np.where(rng.random(80) < 0.1, np.nan, rng.normal(size=80))})
    df["state"] = np.where(df.area < "e", "s1", "s2")
    loo, _ = agg.area_aggregates(df, "area", ["v"], method="leave_one_out", smoothing=2, parent="state")
    assert np.allclose(loo["area_v_mean"], _brute(df, "area", "v", lambda i, j: i != j, "state", 2))
    oof, info = agg.area_aggregates(df, "area", ["v"], method="out_of_fold", folds=4, seed=3)
    fold = np.empty(80, int)
    fold[np.random.default_rng(3).permutation(80)] = np.arange(80) % 4
    assert np.allclose(oof["area_v_mean"], _brute(df, "area", "v", lambda i, j: fold[i] != fold[j]))
    assert info["area_v_mean"].folds == 4
    ref = rng.random(80) < 0.4
    r, _ = agg.area_aggregates(df, "area", ["v"], method="reference", reference=ref, smoothing=1)
    assert list(r.index) == list(df.index[~ref])
    exp = _brute(df, "area", "v", lambda i, j: ref[j], m=1.0)[~ref]
    assert np.allclose(r["area_v_mean"], exp)


def test_leave_one_out_decodes_the_label_within_an_area():
    """The leak, stated exactly: inside an area the leave-one-out mean is a decreasing
    function of the person's own label; the reference mean is constant there."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"area": np.repeat(np.arange(30), 12), "y": rng.integers(0, 3, 360).astype(float)})
    loo, _ = agg.area_aggregates(df, "area", ["y"], method="leave_one_out")
    for _, g in df.join(loo).groupby("area"):
        if g.y.nunique() > 1:
            assert g[["y", "area_y_mean"]].corr().iloc[0, 1] == pytest.approx(-1.0)
    ref, _ = agg.area_aggregates(df, "area", ["y"], method="reference",
                                 reference=np.arange(360) % 3 == 0)
    assert (ref.groupby(df.area.loc[ref.index]).nunique() == 1).all().all()


def test_leak_check_refuses_area_id_with_own_label_aggregate():
    df = _toy(120)
    loo, info = agg.area_aggregates(df, "area", ["t5"], method="leave_one_out")
    X = loo.assign(area=df.area.astype("category"), x=df.x)
    with pytest.raises(agg.LeakageError, match=r"'area_t5_mean' \(leave_one_out of 't5'\) with \['area'\]"):
        agg.check_leakage(X, info, df[["area"]], labels=["t5"])
    with pytest.warns(agg.LeakageWarning, match="area_t5_mean"):
        rep = agg.check_leakage(X, info, df[["area"]], labels=["t5"], on_leak="warn")
    assert rep.identified_share.tolist() == [1.0]
    # the same aggregate without anything that identifies the area is fine
    assert not agg.check_leakage(loo.assign(x=df.x), info, df[["area"]], labels=["t5"]).leaks.any()
    # an aggregate of a non-label column never leaks the label
    xl, xinfo = agg.area_aggregates(df, "area", ["x"], method="leave_one_out")
    assert not agg.check_leakage(xl.assign(area=df.area), xinfo, df[["area"]], labels=["t5"]).leaks.any()


def test_leak_check_sees_area_level_numbers_and_in_sample_means():
    df = _toy(120)
    loo, info = agg.area_aggregates(df, "area", ["t5"], method="out_of_fold", folds=3)
    size = df.groupby("area")["x"].transform("size").astype(float)  # unique per area: identifies it
    with pytest.raises(agg.LeakageError, match=r"\['size'\]"):
        agg.check_leakage(loo.assign(size=size), info, df[["area"]], labels=["t5"])
    ins, iinfo = agg.area_aggregates(df, "area", ["t5"], method="in_sample")
    with pytest.raises(agg.LeakageError, match="includes the person's own label"):
        agg.check_leakage(ins, iinfo, df[["area"]], labels=["t5"])
    ref, rinfo = agg.area_aggregates(df, "area", ["t5"], method="reference",
                                     reference=np.arange(120) % 4 == 0)
    safe = ref.assign(area=df.area.loc[ref.index].astype("category"))
    assert not agg.check_leakage(safe, rinfo, df.loc[ref.index, ["area"]], labels=["t5"]).leaks.any()


def test_identified_share_counts_rows_of_areas_the_columns_pin_down():
    f = pd.DataFrame({"state": ["a", "a", "a", "b", "c", "c"], "puma": [1, 2, 1, 1, 1, 1]})
    areas = ["a1", "a2", "a1", "b1", "c1", "c1"]
    assert agg.identified_share(f[["state"]], areas) == pytest.approx(3 / 6)
    assert agg.identified_share(f[["puma"]], areas) == 1 / 6
    assert agg.identified_share(f, areas) == 1.0


def test_aggregates_reject_bad_input():
    df = _toy()
    with pytest.raises(ValueError, match="method"):
        agg.area_aggregates(df, "area", ["x"], method="mean")
    with pytest.raises(ValueError, match="reference="):
        agg.area_aggregates(df, "area", ["x"], method="reference")
    with pytest.raises(TypeError, match="'area' has dtype"):
        agg.area_aggregates(df, "region", ["area"])
    with pytest.raises(ValueError, match="folds"):
        agg.area_aggregates(df, "area", ["x"], method="out_of_fold", folds=1)
    with pytest.raises(ValueError, match="missing column"):
        agg.area_aggregates(df, "zone", ["x"])


# --------------------------------------------------------------------------- census, Columbus
@pytest.fixture(scope="module")
def census_df():
    return census.load_census2000()


def test_census_labels_and_reference_features(census_df):
    t = census.census_feature_table(census_df, reference_share=0.3, smoothing=5.0, seed=4)
    assert len(t.X) == len(census_df) - round(0.3 * len(census_df))
    assert t.tasks == ["education", "personal_income"] and t.n_classes == {"education": 3, "personal_income": 3}
    edu = t.y["education"].to_numpy()
    years = t.meta["educ"].to_numpy()
    assert ((edu == 0) == (years <= 12)).all() and ((edu == 2) == (years == 16)).all()
    assert not t.leakage.leaks.any()
    # the area mean of a modelled person is the shrunk mean over reference people only
    ref = np.zeros(len(census_df), bool)
    ref[np.random.default_rng(4).permutation(len(census_df))[: round(0.3 * len(census_df))]] = True
    r = census_df[ref]
    i = t.X.index[0]
    area, state = census_df.loc[i, "area"], census_df.loc[i, "state"]
    prior = r.loc[r.state == state, "educ"].mean()
    a = r.loc[r.area == area, "educ"]
    assert t.X.loc[i, "area_educ_mean"] == pytest.approx((a.sum() + 5 * prior) / (len(a) + 5))
    assert not set(t.meta["person"]) & set(np.flatnonzero(ref))


def test_census_refuses_leave_one_out_with_the_area_id(census_df):
    with pytest.raises(agg.LeakageError, match=r"'area_educ_mean' \(leave_one_out of 'educ'\) with \["):
        census.census_feature_table(census_df, method="leave_one_out")
    t = census.census_feature_table(census_df, method="out_of_fold", area_id=False, state_id=False,
                                    on_leak="report")
    assert len(t.X) == len(census_df)


def test_correlations_by_level_match_numpy(census_df):
    res = ecological.level_correlations(census_df, "educ", "lweekinc",
                                        {"individual": None, "PUMA": "area"}, "census2000",
                                        min_n=10, within="area").set_index("level")
    r_ind = np.corrcoef(census_df.educ, census_df.lweekinc)[0, 1]
    g = census_df.groupby("area")[["educ", "lweekinc"]].agg(["mean", "size"])
    g = g[g[("educ", "size")] >= 10]
    r_area = np.corrcoef(g[("educ", "mean")], g[("lweekinc", "mean")])[0, 1]
    assert res.loc["individual", "pearson_r"] == pytest.approx(r_ind)
    assert res.loc["PUMA", "pearson_r"] == pytest.approx(r_area) and res.loc["PUMA", "n"] == len(g)
    assert (res.ci_low < res.pearson_r).all() and (res.pearson_r < res.ci_high).all()
    assert res.loc["PUMA", "pearson_r"] > res.loc["individual", "pearson_r"] > res.loc["within_area", "pearson_r"]


def test_columbus_loads_49_neighbourhoods():
    c = ecological.load_columbus()
    assert len(c) == 49 and c.NEIG.is_unique
    res = ecological.level_correlations(c, "HOVAL", "INC", {"neighbourhood": None}, "columbus")
    assert res.pearson_r.iloc[0] == pytest.approx(np.corrcoef(c.HOVAL, c.INC)[0, 1])


def test_between_area_share_recovers_a_known_icc():
    rng = np.random.default_rng(0)
    areas = np.repeat(np.arange(400), 20)
    v = rng.normal(0, 1, 400)[areas] + rng.normal(0, 1, areas.size)  # ICC = 1 / (1 + 1)
    s = ecological.between_area_share(pd.DataFrame({"a": areas, "v": v}), "v", "a")
    assert s["icc"] == pytest.approx(0.5, abs=0.05)
    assert s["eta2"] > s["icc"]  # eta^2 also counts the sampling noise of area means
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="at least 2 areas"):
            ecological.between_area_share(pd.DataFrame({"a": [0, 0], "v": [1.0, 2.0]}), "v", "a")


def test_command_line_writes_a_world_folder(tmp_path, capsys):
    from homelib.realdata.__main__ import main

    out = tmp_path / "w"
    assert main(["checkins", str(FIXTURE / "edges.txt"), str(FIXTURE / "checkins.txt"), "--out", str(out),
                 "--visible-share", "0.6", "--seed", "2"]) == 0
    w = read_social_world(out)
    assert w.n_users == 39 and w.users.current_visible.sum() == round(0.6 * 33)
    assert set(pd.read_csv(out / "homes.csv").method) == {"night_checkin", "none"}
    assert '"null_island_dropped": 1' in capsys.readouterr().out


def test_checkin_files_are_found_by_plain_or_snap_names(tmp_path):
    assert [p.name for p in checkins.find_checkin_files(FIXTURE)] == ["edges.txt", "checkins.txt"]
    (tmp_path / "a_edges.txt").write_text("")
    with pytest.raises(FileNotFoundError, match="heckins"):
        checkins.find_checkin_files(tmp_path)
    (tmp_path / "b_edges.txt.gz").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=r"\['a_edges.txt', 'b_edges.txt.gz'\]"):
        checkins.find_checkin_files(tmp_path)
