"""Mutation testing of the functions that implement the papers' equations (issue 10 item 4).

Usage (from the repo root; slow, not in CI; ``make mutate`` runs both reports, sampled)::

    python tests/benchmarks/mutation.py pfli --sample 300 --seed 1   # -> mutation_pfli.md
    python tests/benchmarks/mutation.py h2sea --sample 150 --seed 1  # -> mutation_h2sea.md
    python tests/benchmarks/mutation.py pfli                 # every mutant (slow: ~2,700)
    python tests/benchmarks/mutation.py pfli --rerun-survivors   # after adding tests
    python tests/benchmarks/mutation.py pfli --report-only   # rewrite the report from mutants/

mutmut (``[tool.mutmut]`` in pyproject.toml: which files, which fast tests) mutates the
files of the equation modules; this script runs only the mutants of the *equation
functions* listed in :data:`REPORTS` (the one list of them), then writes the kill rate per
module and function and every surviving mutant with its diff and the reason it is harmless,
from ``tests/benchmarks/mutation_survivors.yml`` (mutant name -> reason). A survivor without
a reason is marked "unexplained". Timeouts count as killed, as in mutmut.

``--sample N --seed S`` runs a stratified random sample of N of those mutants instead of all
of them: the strata are the equation functions, each gets a share proportional to its number
of mutants and at least one (:func:`allocate`, :func:`stratified_sample`); the sample is a
pure function of the mutant list, N and S, and is saved in ``mutants/`` so that
``--rerun-survivors`` and ``--report-only`` work on the same sample. The report gives the
sample's kill rate with a 95% Wilson interval. Sampling mutants estimates the mutation score
well at a fraction of the cost (Gopinath, Jensen & Groce, "The theory of composite faults" /
"How hard does mutation analysis have to be, anyway?", ISSRE 2015).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import fnmatch
import json
import math
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import yaml
from scipy.stats import binomtest

ROOT = Path(__file__).resolve().parents[2]
SURVIVORS = Path(__file__).with_name("mutation_survivors.yml")
MUTANTS = ROOT / "mutants"

# report -> module -> equation functions (methods as "Class.method"). The only list of them:
# pyproject's [tool.mutmut] says which files mutmut mutates, this says which mutants count.
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
        # H2SEA (Ding et al. 2021): Eq 3 (FM), Eq 4-8 (towers, attention), Eq 9-11 (loss, weights)
        "homelib.h2sea.models": [
            "paper_class_weights", "is_imbalanced", "h2sea_loss", "l2_penalty",
            "prior_corrected_decision", "fast_macro_f1", "FMEmbeddingNet.field_embeddings",
            "FMEmbeddingNet.first_order", "FMEmbeddingNet.bi_interaction",
            "FMEmbeddingNet.fm_score", "FMEmbeddingNet.shared_embedding",
            "FMEmbeddingNet.first_layer", "FMEmbeddingNet.stacked_logits",
            "NeuralMultiTask._loss_class_weights",
        ],
        # Sec 3 features: prices within 2 km with the 10 km fallback, statistics, Eq 2's POI ratio
        "homelib.h2sea.features": [
            "stats_of_prices", "price_features", "statistics_features", "poi_features",
        ],
        # the paper's metrics (Sec 5.1)
        "homelib.metrics": ["_labels_and_proba", "macro_f1", "gmean", "accuracy", "auc",
                            "classification_report"],
    },
}

KILLED = {1: "killed", 3: "killed", 36: "timeout", -24: "timeout", 24: "timeout",
          152: "timeout", 255: "timeout", 37: "killed"}
OTHER = {0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", None: "not checked"}
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def mutant_glob(module: str, function: str) -> str:
    """mutmut's name pattern for the mutants of ``function`` (``Class.method`` for methods).

    >>> mutant_glob("homelib.metrics", "aed_at")
    'homelib.metrics.x_aed_at__mutmut_*'
    """
    if "." in function:
        cls, meth = function.split(".")
        return f"{module}.x\u01c1{cls}\u01c1{meth}__mutmut_*"
    return f"{module}.x_{function}__mutmut_*"


def mutant_number(name: str) -> int:
    """The number mutmut gives a mutant (the digits after the last ``_``)."""
    return int(name.rsplit("_", 1)[1])


def status(code) -> str:
    return KILLED.get(code) or OTHER.get(code, "suspicious")


# --------------------------------------------------------------------------- the sampler
def allocate(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """How many mutants to draw from each stratum (function) for a sample of ``n``.

    Proportional allocation, ``n * size / total``, rounded by largest remainders so that the
    shares add up to ``n``, with at least one mutant from every non-empty stratum and never
    more than it holds. Ties are broken by the stratum's name, so the result is deterministic.

    Parameters
    ----------
    sizes : mapping of str to int
        Stratum name -> number of mutants (strata with 0 are left out of the result).
    n : int
        Sample size; at least the number of non-empty strata. A size of at least the total
        gives every mutant.

    Returns
    -------
    dict of str to int
        Stratum name -> number to draw; the values add up to ``min(n, total)``.

    Examples
    --------
    >>> allocate({"a": 90, "b": 9, "c": 1}, 10)
    {'a': 8, 'b': 1, 'c': 1}
    """
    if any(v < 0 for v in sizes.values()):
        raise ValueError(f"stratum sizes must be >= 0, got {dict(sizes)}")
    sizes = {k: int(v) for k, v in sizes.items() if v > 0}
    total = sum(sizes.values())
    if n >= total:
        return dict(sizes)
    if n < len(sizes):
        raise ValueError(f"sample size n={n} is smaller than the number of functions with "
                         f"mutants ({len(sizes)}); at least one mutant per function is drawn")
    quota = {k: n * v / total for k, v in sizes.items()}
    alloc = {k: min(v, max(1, math.floor(quota[k]))) for k, v in sizes.items()}
    while sum(alloc.values()) < n:  # largest remainder first among strata with room
        k = max((k for k in sizes if alloc[k] < sizes[k]), key=lambda k: (quota[k] - alloc[k], k))
        alloc[k] += 1
    while sum(alloc.values()) > n:  # the minimum of one overshot: take from the most over-served
        k = min((k for k in sizes if alloc[k] > 1), key=lambda k: (quota[k] - alloc[k], k))
        alloc[k] -= 1
    return alloc


def stratified_sample(names_by_function: Mapping[str, Sequence[str]], n: int,
                      seed: int) -> dict[str, list[str]]:
    """A stratified random sample of ``n`` mutants, the functions being the strata.

    Parameters
    ----------
    names_by_function : mapping of str to sequence of str
        Function -> names of its mutants (the order does not matter).
    n : int
        Sample size (see :func:`allocate`).
    seed : int
        Seed of the generator; the same mutants, ``n`` and seed give the same sample.

    Returns
    -------
    dict of str to list of str
        Function -> its sampled mutants, sorted by mutant number.

    Examples
    --------
    >>> names = {"f": [f"m.x_f__mutmut_{i}" for i in range(1, 7)], "g": ["m.x_g__mutmut_1"]}
    >>> s = stratified_sample(names, 3, seed=0)
    >>> [len(s["f"]), len(s["g"])]
    [2, 1]
    """
    pools = {f: sorted(set(v), key=mutant_number) for f, v in names_by_function.items()}
    alloc = allocate({f: len(v) for f, v in pools.items()}, n)
    rng = np.random.default_rng(seed)
    out = {}
    for f in sorted(alloc):
        idx = rng.choice(len(pools[f]), size=alloc[f], replace=False)
        out[f] = sorted((pools[f][i] for i in idx), key=mutant_number)
    return out


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k / n`` (scipy's ``binomtest``).

    >>> [round(x, 3) for x in wilson(9, 10)]
    [0.596, 0.982]
    """
    if n == 0:
        return (math.nan, math.nan)
    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    return (float(ci.low), float(ci.high))


