"""The ``event`` style: publish to the bus and carry on; subscribers consume from their queues.

A job whose service has ``event`` links publishes one event when its own work (and any
``call`` children) succeeded; the job answers once the bus has accepted it. A refused
publish (bus outage, errors, throttling) is retried by the publisher, holding its worker,
``publish_retries`` times with exponential backoff ``publish_backoff * 2**(k-1)``; after that
the job fails with the bus as the error's origin. With ``outbox: true`` the event is written
with the publisher's own state and relayed when the bus is up, so the publish cannot fail.

A consumer takes a message when its service has a free worker; the message's job is the
same :class:`~sim.job.Job` as a call's (``MessageQueue.consume``). On success, or on a business failure (which is
handled by compensation, not by retry), the message is deleted; on any other failure it is
left to reappear after the visibility timeout (see :mod:`sim.queues`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model import Model
    from sim.service import Service


class Publish:
    """A publisher's attempts to put one event on the bus."""

    __slots__ = ("m", "service", "order", "targets", "on_done", "tries")

    def __init__(self, m: Model, service: Service, order: int, targets: Any,
                 on_done: Any) -> None:
        self.m = m
        self.service = service
        self.order = order
        self.targets = targets
        self.on_done = on_done
        self.tries = 0

    def attempt(self) -> None:
        m = self.m
        bus = m.bus
        assert bus is not None  # an architecture with event links has a bus
        error = bus.accept()
        if error is None:
            bus.deliver(self.order, self.targets)
            self.on_done(None)
            return
        policy = m.arch.bus
        self.tries += 1
        if self.tries > policy.publish_retries:
            m.rec.reached(error.id, self.service.name)
            self.on_done(error)
            return
        m.rec.retries += 1
        m.clock.later(policy.publish_backoff * 2.0 ** (self.tries - 1), self.attempt)


def publish_now(m: Model, order: int, targets: Any) -> bool:
    """Publish one event for ``order`` to ``targets`` [(queue, link fault, op)] if the bus
    takes it at once (the common case: an outbox, or a healthy bus without throttling);
    False, and nothing done, otherwise. A job's publish asks this first and answers itself
    (no callback), else goes through ``publish``."""
    bus = m.bus
    assert bus is not None  # an architecture with event links has a bus
    if m.outbox:
        bus.relay(order, targets)
        return True
    if not bus.fault.active and bus.rate is None:
        bus.deliver(order, targets)
        return True
    return False


def publish(m: Model, service: Service, order: int, targets: Any, on_done: Any) -> None:
    """Publish one event for ``order`` to ``targets``, then ``on_done(error or None)``."""
    if publish_now(m, order, targets):
        on_done(None)
    else:
        Publish(m, service, order, targets, on_done).attempt()
