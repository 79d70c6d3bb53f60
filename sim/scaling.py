"""Elastic capacity at run time: target-tracking autoscaling and Lambda-like consumer scaling.

Both act through :meth:`Service.resize`, change the service's workers over time (sampled
into the time series as ``workers``) and keep a ``history`` of (time, workers) for tests and
the report. Their rules and defaults are in :mod:`sim.policies`.
"""

from __future__ import annotations

import math
from typing import Final

EPS: Final = 1e-9  # so that a metric exactly on target does not round up to one more worker


class Scaler:
    """What both scalers share: workers starting after a delay, and the resize history."""

    def __init__(self, clock, service, spec, horizon_s: float, period_s: float):
        self.clock = clock
        self.service = service
        self.spec = spec
        self.horizon_s = horizon_s
        self.period_s = period_s
        self.pending = 0  # workers starting, not serving yet
        self.history: list[tuple[float, int]] = [(0.0, service.base_workers)]
        clock.later(period_s, self._tick)

    def _tick(self) -> None:
        self.evaluate()
        if self.clock.now + self.period_s <= self.horizon_s:
            self.clock.later(self.period_s, self._tick)

    def evaluate(self) -> None:
        raise NotImplementedError

    def _start(self, add: int, delay_s: float) -> None:
        self.pending += add
        self.clock.later(delay_s, self._started, add)

    def _started(self, add: int) -> None:
        self.pending -= add
        self._resize(self.service.base_workers + add)

    def _resize(self, workers: int) -> None:
        self.service.resize(workers)
        self.history.append((self.clock.now, workers))


class Autoscaler(Scaler):
    """Target tracking of one service's workers (AWS Application Auto Scaling semantics)."""

    def __init__(self, clock, service, spec, horizon_s: float):
        self.low = spec.min_workers or service.spec.workers
        self.last_activity = 0.0
        self.area_busy = 0.0  # the service's busy-worker integral at the last evaluation
        super().__init__(clock, service, spec, horizon_s, spec.period)

    def desired(self) -> int:
        """Workers wanted now: ceil(mean busy / target utilisation), and with a backlog
        target, at least ceil(backlog / target backlog); within [min, max]."""
        service, spec = self.service, self.spec
        service._level()
        mean_busy = (service.area_busy - self.area_busy) / spec.period
        self.area_busy = service.area_busy
        want = math.ceil(mean_busy / spec.target_utilisation - EPS)
        if spec.target_backlog is not None:
            queue = service.queue
            backlog = len(service.waiting) + (queue.n_visible if queue is not None else 0)
            want = max(want, math.ceil(backlog / spec.target_backlog - EPS))
        return min(spec.max_workers, max(self.low, want))

    def evaluate(self) -> None:
        now = self.clock.now
        want = self.desired()
        current = self.service.base_workers
        if want > current + self.pending:
            # Workers already starting count towards the target, as AWS counts capacity
            # being added during the scale-out cooldown.
            self.last_activity = now
            self._start(want - current - self.pending, self.spec.scale_out_delay)
        elif (want < current and not self.pending
              and now - self.last_activity >= self.spec.cooldown):
            self.last_activity = now
            self._resize(want)


class ConsumerScaler(Scaler):
    """Lambda-like concurrency of one queue consumer (Lambda's SQS event source mapping).

    Every second: if messages are visible and every worker is busy, concurrency grows by
    the ramp (300 per minute: 5 a second, fractions carried over) up to ``max``, at most
    by the number of visible messages; if no message is visible, it falls to the larger of
    ``start`` and the busy workers (idle concurrency released, as Lambda scales back).
    """

    TICK_S = 1.0

    def __init__(self, clock, service, spec, horizon_s: float):
        self.credit = 0.0  # ramp earned but not used (fractions of a worker)
        service.resize(spec.start)
        super().__init__(clock, service, spec, horizon_s, self.TICK_S)

    def evaluate(self) -> None:
        service, spec = self.service, self.spec
        queue = service.queue
        visible = queue.n_visible if queue is not None else 0
        visible += len(service.waiting)
        current = service.base_workers
        if visible and service.busy >= service.workers:
            self.credit = min(self.credit + spec.ramp_per_minute * self.TICK_S / 60.0,
                              spec.ramp_per_minute)
            add = min(int(self.credit), visible, spec.max - current - self.pending)
            if add > 0:
                self.credit -= add
                self._start(add, spec.cold_start)
        elif not visible:
            self.credit = 0.0
            keep = max(spec.start, service.busy)
            if keep < current and not self.pending:
                self._resize(keep)
