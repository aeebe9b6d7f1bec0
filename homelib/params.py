"""Notebook parameters: declared once per notebook, checked before anything runs.

:data:`NOTEBOOK_PARAMETERS` maps every notebook (``NN_name``) to a strict
pydantic model of its parameters: names, types, ranges, choices, non-empty
lists of unique items, finite numbers; a ``bool`` is never taken for a number
and an ``int`` parameter never accepts ``2.0``. Two readers use the same spec:

- ``python -m homelib run`` validates the whole profile (the notebook's
  defaults, read from its ``parameters`` cell without executing it, updated
  by the profile's values) before it starts the first notebook;
- each notebook's check cell, right after the ``parameters`` cell, calls
  :func:`check_notebook` on its globals, so that a bad ``papermill -p`` value,
  an unknown injected name, NaN, inf or an empty list fails at once with a
  message naming the parameter, however the notebook is run.

A new chapter adds one model here and one line to :data:`NOTEBOOK_PARAMETERS`.

Examples
--------
>>> validate("07_social_world", {"seed": 0, "scale": 0.05, "intra_city_miles": 1.0,
...                              "fig3_cluster_km": 100.0, "n_map_places": 200, "data": "simulated"})
>>> validate("07_social_world", {"seed": 0, "scale": float("nan"), "intra_city_miles": 1.0,
...                              "fig3_cluster_km": 100.0, "n_map_places": 200, "data": "simulated",
...                              "no_such": 1})
Traceback (most recent call last):
...
homelib.params.ParameterError: 07_social_world: unknown parameter 'no_such' = 1 (07_social_world declares data, fig3_cluster_km, intra_city_miles, n_map_places, scale, seed); parameter 'scale' = nan: input should be a finite number
>>> check("seed", 3, int, low=0)
3
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from .paths import project_root, results_dir, under_pipeline

__all__ = [
    "ParameterError",
    "Problem",
    "NotebookParams",
    "NOTEBOOK_PARAMETERS",
    "PROVINCES",
    "H2SEA_METHODS",
    "H2SEA_TASKS",
    "FEATURE_FAMILIES",
    "spec_for",
    "declared",
    "problems",
    "validate",
    "check_notebook",
    "check",
    "check_list",
]


class ParameterError(ValueError):
    """One or more notebook parameters are wrong; ``problems`` lists them.

    Parameters
    ----------
    notebook : str
        The notebook, e.g. ``"02_enrich"``.
    problems : list of Problem
        Every bad parameter found (all of them, not only the first).

    Examples
    --------
    >>> err = ParameterError("02_enrich", [Problem("scale", 2.0, "parameter 'scale' = 2.0: too big")])
    >>> str(err)
    "02_enrich: parameter 'scale' = 2.0: too big"
    >>> [p.name for p in err.problems]
    ['scale']
    """

    def __init__(self, notebook: str, problems: list[Problem]):
        self.notebook = notebook
        self.problems = problems
        super().__init__(f"{notebook}: " + "; ".join(p.message for p in problems))


@dataclass(frozen=True)
class Problem:
    """One bad parameter: its name, the value given and what is wrong.

    Parameters
    ----------
    name : str
        The parameter's name.
    value : object
        The value given.
    message : str
        The full message, naming the parameter and the value.

    Examples
    --------
    >>> [p.name for p in problems("02_enrich", {"seed": 0, "scale": 0.5, "map_homes": 5,
    ...                                          "data": "simulated"})]
    ['map_homes']
    """

    name: str
    value: Any
    message: str


# ---------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------


def _unique(items: list) -> list:
    seen: list = []
    for item in items:
        if item in seen:
            raise ValueError(f"items must be unique; {item!r} appears more than once")
        seen.append(item)
    return items


def Int(low: int | None = None, high: int | None = None) -> Any:  # noqa: N802 - a type factory
    """An ``int`` in ``[low, high]`` (a bool or ``2.0`` is rejected)."""
    return Annotated[int, Field(ge=low, le=high)]


def Float(low: float | None = None, high: float | None = None, *,  # noqa: N802
          gt: float | None = None) -> Any:
    """A finite number in ``[low, high]`` (or ``> gt``); an int is accepted, a bool is not."""
    return Annotated[float, Field(ge=low, le=high, gt=gt, allow_inf_nan=False)]


def OneOf(*choices: Any) -> Any:  # noqa: N802
    """One of ``choices`` (compared strictly: ``True`` is not ``1``)."""
    return Literal[choices]


def ListOf(item: Any, min_len: int = 1) -> Any:  # noqa: N802
    """A list of at least ``min_len`` unique items, each checked as ``item``."""
    return Annotated[list[item], Field(min_length=min_len), AfterValidator(_unique)]


Seed = Int(0)


def _data_source(value: str) -> str:
    if value != value.strip() or not value:
        raise ValueError('must be "simulated" or a folder path (no surrounding blanks)')
    return value


Data = Annotated[str, AfterValidator(_data_source)]
"""A chapter's ``data`` parameter: ``"simulated"`` (the seeded world) or a folder in the
documented schema (the "Bring your own data" page), relative to the repository root or absolute."""

PROVINCES = ("Zhejiang", "Guangdong", "Jiangsu", "Sichuan", "Shaanxi", "Hebei",
             "Heilongjiang", "Henan", "Liaoning")
"""The survey's 9 provinces (the same as :data:`homelib.geo.STUDY_PROVINCES`, tested)."""
H2SEA_METHODS = ("POP", "LR", "XGBoost", "ETNA", "H2SEA-NA", "H2SEA")
"""H2SEA and its baselines (H2SEA Sec 5.1)."""
H2SEA_TASKS = ("personal_income", "family_income", "education", "occupation")
"""The four H2SEA tasks (the same as :data:`homelib.h2sea.features.TASKS`, tested)."""
FEATURE_FAMILIES = ("County-income", "POI", "City-name", "Province-name", "County-name",
                    "Town-name", "Street-name", "Zip-code", "Urban type",
                    "Average housing price", "Housing price", "Renting price", "Town budget",
                    "Town tax")
