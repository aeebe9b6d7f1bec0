"""The command line: ``python -m homelib run --profile ci --only 03`` (see :mod:`homelib.pipeline`).

Each command is one subparser in :func:`build_parser` whose ``handler``
returns the exit code; add a command by adding one ``sub.add_parser(...)``
block and its handler. Exit codes: 0 success, 1 a notebook failed or the
results do not match their manifest, 2 bad input (profile, parameters,
selection), 128 + N interrupted by signal N (130 for Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys

from homelib import pipeline, store
from homelib.paths import project_root

__all__ = ["build_parser", "main"]


def _run(args: argparse.Namespace) -> int:
    only = [x for item in (args.only or []) for x in item.split(",") if x]
    pipeline.run(args.profile, only or None, force=args.force)
    return 0


def _status(args: argparse.Namespace) -> int:
    print(pipeline.write_status_page())
    problems = store.verify()
    for line in problems:
        print(f"mismatch: {line}", file=sys.stderr)
    return 1 if problems else 0


def _strip(args: argparse.Namespace) -> int:
    for path in pipeline.strip_outputs():
        print(f"stripped {path.resolve().relative_to(project_root())}")
    return 0


def _profiles(args: argparse.Namespace) -> int:
    print("\n".join(pipeline.available_profiles()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m homelib`` parser; each subcommand sets ``handler``.

    Returns
    -------
    argparse.ArgumentParser

    Examples
    --------
    >>> build_parser().parse_args(["run", "--only", "03"]).only
    ['03']
    """
    parser = argparse.ArgumentParser(prog="python -m homelib",
                                     description="Run and check the book's notebooks.")
    sub = parser.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="validate the profile, then execute its notebooks")
    r.add_argument("--profile", default="ci", help="profile name (notebooks/profiles/NAME.yml)")
    r.add_argument("--only", nargs="*", default=None, help="notebook names or numbers, e.g. 03 07")
    r.add_argument("--force", action="store_true", help="re-run unchanged notebooks")
    r.set_defaults(handler=_run)

    s = sub.add_parser("status", help="write book/status.md; check results against the manifest")
    s.set_defaults(handler=_status)

    p = sub.add_parser("profiles", help="list profiles")
    p.set_defaults(handler=_profiles)

    t = sub.add_parser("strip", help="remove outputs from notebooks/*.ipynb")
    t.set_defaults(handler=_strip)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the command; return the exit code.

    Parameters
    ----------
    argv : list of str, optional
        Defaults to ``sys.argv[1:]``.

    Returns
    -------
    int

    Examples
    --------
    >>> main(["run", "--profile", "no_such_profile"])
    2
    """
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except pipeline.PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except pipeline.NotebookFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except pipeline.Interrupted as exc:
        print(f"interrupted ({exc}): data/results and its manifest are as they were before "
              "the interrupted notebook; the next run recomputes it", file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("interrupted: data/results and its manifest are unchanged", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
