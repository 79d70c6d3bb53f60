"""One visit of an order to a service, the same in every style.

A job holds one worker of its service from start to answer:

1. its own work (the order's service time at this service, times any slowdown);
2. a fault may fail it: an outage fails fast, a hang holds the worker without answering
   until the hang ends, ``errors`` fail a fraction after the work;
3. a business failure drawn for this order at this service fails it for good;
4. otherwise the step is done, and the job visits its children: ``call`` links one group at
   a time (a group of parallel links at once), waiting for each answer; then one event is
   published for all ``event`` links;
5. it answers: the caller (client or service) or, for a message, the queue.

Where a business failure reaches the top of a synchronous chain (the client's request or a
consumed message), that job starts the compensations before it answers: a call to each
listed service reached by a ``call`` link whose step is done, and one failure event for the
services reached by ``event`` links (each decides locally: it undoes its step only if done).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from sim.faults import ERRORS, OUTAGE
from sim.idempotency import ANSWERED, IN_PROGRESS, WORK

if TYPE_CHECKING:
    from sim.model import Model, Policy
    from sim.queues import Message
    from sim.service import Service
    from sim.styles.call import Call

# How long a request that already holds a worker (it waited in the queue, or is a consumed
# message) takes to fail when its service is in an outage: small, but not zero, so that
# consumers cycling through messages of a down service advance the clock. A new call to a
# down service is refused at once, without a worker (connection refused).
FAIL_FAST_S: Final = 0.001
INF: Final = float("inf")


class Job:
    """A visit of ``order`` to ``service`` for operation ``op`` (None: the flow step itself)."""

    __slots__ = ("m", "order", "service", "op", "call", "live", "message", "factor", "top", "i",
                 "pending", "error", "t0", "comp", "events", "deadline", "reply", "policy")

    # Attribute types: compiled (see docs/architecture.md), a Job is a C struct and each of
    # these a typed field.
    m: Model
    order: int
    service: Service
    op: str | None
    call: Call | None
    live: bool
    message: Message | None
    factor: float
    top: bool
    i: int
    pending: int
    error: Any
    t0: float
    comp: Any
    events: Any
    deadline: float
    reply: Any  # a plain first attempt's caller callback and policy (sim.styles.call)
    policy: Policy

    def __init__(self, m: Model, order: int, service: Service, op: str | None,
                 call: Call | None = None, message: Message | None = None, factor: float = 1.0,
                 top: bool = False, deadline: float = INF) -> None:
        # Callers on the hot path pass every argument by position (keywords cost ~0.2 us).
        self.m = m
        self.top = top  # True where a synchronous chain starts: the client's request, a message
        self.order = order
        self.service = service
        self.op = op
        # A job made by a call is also that call's attempt: ``live`` until the answer or the
        # caller's timeout, whichever comes first (the job is the Deadlines item).
        # A plain first attempt (sim.styles.call.first_attempt) has no Call: ``call`` is None,
        # ``live`` is set by the caller, with ``reply`` (the caller's callback) and ``policy``.
        self.call = call
        self.live = call is not None
        self.message = message
        self.factor = factor
        self.t0 = service.clock.now
        # When the caller gives up (with load shedding's deadlines; INF otherwise).
        self.deadline = deadline
        rec = m.rec
        rec.live[order >> rec.shift] += 1  # retirement (sim.recorder): in play until answered

    # -- work ---------------------------------------------------------------------------

    def start(self) -> None:
        """A worker is ours: do the service's own work."""
        service = self.service
        m = self.m
        if service.guarded and self.message is None and self.op is None and self.shed():
            return
        service.visits += 1
        fault = service.fault
        if fault.active:
            if fault.down:
                m.clock.later(FAIL_FAST_S, self.fail, m.error(service.name, OUTAGE))
                return
            if fault.hung:
                service.hung.append(self)
                if self.message is not None:
                    self.message.error = m.error(service.name, "hang")
                return
        if self.op is None:
            order = self.order
            bit = service.bit
            rec = m.rec
            if m.keys is not None:
                claim = m.keys.claim(self)
                if claim is not WORK:
                    self.repeat(claim)
                    return
            # The order's own draw on its first visit to this step (inline: once per visit).
            visited = rec.visited
            mask = visited[order]
            if not mask & bit:
                visited[order] = mask | bit
                work = m.work[service.index][order]
            else:
                work = m.rework[service.index].next()
        else:
            work = m.op_time(service, self.op)
        m.clock.after(work * fault.factor * self.factor, self.worked)

    def worked(self) -> None:
        m, service, order = self.m, self.service, self.order
        fault = service.fault
        if fault.error_fraction and m.fault_draw(service) < fault.error_fraction:
            self.fail(m.error(service.name, ERRORS))
            return
        if self.op is not None:  # a compensation: undo the step if it was done here
            m.compensated(order, service)
            self.answer(None)
            return
        if order in m.failure_at:
            failure = m.business_failure(order, service)
            if failure is not None:
                self.fail(failure)
                return
        m.rec.step_done(order, service.bit, service.clock.now)
        self.children()

    def repeat(self, claim: str) -> None:
        """A repeat met an idempotency key (sim.idempotency): answer, refuse, or skip work."""
        m, service = self.m, self.service
        check = m.arch.idempotency_check * service.fault.factor
        if claim is ANSWERED:
            m.rec.absorbed += 1
            m.clock.later(check, self.answer, None)
        elif claim is IN_PROGRESS:
            m.clock.later(check, self.fail, m.error(service.name, "in_progress"))
        else:  # the step's side effect is done: only the rest of the visit runs again
            m.rec.absorbed += 1
            m.clock.later(check, self.children)

    def children(self) -> None:
        """The step is done: visit the children, then answer."""
        self.i = 0
        self.next_group()

    def shed(self) -> bool:
        """Load shedding: drop this request if its caller has given up or it waited too long
        (sim.policies.LoadShedding); the worker is free again at once, no work is done."""
        now = self.m.clock.now
        if now >= self.deadline:
            kind = "deadline"
        elif now - self.t0 > self.service.max_age:
            kind = "shed"
        else:
            return False
        self.service.shed += 1
        # Answered from the timer queue, not here: a worker freed by a drop goes to the next
        # waiting request, which may be dropped too, and a long queue must not recurse.
        self.m.clock.later(0.0, self.answer, self.m.error(self.service.name, kind))
        return True

    def abandon(self) -> None:
        """A hang ended: the worker is let go and the caller never hears back."""
        if self.m.keys is not None and self.op is None:
            self.m.keys.release(self, False)
        if self.message is not None:
            self.message.error = self.m.error(self.service.name, "hang")
            self.message.queue.processing -= 1
        self.m.rec.live[self.order >> self.m.rec.shift] -= 1  # retirement: out of play
        self.service.jobs += 1
        self.service.sojourn_s += self.m.clock.now - self.t0
        self.service.release()

    # -- children -----------------------------------------------------------------------

    def next_group(self) -> None:
        m, service = self.m, self.service
        groups = service.call_groups
        i = self.i
        if i < len(groups):
            if self.deadline <= m.clock.now:
                # Deadline propagation: nobody waits for this order's answer any more.
                service.shed += 1
                self.fail(m.error(service.name, "deadline"))
                return
            self.i = i + 1
            group = groups[i]
            if len(group) == 1:
                m.call(self.order, service, group[0], None, self.child_answered, self.deadline)
            else:
                self.pending = len(group)
                self.error = None
                for child in group:
                    m.call(self.order, service, child, None, self.branch_answered,
                           self.deadline)
            return
        targets = service.event_targets
        if not targets or m.publish_now(self.order, targets):
            self.answer(None)
        else:  # the bus refused it for now: publish with retries, answer when done
            m.publish(service, self.order, targets, self.answer)

    def branch_answered(self, error) -> None:
        if error is not None and self.error is None:
            self.error = error
        self.pending -= 1
        if self.pending == 0:
            self.child_answered(self.error)

    def child_answered(self, error) -> None:
        if error is None:
            self.next_group()
        else:
            self.m.rec.reached(error.id, self.service.name)
            self.fail(error)

    # -- endings ------------------------------------------------------------------------

    def fail(self, error) -> None:
        if error.business and self.top:
            self.compensate(error)
        else:
            self.answer(error)

    # -- compensation -------------------------------------------------------------------

    def compensate(self, error) -> None:
        """Undo the steps of this order listed by the business failure, then answer."""
        self.comp, self.events = self.m.compensations(self.order, error)
        self.error = error
        self.i = 0
        self.next_compensation()

    def next_compensation(self, _error=None) -> None:
        # A failed compensation call is not retried beyond its call policy: the order is
        # then left inconsistent, which the recorder detects at the end of the run.
        m = self.m
        if self.i < len(self.comp):
            target, op = self.comp[self.i]
            self.i += 1
            m.call(self.order, self.service, target, op, self.next_compensation)
        elif self.events:
            events, self.events = self.events, None
            m.publish(self.service, self.order, events, self.next_compensation)
        else:
            self.answer(self.error)

    def answer(self, error) -> None:
        """Give the worker back and answer whoever asked."""
        service = self.service
        rec = self.m.rec
        rec.live[self.order >> rec.shift] -= 1  # retirement: out of play
        if error is not None and error.where == service.name:
            service.errors += 1
        service.jobs += 1
        service.sojourn_s += service.clock.now - self.t0
        keys = self.m.keys
        if keys is not None and self.op is None:
            keys.release(self, error is None)
        message = self.message
        if message is not None:
            # Delete after success or a business failure (handled by compensation, not by
            # redelivery); any other failure leaves the message to reappear (sim.queues).
            message.queue.settle(message, error if error is not None and not error.business
                                 else None)
            service.release()
        else:
            service.release()
            if self.live:
                self.live = False
                call = self.call
                if call is not None:
                    call.answered(error)
                elif error is None:  # a plain first attempt succeeded: answer the caller here
                    if self.top:
                        self.m.client_answered(self.order, None, False, 1)
                    else:
                        self.reply(None)
                else:
                    self.answered(error)
            elif error is None:
                self.m.rec.wasted += 1  # the caller gave up: this work was for nothing

    def expire(self) -> None:
        """The caller's timeout ran out before the answer came."""
        self.live = False
        call = self.call
        if call is None:
            self.answered(self.m.timeout_error(self.service, None), True)
        else:
            call.answered(self.m.timeout_error(call.callee, call.link), timed_out=True)

    def answered(self, error, timed_out: bool = False) -> None:
        """A plain first attempt (sim.styles.call.first_attempt) failed with ``error``:
        ``Call.answered`` for a first attempt without gate or budget."""
        if error.business or self.policy.retries < 1:
            if self.top:  # the client's request: its answer is the order's ack
                self.m.client_answered(self.order, error, timed_out, 1)
            else:
                self.reply(error)
        else:
            self.m.retry_first(self, error, timed_out)
