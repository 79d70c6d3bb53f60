"""Idempotency keys (issue 9): what a service does with a repeat of a request or message.

A key is (order, step). The first visit holds it while it runs; a successful answer stores
it, a failed one lets it go. A repeat (a retried call, a client retry, a redelivered
message) that finds:

- a stored key is answered from it: success, after ``idempotency_check`` s, nothing redone;
- the key held by a visit still running gets a conflict error (``<service>:in_progress``,
  as Stripe answers 409 to a concurrent request with the same key); the caller may retry;
- no key, but the step's side effect done by an earlier visit that then failed (a child
  call failed), skips its own work (the side effect is deduplicated by order) and runs the
  rest of the visit again: its calls and its publish.

Without keys every repeat does its step again, counted as a duplicate (sim.recorder).
"""

from __future__ import annotations

from typing import Any, Final

# Final: compiled, a constant rather than a lookup in the module's globals (docs/architecture.md)
ANSWERED: Final = "answered"
IN_PROGRESS: Final = "in_progress"
SKIP_WORK: Final = "skip_work"
WORK: Final = "work"


class IdempotencyKeys:
    """The keys of one run: held ones by (order, step bit), stored ones in the recorder."""

    def __init__(self, rec: Any) -> None:
        self.rec = rec
        self.holders: dict[tuple[int, int], Any] = {}  # bounded by the visits running

    def claim(self, job: Any) -> str:
        """What ``job`` (a visit for a step, not a compensation) must do; WORK holds the key."""
        order, bit = job.order, job.service.bit
        if self.rec.key_mask[order] & bit:
            return ANSWERED
        key = (order, bit)
        if key in self.holders:
            return IN_PROGRESS
        self.holders[key] = job
        return SKIP_WORK if self.rec.done_mask[order] & bit else WORK

    def release(self, job: Any, ok: bool) -> None:
        """``job`` answered (``ok``: successfully); no-op unless it holds the key."""
        order, bit = job.order, job.service.bit
        key = (order, bit)
        if self.holders.get(key) is job:
            del self.holders[key]
            if ok:
                self.rec.key_mask[order] |= bit
