"""What a run remembers: per-order columns, error propagation counts, per-window service levels.

Per-order data lives in columns (a list per field), not in an object per order. The
columns hold only the orders still in play (bounded memory, issue 5): they are cut into
blocks of ``block`` rows; an order gets the next row of the current block, and the engine's
``order`` is that **row**, not the order's id. Each block counts its live activities in
``live`` (the client's call until answered, each job until it answers or is abandoned, each
message copy from the bus until it is deleted, dead-lettered or dropped, each event held in
an outbox). A block whose orders have all arrived and whose count is back to 0 can change no
more: its outcomes are decided (the rules in :meth:`Recorder.outcomes`), its columns go to
``on_block`` and its rows are reused. Blocks retire oldest first, so ``on_block`` sees the
orders in order of id; at the end of the run :meth:`Recorder.close` hands over the rest
(in flight or not). Outcomes depend only on an order's own final state, so they are the
same whenever they are decided; ``retire=False`` keeps every order to the end (tests).

Anything else keyed by an order's row (``Model.failure_at``) must be dropped when its
block retires (``on_block``), because the row will belong to another order.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter, deque
from typing import Any, Final

import numpy as np

# What the client was told.
# Final: compiled, a constant rather than a lookup in the module's globals (docs/architecture.md)
NO_ANSWER: Final = 0
ACK_OK: Final = 1
ACK_ERROR: Final = 2
ACK_TIMEOUT: Final = 3
ACK_STATUS = np.array(["", "ok", "error", "timeout"], dtype=object)

# Order flags.
BUSINESS_FAILED: Final = 1
DEAD_LETTERED: Final = 2
DROPPED: Final = 4
DONE_TWICE: Final = 8

OUTCOMES = ("completed", "rejected", "compensated", "failed_after_ack", "in_flight")
NAN = math.nan
DTYPES = {"d": np.float64, "b": np.int8, "i": np.int32, "q": np.int64}
BLOCK = 4096  # rows per block: allocated, retired and reused together (a power of two)
COLUMN_DEFAULTS: dict[str, tuple[str, Any]] = {  # Any: a compiled float would coerce ints
    "arrival": ("d", NAN), "ack": ("d", NAN), "status": ("b", NO_ANSWER), "done": ("d", NAN),
    "compensated": ("d", NAN), "attempts": ("i", 0), "origin": ("i", -1),
    "done_mask": ("q", 0), "comp_mask": ("q", 0), "need_mask": ("q", 0), "flags": ("b", 0),
    "visited": ("q", 0), "key_mask": ("q", 0),
}


class Recorder:
    """Columns of the orders in play in one run, plus the run's tallies."""

    def __init__(self, steps: int, entry_bit: int, on_block=None, block: int = BLOCK,
                 retire: bool = True):
        if block < 1 or block & (block - 1):
            raise ValueError(f"block must be a power of two, got {block}")
        self.all_steps = (1 << steps) - 1
        self.entry_bit = entry_bit
        # Lists, not typed arrays: the engine writes several fields per visit, and an
        # array's item assignment parses its argument (PyArg_Parse) each time; measured
        # ~9 % of a compiled event-style run (callgrind). The rows are reused (retirement),
        # so their size is bounded; ``column`` turns a block into numpy with the type of
        # COLUMN_DEFAULTS.
        self.arrival: list[float] = []
        self.ack: list[float] = []
        self.status: list[int] = []
        self.done: list[float] = []
        self.compensated: list[float] = []
        self.attempts: list[int] = []
        self.origin: list[int] = []  # index into errors, -1 for none
        self.done_mask: list[int] = []
        self.comp_mask: list[int] = []
        self.need_mask: list[int] = []  # steps that need a compensation if done (business failures)
        self.flags: list[int] = []
        self.visited: list[int] = []  # steps that started their own work at least once
        self.key_mask: list[int] = []  # steps whose idempotency key is stored (sim.idempotency)
        self.block = block
        self.shift = block.bit_length() - 1  # row >> shift: the row's block
        self.retire = retire
        self.on_block = on_block  # on_block(first order id, first row, the orders' columns)
        # per block: activities in play (see the module docstring); a list, not an array:
        # it changes several times per visit, and a list item is the cheapest to update
        self.live: list[int] = []
        self.first = array("q")  # per block: id of its first order
        self.blocks: deque[int] = deque()  # blocks in use, oldest orders first
        self.free: list[int] = []  # retired blocks, rows ready for reuse
        self._defaults = {name: [value] * block for name, (_, value) in COLUMN_DEFAULTS.items()}
        self.n = 0  # orders so far (ids are consecutive from 0)
        self.capacity = 0  # rows allocated; they never shrink
        self.retired = 0  # orders handed to on_block
        self._row = self._row_end = 0  # next row and end of the current block
        self.in_system = 0  # orders waiting for the client's answer
        self._t = 0.0
        self.area_in_system = 0.0
        self.propagation: Counter = Counter()  # (error id, reached) -> count
        self.duplicates = 0  # steps done again for an order (each a double side effect)
        self.absorbed = 0  # repeats answered from an idempotency key instead
        self.wasted = 0
        self.retries = 0

    def new_order(self, now: float) -> int:
        """A new order arriving now, its client waiting; the order's row."""
        row = self._row
        if row == self._row_end:
            row = self._next_block()
        self._row = row + 1
        self.n += 1
        self.arrival[row] = now
        self.live[row >> self.shift] += 1  # the client's call, until answered
        self.area_in_system += self.in_system * (now - self._t)
        self._t = now
        self.in_system += 1
        return row

    def _next_block(self) -> int:
        """Retire what can be retired, then start a block: a reused one, else a new one
        (columns grow a block at a time, filled with their defaults)."""
        if self.retire:
            self.retire_finished()
        if self.free:
            b = self.free.pop()
        else:
            b = len(self.live)
            for name, default in self._defaults.items():
                getattr(self, name).extend(default)
            self.live.append(0)
            self.first.append(0)
            self.capacity += self.block
        self.first[b] = self.n
        self.blocks.append(b)
        self._row = b << self.shift
        self._row_end = self._row + self.block
        return self._row

    def retire_finished(self) -> None:
        """Hand over the oldest blocks whose orders have all arrived and are no longer in
        play, in order of id, and free their rows."""
        blocks, live = self.blocks, self.live
        current = self._row >> self.shift if self._row < self._row_end else -1
        while blocks and blocks[0] != current and live[blocks[0]] == 0:
            self._hand_over(blocks.popleft(), self.block)

    def close(self) -> None:
        """End of run: hand over every block still held, in order, in flight or not."""
        while self.blocks:
            b = self.blocks.popleft()
            # Every block but the last (the current one) is full.
            self._hand_over(b, self._row - (b << self.shift) if not self.blocks else self.block)
        self._row = self._row_end = 0

    def _hand_over(self, b: int, count: int) -> None:
        lo = b << self.shift
        if self.on_block is not None and count:
            self.on_block(self.first[b], lo, self.block_columns(lo, lo + count))
        self.retired += count
        for name, default in self._defaults.items():
            getattr(self, name)[lo:lo + self.block] = default
        self.live[b] = 0
        self.free.append(b)

    def rows_in_use(self) -> int:
        """Rows held by blocks not yet retired (the orders kept in memory)."""
        return len(self.blocks) * self.block

    def _in_system(self, now: float, change: int) -> None:
        self.area_in_system += self.in_system * (now - self._t)
        self._t = now
        self.in_system += change

    def answered(self, order: int, now: float, status: int, error_id: int, attempts: int) -> None:
        self._in_system(now, -1)
        self.live[order >> self.shift] -= 1  # the client's call is over
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

    # -- retirement and end of run ------------------------------------------------------

    def column(self, name: str, lo: int, hi: int) -> np.ndarray:
        """Rows lo .. hi-1 of a column, as a numpy copy (the rows will be reused)."""
        return np.array(getattr(self, name)[lo:hi], dtype=DTYPES[COLUMN_DEFAULTS[name][0]])

    def block_columns(self, lo: int, hi: int) -> dict[str, np.ndarray]:
        """The final columns of the orders in rows lo .. hi-1: their times, status codes,
        attempts, origin error ids, ``outcome`` and ``inconsistent``."""
        out = {name: self.column(name, lo, hi)
               for name in ("arrival", "ack", "status", "done", "compensated", "attempts",
                            "origin")}
        out["outcome"], out["inconsistent"] = self.outcomes(lo, hi)
        return out

    def outcomes(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """(outcome, inconsistent) of the orders in rows lo .. hi-1, decided from each
        order's final state."""
        status = self.column("status", lo, hi)
        flags = self.column("flags", lo, hi)
        done = self.column("done_mask", lo, hi)
        comp = self.column("comp_mask", lo, hi)
        need = self.column("need_mask", lo, hi)
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
