"""The ``call`` style: a synchronous request over a link, with a timeout and retries.

The caller holds its worker for the whole call (the job that makes it keeps it). Each attempt
starts a timer of ``timeout``; whichever comes first, the answer or the timer, ends the
attempt. A timed-out attempt is not cancelled at the callee: its work goes on, and if it
later succeeds it is counted as wasted. Failed attempts are retried, except business
failures, after ``backoff * 2**(k-1)`` seconds for retry k, or a uniform draw in
``[0, that)`` with full jitter (the AWS Architecture Blog's "Exponential Backoff And
Jitter"). A callee in an outage, or a link in an outage, refuses at once: no worker is
taken and no timer is needed.

The origin of a timeout is the first service below the callee with an active fault (a hang
or a slowdown began there), else the callee itself with kind ``timeout``.
"""

from __future__ import annotations

from sim.faults import ERRORS, OUTAGE
from sim.job import Job


class Call:
    """One synchronous call of ``callee`` for ``order``, from start to final answer."""

    __slots__ = ("m", "order", "callee", "op", "policy", "link", "on_result", "tries", "top",
                 "timed_out", "gate", "budget", "through")

    def __init__(self, m, order, callee, op, policy, link, on_result=None, top=False,
                 gate=None, budget=None):
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
        job = Job(m, self.order, callee, self.op, self, factor=factor, top=self.top)
        self.policy.deadlines.add(job)
        if link is not None and link.hung:
            return  # the request is lost on the link: only the timeout will answer
        if not callee.request(job.start):
            job.live = False
            m.rec.live[self.order >> m.rec.shift] -= 1  # retirement: the refused job is out of play
            callee.errors += 1
            self.answered(m.error(callee.name, "queue_full"))

    def answered(self, error, timed_out: bool = False) -> None:
        """The attempt ended with ``error`` (None for success): finish or retry."""
        self.timed_out = timed_out
        if self.through:
            self.through = False
            self.gate.done(error is not None)
        if error is None or error.business or self.tries > self.policy.retries:
            self.finish(error)
            return
        if self.budget is not None and not self.budget.withdraw():
            self.finish(error)
            return
        m = self.m
        m.rec.retries += 1
        delay = self.policy.backoff_s * 2.0 ** (self.tries - 1)
        if self.policy.jitter:
            delay *= m.jitter.next()
        m.clock.later(delay, self.attempt)

    def finish(self, error) -> None:
        self.on_result(error)


class ClientCall(Call):
    """The client's request for an order: its answer is the order's ack."""

    __slots__ = ()

    def finish(self, error) -> None:
        self.m.client_answered(self.order, error, self.timed_out, self.tries)
