"""Mutation testing of the functions that implement the papers' equations (issue 10 item 4).

Usage (from the repo root; slow, not in CI; ``make mutate`` runs both reports)::

    python tests/benchmarks/mutation.py pfli     # -> tests/benchmarks/mutation_pfli.md
    python tests/benchmarks/mutation.py h2sea    # -> tests/benchmarks/mutation_h2sea.md
    python tests/benchmarks/mutation.py pfli --report-only   # rewrite the report from mutants/

mutmut (``[tool.mutmut]`` in pyproject.toml: which files, which fast tests) mutates
the files of the equation modules; this script runs only the mutants of the
*equation functions* listed in :data:`REPORTS` (glob patterns on mutmut's mutant
names), then writes the kill rate per module and function and every surviving
mutant with its diff and the reason it is harmless, from
``tests/benchmarks/mutation_survivors.yml`` (mutant name -> reason). A survivor
without a reason is marked "unexplained". Timeouts count as killed, as in mutmut.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import fnmatch
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SURVIVORS = Path(__file__).with_name("mutation_survivors.yml")

# module -> equation functions (methods as "Class.method")
REPORTS: dict[str, dict[str, list[str]]] = {
    "pfli": {
        "homelib.pfli.model": [
            "indication_matrix", "_value_city_counts", "SimilarityMatrix.lookup",
            "SimilarityMatrix.to_sparse", "similarity_matrix", "close_far_labels", "_onehot",
            "PFLIModel.components", "PFLIModel._ln_friends_with_value", "PFLIModel._sigma_loo",
            "PFLIModel._loo_pair_counts", "PFLIModel._w_loo", "PFLIModel._onehot_all",
            "PFLIModel._evidence", "PFLIModel.raw_scores", "PFLIModel.has_evidence",
            "PFLIModel.score", "_items", "_fit_logistic", "_matrices",
        ],
        "homelib.pfli.clusters": [
            "cluster_places", "cluster_medoids", "_row_argmax", "select_locations",
            "_weighted_centroid",
        ],
        "homelib.pfli.baselines": [
            "friend_pairs_by_distance", "_profile_nll", "fit_backstrom_bins", "fit_backstrom",
            "base_dist",
        ],
        "homelib.pfli.evaluation": ["_user_sets", "aed_table", "acc_table"],
        "homelib.metrics": ["_errors", "aed_at", "acc_at_k", "acc_curve"],
        "homelib.exposure.features": ["cluster_confidence", "_errors_for_k", "ep_at_k"],
        "homelib.exposure.risk": ["_check_level", "risk_levels", "risk_level", "risk_band"],
    },
    "h2sea": {
        "homelib.h2sea.features": [
            "stats_of_prices", "price_features", "statistics_features", "poi_features",
        ],
        "homelib.metrics": ["_labels_and_proba", "macro_f1", "gmean", "accuracy", "auc"],
    },
}

KILLED = {1: "killed", 3: "killed", 36: "timeout", -24: "timeout", 24: "timeout",
          152: "timeout", 255: "timeout", 37: "killed"}
OTHER = {0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", None: "not checked"}


def mutant_glob(module: str, function: str) -> str:
    """mutmut's name pattern for the mutants of ``function`` (``Class.method`` for methods)."""
    if "." in function:
        cls, meth = function.split(".")
        return f"{module}.x\u01c1{cls}\u01c1{meth}__mutmut_*"
    return f"{module}.x_{function}__mutmut_*"


def status(code) -> str:
    return KILLED.get(code) or OTHER.get(code, "suspicious")


def run_mutmut(report: str, max_children: int, only: list[str] | None = None) -> None:
    """Run mutmut on the report's functions (or on the mutant names ``only``)."""
    globs = only or [mutant_glob(m, f) for m, fs in REPORTS[report].items() for f in fs]
    log = ROOT / "mutants" / f"mutmut-{report}.log"
    log.parent.mkdir(exist_ok=True)
    cmd = ["nice", "-n", "15", sys.executable, "-m", "mutmut", "run", "--max-children",
           str(max_children), *globs]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    with open(log, "a") as fh:
        rc = subprocess.call(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env=env)
    if rc != 0:
        sys.exit(f"mutmut run failed (exit {rc}); see {log}")


def load_results(report: str) -> list[tuple[str, str, str, str]]:
    """(module, function, mutant name, status) of every mutant of the report's functions."""
    out = []
    for module, functions in REPORTS[report].items():
        meta = ROOT / "mutants" / (module.replace(".", "/") + ".py.meta")
        if not meta.exists():
            sys.exit(f"{meta} is missing: run without --report-only first")
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        for function in functions:
            pat = mutant_glob(module, function)
            names = sorted((n for n in codes if fnmatch.fnmatchcase(n, pat)),
                           key=lambda n: int(n.rsplit("_", 1)[1]))
            out += [(module, function, n, status(codes[n])) for n in names]
    return out


_SOURCES: dict[str, dict[str, list[str]]] = {}


def _functions(module: str) -> dict[str, list[str]]:
    """Source lines of every function of mutmut's copy of ``module`` (mutants and originals)."""
    if module not in _SOURCES:
        path = ROOT / "mutants" / (module.replace(".", "/") + ".py")
        text = path.read_text()
        lines = text.splitlines()
        _SOURCES[module] = {
            node.name: lines[node.lineno:node.end_lineno]
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.FunctionDef) and "__mutmut_" in node.name
        }
    return _SOURCES[module]


