"""The simulated exposure study: social world + PFLI evaluation for chapter 09 (cached).

Examples
--------
>>> import inspect; list(inspect.signature(world_and_evaluation).parameters)[:2]
['scale', 'seed']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..pfli.simulated import pfli_evaluation
from ..pfli.world import social_world

__all__ = [
    "world_and_evaluation",
]


def world_and_evaluation(
    scale: float,
    seed: int = 0,
    *,
    folds: int = 5,
    ln_users: int = 1000,
    world_params: Mapping[str, Any] | None = None,
    **pfli_config: Any,
) -> tuple[Any, Any]:
    """The social world and its cross-validated PFLI evaluation (cached).

    Calls :func:`homelib.pfli.world.social_world` and
    :func:`homelib.pfli.simulated.pfli_evaluation` (``data/cache``, shared with
    chapter 08 when the parameters agree). With ``ln_users > 0`` the last of
    ``evaluation.models`` is fitted on all LA users: the model the estimator
    uses for LN users, whose errors are in ``evaluation.ln_per_user``.

    Returns
    -------
    (SocialWorld, PFLIEvaluation)
    """
    if isinstance(ln_users, bool) or not isinstance(ln_users, (int, np.integer)) or ln_users < 1:
        raise ValueError(f"ln_users = {ln_users!r}: at least 1 LN user is needed")
    wp = dict(world_params or {})
    world = social_world(scale, seed, **wp)
    evaluation = pfli_evaluation(scale, seed, folds=folds, ln_users=ln_users,
                                      world_params=wp, **pfli_config)
    return world, evaluation
