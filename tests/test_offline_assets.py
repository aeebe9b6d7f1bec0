"""book/_ext/offline_assets.py: MathJax from the pinned wheel, scripts listed once."""

import importlib.util
from pathlib import Path

import yaml
from sphinx.builders.html._assets import _JavaScript

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("offline_assets",
                                              ROOT / "book" / "_ext" / "offline_assets.py")
offline_assets = importlib.util.module_from_spec(spec)
spec.loader.exec_module(offline_assets)


def _sphinx_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]


def test_extension_is_registered_and_mathjax_is_local():
    sphinx = _sphinx_config()
    assert sphinx["local_extensions"] == {"offline_assets": "book/_ext"}
    path = sphinx["config"]["mathjax_path"]
    assert "//" not in path
    assert (offline_assets.mathjax_static_dir() / path).is_file()


def test_mathjax_ships_its_fonts_and_tex_extensions():
    root = offline_assets.mathjax_static_dir() / "mathjax"
    assert len(list((root / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))) >= 20
    assert (root / "input" / "tex" / "extensions" / "ams.js").is_file()


def test_inline_scripts_with_none_or_empty_filename_are_the_same_script():
    a = _JavaScript(None, body="const X = 1")
    b = _JavaScript("", body="const X = 1")
    c = _JavaScript("", body="const Y = 1")
    key = offline_assets._script_key
    assert key(a) == key(b) != key(c)
