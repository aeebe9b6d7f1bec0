"""Benchmark of the book: wall time per notebook of a profile run (prints figures, asserts nothing).

Usage (from the repo root)::

    python tests/benchmarks/bench_book.py                          # read data/results/manifest.json
    python tests/benchmarks/bench_book.py --run --cold             # cold full run, then print
    python tests/benchmarks/bench_book.py --run --cold --only 07 08 09 11

Without ``--run`` the script prints the wall time of every notebook recorded in
``data/results/manifest.json`` by the last ``python -m homelib run`` (which may
have reused cached objects). With ``--run`` it first runs the pipeline for
``--profile`` (default ``full``) with ``--force``; ``--cold`` also sets
``HOMELIB_REFRESH=1`` so that every cached world, feature table and evaluation
is rebuilt (the cache files are overwritten, not deleted), which is what a
fresh clone pays. The target of issue 14 is a cold full book under 12 minutes
on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET_S = 12 * 60


def _manifest() -> dict:
    path = ROOT / "data" / "results" / "manifest.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def _print(manifest: dict, only: list[str] | None) -> None:
    if not manifest:
        print("no data/results/manifest.json: run `python -m homelib run --profile full` "
              "or this script with --run")
        return
    nbs = manifest.get("notebooks", {})
    if only:
        nbs = {k: v for k, v in nbs.items() if any(k == o or k.split("_", 1)[0] == o for o in only)}
    print(f"profile {manifest.get('profile')!r}, commit {manifest.get('git_commit')}, "
          f"started {manifest.get('started')}, finished {manifest.get('finished')}")
    total = 0.0
    for name, rec in nbs.items():
        t = float(rec.get("wall_time_s", 0.0))
        total += t
        print(f"  {name:<28} {t:8.1f} s  {rec.get('status', '?')}")
    verdict = "under" if total < TARGET_S else "over"
    print(f"  {'total':<28} {total:8.1f} s  ({total / 60:.1f} min; {verdict} the "
          f"{TARGET_S // 60}-minute target for the full book)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", action="store_true", help="run the pipeline first (with --force)")
    ap.add_argument("--cold", action="store_true", help="rebuild every cached object (HOMELIB_REFRESH=1)")
    ap.add_argument("--profile", default="full")
    ap.add_argument("--only", nargs="*", default=None, help="notebook names or number prefixes")
    args = ap.parse_args()
    if args.run:
        cmd = [sys.executable, "-m", "homelib", "run", "--profile", args.profile, "--force"]
        if args.only:
            cmd += ["--only", *args.only]
        env = {**os.environ, **({"HOMELIB_REFRESH": "1"} if args.cold else {})}
        print("running:", " ".join(cmd), "(cold)" if args.cold else "", flush=True)
        out = subprocess.run(cmd, cwd=ROOT, env=env)
        if out.returncode != 0:
            print(f"the pipeline failed with exit code {out.returncode}; times below are partial")
    _print(_manifest(), args.only)


if __name__ == "__main__":
    main()
