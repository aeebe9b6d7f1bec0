"""Progress bars for the long steps (issue 9 item 6), one rule for the whole library.

Every step that takes more than about 10 s at paper scale (the social world, H2SEA's
repeat x method x grid fits, PFLI's cross-validation folds, the claims ledger's worlds,
the partitioned PFLI scoring) reports through :func:`bar`, a thin wrapper of ``tqdm``:

- on a terminal the bar is drawn on standard error and removed when the step ends;
- when standard error is not a terminal (notebooks run by Papermill, logs, pipes) or
  when the environment variable ``CI`` is set, it is silent.

``enabled`` overrides the rule for one call (a function's ``progress=True/False``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from tqdm import tqdm

__all__ = ["bar", "quiet"]


def quiet(enabled: bool | None = None) -> bool:
    """Whether a progress bar stays silent (tqdm's ``disable``).

    Parameters
    ----------
    enabled : bool, optional
        True or False forces the bar on or off; None (default) applies the rule of the
        module: silent under ``CI`` or when standard error is not a terminal.

    Returns
    -------
    bool
        True when the bar is silent.

    Examples
    --------
    >>> quiet(True), quiet(False)
    (False, True)
    >>> quiet()  # doctests do not run on a terminal
    True
    """
    if enabled is not None:
        if not isinstance(enabled, bool):
            raise TypeError(f"enabled must be True, False or None; got {enabled!r}")
        return not enabled
    return bool(os.environ.get("CI")) or not sys.stderr.isatty()


def bar(iterable: Iterable | None = None, *, total: int | None = None, desc: str = "",
        unit: str = "it", enabled: bool | None = None) -> tqdm:
    """A tqdm progress bar that follows the library's rule (:func:`quiet`).

    Parameters
    ----------
    iterable : iterable, optional
        Items to iterate over; None for a bar advanced by hand with ``update``.
    total : int, optional
        Number of steps (default: ``len(iterable)`` where defined).
    desc : str
        Label shown before the bar.
    unit : str
        Name of one step (``"fold"``, ``"world"``, ``"notebook"``).
    enabled : bool, optional
        Force the bar on or off (see :func:`quiet`).

    Returns
    -------
    tqdm
        Iterate over it (it yields the items unchanged) or call ``update``; close it, or use
        it as a context manager, when advanced by hand.

    Examples
    --------
    >>> list(bar(range(3), desc="demo"))
    [0, 1, 2]
    >>> with bar(total=2, unit="world", enabled=False) as b:  # a silent bar advanced by hand
    ...     _ = b.update(2)
    >>> b.disable, b.total
    (True, 2)
    """
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=quiet(enabled),
                leave=False, dynamic_ncols=True, file=sys.stderr)