# --------------------------------------------------------------------------- mutmut
def run_mutmut(report: str, max_children: int, only: list[str] | None = None) -> None:
    """Run mutmut on the report's functions (or on the mutant names or globs ``only``)."""
    globs = only or [mutant_glob(m, f) for m, fs in REPORTS[report].items() for f in fs]
    log = MUTANTS / f"mutmut-{report}.log"
    log.parent.mkdir(exist_ok=True)
    cmd = ["nice", "-n", "15", sys.executable, "-m", "mutmut", "run", "--max-children",
           str(max_children), *globs]
    with open(log, "a") as fh:
        rc = subprocess.call(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
                             env={**os.environ, **THREADS})
    if rc != 0:
        sys.exit(f"mutmut run failed (exit {rc}); see {log}")


def generate(report: str, max_children: int) -> None:
    """Make mutmut write ``mutants/`` (mutants and their meta files) if it has not yet.

    mutmut generates the mutants at the start of ``mutmut run``; this runs one mutant (the
    first of the report's first function) to get them. Its result counts only if sampled.
    """
    module, functions = next(iter(REPORTS[report].items()))
    if not _meta(module).exists():
        run_mutmut(report, max_children, [mutant_glob(module, functions[0]).replace("*", "1")])


def _meta(module: str) -> Path:
    return MUTANTS / (module.replace(".", "/") + ".py.meta")


