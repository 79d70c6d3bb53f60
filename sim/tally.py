"""What the metrics need of a run's orders, gathered a block of orders at a time.

The model hands each block of retired orders (columns of the orders frame, in order of id)
to :meth:`Tally.add`; the orders themselves can then go to disk (:mod:`sim.spool`). The
tally keeps, per run:

- counts: orders, outcomes, inconsistent orders;
- per window of ``scenario.window`` seconds: orders arriving, answers by status (by time
  of the answer), completions (by time done), answered orders (by time of arrival);
- at every window edge ``k * window`` and at a fixed warm-up: how many orders, answered,
  completed and told-no orders arrived before it, so that the steady part of the run (the
  orders that arrived at or after the warm-up, chosen before or after the run) is a suffix;
- the client latency (``ack_s - arrival_s``, float64) of every answered order and the
  order-to-done latency of every completed order, in order of id (16 bytes per order at
  most), and (order, latency) of each compensated order.

Percentiles and means are then computed from exactly the float64 values the orders frame
would give, in the same order, so every metric is identical to one computed from the
frame (no sketch, no error bound needed); the price is the two latency arrays. Arrival
times must not decrease with the order id (they come from one arrival process).
"""

from __future__ import annotations

import math
from array import array

import numpy as np
import pandas as pd

from sim.recorder import OUTCOMES

TOLD_NO = ("error", "timeout")


