"""Injected faults: when each one is active, and the state a target is in while it is.

A fault is active in fixed windows ``[start, end)`` or, with ``mtbf``/``mttr``, in windows of
an alternating renewal process (exponential up and down times) drawn from the fault's own
stream, so every architecture sees the same failures. Targets (services, links, the bus)
hold a :class:`FaultState`; the model switches faults on and off at window edges.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

import numpy as np

# Kinds, as strings: they are data in records (error origins), not classes.
# Final: compiled, a constant rather than a lookup in the module's globals (docs/architecture.md)
OUTAGE: Final = "outage"
HANG: Final = "hang"
SLOWDOWN: Final = "slowdown"
ERRORS: Final = "errors"
CAPACITY: Final = "capacity"


def fault_windows(fault, horizon_s: float, rng: np.random.Generator) -> list[tuple[float, float]]:
    """The ``[start, end)`` windows in which ``fault`` is active before ``horizon_s``."""
    if fault.mtbf is None:
        return [(fault.start, fault.end)] if fault.start < horizon_s else []
    windows: list[tuple[float, float]] = []
    t = 0.0
    while True:
        t += rng.exponential(fault.mtbf)
        if t >= horizon_s:
            return windows
        down = rng.exponential(fault.mttr)
        windows.append((t, t + down))
        t += down


class FaultState:
    """The combined effect of the faults active on one target right now."""

    __slots__ = ("down", "hung", "factor", "error_fraction", "capacity_lost", "active", "_on_change")

    def __init__(self) -> None:
        self.down = 0  # active outages (a count, since windows of two faults may overlap)
        self.hung = 0
        self.factor: float = 1.0  # product of active slowdown factors
        self.error_fraction: float = 0.0
        self.capacity_lost: float = 0.0
        self.active: list[Any] = []  # active faults, oldest first: the origin of an error is the first
        self._on_change: Callable[[], None] | None = None

    @property
    def faulty(self) -> bool:
        return bool(self.active)

    def kind(self) -> str | None:
        """The kind of the oldest active fault, used as the origin of errors it causes."""
        return self.active[0].kind if self.active else None

    def switch(self, fault: Any, on: bool) -> None:
        """Turn ``fault`` on or off and recompute the combined state."""
        if on:
            self.active.append(fault)
        else:
            self.active.remove(fault)
        self.down = sum(f.kind == OUTAGE for f in self.active)
        self.hung = sum(f.kind == HANG for f in self.active)
        self.factor = float(math.prod(f.factor for f in self.active if f.kind == SLOWDOWN))
        ok = float(math.prod(1.0 - f.fraction for f in self.active if f.kind == ERRORS))
        self.error_fraction = 1.0 - ok
        kept = float(math.prod(1.0 - f.fraction for f in self.active if f.kind == CAPACITY))
        self.capacity_lost = 1.0 - kept
        if self._on_change is not None:
            self._on_change()
