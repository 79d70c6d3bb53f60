"""Timers on the SimPy environment that call a plain function: the engine's only scheduling primitive.

The model is written with callbacks rather than a generator process per order: a callback
costs one heap entry, while a process adds an Initialize event and a generator frame per
step (measured 1.5-2x slower on a three-station tandem, see issue 5). Ties between events at
the same time are broken by SimPy's monotone event id, so runs are deterministic.
"""

from __future__ import annotations

from simpy.core import Environment
from simpy.events import NORMAL, Event


class Timer(Event):
    """An event that fires ``fn(*args)`` after ``delay`` seconds."""

    __slots__ = ("fn", "args")

    def __init__(self, env: Environment, delay: float, fn, args: tuple):
        # Event.__init__ is skipped on purpose: this is the hot path, and the fields below are
        # exactly those Environment.step reads (callbacks, _ok, _value).
        self.env = env
        self.callbacks = [self._fire]
        self._ok = True
        self._value = None
        self.fn = fn
        self.args = args
        env.schedule(self, NORMAL, delay)

    def _fire(self, _event) -> None:
        self.fn(*self.args)


class Clock:
    """A SimPy environment plus a counter of scheduled engine events."""

    def __init__(self):
        self.env = Environment()
        self.events = 0

    @property
    def now(self) -> float:
        return self.env._now

    def later(self, delay: float, fn, *args) -> None:
        """Call ``fn(*args)`` ``delay`` seconds from now."""
        self.events += 1
        Timer(self.env, delay, fn, args)

    def run(self, until: float) -> None:
        self.env.run(until=until)
