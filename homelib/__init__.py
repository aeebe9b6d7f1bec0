"""homelib: the library behind the book.

Home location and socioeconomic attributes (H2SEA, Ding et al. 2021) and
current-city exposure from profile and friends (PFLI, Han et al.), re-implemented
on seeded simulated worlds built on real geography.

The package has one wing per study over a shared core:

* core: ``io`` (paths, caching, atomic writes), ``params`` (notebook parameter
  checks), ``geo`` (distances, radius queries, gazetteers), ``metrics`` (both
  papers' metrics), ``pipeline`` (the Papermill runner);
* ``h2sea``: the survey world, the home-location features, H2SEA and its
  baselines, the Sec 5 protocol and the Sec 6 housing analysis;
* ``pfli``: the social world, PFLI, its clusters, selectors and baselines;
* ``exposure``: the current-city exposure estimator, built on ``pfli``;
* ``home``: beyond the papers (chapters 13-14): what a home gives away, the
  hidden city -> income chain, and the private profile check
  (``python -m homelib exposure``), built on the three study wings;
* ``overview``: the tables of chapter 00.

Imports go one way: notebooks -> ``*.report`` -> study modules -> core (the
contracts are in ``pyproject.toml`` under ``[tool.importlinter]`` and checked
by ``make test``). Submodules are imported explicitly (``from homelib.pfli
import model``) so that importing the package is cheap.
"""

__version__ = "0.1.0"

__all__ = ["io", "params", "geo", "metrics", "pipeline", "overview", "h2sea", "pfli", "exposure", "home"]
