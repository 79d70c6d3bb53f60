"""The engine's scheduling primitives over SimPy's event queue: timers and deadline lists.

The model is written with callbacks rather than a generator process per order: a callback
costs one heap entry, while a process adds an Initialize event and a generator frame per
step (measured 1.5-2x slower on a three-station tandem, see issue 5). Timers live in SimPy's
own heap (``Environment._queue``), ordered by (time, priority, event id), so ties between
simultaneous events break by a monotone id and runs are deterministic. ``Clock.run``
dispatches timers directly and hands any other SimPy event to ``Environment.step``.
"""

from __future__ import annotations

import gc
from collections import deque
from heapq import heappop, heappush
from types import BuiltinMethodType, MethodType
from typing import Any, Final

from simpy.core import Environment
from simpy.events import NORMAL, Event

# Final: compiled, each a static of the module, not a lookup in its globals at every event.
PRIORITY: Final = NORMAL  # SimPy's priority of an ordinary event, for our timers too
_push: Final = heappush


class Clock:
    """A SimPy environment, a counter of scheduled events, and a dispatch loop.

    The time is ``Clock.now``; SimPy's ``env.now`` is brought up to date only before a SimPy
    event is stepped and when ``run`` returns.
    """

    def __init__(self) -> None:
        self.env = Environment()
        self.events = 0
        # The time, kept here as well as in the environment: the engine reads it at every
        # request, release and job, and a plain attribute of ours is the cheapest read
        # (compiled, a field of the struct; SimPy's is a generic attribute lookup).
        self.now = 0.0
        # SimPy's heap and id counter, bound once (the environment never replaces them):
        # ``later`` runs about once per visit, so each attribute load there counts.
        self._queue: list[Any] = self.env._queue
        self._eid: Any = self.env._eid

    # A timer is a heap entry (time, priority, id, fn) for a call without arguments (most:
    # a job's ``worked``), else (time, priority, id, (fn, args)): the cheapest objects to
    # build and to call, and ``run`` tells them from a SimPy event by their class.

    def later(self, delay: float, fn: Any, *args: Any) -> None:
        """Call ``fn(*args)`` ``delay`` (>= 0) seconds from now."""
        self.events += 1
        _push(self._queue, (self.now + delay, PRIORITY, next(self._eid),
                            (fn, args) if args else fn))

    def after(self, delay: float, fn: Any) -> None:
        """``later(delay, fn)`` for the hot paths (a job's work, a bus delivery, the next
        arrival): without ``*args`` the interpreter specialises and inlines the call."""
        self.events += 1
        _push(self._queue, (self.now + delay, PRIORITY, next(self._eid), fn))

    def at(self, when: float, fn: Any, *args: Any) -> None:
        """Call ``fn(*args)`` at absolute time ``when`` (>= now)."""
        self.events += 1
        _push(self._queue, (when, PRIORITY, next(self._eid), (fn, args) if args else fn))

    def run(self, until: float) -> None:
        """Process every event due before ``until``; the clock then reads ``until``.

        The cyclic garbage collector is paused meanwhile (and restored after): the engine's
        per-event objects form no reference cycles (none found in any built-in scenario),
        so its passes, over every object of the process, only cost time (~20 % of a run).
        """
        env = self.env
        queue = self._queue
        pop, method, builtin_method = heappop, MethodType, BuiltinMethodType  # locals: no lookups
        collecting = gc.isenabled()
        gc.disable()
        try:
            # Pop first and put back the one entry that is not ours to run (due at or after
            # ``until``, or a SimPy event): ids are unique, so the heap pops in the same
            # order whatever its layout, and the common case reads the heap once. A timer
            # is a bound method (a Python one, or a compiled one: see docs/architecture.md),
            # a tuple (fn, args), or any other callable; anything else is a SimPy event.
            while queue:
                when, priority, eid, event = pop(queue)
                if when >= until:
                    heappush(queue, (when, priority, eid, event))
                    break
                cls = event.__class__
                if cls is method or cls is builtin_method:
                    self.now = when
                    event()
                elif cls is tuple:
                    self.now = when
                    event[0](*event[1])
                elif isinstance(event, Event):
                    heappush(queue, (when, priority, eid, event))
                    env._now = self.now
                    env.step()
                    self.now = env._now
                else:  # a timer of another callable without arguments
                    self.now = when
                    event()
        finally:
            if collecting:
                gc.enable()
        self.now = until
        env._now = until


class Deadlines:
    """Timeouts of one fixed length, due in the order they were set, on a single timer.

    Calls with the same timeout (and receives with the same visibility timeout) fall due in
    the order they began, so a FIFO of (deadline, item) needs one pending timer, for its
    first live item, instead of a heap entry per call. Items answered in time are dropped
    lazily: ``item.live`` says whether it still waits, ``item.expire()`` is its timeout.
    """

    __slots__ = ("clock", "delay", "due", "armed")

    def __init__(self, clock: Clock, delay: float) -> None:
        self.clock = clock
        self.delay = delay
        self.due: deque[tuple[float, Any]] = deque()
        self.armed = False

    def add(self, item: Any) -> None:
        """Expire ``item`` ``delay`` seconds from now unless it is no longer live by then."""
        when = self.clock.now + self.delay
        self.due.append((when, item))
        if not self.armed:
            self.armed = True
            self.clock.at(when, self._fire)

    def _fire(self) -> None:
        now = self.clock.now
        due = self.due
        while due:  # drop what is due (expiring the live) and what is settled; stop at a live item
            when, item = due[0]
            if when <= now:
                due.popleft()
                if item.live:
                    item.expire()
            elif item.live:
                break
            else:
                due.popleft()
        if due:
            self.clock.at(due[0][0], self._fire)
        else:
            self.armed = False