"""H2SEA Table 4's 14 feature families."""


class NotebookParams(BaseModel):
    """Base of every notebook's parameter model: strict, no unknown names, frozen.

    A subclass declares one pydantic field per notebook parameter; see :data:`NOTEBOOK_PARAMETERS`.

    Examples
    --------
    >>> class Tiny(NotebookParams):
    ...     seed: Seed
    >>> Tiny(seed=3).seed
    3
    >>> try:
    ...     Tiny(seed=3, sede=4)
    ... except ValueError as err:
    ...     print(err.errors()[0]["type"], err.errors()[0]["loc"])
    extra_forbidden ('sede',)
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# ---------------------------------------------------------------------------
# one model per notebook
# ---------------------------------------------------------------------------


class Overview(NotebookParams):
    """00_overview."""

    metric: OneOf("f1", "auc", "gmean", "accuracy")
    provinces: ListOf(OneOf(*PROVINCES))
    marker_radius: Int(1, 20)


class Survey(NotebookParams):
    """01_survey."""

    seed: Seed
    scale: Float(0.01, 1.0)
    mc_reps: Int(10, 100_000)
    show_province: OneOf(*PROVINCES)
    data: Data


class Enrich(NotebookParams):
    """02_enrich."""

    seed: Seed
    scale: Float(0.01, 1.0)
    map_homes: Int(10, 1000)
    data: Data


class H2SEA(NotebookParams):
    """03_h2sea."""

    seed: Seed
    scale: Float(0.05, 1.0)
    repeats: Int(1, 50)
    grid_profile: OneOf("ci", "full")
    methods: ListOf(OneOf(*H2SEA_METHODS))
    tasks: ListOf(OneOf(*H2SEA_TASKS))
    max_epochs: Int(1, 500)
    dropout_values: ListOf(OneOf(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7))
    lambda_values: ListOf(Float(0.0, 1.0))
    sensitivity_repeats: Int(1, 20)
    data: Data
    n_jobs: Int(1, 64)
    ledger_profile: OneOf("ci", "full")


class FeatureImportance(NotebookParams):
    """04_feature_importance."""

    seed: Seed
    scale: Float(0.05, 1.0)
    repeats: Int(1, 20)
    method: OneOf("H2SEA", "H2SEA-NA", "ETNA", "XGBoost", "LR")
    max_epochs: Int(1, 500)
    top_k: Int(1, 14)
    families: ListOf(OneOf(*FEATURE_FAMILIES))
    n_jobs: Int(1, 64)
    data: Data
    ledger_profile: OneOf("ci", "full")


class CityVillage(NotebookParams):
    """05_city_village."""

    seed: Seed
    scale: Float(0.05, 1.0)
    repeats: Int(1, 20)
    dropout_grid: ListOf(Float(0.0, 0.9))
    max_epochs: Int(1, 500)
    rank_families: ListOf(OneOf(*FEATURE_FAMILIES))
    rank_repeats: Int(1, 10)
    n_jobs: Int(1, 64)
    data: Data
    ledger_profile: OneOf("ci", "full")


class HousingIncome(NotebookParams):
    """06_housing_income."""

    seed: Seed
    scale: Float(0.05, 1.0)
    min_city_n: Int(4, 1000)
    sweep_values: ListOf(Float(0.0, 5.0))
    sweep_scale: Float(0.05, 1.0)
    data: Data
    ledger_profile: OneOf("ci", "full")


class SocialWorld(NotebookParams):
    """07_social_world."""

    seed: Seed
    scale: Float(0.001, 1.0)
    intra_city_miles: Float(0.0, 100.0)
    fig3_cluster_km: Float(1.0, 2000.0)
    n_map_places: Int(10, 1000)
    data: Data


class PFLI(NotebookParams):
    """08_pfli."""

    seed: Seed
    scale: Float(0.001, 1.0)
    intra_city_miles: Float(0.0, 100.0)
    folds: Int(2, 20)
    cluster_km: Float(1.0, 2000.0)
    close_km: Float(1.0, 5000.0)
    lambda_alpha: Float(0.0, 10.0)
    train_users: Int(10)
    ln_users: Int(0)
    ks: ListOf(Float(gt=0.0))
    n_map_users: Int(1, 1000)
    friend_only_scale: Float(0.001, 1.0)
    data: Data
    ledger_profile: OneOf("ci", "full")


class Exposure(NotebookParams):
    """09_exposure."""

    seed: Seed
    profile_scale: Float(0.001, 10.0)
    pfli_folds: Int(2, 20)
    ln_users: Int(10)
    ks: ListOf(Float(0.001))
    pct_width: Float(0.1, 100.0)
    cc_width: Float(0.001, 1.0)
    min_group_size: Int(1)
    cv_folds: Int(2, 50)
    n_estimators: Int(1, 2000)
    n_jobs: Int(1, 64)
    user: Int(-1)
    k_km: Float(0.001)
    target_level: Int(1, 5)
    n_whatif: Int(1)
    cases_per_level: Int(1, 20)
    data: Data
    ledger_profile: OneOf("ci", "full")


class Claims(NotebookParams):
    """10_claims.

    World 0 is the chapters' own world under ``profile``; ``worlds`` are the
    seeds of the extra worlds, at the sizes below (the claims ledger, issue 11).
    """

    profile: OneOf("ci", "full")
    worlds: ListOf(Int(1))
    h2sea_scale: Float(0.2, 1.0)
    h2sea_repeats: Int(1, 20)
    h2sea_grid: OneOf("ci", "full")
    importance_repeats: Int(1, 10)
    social_scale: Float(0.01, 1.0)
    pfli_folds: Int(2, 20)
    ln_users: Int(50)
    n_whatif: Int(10)
    cv_folds: Int(2, 50)
    n_estimators: Int(1, 2000)


def _increasing(items: list) -> list:
    if len(items) < 2 or any(b <= a for a, b in zip(items[:-1], items[1:], strict=True)):
        raise ValueError(f"must hold at least two sizes in increasing order; got {items!r}")
    return items


def _address(text: str) -> str:
    if text and "://" not in text:
        raise ValueError(f"must be a scheduler address such as 'tcp://host:8786', or '' for "
                         f"a LocalCluster; got {text!r}")
    return text


class PFLIScale(NotebookParams):
    """11_pfli_scale.

    On a ``data`` folder, ``scales`` are shares of its users (the notebook
    checks they are in (0, 1]).
    """

    seed: Seed
    scales: Annotated[ListOf(Float(0.001, 10.0), min_len=2), AfterValidator(_increasing)]
    n_workers: ListOf(Int(1, 64))
    processes: bool
    scheduler: Annotated[str, AfterValidator(_address)]
    partition_size: Int(100)
    train_users: Int(10)
    eval_folds: Int(2, 10)
    data: Data


class RealData(NotebookParams):
    """12_real_data."""

    seed: Seed
    people_share: Float(0.05, 1.0)
    repeats: Int(1, 50)
    grid_profile: OneOf("ci", "full")
    methods: ListOf(OneOf(*H2SEA_METHODS))
    max_epochs: Int(1, 500)
    batch_size: Int(16, 65536)
    lr_min_frequency: Int(1)
    reference_share: Float(0.05, 0.9)
    smoothing: Float(0.0, 1000.0)
    min_area_n: Int(1, 1000)
    leak_demo: bool
    checkins_dir: Data
    home_rule: OneOf("night", "frequent_cell")
    radius_km: Float(0.1, 500.0)
    visible_share: Float(0.0, 1.0)


class HomeExposure(NotebookParams):
    """13_home_exposure."""

    seed: Seed
    scale: Float(0.05, 1.0)
    repeats: Int(2, 20)
    attacker_methods: ListOf(OneOf(*H2SEA_METHODS))
    grid_profile: OneOf("ci", "full")
    max_epochs: Int(1, 500)
    tasks: ListOf(OneOf(*H2SEA_TASKS))
    data: Data
    cell_km: Float(0.1, 50.0)
    utility_tolerance: Float(0.0, 1.0)
    poi_width: Float(0.1, 5.0)
    conf_width: Float(0.01, 1.0)
    min_group_size: Int(1)
    cv_folds: Int(2, 50)
    n_estimators: Int(1, 2000)
    n_jobs: Int(1, 64)
    profile_scale: Float(0.001, 10.0)
    pfli_folds: Int(2, 20)
    ln_users: Int(10)
    chain_users: Int(10)
    chain_task: OneOf(*H2SEA_TASKS)
    chain_k_km: Float(0.1, 20000.0)
    smoothing: Float(0.0, 1000.0)


class CheckYourProfile(NotebookParams):
    """14_check_your_profile.

    The profile itself is validated again, field by field, by
    :func:`homelib.home.profile.validate_profile`.
    """

    seed: Seed
    world: OneOf("ci", "full")
    scale: Float(0.0, 1.0)
    hometown: str
    work: str
    friends: Annotated[list[str], Field(min_length=0)]
    friends_csv: str
    k_km: Float(0.001, 20000.0)
    target_level: Int(1, 5)
    data: Data


NOTEBOOK_PARAMETERS: dict[str, type[NotebookParams]] = {
    "00_overview": Overview,
    "01_survey": Survey,
    "02_enrich": Enrich,
    "03_h2sea": H2SEA,
    "04_feature_importance": FeatureImportance,
    "05_city_village": CityVillage,
    "06_housing_income": HousingIncome,
    "07_social_world": SocialWorld,
    "08_pfli": PFLI,
    "09_exposure": Exposure,
    "10_claims": Claims,
    "11_pfli_scale": PFLIScale,
    "12_real_data": RealData,
    "13_home_exposure": HomeExposure,
    "14_check_your_profile": CheckYourProfile,
}
"""Every notebook's parameter model, by notebook name (``NN_name``)."""


