"""The simulated PFLI study, wired end to end: social world -> PFLI evaluation (cached).

Study modules take a world as an argument; this module is the one place that
builds the simulated world for them.

Examples
--------
>>> import inspect; list(inspect.signature(pfli_evaluation).parameters)[:2]
['scale', 'seed']
"""

from __future__ import annotations

from numpy.typing import ArrayLike

from ..io import cached
from .evaluation import DEFAULT_KS, PFLIEvaluation, evaluate_pfli
from .model import PFLIConfig
from .world import SocialConfig, social_world

__all__ = [
    "pfli_evaluation",
]


def pfli_evaluation(scale: float = 1.0, seed: int = 0, *, folds: int = 5, ln_users: int = 0,
                    ks: ArrayLike = DEFAULT_KS, world_params: dict | None = None,
                    with_baselines: bool = True, **config) -> PFLIEvaluation:
    """:func:`evaluate_pfli` on :func:`homelib.pfli.world.social_world`, cached in ``data/cache``.

    Parameters
    ----------
    scale, seed : float, int
        World size (share of the paper's users) and seed of the world and the folds.
    folds, ln_users, ks, with_baselines
        As :func:`homelib.pfli.evaluation.evaluate_pfli`.
    world_params : dict, optional
        :class:`~homelib.pfli.world.SocialConfig` fields to override.
    **config
        :class:`PFLIConfig` fields.

    Returns
    -------
    PFLIEvaluation
        The evaluation; a second call with the same arguments reads it from the cache.

    Examples
    --------
    >>> import os, tempfile
    >>> os.environ["HOMELIB_ROOT"] = tempfile.mkdtemp()  # a scratch cache for this example
    >>> small = dict(n_users=600, n_places=30, n_multi_orgs=3)
    >>> ev = pfli_evaluation(0.001, seed=2, folds=2, ks=[10, 100], world_params=small,
    ...                      with_baselines=False, train_users=100)
    >>> sorted(ev.per_user.method.unique())
    ['PFLI_cent', 'PFLI_dist', 'PFLI_noclst', 'PFLI_prob']
    >>> again = pfli_evaluation(0.001, seed=2, folds=2, ks=[10, 100], world_params=small,
    ...                         with_baselines=False, train_users=100)
    >>> again.per_user.equals(ev.per_user)
    True
    >>> del os.environ["HOMELIB_ROOT"]
    """
    cfg = PFLIConfig(**config)
    wp = dict(world_params or {})
    # world parameters equal to their defaults do not change the world: keep them out of the key
    wkey = {k: v for k, v in wp.items() if getattr(SocialConfig, k, object()) != v}
    key = {"scale": scale, "seed": seed, "folds": folds, "ln_users": ln_users,
           "ks": [float(k) for k in ks], "world": wkey, **cfg.__dict__, "version": 2}
    if not with_baselines:
        key["with_baselines"] = False

    def build():
        world = social_world(scale, seed, **wp)
        return evaluate_pfli(world, config=cfg, folds=folds, seed=seed, ks=ks, ln_users=ln_users,
                             with_baselines=with_baselines)

    return cached("pfli_evaluation", key, build)
