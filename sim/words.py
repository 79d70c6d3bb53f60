"""Numbers and times in words, for the report."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 worker', '3 workers', '2 retries'."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def minutes(t: float) -> str:
    """'30 min', '2.5 min', '45 s'."""
    return f"{t:g} s" if t < 120 else f"{round(t / 60, 1):g} min"


def between(start: float, end: float) -> str:
    """'100 to 160 s', '30 to 32 min': one unit for both ends, chosen by the end."""
    if end < 120:
        return f"{start:g} to {end:g} s"
    return f"{round(start / 60, 1):g} to {round(end / 60, 1):g} min"
