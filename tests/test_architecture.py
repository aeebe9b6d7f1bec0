"""The library's shape: one wing per study over a shared core, imports one way.

The layer contracts live in ``pyproject.toml`` (``[tool.importlinter]``); this
file runs them and checks what import-linter cannot see: imports hidden inside
functions, and the ``__all__`` of every module.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "homelib"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # analyse this checkout, not an installed copy
    out = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         env=env)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


@pytest.mark.parametrize("path", MODULES, ids=_module_name)
def test_no_homelib_import_inside_a_function(path):
    """Imports of homelib modules sit at the top of a module, where import-linter sees them."""
    tree = ast.parse(path.read_text())
    hidden = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("homelib")):
                hidden.append(f"{fn.name}: from {'.' * node.level}{node.module or ''} import ...")
            if isinstance(node, ast.Import) and any(a.name.startswith("homelib") for a in node.names):
                hidden.append(f"{fn.name}: import {', '.join(a.name for a in node.names)}")
    assert not hidden, hidden


@pytest.mark.parametrize("path", [p for p in MODULES if p.name not in ("__init__.py", "__main__.py")],
                         ids=_module_name)
def test_every_module_declares_all_and_defines_it(path):
    tree = ast.parse(path.read_text())
    defined = set()
    exported = None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            defined.add(node.name)
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        for t in targets:
            if isinstance(t, ast.Name):
                defined.add(t.id)
                if t.id == "__all__":
                    exported = ast.literal_eval(node.value)
    assert exported is not None, f"{path.name} has no __all__"
    assert len(exported) == len(set(exported)), "duplicate names in __all__"
    missing = [n for n in exported if n not in defined]
    assert not missing, f"__all__ names {missing} are not defined in {path.name}"


def test_the_tree_has_one_wing_per_study():
    wings = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert {"h2sea", "pfli", "exposure"} <= wings
    assert not (PACKAGE / "worlds").exists()