# ---------------------------------------------------------------------------
# checking
# ---------------------------------------------------------------------------


def spec_for(notebook: str) -> type[NotebookParams]:
    """The parameter model of ``notebook``.

    Parameters
    ----------
    notebook : str
        ``NN_name``.

    Returns
    -------
    type
        A :class:`NotebookParams` subclass.

    Raises
    ------
    KeyError
        No model is declared for the notebook.

    Examples
    --------
    >>> spec_for("08_pfli").__name__
    'PFLI'
    """
    try:
        return NOTEBOOK_PARAMETERS[notebook]
    except KeyError:
        raise KeyError(
            f"no parameter spec for notebook {notebook!r}: add a model to "
            "homelib/params.py and an entry to NOTEBOOK_PARAMETERS"
        ) from None


def declared(notebook: str) -> list[str]:
    """Names of the parameters declared for ``notebook``, sorted.

    Parameters
    ----------
    notebook : str

    Returns
    -------
    list of str

    Examples
    --------
    >>> declared("02_enrich")
    ['data', 'map_homes', 'scale', 'seed']
    """
    return sorted(spec_for(notebook).model_fields)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _problem(notebook: str, err: Mapping[str, Any], values: Mapping[str, Any]) -> Problem:
    loc = err["loc"]
    name = str(loc[0]) if loc else "?"
    where = f"parameter {name!r}"
    if len(loc) > 1:
        where += f" item {loc[1]}"
    value = err.get("input")
    if err["type"] == "extra_forbidden":
        names = declared(notebook)
        near = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        return Problem(name, value, f"unknown parameter {name!r} = {_short(value)} "
                                    f"({notebook} declares {', '.join(names)}){hint}")
    if err["type"] == "missing":
        return Problem(name, None, f"{where} is not set")
    msg = str(err["msg"])
    msg = msg[0].lower() + msg[1:]
    if err["type"].endswith("_type") and value is not None:
        msg += f" (got {type(value).__name__})"
    if msg.startswith("value error, "):
        msg = msg[len("value error, "):]
    return Problem(name, values.get(name), f"{where} = {_short(value)}: {msg}")