def _grow(counts: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``counts`` plus the bincount of ``index``, lengthened as needed."""
    if not len(index):
        return counts
    add = np.bincount(index)
    if len(add) > len(counts):
        counts = np.concatenate([counts, np.zeros(len(add) - len(counts), dtype=np.int64)])
    counts[:len(add)] += add
    return counts


class Tally:
    """Counts, per-window counts and latency arrays of one run's orders (see the module)."""

    def __init__(self, scenario):
        w = self.window = scenario.window
        self.duration = scenario.duration
        # Windows of the time series: as metrics.windows, the last one takes any overflow.
        self.n_windows = int(math.ceil((scenario.duration + scenario.drain) / w))
        edges = np.arange(self.n_windows + 2) * w  # candidate warm-ups: 'auto' picks k * w
        if scenario.warmup != "auto":
            edges = np.append(edges, float(scenario.warmup))
        self.edges = np.unique(edges)
        zeros = lambda: np.zeros(len(self.edges), dtype=np.int64)  # noqa: E731
        self.before = {"orders": zeros(), "answered": zeros(), "completed": zeros(),
                       "told_no": zeros()}
        self.orders = 0
        self.outcomes = dict.fromkeys(OUTCOMES, 0)
        self.inconsistent = 0
        self.arrivals = np.zeros(0, dtype=np.int64)  # by arrival // window (not clipped)
        self.answered = np.zeros(0, dtype=np.int64)  # answered orders by arrival // window
        self.answers = {s: np.zeros(self.n_windows, dtype=np.int64)
                        for s in ("ok", "error", "timeout")}  # by answer time, clipped
        self.completions = np.zeros(self.n_windows, dtype=np.int64)  # by done time, clipped
        self.done = np.zeros(0, dtype=np.int64)  # by done // window (not clipped)
        self._ack = array("d")
        self._e2e = array("d")
        self._comp_order = array("q")
        self._comp = array("d")
        self.last_arrival = -math.inf

    # -- gathering ----------------------------------------------------------------------

    def add(self, block: dict) -> None:
        """Count a block of consecutive orders (orders-frame columns, in order of id)."""
        arrival = block["arrival_s"]
        if not len(arrival):
            return
        if arrival[0] < self.last_arrival or np.any(np.diff(arrival) < 0):
            raise ValueError("arrival times must not decrease with the order id")
        self.last_arrival = arrival[-1]
        n, w, last = len(arrival), self.window, self.n_windows - 1
        first = self.orders
        ack, done, status, outcome = (block["ack_s"], block["done_s"], block["ack_status"],
                                      block["outcome"])
        answered = ~np.isnan(ack)
        completed = outcome == "completed"
        told_no = (status == "error") | (status == "timeout")
        # Steady-state cuts: how many of each kind arrived before every edge.
        at = np.searchsorted(arrival, self.edges, side="left")
        for name, mask in (("answered", answered), ("completed", completed),
                           ("told_no", told_no)):
            self.before[name] += np.concatenate([[0], np.cumsum(mask)])[at]
        self.before["orders"] += at
        # Counts.
        self.orders += n
        for name in OUTCOMES:
            self.outcomes[name] += int(np.count_nonzero(outcome == name))
        self.inconsistent += int(np.count_nonzero(block["inconsistent"]))
        # Per window.
        window = (arrival // w).astype(np.int64)
        self.arrivals = _grow(self.arrivals, window)
        self.answered = _grow(self.answered, window[answered])
        for name, counts in self.answers.items():
            times = ack[status == name]
            counts += np.bincount(np.minimum((times // w).astype(np.int64), last),
                                  minlength=self.n_windows)[:self.n_windows]
        times = done[~np.isnan(done)]
        done_window = (times // w).astype(np.int64)
        self.done = _grow(self.done, done_window)
        self.completions += np.bincount(np.minimum(done_window, last),
                                        minlength=self.n_windows)[:self.n_windows]
        # Latencies, as the frame's columns would give them.
        self._ack.frombytes((ack[answered] - arrival[answered]).tobytes())
        self._e2e.frombytes((done[completed] - arrival[completed]).tobytes())
        comp = ~np.isnan(block["compensated_s"])
        if comp.any():
            self._comp_order.frombytes((np.flatnonzero(comp) + first).astype(np.int64).tobytes())
            self._comp.frombytes((block["compensated_s"][comp] - arrival[comp]).tobytes())

    # -- reading ------------------------------------------------------------------------

    @property
    def ack(self) -> np.ndarray:
        """Client latency of every answered order, in order of id (a view)."""
        return np.frombuffer(self._ack, dtype=np.float64) if len(self._ack) else np.empty(0)

    @property
    def e2e(self) -> np.ndarray:
        """Order-to-done latency of every completed order, in order of id (a view)."""
        return np.frombuffer(self._e2e, dtype=np.float64) if len(self._e2e) else np.empty(0)

    def cut(self, warmup: float) -> dict[str, int]:
        """How many orders (and answered, completed, told-no orders) arrived before
        ``warmup``: the steady orders are the rest."""
        i = int(np.searchsorted(self.edges, warmup))
        if i == len(self.edges) or self.edges[i] != warmup:
            if warmup > self.edges[-1]:
                return {name: int(v[-1]) for name, v in self.before.items()}
            raise ValueError(f"warm-up {warmup} is neither the scenario's nor a window edge")
        return {name: int(v[i]) for name, v in self.before.items()}

    def compensation(self, first: int) -> pd.Series:
        """``compensated_s - arrival_s`` of orders ``first`` .. last, NaN where none (the
        frame's column, rebuilt; only for runs with compensations)."""
        out = np.full(self.orders - first, np.nan)
        index = np.frombuffer(self._comp_order, dtype=np.int64) if len(self._comp_order) else \
            np.empty(0, dtype=np.int64)
        keep = index >= first
        if keep.any():
            out[index[keep] - first] = np.frombuffer(self._comp, dtype=np.float64)[keep]
        return pd.Series(out)

    def has_compensation(self, first: int) -> bool:
        return bool(len(self._comp_order)) and int(self._comp_order[-1]) >= first

    def ack_by_window(self, clip: bool) -> tuple[np.ndarray, np.ndarray]:
        """(window of each answered order's arrival, its client latency): window ids as
        ``arrival // window``, clipped to the time series' last window if ``clip``."""
        counts = self.answered
        if clip and len(counts) > self.n_windows:
            counts = np.concatenate([counts[:self.n_windows - 1],
                                     [counts[self.n_windows - 1:].sum()]])
        return counts, self.ack


def per_window(counts: np.ndarray, values: np.ndarray, reduce, chunk: int = 1 << 16) -> dict:
    """``reduce(pd.Series(values).groupby(window))`` for values sorted by window, with
    ``counts[k]`` values in window k, computed a few windows at a time (each group is
    reduced on its own, so the result is the same as in one call) to bound memory."""
    out = {}
    bounds = np.concatenate([[0], np.cumsum(counts)])
    k = 0
    while k < len(counts):
        j = k + 1
        while j < len(counts) and bounds[j + 1] - bounds[k] <= chunk:
            j += 1
        lo, hi = bounds[k], bounds[j]
        if hi > lo:
            keys = np.repeat(np.arange(k, j, dtype=np.int64), counts[k:j])
            out.update(reduce(pd.Series(values[lo:hi]).groupby(keys)).to_dict())
        k = j
    return out
