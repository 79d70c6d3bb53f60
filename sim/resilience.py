"""Resilience patterns of synchronous calls: circuit breakers, bulkheads, retry budgets.

All are off by default and set per architecture under ``call:``; each applies to the calls
a service makes, never to the client's own request.

- **Circuit breaker** (per call link; count-based, as resilience4j's
  ``COUNT_BASED`` sliding window): the outcomes of the last ``window`` attempts are kept;
  once at least ``min_calls`` are known and the share of failures (errors and timeouts) is
  at least ``failure_rate``, the breaker opens: calls are refused at once, without a
  worker or a timer, for ``open_for`` seconds. The first call after that finds it
  half-open (the transition is lazy, as resilience4j's default) and up to
  ``half_open_calls`` trial calls go through: one failure opens it again, that many
  successes close it with an empty window. Outcomes of calls made before it opened are
  ignored while it is open.
- **Bulkhead** (per call link): at most ``bulkhead`` attempts in flight; one more is
  refused at once, so one slow dependency cannot take every worker of its caller.
- **Retry budget** (per calling service, as Finagle's RetryBudget without its time to
  live): every first attempt deposits ``retry_budget`` tokens (at most ``BUDGET_CAP``
  kept), every retry spends one; with no whole token left the error is returned instead.

Refusals by a breaker or a bulkhead are errors of their own kind (``circuit_open``,
``bulkhead``) whose origin is the link; they are not retried.
"""

from __future__ import annotations

from collections import deque
from typing import Final

# Final: compiled, a constant rather than a lookup in the module's globals (docs/architecture.md)
CLOSED: Final = "closed"
OPEN: Final = "open"
HALF_OPEN: Final = "half_open"
BUDGET_CAP: Final = 10.0  # tokens a retry budget can save up: a burst of at most ten retries
NOT_RETRIED = frozenset({"circuit_open", "bulkhead"})


class Breaker:
    """The circuit breaker of one call link."""

    def __init__(self, clock, spec):
        self.clock = clock
        self.spec = spec
        self.state = CLOSED
        self.outcomes: deque[bool] = deque()  # True for a failure, oldest first
        self.failures = 0
        self.opened_at = 0.0
        self.trials = 0  # trial calls let through while half-open
        self.successes = 0
        self.opened = 0  # times it opened, for the records

    def permits(self) -> bool:
        """May a call go through now? (Moves an expired open breaker to half-open.)"""
        if self.state == CLOSED:
            return True
        if self.state == OPEN:
            if self.clock.now < self.opened_at + self.spec.open_for:
                return False
            self.state, self.trials, self.successes = HALF_OPEN, 0, 0
        if self.trials < self.spec.half_open_calls:
            self.trials += 1
            return True
        return False

    def record(self, failed: bool) -> None:
        """The outcome of a call this breaker let through."""
        if self.state == HALF_OPEN:
            if failed:
                self._open()
            else:
                self.successes += 1
                if self.successes >= self.spec.half_open_calls:
                    self.state = CLOSED
                    self.outcomes.clear()
                    self.failures = 0
            return
        if self.state == OPEN:
            return
        outcomes = self.outcomes
        outcomes.append(failed)
        self.failures += failed
        if len(outcomes) > self.spec.window:
            self.failures -= outcomes.popleft()
        if len(outcomes) >= self.spec.min_calls and \
                self.failures >= self.spec.failure_rate * len(outcomes):
            self._open()

    def _open(self) -> None:
        self.state = OPEN
        self.opened_at = self.clock.now
        self.opened += 1


class Gate:
    """What stands on one call link: its breaker and its bulkhead (either may be None)."""

    __slots__ = ("name", "breaker", "bulkhead", "in_flight", "refused")

    def __init__(self, name: str, breaker: Breaker | None, bulkhead: int | None):
        self.name = name
        self.breaker = breaker
        self.bulkhead = bulkhead
        self.in_flight = 0
        self.refused = 0

    def refuse(self) -> str | None:
        """None if an attempt may start now (and counts it in flight), else why not."""
        if self.breaker is not None and not self.breaker.permits():
            self.refused += 1
            return "circuit_open"
        if self.bulkhead is not None and self.in_flight >= self.bulkhead:
            self.refused += 1
            return "bulkhead"
        self.in_flight += 1
        return None

    def done(self, failed: bool) -> None:
        """An attempt that went through ended."""
        self.in_flight -= 1
        if self.breaker is not None:
            self.breaker.record(failed)


class RetryBudget:
    """Retries a calling service may make, earned as a fraction of its calls."""

    __slots__ = ("ratio", "balance", "denied")

    def __init__(self, ratio: float):
        self.ratio = ratio
        self.balance = 0.0
        self.denied = 0

    def deposit(self) -> None:
        self.balance = min(BUDGET_CAP, self.balance + self.ratio)

    def withdraw(self) -> bool:
        if self.balance >= 1.0:
            self.balance -= 1.0
            return True
        self.denied += 1
        return False