def show(name: str) -> str:
    """The changed lines of mutant ``name`` against the original function."""
    module, _, func = name.rpartition(".")
    funcs = _functions(module)
    orig = funcs.get(func.rsplit("__mutmut_", 1)[0] + "__mutmut_orig")
    mut = funcs.get(func)
    if orig is None or mut is None:
        return "(source not found)"
    diff = difflib.unified_diff(orig, mut, lineterm="", n=0)
    return "\n".join(ln for ln in diff if ln[:1] in "-+" and ln[:3] not in ("---", "+++"))


def rate(c: Counter) -> str:
    n = sum(c.values()) - c["not checked"]
    k = c["killed"] + c["timeout"]
    return f"{100 * k / n:.1f}%" if n else "n/a"


def write_report(report: str, results: list, path: Path) -> None:
    reasons = yaml.safe_load(SURVIVORS.read_text()) if SURVIVORS.exists() else {}
    reasons = reasons or {}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    cfg_tests = _test_selection()
    total = Counter(s for *_, s in results)
    lines = [
        f"# Mutation testing: {report.upper()} equation functions",
        "",
        f"Generated by `python tests/benchmarks/mutation.py {report}` (`make mutate`) with mutmut "
        f"on commit `{commit}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Tests run against "
        f"each mutant: {', '.join(f'`{t}`' for t in cfg_tests)} (only those covering the mutated "
        "function). Timeouts count as killed.",
        "",
        f"**Overall: {total['killed'] + total['timeout']} of {len(results) - total['not checked']} "
        f"checked mutants killed ({rate(total)})**; survived {total['survived']}, no covering test "
        f"{total['no tests']}, not checked (run stopped) {total['not checked']}. Kill rates are over "
        "the checked mutants.",
        "",
        "## Kill rate per module",
        "",
        "| module | mutants | killed | timeout | survived | no tests | not checked | kill rate |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for module in REPORTS[report]:
        c = Counter(s for m, _, _, s in results if m == module)
        lines.append(f"| `{module}` | {sum(c.values())} | {c['killed']} | {c['timeout']} | "
                     f"{c['survived']} | {c['no tests']} | {c['not checked']} | {rate(c)} |")
    lines += ["", "## Kill rate per function", "",
              "| function | mutants | killed | not killed | not checked | kill rate |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for module, functions in REPORTS[report].items():
        for f in functions:
            c = Counter(s for m, fn, _, s in results if m == module and fn == f)
            lines.append(f"| `{module}.{f}` | {sum(c.values())} | {c['killed'] + c['timeout']} | "
                         f"{sum(c.values()) - c['killed'] - c['timeout'] - c['not checked']} | "
                         f"{c['not checked']} | {rate(c)} |")
    surv = [(m, f, n, s) for m, f, n, s in results if s not in ("killed", "timeout", "not checked")]
    lines += ["", f"## Surviving mutants ({len(surv)})", ""]
    if not surv:
        lines.append("None.")
    unexplained = 0
    for _m, _f, n, s in surv:
        why = reasons.get(n)
        unexplained += why is None
        lines += [f"### `{n}` ({s})", "", "```diff", show(n), "```", "",
                  f"Why: {why or 'unexplained (no entry in tests/benchmarks/mutation_survivors.yml)'}", ""]
    targeted = sum(str(reasons.get(n, "")).startswith("New test") for *_, n, _s in surv)
    checked = len(results) - total["not checked"]
    lines += [f"Unexplained survivors: {unexplained}. Survivors targeted by a test added after the run: "
              f"{targeted} (kill rate {100 * (total['killed'] + total['timeout'] + targeted) / max(checked, 1):.1f}%"
              " once a `--rerun-survivors` confirms them; the rest are harmless as explained).", ""]
    if total["not checked"]:
        idle = [f"`{m}.{f}`" for m, fs in REPORTS[report].items() for f in fs
                if all(s == "not checked" for mm, ff, _, s in results if mm == m and ff == f)]
        lines += ["## Not checked", "",
                  f"The run was stopped before these functions' mutants were checked (2 cores shared by "
                  f"several engineers); `python tests/benchmarks/mutation.py {report} --pending` "
                  f"continues it: {', '.join(idle)}.", ""]
    path.write_text("\n".join(lines))
    print(f"{report}: {total['killed'] + total['timeout']}/{len(results)} killed ({rate(total)}), "
          f"{len(surv)} not killed ({unexplained} unexplained) -> {path.relative_to(ROOT)}")


def _test_selection() -> list[str]:
    import tomllib

    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return cfg.get("pytest_add_cli_args_test_selection", [])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("report", choices=sorted(REPORTS))
    p.add_argument("--report-only", action="store_true", help="only rewrite the report from mutants/")
    p.add_argument("--pending", action="store_true", help="run only the mutants without a result")
    p.add_argument("--rerun-survivors", action="store_true",
                   help="run again only the mutants that survived (after adding tests)")
    p.add_argument("--max-children", type=int, default=2)
    a = p.parse_args(argv)
    if a.pending or a.rerun_survivors:
        want = {"not checked"} if a.pending else {"survived", "no tests"}
        names = [n for *_, n, st in load_results(a.report) if st in want]
        if names:
            run_mutmut(a.report, a.max_children, names)
    elif not a.report_only:
        run_mutmut(a.report, a.max_children)
    write_report(a.report, load_results(a.report), Path(__file__).with_name(f"mutation_{a.report}.md"))


if __name__ == "__main__":
    main()
