"""Validation of notebook parameters.

Every notebook calls :func:`check` on its parameters right after the cell
tagged ``parameters``, so that a bad value given to ``papermill -p`` fails at
once with a message naming the parameter and the value, whether the notebook
is run by the pipeline or on its own.

Examples
--------
>>> check("seed", 3, int, low=0)
3
>>> check("repeats", 0, int, low=1)
Traceback (most recent call last):
...
ValueError: parameter 'repeats' = 0 is below the minimum 1
>>> check("profile", "ci", str, choices=("ci", "full"))
'ci'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["check", "check_list"]


def _type_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return " or ".join(k.__name__ for k in kind)
    return kind.__name__


def check(
    name: str,
    value: Any,
    kind: type | tuple[type, ...],
    *,
    low: float | None = None,
    high: float | None = None,
    choices: Iterable[Any] | None = None,
) -> Any:
    """Check one parameter value and return it unchanged.

    Parameters
    ----------
    name : str
        The parameter's name, used in the error message.
    value : object
        The value given.
    kind : type or tuple of types
        Accepted type(s). ``float`` also accepts ``int``; ``bool`` is never
        accepted where a number is asked for.
    low, high : float, optional
        Inclusive bounds for numbers.
    choices : iterable, optional
        Allowed values.

    Raises
    ------
    TypeError
        If the value has the wrong type.
    ValueError
        If the value is out of range or not one of the choices.
    """
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if float in kinds and int not in kinds:
        kinds = (*kinds, int)
    is_bool = isinstance(value, bool)
    if not isinstance(value, kinds) or (is_bool and bool not in kinds):
        raise TypeError(
            f"parameter {name!r} = {value!r} has type {type(value).__name__}; "
            f"expected {_type_name(kind)}"
        )
    if low is not None and value < low:
        raise ValueError(f"parameter {name!r} = {value!r} is below the minimum {low}")
    if high is not None and value > high:
        raise ValueError(f"parameter {name!r} = {value!r} is above the maximum {high}")
    if choices is not None:
        allowed = list(choices)
        if value not in allowed:
            raise ValueError(f"parameter {name!r} = {value!r} is not one of {allowed}")
    return value


def check_list(
    name: str, value: Any, choices: Iterable[Any], *, min_len: int = 1
) -> list:
    """Check a list parameter whose items must come from ``choices``.

    >>> check_list("tasks", ["education"], ["education", "occupation"])
    ['education']
    >>> check_list("tasks", ["eduction"], ["education"])
    Traceback (most recent call last):
    ...
    ValueError: parameter 'tasks' has unknown item(s) ['eduction']; allowed: ['education']
    """
    if not isinstance(value, (list, tuple)):
        raise TypeError(
            f"parameter {name!r} = {value!r} has type {type(value).__name__}; expected list"
        )
    allowed = list(choices)
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ValueError(f"parameter {name!r} has unknown item(s) {unknown}; allowed: {allowed}")
    if len(value) < min_len:
        raise ValueError(f"parameter {name!r} needs at least {min_len} item(s); got {list(value)}")
    return list(value)
