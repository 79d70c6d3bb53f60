"""A service at run time: a pool of workers, a bounded wait queue, the faults it suffers.

The pool is a counter plus a deque of waiting jobs, not a ``simpy.Resource``: a
freed worker is handed straight to the next waiter, which saves the request and release
events (measured 2.2-2.6x faster, issue 5). Synchronous requests that find every worker busy
wait in the deque, up to ``queue`` of them; beyond that they are rejected at once. A service
that subscribes to events also pulls messages from its own :class:`~sim.queues.MessageQueue`
whenever a worker is free and no synchronous request is waiting.

Levels (busy workers, waiting requests) are integrated over time for time-averaged
statistics and the Little's-law check.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from sim.faults import FaultState

if TYPE_CHECKING:
    from sim.clock import Clock
    from sim.job import Job
    from sim.queues import MessageQueue


class Service:
    """Workers, waiting requests and fault state of one service in one run."""

    def __init__(self, clock: Clock, index: int, name: str, spec: Any) -> None:
        self.clock = clock
        self.index = index
        self.bit = 1 << index
        self.name = name
        self.spec = spec
        self.base_workers: int = spec.workers
        self.workers: int = spec.workers
        self.busy = 0
        self.waiting: deque[Job] = deque()
        self.limit: float = float("inf") if spec.queue is None else spec.queue
        self.queue: MessageQueue | None = None  # MessageQueue, in architectures where the service subscribes to events
        self.call_groups: list[list[Service]] = []  # children reached by calls, in groups called at once
        self.event_targets: list[Any] = []  # (queue, link fault, op) of children reached by events
        self.fault = FaultState()
        self.fault._on_change = self._refit
        self.hung: list[Any] = []  # jobs holding a worker until a hang ends
        # Load shedding (sim.policies.LoadShedding): requests older than ``max_age`` s when a
        # worker takes them are dropped; ``guarded`` says whether Job.start must look at all.
        self.max_age: float = float("inf")
        self.guarded = False
        self.shed = 0  # requests dropped by age or deadline
        # Tallies.
        self.visits = 0
        self.errors = 0
        self.rejected = 0
        self.jobs = 0
        self.sojourn_s = 0.0
        # Time integrals of busy workers and waiting requests.
        self._t = 0.0
        self.area_busy = 0.0
        self.area_waiting = 0.0
        # Worker-seconds provisioned (the cost of autoscaling), integrated at each change.
        self._tw = 0.0
        self.area_workers = 0.0

    def _level(self) -> None:
        now = self.clock.now
        dt = now - self._t
        if dt:
            self.area_busy += self.busy * dt
            self.area_waiting += len(self.waiting) * dt
            self._t = now

    def request(self, job: Job) -> bool:
        """Ask for a worker: ``job.start()`` runs now or when one frees; False if the queue is full."""
        busy = self.busy
        waiting = self.waiting
        free = busy < self.workers
        if free or len(waiting) < self.limit:
            self._level()
            if free:
                self.busy = busy + 1
                job.start()
            else:
                waiting.append(job)
            return True
        self.rejected += 1
        return False

    def release(self) -> None:
        """A job is done with its worker: hand it to a waiting request, a message, or free it."""
        self._level()
        busy = self.busy
        waiting = self.waiting
        if busy <= self.workers:
            if waiting:
                waiting.popleft().start()
                return
            queue = self.queue
            if queue is not None and queue.visible:
                message = queue.receive()
                if message is not None:
                    queue.consume(message)
                    return
        self.busy = busy - 1

    def notify(self) -> None:
        """A message became visible in our queue: take it if a worker is idle."""
        busy = self.busy
        queue = self.queue
        if busy < self.workers and not self.waiting and queue is not None:
            message = queue.receive()
            if message is not None:
                self._level()
                self.busy = busy + 1
                queue.consume(message)

    def resize(self, workers: int) -> None:
        """Provision ``workers`` (an autoscaler's decision); busy workers beyond it finish
        their job first (``release`` retires them)."""
        self.base_workers = workers
        self._refit()

    def _count_workers(self) -> None:
        now = self.clock.now
        self.area_workers += self.workers * (now - self._tw)
        self._tw = now

    def _refit(self) -> None:
        """Apply a change of fault state or size: capacity lost or restored, hung jobs let go."""
        lost = int(self.base_workers * self.fault.capacity_lost + 0.5)
        self._count_workers()
        self.workers = self.base_workers - lost
        if not self.fault.hung and self.hung:
            hung, self.hung = self.hung, []
            for job in hung:
                job.abandon()
        while self.busy < self.workers and (self.waiting or self.queue is not None):
            if self.waiting or self.queue is None:
                self._level()
                self.busy += 1
                self.waiting.popleft().start()
                continue
            message = self.queue.receive()
            if message is None:
                break
            self._level()
            self.busy += 1
            self.queue.consume(message)

    def finish_levels(self) -> None:
        self._level()
        self._count_workers()
