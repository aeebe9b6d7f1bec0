"""The claims ledger: every qualitative claim of both papers, tested across worlds.

* ``engine``: the claims table, generic evaluators (ordering, best, difference,
  threshold, trend, correlation, rank position) on tidy result tables, the
  interval across worlds and the verdict (needs only the core);
* ``bindings``: how each row of ``data/reference/claims.csv`` is tested;
* ``adapters``: each study's results turned into tidy tables;
* ``simulated``: the multi-world runs (cached);
* ``report``: the chapter tables, verdict sentences and figures.

No study wing imports this package; it imports the study wings.
"""

__all__ = ["engine", "bindings", "adapters", "simulated", "report"]
