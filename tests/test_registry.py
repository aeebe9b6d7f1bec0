"""The paper-to-code registry and the API reference cannot go stale."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
import yaml

from homelib import apidoc, registry

ROOT = Path(__file__).resolve().parent.parent


def _resolve(dotted: str):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}


@pytest.mark.parametrize("it", registry.PAPER_ITEMS, ids=lambda i: i.key)
def test_every_item_points_at_real_code_tests_and_chapter(it):
    for dotted in it.code:
        assert _resolve(dotted) is not None, dotted
    for t in it.tests:
        file, _, name = t.partition("::")
        assert name in _test_names(ROOT / file), f"{it.key}: no test {t}"
    nb = ROOT / "notebooks" / f"{it.chapter}.ipynb"
    page = ROOT / "book" / f"{it.chapter}.md"
    assert nb.exists() or page.exists(), f"{it.key}: no chapter {it.chapter}"


def test_items_are_unique_and_cover_every_numbered_equation():
    keys = [i.key for i in registry.PAPER_ITEMS]
    assert len(keys) == len(set(keys))
    def covered(paper, kind, n):
        for i in registry.items_of(paper):
            if i.kind != kind:
                continue
            lo, _, hi = i.number.partition("-")
            if lo.isdigit() and int(lo) <= n <= int(hi or lo):
                return True
        return False
    for paper, kind, last in (("H2SEA", "Eq", 11), ("PFLI", "Eq", 9), ("H2SEA", "Table", 6),
                              ("PFLI", "Table", 8), ("H2SEA", "Fig", 3), ("PFLI", "Fig", 9)):
        missing = [n for n in range(1, last + 1) if not covered(paper, kind, n)]
        assert not missing, f"{paper} {kind} {missing} not in the registry"


def test_item_lookup_names_the_known_items():
    with pytest.raises(KeyError, match="H2SEA Eq 1"):
        registry.item("H2SEA Eq 99")


def test_item_without_code_needs_a_note():
    with pytest.raises(ValueError, match="needs a note"):
        registry.PaperItem("PFLI", "Fig", "1", "x", (), (), "08_pfli")


def test_paper_to_code_page_is_up_to_date():
    page = (ROOT / "book" / "paper_to_code.md").read_text()
    assert page == registry.render_markdown(), \
        "book/paper_to_code.md is stale: run python -m homelib.registry > book/paper_to_code.md"


def test_every_module_has_an_api_page_in_the_toc():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc)
    for m in apidoc.module_names():
        page = ROOT / "book" / "api" / f"{m}.md"
        assert page.exists() and page.read_text() == apidoc.page_text(m), \
            f"{page} missing or stale: run python -m homelib.apidoc"
        assert f"book/api/{m}" in files, f"book/api/{m} is not in _toc.yml: run python -m homelib.apidoc"
    stale = {p.stem for p in (ROOT / "book" / "api").glob("homelib.*.md")} - set(apidoc.module_names())
    assert not stale, f"API pages of modules that no longer exist: {sorted(stale)}"
