"""homelib: the library behind the book.

Home location and socioeconomic attributes (H2SEA, Ding et al. 2021) and
current-city exposure from profile and friends (PFLI, Han et al.), re-implemented
on seeded simulated worlds built on real geography. Submodules are imported
explicitly (``from homelib import geo``) so that importing the package is cheap.
"""

__version__ = "0.1.0"

__all__ = [
    "io",
    "params",
    "geo",
    "metrics",
    "pipeline",
    "worlds",
    "sources",
    "features",
    "models",
    "evaluation",
    "housing",
    "pfli",
    "baselines",
    "exposure",
]