def mutant_names(report: str) -> dict[tuple[str, str], list[str]]:
    """(module, function) -> names of its mutants, from mutmut's meta files."""
    out = {}
    for module, functions in REPORTS[report].items():
        if not _meta(module).exists():
            sys.exit(f"{_meta(module)} is missing: run mutmut first (without --report-only)")
        codes = json.loads(_meta(module).read_text())["exit_code_by_key"]
        for function in functions:
            pat = mutant_glob(module, function)
            out[module, function] = sorted((n for n in codes if fnmatch.fnmatchcase(n, pat)),
                                           key=mutant_number)
    return out


def load_results(report: str, only: set[str] | None = None) -> list[tuple[str, str, str, str]]:
    """(module, function, mutant name, status) of every mutant (or of those in ``only``)."""
    out = []
    for module in REPORTS[report]:
        codes = json.loads(_meta(module).read_text())["exit_code_by_key"]
        for (m, function), names in mutant_names(report).items():
            if m == module:
                out += [(m, function, n, status(codes[n])) for n in names
                        if only is None or n in only]
    return out


def _sample_file(report: str) -> Path:
    return MUTANTS / f"mutation-{report}-sample.json"


def draw_sample(report: str, n: int, seed: int) -> dict:
    """Draw (and save under ``mutants/``) the report's stratified sample."""
    pools = {f"{m}.{f}": v for (m, f), v in mutant_names(report).items()}
    sample = stratified_sample(pools, n, seed)
    info = {"n": sum(map(len, sample.values())), "requested": n, "seed": seed,
            "population": sum(map(len, pools.values())),
            "functions": len([v for v in pools.values() if v]),
            "names": [x for v in sample.values() for x in v]}
    _sample_file(report).write_text(json.dumps(info, indent=1))
    return info


def saved_sample(report: str) -> dict | None:
    p = _sample_file(report)
    return json.loads(p.read_text()) if p.exists() else None


# --------------------------------------------------------------------------- the report
_SOURCES: dict[str, dict[str, list[str]]] = {}


def _functions(module: str) -> dict[str, list[str]]:
    """Source lines of every function of mutmut's copy of ``module`` (mutants and originals)."""
    if module not in _SOURCES:
        path = MUTANTS / (module.replace(".", "/") + ".py")
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


def _checked(c: Counter) -> tuple[int, int]:
    """(killed incl. timeouts, checked) of a status count."""
    return c["killed"] + c["timeout"], sum(c.values()) - c["not checked"]


def rate(c: Counter) -> str:
    k, n = _checked(c)
    return f"{100 * k / n:.1f}%" if n else "n/a"


def _header(report: str, results: list, sample: dict | None, population: int) -> list[str]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    tests = ", ".join(f"`{t}`" for t in _test_selection())
    total = Counter(s for *_, s in results)
    k, n = _checked(total)
    lo, hi = wilson(k, n)
    flags = f" --sample {sample['requested']} --seed {sample['seed']}" if sample else ""
    lines = [
        f"# Mutation testing: {report.upper()} equation functions",
        "",
        f"Generated by `python tests/benchmarks/mutation.py {report}{flags}` (`make mutate`) with "
        f"mutmut on commit `{commit}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Tests run against "
        f"each mutant: {tests} (only those covering the mutated function). Timeouts count as "
        "killed.",
        "",
    ]
    if sample:
        lines += [
            f"**This is a sample**: {sample['n']} of the {population} mutants of the "
            f"{sample['functions']} equation functions, drawn at random with seed {sample['seed']}, "
            "stratified by function (a share proportional to the function's mutants, at least one "
            "each). Sampled mutation testing estimates the mutation score at a fraction of the cost "
            "(Gopinath, Jensen & Groce, ISSRE 2015). The 95% interval is Wilson's; it is over the "
            "sample's mutants, so it says how far the kill rate of all the mutants may be from it.",
            "",
        ]
    lines += [
        f"**Kill rate: {k} of {n} checked mutants killed ({rate(total)}; 95% Wilson interval "
        f"{100 * lo:.1f}%-{100 * hi:.1f}%)**; survived {total['survived']}, no covering test "
        f"{total['no tests']}, not checked (run stopped) {total['not checked']}.",
        "",
    ]
    if sample and n:
        sizes = Counter(f"{m}.{f}" for m, f, _n, _s in results)
        pools = {f"{m}.{f}": len(v) for (m, f), v in mutant_names(report).items()}
        kills = Counter(f"{m}.{f}" for m, f, _n, s in results if s in ("killed", "timeout"))
        done = Counter(f"{m}.{f}" for m, f, _n, s in results if s != "not checked")
        w = sum(pools[f] / population * kills[f] / done[f] for f in sizes if done[f])
        w /= sum(pools[f] / population for f in sizes if done[f])
        lines += [f"Weighted by each function's share of all mutants (the minimum of one per "
                  f"function over-represents small functions) the estimate is {100 * w:.1f}%.", ""]
    return lines


