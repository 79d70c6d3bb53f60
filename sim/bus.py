"""The event bus (EventBridge-like): accepts a publish, then delivers a copy to each target queue.

- Publish is accepted at once unless the bus is down (outage), a fraction of publishes fail
  (errors), or a throughput limit throttles it; the publisher then retries (see
  :mod:`sim.styles.event`).
- Each copy reaches its queue after a latency drawn from ``bus.latency`` (AWS publishes no
  figure; the default, median about 50 ms with p90 about 80 ms, is a calibration parameter,
  see docs/model.md) times any active slowdown on the bus or on the link.
- A copy over a link with an outage or hang waits until the link is back, as EventBridge
  retries delivery to a failing target (for up to 24 h by default); a copy that fails
  under a link's ``errors`` fault arrives one retry interval (1 s, an assumption) later.
- With an outbox, the publisher stores the event with its own write; a relay hands it to the
  bus as soon as the bus is up, so the publisher never sees a bus failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from sim.dists import Stream
from sim.faults import ERRORS, OUTAGE, FaultState
from sim.queues import Message
from sim.streams import Uniforms

if TYPE_CHECKING:
    from sim.model import Model


DELIVERY_RETRY_S: Final = 1.0


class Bus:
    """Publish acceptance, delivery latency, the outbox relay, and bus faults."""

    def __init__(self, model: Model, policy: Any, streams: Any) -> None:
        self.model = model
        self.clock = model.clock
        self.policy = policy
        self.latency = Stream(policy.latency, streams.rng("bus:latency"))
        self.draws = Uniforms(streams.rng("faults:bus"))
        self.fault = FaultState()
        self.fault._on_change = self._refit
        self.outbox: list[Any] = []  # (order, targets) waiting for the bus to come back
        self.rate: float | None = policy.throughput
        self.tokens: float = max(policy.throughput or 0.0, 1.0)  # the bucket starts full
        self._t_tokens = 0.0
        self.published = 0
        self.throttled = 0
        self.delivered = 0

    def accept(self) -> Any:
        """None if a publish is accepted now, else the Error that refused it."""
        fault = self.fault
        if fault.down:
            return self.model.error("bus", OUTAGE)
        if fault.error_fraction and self.draws.next() < fault.error_fraction:
            return self.model.error("bus", ERRORS)
        if self.rate is not None and not self._take_token():
            self.throttled += 1
            return self.model.error("bus", "throttled")
        return None

    def _take_token(self) -> bool:
        # Token bucket holding one second of throughput, and at least one whole token.
        now = self.clock.now
        rate = self.rate
        assert rate is not None  # throttling is on
        self.tokens = min(max(rate, 1.0), self.tokens + (now - self._t_tokens) * rate)
        self._t_tokens = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def deliver(self, order: int, targets: Any) -> None:
        """Send a copy of an accepted event for ``order`` to each (queue, link fault, op) target."""
        self.published += 1
        rec = self.model.rec
        rec.live[order >> rec.shift] += len(targets)  # retirement: each copy in play until settled
        now = self.clock.now
        factor = self.fault.factor
        for queue, link_fault, op in targets:
            message = Message(order, op, now, queue)
            delay = self.latency.next() * factor
            if link_fault is not None and link_fault.active:
                if link_fault.down or link_fault.hung:
                    link_fault.pending.append((queue, message))
                    continue
                delay *= link_fault.factor
                if link_fault.error_fraction and self.draws.next() < link_fault.error_fraction:
                    # A failed delivery is retried by the bus (EventBridge retries with
                    # backoff); one retry interval, an assumption, stands for that here.
                    delay += DELIVERY_RETRY_S
            self.delivered += 1
            self.clock.after(delay, message.arrive)

    def relay(self, order: int, targets: Any) -> None:
        """Outbox: the event is stored with the publisher's write and published when the bus is up."""
        if self.fault.down:
            self.outbox.append((order, targets))
            self.model.rec.live[order >> self.model.rec.shift] += 1  # retirement: held in the outbox
        else:
            self.deliver(order, targets)

    def _refit(self) -> None:
        if not self.fault.down and self.outbox:
            held, self.outbox = self.outbox, []
            for order, targets in held:
                self.deliver(order, targets)
                self.model.rec.live[order >> self.model.rec.shift] -= 1  # retirement: left the outbox


class LinkFault(FaultState):
    """Fault state of one link; event copies held by an outage wait in ``pending``."""

    __slots__ = ("pending", "clock", "name")

    def __init__(self, clock: Any, name: str) -> None:
        super().__init__()
        self.pending: list[Any] = []
        self.clock = clock
        self.name = name
        self._on_change = self._release

    def _release(self) -> None:
        if not (self.down or self.hung) and self.pending:
            held, self.pending = self.pending, []
            for queue, message in held:
                self.clock.later(0.0, queue.send, message)
