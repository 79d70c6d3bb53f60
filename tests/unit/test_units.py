"""Time parsing: every accepted form gives seconds; everything else is refused clearly."""

import math

import pytest
from pydantic import BaseModel, ValidationError

from sim.units import PositiveSeconds, Seconds, parse_time


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (30, 30.0), (1.5, 1.5), (0, 0.0), ("150ms", 0.15), ("30s", 30.0), ("5m", 300.0),
        ("1h", 3600.0), ("2d", 172800.0), ("1.5s", 1.5), (" 30 s ", 30.0), ("42", 42.0),
        ("0.25", 0.25), (".5m", 30.0), ("1e3ms", 1.0),
    ],
)
def test_parse_time_accepts_numbers_and_unit_strings(text, seconds):
    assert parse_time(text) == pytest.approx(seconds, rel=1e-12)


@pytest.mark.parametrize(
    "bad", [True, False, math.nan, math.inf, -1, -0.5, "-5s", "5 minutes", "5x", "", "abc",
            "nan", "inf", None, [1], "1 h 2"],
)
def test_parse_time_rejects_with_allowed_forms(bad):
    with pytest.raises(ValueError, match="150ms, 30s, 5m, 1h"):
        parse_time(bad)


class _M(BaseModel):
    t: Seconds = 0.0
    p: PositiveSeconds = 1.0


def test_seconds_type_parses_in_a_model():
    assert _M(t="2m", p="150ms") == _M(t=120.0, p=0.15)


def test_positive_seconds_refuses_zero():
    with pytest.raises(ValidationError, match="greater than 0"):
        _M(p=0)


def test_seconds_accepts_zero():
    assert _M(t="0s").t == 0.0
