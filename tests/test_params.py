import pytest

from homelib import params


def test_accepts_good_values():
    assert params.check("n", 3, int, low=1, high=5) == 3
    assert params.check("rate", 1, float, low=0) == 1  # an int is a valid float
    assert params.check_list("tasks", ["a"], ["a", "b"]) == ["a"]


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "msg"),
    [
        (("n", "3", int), {}, TypeError, "'n' = '3' has type str; expected int"),
        (("n", True, int), {}, TypeError, "'n' = True"),
        (("n", 0, int), {"low": 1}, ValueError, "below the minimum 1"),
        (("p", 1.5, float), {"high": 1}, ValueError, "above the maximum 1"),
        (("m", "x", str), {"choices": ["f1"]}, ValueError, "not one of \\['f1'\\]"),
    ],
)
def test_errors_name_parameter_and_value(args, kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        params.check(*args, **kwargs)


def test_check_list_errors():
    with pytest.raises(TypeError, match="expected list"):
        params.check_list("tasks", "education", ["education"])
    with pytest.raises(ValueError, match="at least 1"):
        params.check_list("tasks", [], ["education"])
