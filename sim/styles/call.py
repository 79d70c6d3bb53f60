"""The ``call`` style: a synchronous request over a link, with a timeout and retries.

The caller holds its worker for the whole call (the job that makes it keeps it). Each attempt
starts a timer of ``timeout``; whichever comes first, the answer or the timer, ends the
attempt. A timed-out attempt is not cancelled at the callee: its work goes on, and if it
later succeeds it is counted as wasted. Failed attempts are retried, except business
failures, after ``backoff * 2**(k-1)`` seconds for retry k, or a uniform draw in
``[0, that)`` with full jitter (the AWS Architecture Blog's "Exponential Backoff And
Jitter"). A callee in an outage, or a link in an outage, refuses at once: no worker is
taken and no timer is needed.

With load shedding's deadlines (``sim.policies.LoadShedding``) each attempt's request carries
the time its caller gives up: the earlier of this attempt's timeout and the deadline the
calling job itself was given; no retry starts after that deadline.

The origin of a timeout is the first service below the callee with an active fault (a hang
or a slowdown began there), else the callee itself with kind ``timeout``.

A plain first attempt (no link fault, gate, retry budget or deadline on the route, callee
not down) builds no :class:`Call`: its job carries it (``Job.reply``, ``Job.policy``) and
answers the caller directly on success; only a failed plain attempt becomes a ``Call``
(``retry_first``), which then retries exactly as if it had made that attempt itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.faults import ERRORS, OUTAGE
from sim.job import INF, Job

if TYPE_CHECKING:
    from sim.bus import LinkFault
    from sim.model import Model, Policy
    from sim.resilience import Gate, RetryBudget
    from sim.service import Service


class Call:
    """One synchronous call of ``callee`` for ``order``, from start to final answer.

    ``top`` marks the client's request for an order (its answer is the order's ack); any
    other call answers ``on_result``. One class for both, not a subclass for the client:
    the interpreter specialises attribute access per class, and calls of two classes
    through the same methods cost 7 % more instructions (measured on the bench chain).
    """

    __slots__ = ("m", "order", "callee", "op", "policy", "link", "on_result", "tries", "top",
                 "timed_out", "gate", "budget", "through", "deadline")

    def __init__(self, m: Model, order: int, callee: Service, op: str | None, policy: Policy,
                 link: LinkFault | None, on_result: Any = None, top: bool = False,
                 gate: Gate | None = None, budget: RetryBudget | None = None,
                 deadline: float = INF) -> None:
        self.m = m
        self.order = order
        self.callee = callee
        self.op = op
        self.policy = policy
        self.link = link  # LinkFault of the link, or None
        self.on_result = on_result
        self.top = top
        self.tries = 0
        self.timed_out = False
        self.gate = gate  # resilience.Gate of the link (breaker, bulkhead), or None
        self.budget = budget  # resilience.RetryBudget of the calling service, or None
        self.through = False  # the current attempt passed the gate
        self.deadline = deadline  # the calling job's deadline (INF: none, or not propagated)

    def attempt(self) -> None:
        self.tries += 1
        m, callee = self.m, self.callee
        if self.budget is not None and self.tries == 1:
            self.budget.deposit()
        gate = self.gate
        if gate is not None:
            refused = gate.refuse()
            if refused is not None:
                self.finish(m.error(gate.name, refused))  # refused at once, never retried
                return
            self.through = True
        factor = 1.0
        link = self.link
        if link is not None and link.active:
            if link.down:
                return self.answered(m.error(link.name, OUTAGE))
            if link.error_fraction and m.fault_draw(link) < link.error_fraction:
                return self.answered(m.error(link.name, ERRORS))
            factor = link.factor
        if callee.fault.down:
            callee.visits += 1
            return self.answered(m.error(callee.name, OUTAGE))
        if m.deadlines:
            deadline = min(m.clock.now + self.policy.timeout_s, self.deadline)
            job = Job(m, self.order, callee, self.op, self, None, factor, self.top, deadline)
        else:
            job = Job(m, self.order, callee, self.op, self, None, factor, self.top)
        self.policy.deadlines.add(job)
        if link is not None and link.hung:
            return  # the request is lost on the link: only the timeout will answer
        if not callee.request(job):
            job.live = False
            m.rec.live[self.order >> m.rec.shift] -= 1  # retirement: the refused job is out of play
            callee.errors += 1
            self.answered(m.error(callee.name, "queue_full"))

    def answered(self, error: Any, timed_out: bool = False) -> None:
        """The attempt ended with ``error`` (None for success): finish or retry."""
        self.timed_out = timed_out
        gate = self.gate
        if gate is not None and self.through:  # (only an attempt with a gate passes one)
            self.through = False
            # A business failure is an answer, not a fault: it does not count against the
            # breaker (resilience4j's ignoreExceptions for business exceptions).
            gate.done(error is not None and not error.business)
        if error is None or error.business or self.tries > self.policy.retries:
            self.finish(error)
            return
        if self.budget is not None and not self.budget.withdraw():
            self.finish(error)
            return
        m = self.m
        delay = self.policy.backoff_s * 2.0 ** (self.tries - 1)
        if self.policy.jitter:
            delay *= m.jitter.next()
        if m.clock.now + delay >= self.deadline:
            self.finish(error)  # the caller will have given up before the retry starts
            return
        m.rec.retries += 1
        m.clock.later(delay, self.attempt)

    def finish(self, error: Any) -> None:
        if self.top:  # the client's request: its answer is the order's ack
            self.m.client_answered(self.order, error, self.timed_out, self.tries)
        else:
            self.on_result(error)


def call(m: Model, order: int, caller: Service, callee: Service, op: str | None, on_result: Any,
         deadline: float = INF) -> None:
    """``Model.call``: call ``callee`` from ``caller`` for ``order``; ``on_result(error)``."""
    link, gate, budget, policy, plain = m.routes[caller.index][callee.index]
    if plain and not callee.fault.down:
        first_attempt(m, order, callee, op, policy, on_result, False)
    else:
        Call(m, order, callee, op, policy, link, on_result, False, gate, budget,
             deadline).attempt()


def first_attempt(m: Model, order: int, callee: Service, op: str | None, policy: Policy,
                  on_result: Any, top: bool) -> None:
    """A plain first attempt (see the module's doc): ``Call.attempt``'s steps for one, with
    the job in the Call's place (the hot path: no Call object, no attempt/answered/finish
    calls when the attempt succeeds)."""
    job = Job(m, order, callee, op, None, None, 1.0, top)
    job.live = True
    job.reply = on_result
    job.policy = policy
    policy.deadlines.add(job)
    if not callee.request(job):
        job.live = False
        m.rec.live[order >> m.rec.shift] -= 1  # retirement: the refused job is out of play
        callee.errors += 1
        job.answered(m.error(callee.name, "queue_full"))


def retry_first(m: Model, job: Job, error: Any, timed_out: bool) -> None:
    """``Model.retry_first``: a plain first attempt failed; a Call takes over as if it had
    made the attempt (``tries`` 1), to retry it or give up."""
    call = Call(m, job.order, job.service, job.op, job.policy, None, job.reply, job.top)
    call.tries = 1
    call.answered(error, timed_out)
