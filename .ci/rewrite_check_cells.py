"""One mechanical pass over the notebooks' check cells (issue 12): the cell right after the
``parameters`` cell becomes its imports plus ``params.check_notebook("NN_name", globals())``.

The per-parameter ``check(...)`` / ``check_list(...)`` calls, loops and ``raise`` blocks
of the old cells are dropped (their ranges live in ``homelib.params.NOTEBOOK_PARAMETERS``);
imports come first, then the check, then any other statement of the old cell (display
options, ...), in its order. Idempotent. Usage, from the repo root::

    python .ci/rewrite_check_cells.py            # rewrite
    python .ci/rewrite_check_cells.py --check    # exit 1 if a cell would change
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKS = {"check", "check_list"}


def _is_check_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Expr) or not isinstance(node.value, ast.Call):
        return False
    f = node.value.func
    name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
    return name in CHECKS


def _droppable(node: ast.stmt) -> bool:
    if _is_check_call(node):
        return True
    if isinstance(node, ast.For):
        return all(_droppable(n) for n in node.body) and not node.orelse
    if isinstance(node, ast.If):
        return all(isinstance(n, ast.Raise) or _droppable(n) for n in node.body)
    if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id.isupper()
                                            for t in node.targets):
        return True  # constants that only fed the checks (e.g. ALL_FAMILIES)
    return False


def new_source(name: str, source: str) -> str:
    """The rewritten cell: its lines minus the checks, with one ``check_notebook`` call."""
    lines = source.splitlines()
    tree = ast.parse(source)
    drop: set[int] = set()
    first_check = None
    has_params = False
    for node in tree.body:
        span = range(node.lineno - 1, node.end_lineno)
        if isinstance(node, ast.ImportFrom) and node.module == "homelib.params":
            lines[node.lineno - 1] = "from homelib import params"
            drop.update(span[1:])
            has_params = True
        elif isinstance(node, ast.ImportFrom) and node.module == "homelib":
            has_params |= any(a.name == "params" for a in node.names)
        elif _droppable(node) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                                  and getattr(node.value.func, "attr", "") == "check_notebook"):
            first_check = node.lineno - 1 if first_check is None else first_check
            drop.update(span)
    call = f'params.check_notebook("{name}", globals())'
    out: list[str] = []
    for i, line in enumerate(lines):
        if i == first_check:
            out.append(call)
        if i not in drop:
            out.append(line)
    if first_check is None:
        out += ["", call]
    if not has_params:
        out.insert(0, "from homelib import params")
    text = "\n".join(out)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip("\n")


def main(argv: list[str]) -> int:
    check_only = "--check" in argv
    changed, skipped = [], []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
        idx = [i for i, c in enumerate(cells) if "parameters" in c["metadata"].get("tags", [])]
        if len(idx) != 1 or idx[0] + 1 >= len(cells) or cells[idx[0] + 1]["cell_type"] != "code":
            skipped.append(f"{path.name}: no code cell after the parameters cell")
            continue
        cell = cells[idx[0] + 1]
        old = "".join(cell["source"])
        new = new_source(path.stem, old)
        if new != old:
            changed.append(path.name)
            if not check_only:
                cell["source"] = new.splitlines(keepends=True)
                path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n",
                                encoding="utf-8")
    for line in skipped:
        print(f"left alone: {line}")
    print(("would change: " if check_only else "rewrote: ") + (", ".join(changed) or "nothing"))
    if changed and not check_only:  # sort the imports the rewrite touched, as ruff wants them
        subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", "--select", "I", "-q",
                        *[str(ROOT / "notebooks" / c) for c in changed]], check=False)
    return 1 if (check_only and changed) or skipped else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
