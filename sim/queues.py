"""A subscriber's message queue, modelled on Amazon SQS standard queues.

- A received message is invisible for ``visibility_timeout``; if it is not deleted by then
  it becomes visible again (at-least-once delivery: a consumer slower than the timeout
  causes a second delivery, counted as a duplicate when the step is done twice).
- After ``max_receives`` receives the message is not made visible again but moved to the
  dead-letter queue, at the moment it would have become visible: SQS moves a message when
  its ReceiveCount exceeds maxReceiveCount (SQS developer guide, dead-letter queues).
- A message older than ``retention`` (default 4 days) is dropped when it is next looked at.
- Order is first-in first-out among visible messages (SQS standard queues give best-effort
  ordering; FIFO keeps runs deterministic). A delete with any receipt deletes the message.
- ``concurrency`` caps how many messages of this queue are processed at once, separately
  from the service's workers (Lambda's MaximumConcurrency).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Final

from sim.clock import Deadlines
from sim.job import Job

if TYPE_CHECKING:
    from sim.model import Model
    from sim.service import Service

# Final: compiled, a constant rather than a lookup in the module's globals (docs/architecture.md)
VISIBLE: Final = 0
IN_FLIGHT: Final = 1
DELETED: Final = 2
DEAD: Final = 3
DROPPED: Final = 4


class Message:
    """One copy of an event for one subscriber: the order, the operation, its receive history.

    A received message is also the item of its queue's visibility timeouts (a
    :class:`~sim.clock.Deadlines` item): ``live`` while it is in flight. A message is
    received again only after its visibility timeout expired, so at most one timeout of it
    is ever pending, and "in flight" always refers to the latest receive (one object less
    per receive than a separate receipt).
    """

    __slots__ = ("order", "op", "sent_s", "receives", "state", "error", "queue")

    def __init__(self, order: int, op: str | None, sent_s: float, queue: MessageQueue) -> None:
        self.order = order
        self.op = op
        self.sent_s = sent_s
        self.receives = 0
        self.state = VISIBLE
        self.error: Any = None  # the last processing error, the origin if it is dead-lettered
        self.queue = queue  # the subscriber's MessageQueue

    def arrive(self) -> None:
        """The bus hands the message to its queue (a timer without arguments, see sim.clock)."""
        self.queue.send(self)

    @property
    def live(self) -> bool:
        return self.state == IN_FLIGHT

    def expire(self) -> None:
        self.queue.expire(self)


class MessageQueue:
    """Visible messages in a deque, in-flight ones tracked by their visibility timers."""

    def __init__(self, model: Model, service: Service, policy: Any) -> None:
        self.model = model
        self.clock = model.clock
        self.service = service
        self.visibility_s: float = policy.visibility_timeout
        self.deadlines = Deadlines(self.clock, self.visibility_s)
        self.max_receives: int = policy.max_receives
        self.retention_s: float = policy.retention
        self.concurrency: float = float("inf") if policy.concurrency is None else policy.concurrency
        self.visible: deque[Message] = deque()  # may hold deleted messages, skipped lazily
        self.n_visible = 0  # live messages in ``visible``
        self.in_flight = 0
        self.processing = 0
        self.sent = 0
        self.received = 0
        self.deleted = 0
        self.dead = 0
        self.dropped = 0
        self.max_backlog = 0
        self.oldest_age_s = 0.0  # the largest age of a message when it was received

    def consume(self, message: Message) -> None:
        """Start the job of a message just received (its service's worker is already held):
        the same :class:`~sim.job.Job` as a call's, the top of its own synchronous chain."""
        Job(self.model, message.order, self.service, message.op, None, message, 1.0, True).start()

    @property
    def backlog(self) -> int:
        """Messages not yet deleted: visible plus in flight."""
        return self.n_visible + self.in_flight

    def send(self, message: Message) -> None:
        self.sent += 1
        self.visible.append(message)
        self.n_visible += 1
        backlog = self.n_visible + self.in_flight
        if backlog > self.max_backlog:
            self.max_backlog = backlog
        self.service.notify()

    def receive(self) -> Message | None:
        """The next visible message, now in flight, or None."""
        if self.processing >= self.concurrency:
            return None
        visible = self.visible
        now = self.clock.now
        while visible:
            message = visible.popleft()
            if message.state != VISIBLE:
                continue
            self.n_visible -= 1
            age = now - message.sent_s
            if age > self.retention_s:
                message.state = DROPPED
                self.dropped += 1
                self.model.message_dropped(message, self.service)
                continue
            if age > self.oldest_age_s:
                self.oldest_age_s = age
            message.state = IN_FLIGHT
            message.receives += 1
            self.in_flight += 1
            self.processing += 1
            self.received += 1
            self.deadlines.add(message)
            return message
        return None

    def settle(self, message: Message, error: Any) -> None:
        """A consumer finished with ``message``: delete it on success, else leave it to expire."""
        self.processing -= 1
        if error is None:
            state = message.state
            if state == IN_FLIGHT:
                self.in_flight -= 1
            elif state == VISIBLE:
                self.n_visible -= 1
            else:
                return  # already gone (deleted by an earlier receive, dead or dropped)
            message.state = DELETED
            self.deleted += 1
            rec = self.model.rec
            rec.live[message.order >> rec.shift] -= 1  # retirement: the message is out of play
        else:
            message.error = error

    def expire(self, message: Message) -> None:
        """The visibility timeout of the message's latest receive ran out."""
        self.in_flight -= 1
        if message.receives >= self.max_receives:
            message.state = DEAD
            self.dead += 1
            self.model.message_dead(message, self.service)
            return
        message.state = VISIBLE
        self.visible.append(message)
        self.n_visible += 1
        self.service.notify()
