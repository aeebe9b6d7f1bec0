import hashlib
import json
import os
import pickle
import stat
import subprocess
import sys

import pandas as pd
import pytest

from homelib import io, paths, schemas


@pytest.fixture()
def tmp_root(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMELIB_ROOT", str(tmp_path))
    monkeypatch.delenv(paths.RESULTS_ENV, raising=False)
    (tmp_path / "data" / "reference").mkdir(parents=True)
    return tmp_path


def test_param_hash_is_order_free_and_value_sensitive():
    assert io.param_hash({"a": 1, "b": [1, 2]}) == io.param_hash({"b": [1, 2], "a": 1})
    assert io.param_hash({"a": 1}) != io.param_hash({"a": 1.5})


def test_cached_builds_once(tmp_root):
    calls = []

    def build():
        calls.append(1)
        return {"x": len(calls)}

    assert io.cached("thing", {"seed": 1}, build) == {"x": 1}
    assert io.cached("thing", {"seed": 1}, build) == {"x": 1}
    assert io.cached("thing", {"seed": 2}, build) == {"x": 2}
    assert io.cached("thing", {"seed": 1}, build, refresh=True) == {"x": 3}
    assert len(list((tmp_root / "data" / "cache").glob("thing-*.pkl"))) == 2


@pytest.mark.parametrize("damage", [b"", b"not a pickle at all", b"\x80\x05\x95",
                                    pickle.dumps({"x": 1}),
                                    pickle.dumps({"format": 2, "key": "other", "object": 5})],
                         ids=["empty", "garbage", "truncated", "old format", "stale key"])
def test_a_corrupt_or_stale_cache_entry_is_rebuilt_with_a_warning(tmp_root, damage):
    assert io.cached("obj", {"seed": 1}, lambda: "first") == "first"
    (entry,) = (tmp_root / "data" / "cache").glob("obj-*.pkl")
    entry.write_bytes(damage)
    with pytest.warns(io.CacheWarning, match=rf"cache entry {entry.name} cannot be used"):
        assert io.cached("obj", {"seed": 1}, lambda: "rebuilt") == "rebuilt"
    assert io.cached("obj", {"seed": 1}, lambda: "never") == "rebuilt"  # and stored again


def test_cache_key_includes_library_code_and_package_versions(tmp_root, monkeypatch):
    calls = []

    def build():
        calls.append(1)
        return len(calls)

    assert io.cached("obj", {"seed": 1}, build) == 1
    monkeypatch.setattr(io, "code_hash", lambda code=None: "changed-code")
    assert io.cached("obj", {"seed": 1}, build) == 2
    monkeypatch.setattr(io, "package_versions", lambda: {"numpy": "0.0.1"})
    assert io.cached("obj", {"seed": 1}, build) == 3
    assert io.cached("obj", {"seed": 1}, build) == 3


def test_a_scoped_cache_key_hashes_only_the_code_the_builder_imports(tmp_root, monkeypatch):
    seen = []

    def fake_hash(code=None):
        seen.append(code)
        return {"homelib.geo": "geo-v1"}.get(code, "all-v1")

    monkeypatch.setattr(io, "code_hash", fake_hash)
    assert io.cached("obj", {"seed": 1}, lambda: "scoped", code="homelib.geo") == "scoped"
    assert seen == ["homelib.geo"]
    # another module's code changes: the scoped entry is reused, the unscoped one is not
    monkeypatch.setattr(io, "code_hash", lambda code=None: {"homelib.geo": "geo-v1"}.get(code, "all-v2"))
    assert io.cached("obj", {"seed": 1}, lambda: "rebuilt", code="homelib.geo") == "scoped"
    assert io.cached("obj", {"seed": 1}, lambda: "unscoped") == "unscoped"
    monkeypatch.setattr(io, "code_hash", lambda code=None: "geo-v2")
    assert io.cached("obj", {"seed": 1}, lambda: "rebuilt", code="homelib.geo") == "rebuilt"


def test_module_closure_follows_relative_and_absolute_imports():
    world = paths.module_closure("homelib.pfli.world")
    assert {"homelib", "homelib.pfli", "homelib.pfli.world", "homelib.pfli.data", "homelib.geo",
            "homelib.io", "homelib.paths"} <= set(world)
    assert "homelib.pfli.model" not in world and "homelib.h2sea" not in world
    part = paths.module_closure("homelib.pfli.scale.partitioned")  # `from ..model import` (level 2)
    assert {"homelib.pfli.scale", "homelib.pfli.model", "homelib.pfli.clusters"} <= set(part)
    assert list(world) == sorted(world)
    with pytest.raises(ValueError, match="'homelib.nope' is not a homelib module"):
        paths.module_closure("homelib.nope")


@pytest.mark.parametrize("module", ["homelib.pfli.world", "homelib.h2sea.world",
                                    "homelib.pfli.scale.partitioned", "homelib.exposure.estimator"])
def test_module_closure_holds_every_homelib_module_an_import_loads(module):
    """An independent check: what a fresh interpreter loads is inside the static closure."""
    code = (f"import sys, {module}; "
            "print('\\n'.join(m for m in sys.modules if m == 'homelib' or m.startswith('homelib.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=paths.project_root())
    loaded = set(out.stdout.split())
    assert loaded and loaded <= set(paths.module_closure(module)), loaded - set(paths.module_closure(module))


def test_code_hash_of_a_module_is_the_hash_of_its_closure_files():
    package = paths.project_root() / "homelib"
    files = []
    for m in paths.module_closure("homelib.pfli.world"):
        rel = m.split(".")[1:]
        init = package.joinpath(*rel, "__init__.py")
        files.append(init if init.is_file() else package.joinpath(*rel).with_suffix(".py"))
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(str(f.relative_to(package)).encode())
        h.update(f.read_bytes())
    assert paths.code_hash("homelib.pfli.world") == h.hexdigest()[:16]
    assert paths.code_hash("homelib.pfli.world") != paths.code_hash()


def test_write_result_csv_enforces_contract_and_goes_to_scratch(tmp_root):
    df = pd.DataFrame({"b": [1], "a": [2], "extra": [3]})
    path = io.write_result_csv(df, "x.csv", ["a", "b"])
    assert path.parent == tmp_root / "data" / "scratch" / paths.run_id()
    assert not (tmp_root / "data" / "results").exists()
    assert list(pd.read_csv(path).columns) == ["a", "b", "extra"]
    assert list(df.columns) == ["b", "a", "extra"]  # input untouched
    with pytest.raises(ValueError, match=r"missing column\(s\) \['c'\]"):
        io.write_result_csv(df, "y.csv", ["a", "c"])
    assert not (path.parent / "y.csv").exists()


def test_write_result_csv_validates_the_file_contracts(tmp_root, monkeypatch):
    staging = tmp_root / "staging"
    monkeypatch.setenv(paths.RESULTS_ENV, str(staging))
    good = pd.DataFrame({"model": ["RDF", "LinearRegression"], "mae": [0.05, 0.13],
                         "rmse": [0.06, 0.16], "n_rows": [9, 9]})
    assert io.write_result_csv(good, "exposure_models.csv").parent == staging
    bad = good.assign(rmse=[0.06, float("nan")])
    with pytest.raises(schemas.TableError,
                       match=r"exposure_models.csv: column 'rmse', row 1, value nan: missing"):
        io.write_result_csv(bad, "exposure_models.csv")
    with pytest.raises(ValueError, match="differ from the file contract"):
        io.write_result_csv(good, "exposure_models.csv", ["model", "rmse", "mae"])
    cases = pd.DataFrame({"user": [3], "category": ["HT+XX"], "cluster_confidence": [0.4],
                          "error_distance_km": [100.0], "pct_friends_with_attributes": [0.0],
                          "exposure_probability": [0.2], "risk_level": [2.5]})
    with pytest.raises(schemas.TableError) as err:
        io.write_result_csv(cases, "exposure_cases.csv")
    assert set(err.value.failures.column) == {"category", "risk_level"}
    assert pd.read_csv(staging / "exposure_models.csv").equals(good)  # the good write stands


def test_every_design_contract_has_a_schema():
    design = {
        "h2sea_calibration.csv", "h2sea_performance.csv", "h2sea_feature_importance.csv",
        "h2sea_city_village.csv", "housing_income_correlation.csv", "pfli_calibration.csv",
        "pfli_aed.csv", "pfli_acc_at_k.csv", "exposure_models.csv", "exposure_cases.csv",
        "claims.csv", "realdata_h2sea.csv", "realdata_correlation.csv", "home_exposure.csv",
        "home_exposure_models.csv"}
    assert set(schemas.RESULT_SCHEMAS) == design
    assert schemas.RESULT_COLUMNS["pfli_aed.csv"] == (
        "user_set", "method", "aed60", "aed80", "aed100", "n_users")


def test_atomic_write_leaves_no_temp_on_failure(tmp_root, monkeypatch):
    target = tmp_root / "out" / "z.json"
    io.atomic_write_text(target, json.dumps({"ok": 1}))

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(paths.os, "replace", boom)
    with pytest.raises(OSError):
        io.atomic_write_text(target, "half")
    assert json.loads(target.read_text()) == {"ok": 1}
    assert [p.name for p in target.parent.iterdir()] == ["z.json"]


def test_read_result_prefers_this_run_then_published(tmp_root, monkeypatch):
    with pytest.raises(FileNotFoundError, match="run the notebook"):
        io.read_result_csv("nothing.csv")
    with pytest.raises(FileNotFoundError, match="unknown reference table"):
        io.load_reference("nothing")
    published = tmp_root / "data" / "results"
    published.mkdir(parents=True)
    (published / "t.csv").write_text("a\n1\n")
    assert io.read_result_csv("t.csv").a.tolist() == [1]
    io.atomic_write_text(io.results_dir() / "t.csv", "a\n2\n")
    assert io.read_result_csv("t.csv").a.tolist() == [2]


def test_reference_tables_load():
    t3 = io.load_reference("h2sea_table3_performance")
    assert t3.shape == (24, 6)
    facts = io.load_reference("pfli_facts")
    assert int(facts.set_index("key").loc["la_users", "value"]) == 153909


def test_atomic_write_uses_usual_permissions(tmp_root):
    path = io.atomic_write_text(tmp_root / "out" / "p.csv", "a\n")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
