"""The simulated exposure study: social world + PFLI evaluation for chapter 09 (cached).

:func:`world_and_evaluation` is chapter 09's wiring at the chapter's scale;
:func:`example_estimator` runs the same chain on a world of a few hundred users in
about a second, for examples, exercises and tests.

Examples
--------
>>> est = example_estimator()
>>> est.world.n_users, est.model.ks_
(300, (20.0, 100.0))
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..pfli.evaluation import evaluate_pfli
from ..pfli.model import PFLIConfig, PFLITrainingWarning
from ..pfli.simulated import pfli_evaluation
from ..pfli.world import SocialConfig, build_social_world, social_world
from . import features as exp_features
from .estimator import ExposureEstimator
from .models import fit_exposure_model

__all__ = [
    "example_estimator",
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

    Parameters
    ----------
    scale : float
        World size as a multiple of the paper's users (1.0 = 371,913).
    seed : int
        Seed of the world and of the evaluation.
    folds : int
        Cross-validation folds of the PFLI evaluation (PFLI Sec 7).
    ln_users : int
        LN users scored by the model fitted on all LA users (at least 1).
    world_params : mapping, optional
        :class:`homelib.pfli.world.SocialConfig` fields to change.
    **pfli_config
        :class:`homelib.pfli.model.PFLIConfig` fields to change.

    Returns
    -------
    (SocialWorld, PFLIEvaluation)

    Examples
    --------
    >>> world_and_evaluation(0.01, ln_users=0)
    Traceback (most recent call last):
    ...
    ValueError: ln_users = 0: at least 1 LN user is needed
    """
    if isinstance(ln_users, bool) or not isinstance(ln_users, (int, np.integer)) or ln_users < 1:
        raise ValueError(f"ln_users = {ln_users!r}: at least 1 LN user is needed")
    wp = dict(world_params or {})
    world = social_world(scale, seed, **wp)
    evaluation = pfli_evaluation(scale, seed, folds=folds, ln_users=ln_users,
                                      world_params=wp, **pfli_config)
    return world, evaluation


@functools.lru_cache(maxsize=4)
def example_estimator(seed: int = 0, *, n_users: int = 300, n_estimators: int = 20) -> ExposureEstimator:
    """A small exposure estimator built the way chapter 09 builds its own (not cached).

    World (:func:`homelib.pfli.world.build_social_world`, ``n_users`` users, 20 places)
    -> 2-fold PFLI evaluation -> exposure user table -> EP@K groups at 20 and 100 km ->
    the random-forest exposure model (PFLI Sec 8.2) -> an estimator whose PFLI model is
    fitted on all LA users. Fast enough for doctests and classroom exercises; its numbers
    mean nothing beyond that. On so small a world the PFLI trainer clips some
    coefficients to 0 (PFLI Sec 5.3); its ``PFLITrainingWarning`` is silenced here (the
    clipping is in ``estimator.pfli_model.train_info``). The same arguments return the same
    object (cached): treat it as read-only.

    Parameters
    ----------
    seed : int
        Seed of the world, the evaluation and the forest.
    n_users : int
        Users of the world (at least 200, so that both folds have LA users).
    n_estimators : int
        Trees of the forest.

    Returns
    -------
    ExposureEstimator

    Examples
    --------
    >>> est = example_estimator(seed=1)
    >>> est.model.features_, est.clusters.shape == (est.world.n_places,)
    (('error_distance', 'user_category', 'pct_friends_with_attributes', 'cluster_confidence'), True)
    """
    if isinstance(n_users, bool) or not isinstance(n_users, (int, np.integer)) or n_users < 200:
        raise ValueError(f"n_users = {n_users!r}: at least 200 users are needed")
    world = build_social_world(SocialConfig(n_users=int(n_users), n_places=20, n_multi_orgs=3), seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PFLITrainingWarning)
        evaluation = evaluate_pfli(world, config=PFLIConfig(train_users=max(50, n_users // 3)),
                                   folds=2, seed=seed, ks=[20.0, 100.0], ln_users=20,
                                   with_baselines=False)
    users = exp_features.exposure_user_table(world, evaluation.per_user)
    groups = exp_features.exposure_groups(users, [20.0, 100.0], exp_features.BinSpec())
    model = fit_exposure_model(groups, n_estimators=n_estimators, min_group_size=1, seed=seed)
    return ExposureEstimator(world, evaluation.models[-1], evaluation.clusters, model)
