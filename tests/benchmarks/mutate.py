"""Mutation testing of the functions that implement the papers' equations (``make mutate``).

Runs mutmut (configured in ``pyproject.toml``, ``[tool.mutmut]``) on the mutants of the
functions listed in ``equation_functions``, then prints the kill rate per function and every
surviving mutant with its diff. Not part of CI (it takes tens of minutes). Run from the
repository root:

    python tests/benchmarks/mutate.py [--only GLOB ...] [--report PATH]

``--report`` writes the printed summary to a file (the committed report,
``tests/benchmarks/mutation_h2sea.md``, is that output with a note per survivor).
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KILLED = {"killed", "timeout", "caught by type check"}


def mutmut(*args: str, check: bool = True) -> str:
    exe = Path(sys.executable).with_name("mutmut")
    out = subprocess.run([str(exe), *args], cwd=ROOT, capture_output=True, text=True)
    if check and out.returncode != 0:
        raise SystemExit(f"mutmut {' '.join(args)} failed ({out.returncode}):\n{out.stdout[-3000:]}"
                         f"\n{out.stderr[-3000:]}")
    return out.stdout


def function_of(mutant: str) -> str:
    return re.sub(r"__mutmut_\d+$", "", mutant)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", help="mutant-name globs (default: equation_functions)")
    ap.add_argument("--report", type=Path, help="also write the summary to this file")
    ap.add_argument("--no-run", action="store_true", help="summarise the last run only")
    a = ap.parse_args()
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    globs = a.only or cfg["equation_functions"]
    if not a.no_run:
        print(f"mutmut run on {len(globs)} function globs ...", flush=True)
        subprocess.run([str(Path(sys.executable).with_name("mutmut")), "run", *globs], cwd=ROOT)
    status = {}
    for line in mutmut("results", "--all", "true").splitlines():
        name, _, st = line.strip().rpartition(": ")
        if name and any(fnmatch.fnmatch(name, g) for g in globs):
            status[name] = st
    if not status:
        raise SystemExit("no mutant results for these globs; run without --no-run first")
    per = defaultdict(Counter)
    for name, st in status.items():
        per[function_of(name)][st] += 1
    lines = ["| function | mutants | killed | survived | other |", "|---|---:|---:|---:|---:|"]
    tot = Counter()
    for fn in sorted(per):
        c = per[fn]
        k = sum(v for s, v in c.items() if s in KILLED)
        sv = c.get("survived", 0)
        lines.append(f"| `{fn}` | {sum(c.values())} | {k} | {sv} | {sum(c.values()) - k - sv} |")
        tot.update(c)
    killed = sum(v for s, v in tot.items() if s in KILLED)
    n = sum(tot.values())
    tested = n - tot.get("no tests", 0) - tot.get("skipped", 0)
    head = [f"Mutants: {n}; killed {killed}; survived {tot.get('survived', 0)}; "
            f"other {dict((s, v) for s, v in tot.items() if s not in KILLED | {'survived'})}",
            f"Kill rate: {100 * killed / max(tested, 1):.1f}% of {tested} tested mutants", ""]
    surv = [name for name, st in sorted(status.items()) if st != "killed" and st not in KILLED]
    body = ["", "## Surviving and untested mutants", ""]
    for name in surv:
        body += [f"### `{name}` ({status[name]})", "", "```diff", mutmut("show", name, check=False).strip(),
                 "```", ""]
    text = "\n".join(head + lines + body)
    print(text)
    if a.report:
        a.report.write_text(text + "\n")


if __name__ == "__main__":
    main()
