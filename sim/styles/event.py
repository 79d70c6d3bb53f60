"""The ``event`` style: publish to the bus and carry on; subscribers consume from their queues.

A job whose service has ``event`` links publishes one event when its own work (and any
``call`` children) succeeded; the job answers once the bus has accepted it. A refused
publish (bus outage, errors, throttling) is retried by the publisher, holding its worker,
``publish_retries`` times with exponential backoff ``publish_backoff * 2**(k-1)``; after that
the job fails with the bus as the error's origin. With ``outbox: true`` the event is written
with the publisher's own state and relayed when the bus is up, so the publish cannot fail.

A consumer takes a message when its service has a free worker; the message's job is the
same :class:`~sim.job.Job` as a call's. On success, or on a business failure (which is
handled by compensation, not by retry), the message is deleted; on any other failure it is
left to reappear after the visibility timeout (see :mod:`sim.queues`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.job import Job

if TYPE_CHECKING:
    from sim.model import Model
    from sim.queues import Message
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


def publish(m: Model, service: Service, order: int, targets: Any, on_done: Any) -> None:
    """Publish one event for ``order`` to ``targets`` [(queue, link fault, op)], then ``on_done``."""
    bus = m.bus
    assert bus is not None  # an architecture with event links has a bus
    if m.outbox:
        bus.relay(order, targets)
        on_done(None)
    elif not bus.fault.active and bus.rate is None:  # the common case: accepted at once
        bus.deliver(order, targets)
        on_done(None)
    else:
        Publish(m, service, order, targets, on_done).attempt()


def consume(m: Model, service: Service, message: Message) -> None:
    """Start the job of a message just received by ``service`` (a worker is already held)."""
    Job(m, message.order, service, message.op, None, message, 1.0, True).start()


class Consumer:
    """``consume`` for one service, as a bound method the service calls with the message
    (the interpreter calls a bound Python method inline, a ``functools.partial`` through C)."""

    __slots__ = ("m", "service")

    def __init__(self, m: Model, service: Service) -> None:
        self.m = m
        self.service = service

    def consume(self, message: Message) -> None:
        Job(self.m, message.order, self.service, message.op, None, message, 1.0, True).start()