def problems(notebook: str, values: Mapping[str, Any]) -> list[Problem]:
    """Every problem of ``values`` against the notebook's spec (empty if all is well).

    Parameters
    ----------
    notebook : str
    values : mapping
        Every parameter of the notebook (defaults included).

    Returns
    -------
    list of Problem

    Examples
    --------
    >>> [p.message for p in problems("02_enrich", {"seed": True, "scale": 0.5, "data": "simulated"})]
    ["parameter 'map_homes' is not set", "parameter 'seed' = True: input should be a valid integer (got bool)"]
    """
    model = spec_for(notebook)
    try:
        model.model_validate(dict(values))
    except ValidationError as exc:
        found = [_problem(notebook, err, values) for err in exc.errors()]
        return sorted(found, key=lambda p: (p.name, p.message))
    return []


def validate(notebook: str, values: Mapping[str, Any]) -> None:
    """Raise :class:`ParameterError` listing every problem of ``values``.

    Parameters
    ----------
    notebook : str
    values : mapping
        Every parameter of the notebook.

    Raises
    ------
    ParameterError

    Examples
    --------
    >>> validate("02_enrich", {"seed": 0, "scale": 0.5, "map_homes": 5, "data": "simulated"})
    Traceback (most recent call last):
    ...
    homelib.params.ParameterError: 02_enrich: parameter 'map_homes' = 5: input should be greater than or equal to 10
    """
    found = problems(notebook, values)
    if found:
        raise ParameterError(notebook, found)