def write_report(report: str, results: list, path: Path, sample: dict | None = None) -> None:
    reasons = yaml.safe_load(SURVIVORS.read_text()) if SURVIVORS.exists() else {}
    reasons = reasons or {}
    population = sum(map(len, mutant_names(report).values()))
    total = Counter(s for *_, s in results)
    lines = _header(report, results, sample, population)
    col = "sampled" if sample else "mutants"
    lines += [
        "## Kill rate per module",
        "",
        f"| module | {col} | killed | timeout | survived | no tests | not checked | kill rate |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for module in REPORTS[report]:
        c = Counter(s for m, _, _, s in results if m == module)
        lines.append(f"| `{module}` | {sum(c.values())} | {c['killed']} | {c['timeout']} | "
                     f"{c['survived']} | {c['no tests']} | {c['not checked']} | {rate(c)} |")
    pools = mutant_names(report)
    lines += ["", "## Kill rate per function", "",
              f"| function | mutants | {'sampled | ' if sample else ''}killed | not killed | "
              "not checked | kill rate |",
              f"| --- | ---: | {'---: | ' if sample else ''}---: | ---: | ---: | ---: |"]
    for module, functions in REPORTS[report].items():
        for f in functions:
            c = Counter(s for m, fn, _, s in results if m == module and fn == f)
            k, n = _checked(c)
            drawn = f"{sum(c.values())} | " if sample else ""
            lines.append(f"| `{module}.{f}` | {len(pools[module, f])} | {drawn}{k} | {n - k} | "
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
    benign = sum(str(reasons.get(n, "")).startswith(("Equivalent", "Harmless")) for *_, n, _s in surv)
    k, n = _checked(total)
    lo, hi = wilson(k, n - benign)
    lines += [f"Unexplained survivors: {unexplained}. Survivors explained as equivalent or harmless: "
              f"{benign}; leaving them out, {k} of {n - benign} mutants are killed "
              f"({100 * k / max(n - benign, 1):.1f}%; 95% Wilson interval "
              f"{100 * lo:.1f}%-{100 * hi:.1f}%).", ""]
    if total["not checked"]:
        idle = sorted({f"`{m}.{f}`" for m, f, _, s in results if s == "not checked"})
        lines += ["## Not checked", "",
                  f"The run was stopped before these functions' mutants were all checked; "
                  f"`python tests/benchmarks/mutation.py {report} --pending` continues it: "
                  f"{', '.join(idle)}.", ""]
    path.write_text("\n".join(lines))
    k, n = _checked(total)
    print(f"{report}: {k}/{n} killed ({rate(total)}), {len(surv)} not killed "
          f"({unexplained} unexplained) -> {path.relative_to(ROOT)}")


def _test_selection() -> list[str]:
    import tomllib

    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return cfg.get("pytest_add_cli_args_test_selection", [])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("report", choices=sorted(REPORTS))
    p.add_argument("--sample", type=int, metavar="N",
                   help="run a stratified random sample of N mutants (default: all of them)")
    p.add_argument("--seed", type=int, default=1, help="seed of the sample (default 1)")
    p.add_argument("--report-only", action="store_true", help="only rewrite the report from mutants/")
    p.add_argument("--pending", action="store_true", help="run only the mutants without a result")
    p.add_argument("--rerun-survivors", action="store_true",
                   help="run again only the mutants that survived (after adding tests)")
    p.add_argument("--max-children", type=int, default=2)
    a = p.parse_args(argv)
    resume = a.pending or a.rerun_survivors or a.report_only
    if a.sample is not None and not resume:
        generate(a.report, a.max_children)
        sample = draw_sample(a.report, a.sample, a.seed)
        run_mutmut(a.report, a.max_children, sample["names"])
    else:
        # --pending / --rerun-survivors / --report-only keep the last sample, if there is one
        sample = saved_sample(a.report) if a.sample is not None or resume else None
        if a.sample is None and not resume:
            _sample_file(a.report).unlink(missing_ok=True)  # a full run replaces the sample
            run_mutmut(a.report, a.max_children)
        elif a.pending or a.rerun_survivors:
            want = {"not checked"} if a.pending else {"survived", "no tests"}
            only = set(sample["names"]) if sample else None
            names = [n for *_, n, st in load_results(a.report, only) if st in want]
            if names:
                run_mutmut(a.report, a.max_children, names)
    only = set(sample["names"]) if sample else None
    write_report(a.report, load_results(a.report, only),
                 Path(__file__).with_name(f"mutation_{a.report}.md"), sample)


if __name__ == "__main__":
    main()
