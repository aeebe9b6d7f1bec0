"""Command line: turn a public check-in network into a PFLI world folder.

    python -m homelib.realdata checkins EDGES CHECKINS --out FOLDER
        [--rule night|frequent_cell] [--radius-km 25] [--visible-share 0.5]
        [--seed 0] [--min-population 15000] [--night 22 6]

``EDGES`` and ``CHECKINS`` are the two SNAP files (plain or ``.gz``), e.g.
``loc-gowalla_edges.txt.gz`` and ``loc-gowalla_totalCheckins.txt.gz``. The
folder gets ``places.csv``, ``users.csv``, ``edges.csv`` (read by
:func:`homelib.pfli.data.read_social_world`) and ``homes.csv`` (every user's
estimated home and how it was found); the counts are printed.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..io import atomic_write_text
from .checkins import read_checkins
from .homes import HOME_RULES, homes_from_checkins
from .places import gazetteer
from .social import checkin_world, write_world


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m homelib.realdata",
                                description="Real data helpers of homelib.")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("checkins", help="SNAP-style check-in network -> PFLI world folder")
    c.add_argument("edges")
    c.add_argument("checkins")
    c.add_argument("--out", required=True, help="output folder")
    c.add_argument("--rule", choices=HOME_RULES, default="night")
    c.add_argument("--radius-km", type=float, default=25.0)
    c.add_argument("--visible-share", type=float, default=0.5)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--min-population", type=int, default=15000)
    c.add_argument("--night", type=float, nargs=2, default=(22.0, 6.0), metavar=("START", "END"))
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line (see the module docstring); return the exit code.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``python -m homelib.realdata`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; argparse exits with 2 on bad arguments.
    """
    args = _parser().parse_args(argv)
    data = read_checkins(args.edges, args.checkins)
    kw = {"night": tuple(args.night)} if args.rule == "night" else {}
    homes = homes_from_checkins(data.checkins, rule=args.rule, **kw)
    world = checkin_world(data, homes, gazetteer(args.min_population), radius_km=args.radius_km,
                          visible_share=args.visible_share, seed=args.seed)
    folder = write_world(world, args.out)
    atomic_write_text(folder / "homes.csv", homes.reset_index().to_csv(index=False))
    print(json.dumps({**data.stats, **world.stats, "rule": args.rule, "out": str(folder)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
