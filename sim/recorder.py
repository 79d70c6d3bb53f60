"""What a run remembers: per-order columns, error propagation counts, per-window service levels.

Per-order data lives in typed arrays (8 bytes a field) indexed by order id, not in an object
per order. Outcomes are decided once, at the end of the run, from each order's state:
which steps were done, which compensations ran, what the client was told.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter

import numpy as np

# What the client was told.
NO_ANSWER, ACK_OK, ACK_ERROR, ACK_TIMEOUT = 0, 1, 2, 3
ACK_STATUS = np.array(["", "ok", "error", "timeout"], dtype=object)

# Order flags.
BUSINESS_FAILED, DEAD_LETTERED, DROPPED, DONE_TWICE = 1, 2, 4, 8

OUTCOMES = ("completed", "rejected", "compensated", "failed_after_ack", "in_flight")
NAN = math.nan
DTYPES = {"d": np.float64, "b": np.int8, "i": np.int32, "q": np.int64}
BLOCK = 4096  # orders whose columns are allocated at once
COLUMN_DEFAULTS = {
    "arrival": array("d", [NAN]) * BLOCK, "ack": array("d", [NAN]) * BLOCK,
    "status": array("b", [NO_ANSWER]) * BLOCK, "done": array("d", [NAN]) * BLOCK,
    "compensated": array("d", [NAN]) * BLOCK, "attempts": array("i", [0]) * BLOCK,
    "origin": array("i", [-1]) * BLOCK, "done_mask": array("q", [0]) * BLOCK,
    "comp_mask": array("q", [0]) * BLOCK, "need_mask": array("q", [0]) * BLOCK,
    "flags": array("b", [0]) * BLOCK, "visited": array("q", [0]) * BLOCK,
    "key_mask": array("q", [0]) * BLOCK,
}


class Recorder:
    """Columns of every order of one run, plus the run's tallies."""

    def __init__(self, steps: int, entry_bit: int):
        self.all_steps = (1 << steps) - 1
        self.entry_bit = entry_bit
        self.arrival = array("d")
        self.ack = array("d")
        self.status = array("b")
        self.done = array("d")
        self.compensated = array("d")
        self.attempts = array("i")
        self.origin = array("i")  # index into errors, -1 for none
        self.done_mask = array("q")
        self.comp_mask = array("q")
        self.need_mask = array("q")  # steps that need a compensation if done (business failures)
        self.flags = array("b")
        self.visited = array("q")  # steps that started their own work at least once
        self.key_mask = array("q")  # steps whose idempotency key is stored (sim.idempotency)
        self.n = 0  # orders so far; the columns hold ``capacity`` rows, the first n in use
        self.capacity = 0
        self.in_system = 0  # orders waiting for the client's answer
        self._t = 0.0
        self.area_in_system = 0.0
        self.propagation: Counter = Counter()  # (error id, reached) -> count
        self.duplicates = 0  # steps done again for an order (each a double side effect)
        self.absorbed = 0  # repeats answered from an idempotency key instead
        self.wasted = 0
        self.retries = 0

    def new_order(self, now: float) -> int:
        """A new order arriving now; its id (ids are consecutive from 0)."""
        order = self.n
        if order == self.capacity:
            self._grow()
        self.n = order + 1
        self.arrival[order] = now
        self.area_in_system += self.in_system * (now - self._t)
        self._t = now
        self.in_system += 1
        return order

    def _grow(self) -> None:
        # Columns grow a block at a time, filled with their defaults: one extend per block
        # instead of an append per field per order.
        for name, default in COLUMN_DEFAULTS.items():
            getattr(self, name).extend(default)
        self.capacity += BLOCK

    def _in_system(self, now: float, change: int) -> None:
        self.area_in_system += self.in_system * (now - self._t)
        self._t = now
        self.in_system += change

    def answered(self, order: int, now: float, status: int, error_id: int, attempts: int) -> None:
        self._in_system(now, -1)
        self.ack[order] = now
        self.status[order] = status
        self.attempts[order] = attempts
        if error_id >= 0 and self.origin[order] < 0:
            self.origin[order] = error_id

    def step_done(self, order: int, bit: int, now: float) -> None:
        mask = self.done_mask[order]
        if mask & bit:
            # A step done twice (a charge made twice): the services disagree with the order.
            self.duplicates += 1
            self.flags[order] |= DONE_TWICE
            return
        mask |= bit
        self.done_mask[order] = mask
        if mask == self.all_steps:
            self.done[order] = now

    def business_failed(self, order: int, error_id: int, need_mask: int) -> None:
        self.flags[order] |= BUSINESS_FAILED
        self.origin[order] = error_id
        self.need_mask[order] |= need_mask

    def compensation_done(self, order: int, bit: int, now: float) -> None:
        self.comp_mask[order] |= bit
        self.compensated[order] = now

    def lost(self, order: int, flag: int, error_id: int) -> None:
        self.flags[order] |= flag
        if self.origin[order] < 0 and error_id >= 0:
            self.origin[order] = error_id

    def reached(self, error_id: int, where: str) -> None:
        self.propagation[error_id, where] += 1

    # -- end of run ---------------------------------------------------------------------

    def column(self, name: str) -> np.ndarray:
        """The first ``n`` rows of a column as a numpy view."""
        values = getattr(self, name)
        return np.frombuffer(values, dtype=DTYPES[values.typecode])[: self.n]

    def outcomes(self) -> tuple[np.ndarray, np.ndarray]:
        """(outcome, inconsistent) per order, decided from each order's final state."""
        status = self.column("status")
        flags = self.column("flags")
        done = self.column("done_mask")
        comp = self.column("comp_mask")
        need = self.column("need_mask")
        complete = done == self.all_steps
        business = (flags & BUSINESS_FAILED) != 0
        lost = (flags & (DEAD_LETTERED | DROPPED)) != 0
        told_no = (status == ACK_ERROR) | (status == ACK_TIMEOUT)
        outcome = np.full(len(status), "in_flight", dtype=object)
        outcome[(status == ACK_OK) & lost] = "failed_after_ack"
        outcome[(status == ACK_OK) & complete] = "completed"
        outcome[told_no] = "rejected"
        # A business failure decides the outcome once the client has its answer; while the
        # client still waits (compensation calls running at the end), the order is in flight.
        outcome[business & (status != NO_ANSWER)] = "compensated"
        downstream_done = (done & ~self.entry_bit) != 0
        inconsistent = np.where(
            business,
            (done & need & ~comp) != 0,
            (told_no | ((status == ACK_OK) & lost & ~complete)) & downstream_done,
        ) | ((flags & DONE_TWICE) != 0)
        return outcome, inconsistent
