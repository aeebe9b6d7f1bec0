"""Risk levels of an exposure probability (PFLI Table 3).

5 for ``EP in [0.9, 1]``, 4 for ``[0.75, 0.9)``, 3 for ``[0.5, 0.75)``, 2 for
``[0.25, 0.5)`` (the paper prints "[0.5,0.25)") and 1 for ``[0, 0.25)``.

Examples
--------
>>> risk_level(0.967), risk_level(0.503), risk_level(0.073)
(5, 3, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "RISK_EDGES",
    "RISK_LEVELS",
    "risk_levels",
    "risk_level",
    "risk_band",
]


RISK_EDGES: tuple[float, ...] = (0.25, 0.5, 0.75, 0.9)
"""Lower EP edges of risk levels 2-5 (Table 3); each band is closed below."""


RISK_LEVELS: tuple[int, ...] = (1, 2, 3, 4, 5)


def _check_level(level: Any, name: str = "target_level") -> int:
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)):
        raise TypeError(f"{name} = {level!r} must be an integer risk level in 1-5")
    if int(level) not in RISK_LEVELS:
        raise ValueError(f"{name} = {level!r} is outside the risk levels 1-5")
    return int(level)


def risk_levels(ep: ArrayLike) -> NDArray[np.int64]:
    """Risk level 1-5 of each exposure probability (Table 3).

    Bands are closed below and open above, except level 5 which is
    ``[0.9, 1]``: ``0.25 -> 2``, ``0.5 -> 3``, ``0.75 -> 4``, ``0.9 -> 5``.

    Parameters
    ----------
    ep : array-like of float
        Exposure probabilities (EP@K, PFLI Eq 8) in [0, 1].

    Returns
    -------
    numpy.ndarray of int
        The risk level of each, 1 (safest) to 5 (most risky).

    Examples
    --------
    >>> risk_levels([0.0, 0.2499, 0.25, 0.4999, 0.5, 0.75, 0.8999, 0.9, 1.0]).tolist()
    [1, 1, 2, 2, 3, 4, 4, 5, 5]
    """
    p = np.asarray(ep, dtype=float)
    bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    if bad.any():
        raise ValueError(
            f"exposure_probability = {float(p[bad].ravel()[0])!r} is outside [0, 1]"
        )
    return (np.searchsorted(RISK_EDGES, p, side="right") + 1).astype(np.int64)


def risk_level(ep: float) -> int:
    """Risk level 1-5 of one exposure probability (Table 3).

    Parameters
    ----------
    ep : float
        An exposure probability in [0, 1].

    Returns
    -------
    int
        Its risk level (:func:`risk_levels`).

    Examples
    --------
    >>> risk_level(0.883)
    4
    """
    return int(risk_levels([ep])[0])


def risk_band(level: int) -> tuple[float, float]:
    """``(low, high)`` EP band of a risk level; ``low`` is included.

    Parameters
    ----------
    level : int
        A risk level, 1 to 5.

    Returns
    -------
    tuple of float
        The band's ``(low, high)`` exposure probabilities (PFLI Table 3).

    Examples
    --------
    >>> risk_band(2)
    (0.25, 0.5)
    """
    level = _check_level(level, "level")
    edges = (0.0, *RISK_EDGES, 1.0)
    return (edges[level - 1], edges[level])