_LITERALS = (bool, int, float, str, list, tuple, dict, type(None))
_IPYTHON_NAMES = frozenset({"In", "Out"})


def check_notebook(notebook: str, namespace: Mapping[str, Any], *, quiet: bool = False) -> None:
    """The check cell of a notebook: validate its globals against its spec.

    Call it right after the ``parameters`` cell (and the cell Papermill
    injects), before anything else defines globals. Every declared parameter
    is checked; any other public global holding a plain value (what Papermill
    injects for ``-p NAME VALUE``) is an unknown parameter. Outside the
    pipeline, prints where this run's results go (a scratch folder).

    Parameters
    ----------
    notebook : str
        ``NN_name``.
    namespace : mapping
        The notebook's ``globals()``.
    quiet : bool
        Do not print where results go.

    Raises
    ------
    ParameterError
        Naming every bad, missing or unknown parameter.

    Examples
    --------
    >>> check_notebook("02_enrich", {"seed": 0, "scale": 0.5, "map_homes": 100, "data": "simulated",
    ...                              "np": math}, quiet=True)
    >>> check_notebook("02_enrich", {"seed": 0, "scale": 0.5, "map_homes": 100, "data": "simulated",
    ...                              "sclae": 2.0}, quiet=True)
    Traceback (most recent call last):
    ...
    homelib.params.ParameterError: 02_enrich: unknown parameter 'sclae' = 2.0 (02_enrich declares data, map_homes, scale, seed); did you mean 'scale'?
    """
    names = set(spec_for(notebook).model_fields)
    values = {k: namespace[k] for k in names if k in namespace}
    values.update({k: v for k, v in namespace.items()
                   if k not in names and not k.startswith("_") and k not in _IPYTHON_NAMES
                   and type(v) in _LITERALS})
    validate(notebook, values)
    if not quiet and not under_pipeline():
        where = results_dir()
        try:
            where = where.relative_to(project_root())
        except ValueError:
            pass
        print(f"Not run by `python -m homelib run`: this run's results go to {Path(where)}/ "
              "(data/results holds only the pipeline's published results).")


