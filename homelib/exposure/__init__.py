"""The current-city exposure estimator and what to hide (PFLI Sec 8).

* ``features`` - exposure features (user category, % friends with attributes,
  cluster confidence) and EP@K (Eq 8-9);
* ``risk`` - the risk levels of Table 3;
* ``models`` - the exposure models (random forest vs linear regression, Sec 8.2);
* ``profile`` - a profile given as data, as a new user of a world;
* ``estimator`` - the estimator, what-if hiding advice and the paper's cases (Sec 8.2.2-8.3);
* ``simulated`` - the wiring; ``report`` - chapter tables and figures.

The exposure wing builds on ``homelib.pfli`` (never the other way round).
"""
