"""Statistics over independent replications: intervals, differences, warm-up.

A replication is one independent run; its summary (a mean latency, a p99) is
one observation here. Intervals use Student's t over replications, so they
are honest for the handful of replications a one-minute run affords.
Differences between architectures are paired by replication because the
runner gives replication i the same random streams under every architecture
(common random numbers): the shared noise cancels in a - b and the interval
narrows. ``unpaired_difference`` is the Welch interval that ignores the
pairing, kept to show how much the pairing buys.

``mser5`` picks the warm-up to discard from one run's output series.
NaN marks a missing observation everywhere and is dropped, never propagated
into a mean.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

ArrayLike = Sequence[float] | np.ndarray

MSER_BATCH = 5


@dataclass(frozen=True)
class PairedDiff:
    """A difference of means a - b with its confidence interval.

    ``significant`` is True when the interval excludes zero; it is False
    when the interval is undefined (NaN half-width).
    """

    mean: float
    low: float
    high: float
    half_width: float
    significant: bool


def _finite_1d(values: ArrayLike) -> np.ndarray:
    """Values as a 1-D float array with NaNs removed."""
    arr = np.asarray(values, dtype=float).ravel()
    return arr[~np.isnan(arr)]


def _check_confidence(confidence: float) -> float:
    """Return ``confidence`` if it lies strictly in (0, 1), else raise."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return float(confidence)


def _t_quantile(confidence: float, df: float) -> float:
    """Two-sided Student t critical value for ``confidence`` and ``df``."""
    return float(sps.t.ppf(0.5 + confidence / 2.0, df))


def mean_ci(values: ArrayLike, confidence: float = 0.95) -> tuple[float, float]:
    """Mean and t-interval half-width over replications, NaNs dropped.

    Half-width = t_{(1+conf)/2, n-1} s / sqrt(n) with s the sample standard
    deviation. It is NaN for n < 2 (no spread to estimate); the mean is NaN
    for n = 0.
    """
    confidence = _check_confidence(confidence)
    x = _finite_1d(values)
    n = x.size
    if n == 0:
        return math.nan, math.nan
    mean = float(np.mean(x))
    if n < 2:
        return mean, math.nan
    half = _t_quantile(confidence, n - 1) * float(np.std(x, ddof=1)) / math.sqrt(n)
    return mean, half


def _difference(mean: float, half: float) -> PairedDiff:
    """Assemble a PairedDiff from a mean difference and its half-width."""
    low, high = mean - half, mean + half
    significant = bool(not math.isnan(half) and (low > 0.0 or high < 0.0))
    return PairedDiff(mean, low, high, half, significant)


def paired_difference(a: ArrayLike, b: ArrayLike, confidence: float = 0.95) -> PairedDiff:
    """Interval for mean(a - b) over replication-paired observations.

    ``a[i]`` and ``b[i]`` must come from replication i (same random streams).
    A pair with a NaN on either side is dropped whole.
    """
    a_arr = np.asarray(a, dtype=float).ravel()
    b_arr = np.asarray(b, dtype=float).ravel()
    if a_arr.shape != b_arr.shape:
        raise ValueError(
            f"paired arrays must have the same length, got {a_arr.size} and {b_arr.size}"
        )
    mean, half = mean_ci(a_arr - b_arr, confidence)
    return _difference(mean, half)


def _welch_half_width(a: np.ndarray, b: np.ndarray, confidence: float) -> float:
    """Welch half-width for mean(a) - mean(b); df by Welch-Satterthwaite."""
    va, vb = np.var(a, ddof=1) / a.size, np.var(b, ddof=1) / b.size
    se2 = float(va + vb)
    if se2 == 0.0:
        return 0.0
    df = se2**2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return _t_quantile(confidence, df) * math.sqrt(se2)


def unpaired_difference(a: ArrayLike, b: ArrayLike, confidence: float = 0.95) -> PairedDiff:
    """Welch interval for mean(a) - mean(b), treating a and b as independent.

    NaNs are dropped from each side separately; the half-width is NaN when
    either side has fewer than two observations.
    """
    confidence = _check_confidence(confidence)
    a_arr, b_arr = _finite_1d(a), _finite_1d(b)
    if a_arr.size == 0 or b_arr.size == 0:
        return _difference(math.nan, math.nan)
    mean = float(np.mean(a_arr) - np.mean(b_arr))
    if a_arr.size < 2 or b_arr.size < 2:
        return _difference(mean, math.nan)
    return _difference(mean, _welch_half_width(a_arr, b_arr, confidence))


def _mser_statistics(batch_means: np.ndarray) -> np.ndarray:
    """MSER(d) for d = 0 .. n // 2 over batch means Z_1..Z_n.

    MSER(d) = sum_{i>d} (Z_i - Zbar_d)^2 / (n - d)^2 (White 1997;
    White, Cobb & Spratt 2000), computed from suffix sums in O(n). The
    series is centred first to keep the sum-of-squares difference accurate.
    """
    n = batch_means.size
    z = batch_means - np.mean(batch_means[n // 2 :])
    suffix_sum = np.cumsum(z[::-1])[::-1]
    suffix_sq = np.cumsum((z * z)[::-1])[::-1]
    d = np.arange(n // 2 + 1)
    m = (n - d).astype(float)
    sse = np.maximum(suffix_sq[d] - suffix_sum[d] ** 2 / m, 0.0)
    return sse / m**2


def mser5(series: ArrayLike) -> int:
    """MSER-5 warm-up truncation point, in original observations.

    Following White (1997) "An effective truncation heuristic for bias
    reduction in simulation output", Simulation 69(6):323-334, and the
    MSER-5 variant of White, Cobb & Spratt (2000, Proc. Winter Simulation
    Conference): average the series in non-overlapping batches of 5 (a
    trailing partial batch is dropped), choose the d in 0 .. n/2 batches
    minimising MSER(d), and return 5 d. Restricting d to the first half is
    the usual guard against the statistic's spurious minima near the end.
    Series with fewer than 4 batches (20 observations) return 0. NaNs are
    dropped first.
    """
    x = _finite_1d(series)
    n_batches = x.size // MSER_BATCH
    if n_batches < 4:
        return 0
    batch_means = x[: n_batches * MSER_BATCH].reshape(n_batches, MSER_BATCH).mean(axis=1)
    d_star = int(np.argmin(_mser_statistics(batch_means)))
    return d_star * MSER_BATCH


def percentile(values: ArrayLike, q: float) -> float:
    """The q-th percentile (q in 0..100) by numpy's 'linear' method, NaNs dropped.

    Returns NaN when no non-NaN value remains.
    """
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile q must be in [0, 100], got {q!r}")
    x = _finite_1d(values)
    if x.size == 0:
        return math.nan
    return float(np.percentile(x, q, method="linear"))
