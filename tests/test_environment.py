"""environment.yml (conda) and requirements.txt (pip) must pin the same set."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# pip name -> conda-forge name, where they differ
CONDA_NAMES = {"torch": "pytorch", "xgboost-cpu": "xgboost"}


def pip_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        assert m, f"requirements.txt: {line!r} is not pinned with =="
        pins[m.group(1).lower()] = m.group(2)
    return pins


def conda_pins() -> tuple[dict[str, str], dict[str, str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    conda, pip = {}, {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for line in dep.get("pip", []):
                name, _, version = line.partition("==")
                assert version, f"environment.yml pip entry {line!r} is not pinned"
                pip[name.lower()] = version
            continue
        name, _, version = dep.partition("=")
        conda[name.lower()] = version
    return conda, pip


def test_python_is_311():
    conda, _ = conda_pins()
    assert conda["python"] == "3.11"


def test_same_pinned_set():
    pins = pip_pins()
    conda, pip = conda_pins()
    conda.pop("python")
    conda.pop("pip")
    expected = {}
    for name, version in pins.items():
        if name in pip:
            expected[name] = pip[name]
        else:
            cname = CONDA_NAMES.get(name, name)
            assert cname in conda, f"{name}=={version} is in requirements.txt but not environment.yml"
            expected[name] = conda.pop(cname)
    assert not conda, f"environment.yml pins {sorted(conda)} that requirements.txt does not"
    drift = {n: (pins[n], expected[n]) for n in pins if pins[n] != expected[n]}
    assert not drift, f"versions differ (pip, conda): {drift}"


def test_jupyter_book_is_1x():
    assert pip_pins()["jupyter-book"].startswith("1.")
