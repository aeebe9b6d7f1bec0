"""PFLI at scale (beyond the paper): scoring and evaluation partitioned by users on Dask.

* ``partitioned`` - the scale-out path: :func:`predict_users` (one process),
  :func:`predict_users_dask` (a ``LocalCluster``, a scheduler address or a
  ``Client``), :func:`evaluate_pfli_dask`, :func:`prediction_table`,
  :class:`MemoryMonitor`; a study module (takes a world and a fitted model);
* ``experiment`` - the wiring of chapter 11: simulated worlds of growing size,
  scored on every path, with time and peak memory measured in the run;
* ``report`` - the chapter's growth fits, tables and figures.

The names of ``partitioned`` are available here: ``from homelib.pfli import
scale; scale.predict_users_dask(...)``.
"""

from .partitioned import (
    DEFAULT_PARTITION_SIZE,
    EVALUATION_SELECTORS,
    PFLI_METHODS,
    MemoryMonitor,
    Predictions,
    ScaledEvaluation,
    connect,
    dask_client,
    evaluate_pfli_dask,
    la_folds,
    partition_users,
    predict_users,
    predict_users_dask,
    prediction_table,
    warm_up,
    worker_peak_rss,
)

__all__ = [
    "DEFAULT_PARTITION_SIZE",
    "EVALUATION_SELECTORS",
    "PFLI_METHODS",
    "Predictions",
    "ScaledEvaluation",
    "MemoryMonitor",
    "connect",
    "dask_client",
    "partition_users",
    "predict_users",
    "predict_users_dask",
    "prediction_table",
    "la_folds",
    "evaluate_pfli_dask",
    "warm_up",
    "worker_peak_rss",
]
