"""The sampler of the mutation-testing runner (tests/benchmarks/mutation.py); no mutmut run."""

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).parent / "benchmarks" / "mutation.py"
_spec = importlib.util.spec_from_file_location("mutation_runner", _PATH)
M = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(M)


def _pools(sizes):
    return {f: [f"m.x_{f}__mutmut_{i}" for i in range(1, k + 1)] for f, k in sizes.items()}


SIZES = {"big": 200, "mid": 57, "small": 9, "tiny": 1, "two": 2}


def test_allocation_is_proportional_with_one_per_function_and_sums_to_n():
    # n=30 of 269: quotas big 22.30, mid 6.36, small 1.00, tiny 0.11, two 0.22; floors with the
    # minimum of one: 22+6+1+1+1 = 31 > 30, so one goes back from the most over-served stratum
    # holding more than one (quota - share: big 0.30 < mid 0.36; small is at one).
    assert M.allocate(SIZES, 30) == {"big": 21, "mid": 6, "small": 1, "tiny": 1, "two": 1}
    # n=100: quotas 74.35, 21.19, 3.35, 0.37, 0.74 -> floors 74, 21, 3, min 1, 1 = 100
    assert M.allocate(SIZES, 100) == {"big": 74, "mid": 21, "small": 3, "tiny": 1, "two": 1}
    # largest remainder: n=60 quotas 44.61, 12.71, 2.01, 0.22, 0.45 -> 44+12+2+1+1 = 60
    assert M.allocate(SIZES, 60) == {"big": 44, "mid": 12, "small": 2, "tiny": 1, "two": 1}
    # n=10 of {a: 6, b: 4}: exact shares; n=5: quotas 3.0, 2.0
    assert M.allocate({"a": 6, "b": 4}, 5) == {"a": 3, "b": 2}
    # remainders 0.5 and 0.5 for n=3 of {a: 3, b: 3}: the tie goes to the larger name, b
    assert M.allocate({"a": 3, "b": 3}, 3) == {"a": 1, "b": 2}


def test_allocation_limits():
    assert M.allocate(SIZES, 10_000) == SIZES  # at least the total: every mutant
    assert M.allocate({"a": 3, "empty": 0}, 2) == {"a": 2}  # empty strata are left out
    with pytest.raises(ValueError, match=r"n=4 .*\(5\)"):
        M.allocate(SIZES, 4)  # fewer than one per function
    with pytest.raises(ValueError, match="sizes must be >= 0"):
        M.allocate({"a": -1}, 1)


@pytest.mark.parametrize("n", [5, 30, 100, 269])
def test_sample_is_stratified_and_at_least_one_per_function(n):
    pools = _pools(SIZES)
    s = M.stratified_sample(pools, n, seed=3)
    assert set(s) == set(SIZES)
    assert {f: len(v) for f, v in s.items()} == M.allocate(SIZES, n)
    for f, v in s.items():
        assert len(set(v)) == len(v) and set(v) <= set(pools[f])  # no repeats, own stratum only
        assert v == sorted(v, key=M.mutant_number)
    assert sum(map(len, s.values())) == n


def test_sample_is_deterministic_per_seed_and_varies_with_it():
    pools = _pools(SIZES)
    shuffled = {f: list(reversed(v)) for f, v in reversed(list(pools.items()))}
    a = M.stratified_sample(pools, 40, seed=7)
    assert a == M.stratified_sample(pools, 40, seed=7)
    assert a == M.stratified_sample(shuffled, 40, seed=7)  # the input order does not matter
    assert a != M.stratified_sample(pools, 40, seed=8)


def test_wilson_interval_and_mutant_names():
    # Wilson 95%: 9/10 -> (0.5958, 0.9821); 0/5 -> (0, 0.4345) (hand formula, z = 1.95996)
    lo, hi = M.wilson(9, 10)
    assert lo == pytest.approx(0.59585, abs=1e-4) and hi == pytest.approx(0.98212, abs=1e-4)
    lo, hi = M.wilson(0, 5)
    assert lo == pytest.approx(0.0, abs=1e-12) and hi == pytest.approx(0.43448, abs=1e-4)
    assert M.mutant_glob("homelib.pfli.model", "PFLIModel.score") == \
        "homelib.pfli.model.x\u01c1PFLIModel\u01c1score__mutmut_*"
    assert M.mutant_number("homelib.metrics.x_aed_at__mutmut_12") == 12
