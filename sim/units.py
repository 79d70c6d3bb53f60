"""Times in scenario files: a number of seconds or a string with its unit.

Accepted: ``30``, ``1.5``, ``"150ms"``, ``"30s"``, ``"5m"``, ``"1h"``, ``"2d"``,
``" 30 s "`` (spaces allowed), and bare numeric strings. Everything becomes a
finite float of seconds at the boundary, once, so the engine only sees seconds.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from annotated_types import Ge, Gt
from pydantic import BeforeValidator

UNITS_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
ALLOWED_FORMS = "a number of seconds or a string like 150ms, 30s, 5m, 1h, 2d"

_TIME_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-z]*)\s*$")


def parse_time(value: Any) -> float:
    """Seconds (finite float >= 0) from a number or a string with a unit.

    Raises:
        ValueError: for bools, NaN, infinities, negative values, unknown units
            or anything else; the message lists the allowed forms.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"invalid time {value!r}: expected {ALLOWED_FORMS}")
    if isinstance(value, str):
        seconds = _parse_time_text(value)
    else:
        seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"invalid time {value!r}: expected a finite time >= 0, {ALLOWED_FORMS}")
    return seconds


def _parse_time_text(text: str) -> float:
    match = _TIME_RE.match(text)
    if not match or match.group(2) not in ("", *UNITS_S):
        raise ValueError(f"invalid time {text!r}: expected {ALLOWED_FORMS}")
    number, unit = match.groups()
    return float(number) * UNITS_S.get(unit or "s", 1.0)


Seconds = Annotated[float, BeforeValidator(parse_time), Ge(0)]
"""A time in seconds, >= 0, parsed by `parse_time`."""

PositiveSeconds = Annotated[float, BeforeValidator(parse_time), Gt(0)]
"""A time in seconds, > 0, parsed by `parse_time`."""
