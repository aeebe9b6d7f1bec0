"""The profile check's estimator, fitted on a simulated social world (cached).

The social side of chapters 13-14 and of ``python -m homelib exposure``: the
social world and the cross-validated PFLI evaluation of
:func:`homelib.exposure.simulated.world_and_evaluation` with chapter 09's
parameters (:data:`PRESETS`, so the cache is shared), and the RDF exposure
model fitted on the LA users' group EPs as in chapter 09. It imports nothing
of the survey study, so the command line starts quickly.

Examples
--------
>>> sorted(PRESETS)
['ci', 'full']
>>> PRESETS["full"]["scale"]
1.0
"""

from __future__ import annotations

from typing import Any

from .. import io
from ..exposure.estimator import ExposureEstimator
from ..exposure.models import ExposureModel
from ..exposure.simulated import world_and_evaluation
from .profile import fit_profile_model, world_estimator

__all__ = [
    "PRESETS",
    "EXPOSURE_KS",
    "preset_world",
    "profile_estimator",
]

PRESETS: dict[str, dict[str, Any]] = {
    "ci": {"scale": 0.01, "folds": 3, "ln_users": 300, "n_estimators": 30, "min_group_size": 5},
    "full": {"scale": 1.0, "folds": 5, "ln_users": 20000, "n_estimators": 50, "min_group_size": 10},
}
"""The simulated social worlds the profile check is fitted on: those of chapter 09's
``ci`` and ``full`` profiles (``profile_scale``, ``pfli_folds``, ``ln_users``,
``n_estimators``, ``min_group_size``), so that the cached PFLI evaluation is shared."""

EXPOSURE_KS: tuple[float, ...] = (10.0, 20.0, 30.0, 40.0, 60.0, 80.0, 100.0, 150.0, 200.0)
"""The K grid (km) of the exposure model: chapter 09's default ``ks`` (which include 20 and 100)."""


def preset_world(preset: str = "full", seed: int = 0, *, scale: float | None = None
                 ) -> tuple[Any, Any, dict[str, Any]]:
    """The social world and its PFLI evaluation of a preset (cached, shared with chapter 09).

    Parameters
    ----------
    preset : {"ci", "full"}
        Which of :data:`PRESETS`.
    seed : int
        Seed of the world and the evaluation.
    scale : float, optional
        Override the preset's world size (share of the paper's users, in (0, 1]).

    Returns
    -------
    (SocialWorld, PFLIEvaluation, dict)
        The world, the evaluation and the preset's parameters (``scale`` overridden
        when given).

    Examples
    --------
    Building even the ``ci`` world takes tens of seconds, so the examples show the checks
    made before anything is built (the chapters and tests build it):

    >>> preset_world("small")
    Traceback (most recent call last):
    ...
    ValueError: preset = 'small' must be one of ['ci', 'full']
    >>> preset_world("ci", scale=2.0)
    Traceback (most recent call last):
    ...
    ValueError: scale = 2.0 must be a number in (0, 1]
    """
    if preset not in PRESETS:
        raise ValueError(f"preset = {preset!r} must be one of {sorted(PRESETS)}")
    p = dict(PRESETS[preset])
    if scale is not None:
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 < scale <= 1:
            raise ValueError(f"scale = {scale!r} must be a number in (0, 1]")
        p["scale"] = float(scale)
    world, evaluation = world_and_evaluation(p["scale"], seed, folds=p["folds"],
                                             ln_users=p["ln_users"])
    return world, evaluation, p


def profile_estimator(preset: str = "full", seed: int = 0, *, scale: float | None = None
                      ) -> tuple[ExposureEstimator, dict[str, Any]]:
    """The current-city exposure estimator of chapter 09, fitted on a simulated world.

    The world and its cross-validated PFLI evaluation are
    :func:`homelib.exposure.simulated.world_and_evaluation` with the
    parameters of :data:`PRESETS` (shared with chapter 09's cache); the RDF
    exposure model is fitted on the LA users' group EPs as in chapter 09 and
    cached too. Nothing about a profile enters this function or its cache.

    Parameters
    ----------
    preset : {"ci", "full"}
        Which of :data:`PRESETS`.
    seed : int
        Seed of the world, the evaluation and the forest.
    scale : float, optional
        Override the preset's world size.

    Returns
    -------
    (ExposureEstimator, dict)
        The estimator and what it was fitted on (preset, scale, seed, users,
        places, LA users, K grid).

    Examples
    --------
    The estimator is cached in ``data/cache`` (minutes for ``full`` the first time);
    :func:`homelib.exposure.simulated.example_estimator` builds a small one in a second.

    >>> profile_estimator("ci", scale=0)
    Traceback (most recent call last):
    ...
    ValueError: scale = 0 must be a number in (0, 1]
    """
    world, evaluation, p = preset_world(preset, seed, scale=scale)

    def build() -> ExposureModel:
        return fit_profile_model(world, evaluation, EXPOSURE_KS, min_group_size=p["min_group_size"],
                                 n_estimators=p["n_estimators"], seed=seed)

    key = {"preset": preset, **p, "seed": seed, "ks": list(EXPOSURE_KS), "v": 1}
    rdf = io.cached("home_profile_rdf", key, build)
    est = world_estimator(world, evaluation, rdf)
    info = {"preset": preset, "scale": p["scale"], "seed": seed, "users": len(world.users),
            "places": len(world.places),
            "la_users": int(world.users["current_visible"].sum()), "ks": list(EXPOSURE_KS)}
    return est, info
