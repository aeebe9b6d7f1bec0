import json

import pandas as pd
import pytest

from homelib import io


@pytest.fixture()
def tmp_root(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMELIB_ROOT", str(tmp_path))
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


def test_write_result_csv_enforces_contract(tmp_root):
    df = pd.DataFrame({"b": [1], "a": [2], "extra": [3]})
    path = io.write_result_csv(df, "x.csv", ["a", "b"])
    assert list(pd.read_csv(path).columns) == ["a", "b", "extra"]
    assert list(df.columns) == ["b", "a", "extra"]  # input untouched
    with pytest.raises(ValueError, match=r"missing column\(s\) \['c'\]"):
        io.write_result_csv(df, "y.csv", ["a", "c"])
    assert not (tmp_root / "data" / "results" / "y.csv").exists()


def test_atomic_write_leaves_no_temp_on_failure(tmp_root, monkeypatch):
    target = tmp_root / "data" / "results" / "z.json"
    io.atomic_write_text(target, json.dumps({"ok": 1}))

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(io.os, "replace", boom)
    with pytest.raises(OSError):
        io.atomic_write_text(target, "half")
    assert json.loads(target.read_text()) == {"ok": 1}
    assert [p.name for p in target.parent.iterdir()] == ["z.json"]


def test_read_result_and_reference_errors(tmp_root):
    with pytest.raises(FileNotFoundError, match="run the notebook"):
        io.read_result_csv("nothing.csv")
    with pytest.raises(FileNotFoundError, match="unknown reference table"):
        io.load_reference("nothing")


def test_reference_tables_load():
    t3 = io.load_reference("h2sea_table3_performance")
    assert t3.shape == (24, 6)
    facts = io.load_reference("pfli_facts")
    assert int(facts.set_index("key").loc["la_users", "value"]) == 153909


def test_atomic_write_uses_usual_permissions(tmp_root):
    import os
    import stat

    path = io.atomic_write_text(tmp_root / "data" / "results" / "p.csv", "a\n")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_cache_key_includes_library_code(tmp_root, monkeypatch):
    calls = []
    io.cached("obj", {"seed": 1}, lambda: calls.append(1) or len(calls))
    monkeypatch.setattr(io, "code_hash", lambda: "changed-code")
    assert io.cached("obj", {"seed": 1}, lambda: calls.append(1) or len(calls)) == 2