# ---------------------------------------------------------------------------
# single values (kept for code that checks one value at a time)
# ---------------------------------------------------------------------------


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
        accepted where a number is asked for. Numbers must be finite.
    low, high : float, optional
        Inclusive bounds for numbers.
    choices : iterable, optional
        Allowed values.

    Returns
    -------
    object
        ``value``.

    Raises
    ------
    TypeError
        If the value has the wrong type.
    ValueError
        If the value is NaN, infinite, out of range or not one of the choices.

    Examples
    --------
    >>> check("repeats", 0, int, low=1)
    Traceback (most recent call last):
    ...
    ValueError: parameter 'repeats' = 0 is below the minimum 1
    >>> check("scale", float("nan"), float)
    Traceback (most recent call last):
    ...
    ValueError: parameter 'scale' = nan is not a finite number
    >>> check("profile", "ci", str, choices=("ci", "full"))
    'ci'
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
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"parameter {name!r} = {value!r} is not a finite number")
    if low is not None and value < low:
        raise ValueError(f"parameter {name!r} = {value!r} is below the minimum {low}")
    if high is not None and value > high:
        raise ValueError(f"parameter {name!r} = {value!r} is above the maximum {high}")
    if choices is not None:
        allowed = list(choices)
        if value not in allowed or (is_bool and not any(a is value for a in allowed)):
            raise ValueError(f"parameter {name!r} = {value!r} is not one of {allowed}")
    return value


def check_list(
    name: str, value: Any, choices: Iterable[Any], *, min_len: int = 1
) -> list:
    """Check a list parameter whose items must come from ``choices``.

    Parameters
    ----------
    name : str
    value : list
    choices : iterable
        Allowed items.
    min_len : int
        Fewest items allowed.

    Returns
    -------
    list

    Raises
    ------
    TypeError
        Not a list.
    ValueError
        Unknown items, or fewer than ``min_len``.

    Examples
    --------
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
    unknown = [v for v in value if v not in allowed or isinstance(v, bool)]
    if unknown:
        raise ValueError(f"parameter {name!r} has unknown item(s) {unknown}; allowed: {allowed}")
    if len(value) < min_len:
        raise ValueError(f"parameter {name!r} needs at least {min_len} item(s); got {list(value)}")
    return list(value)
