"""Replication statistics in sim.stats: intervals, differences, MSER-5, percentiles."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from sim import stats

# ---------------------------------------------------------------- mean_ci


def test_mean_ci_hand_computed():
    """[1..5]: mean 3, s^2 = 2.5, half-width t_{0.975,4} sqrt(2.5/5) = 2.776 * 0.7071."""
    mean, half = stats.mean_ci([1, 2, 3, 4, 5])
    assert mean == 3.0
    assert half == pytest.approx(2.7764 * math.sqrt(0.5), abs=1e-3)
    assert half == pytest.approx(1.963, abs=1e-3)


def test_mean_ci_other_confidence():
    """90%: t_{0.95,4} = 2.1318."""
    _, half = stats.mean_ci([1, 2, 3, 4, 5], confidence=0.90)
    assert half == pytest.approx(2.1318 * math.sqrt(0.5), abs=1e-3)


def test_mean_ci_drops_nan_and_handles_small_samples():
    mean, half = stats.mean_ci([1, np.nan, 2, 3, 4, 5])
    assert (mean, half) == pytest.approx(stats.mean_ci([1, 2, 3, 4, 5]))
    mean, half = stats.mean_ci([7.0, np.nan])
    assert mean == 7.0 and math.isnan(half)
    mean, half = stats.mean_ci([])
    assert math.isnan(mean) and math.isnan(half)


def test_mean_ci_coverage_is_nominal():
    """2000 samples of 10 N(5, 2^2): the count of 95% intervals covering 5 must lie
    in the central 99.9% region of Binomial(2000, 0.95).
    """
    rng = np.random.default_rng(20240601)
    trials, true_mean = 2000, 5.0
    samples = rng.normal(true_mean, 2.0, size=(trials, 10))
    covered = 0
    for row in samples:
        mean, half = stats.mean_ci(row)
        covered += abs(mean - true_mean) <= half
    low = sps.binom.ppf(0.0005, trials, 0.95)
    high = sps.binom.ppf(0.9995, trials, 0.95)
    assert low <= covered <= high


def test_bad_confidence_raises():
    with pytest.raises(ValueError, match="confidence"):
        stats.mean_ci([1, 2, 3], confidence=95)


# ---------------------------------------------------------------- differences


def _correlated_pairs(n: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Replication-level noise shared by a and b (as under common random
    numbers) plus small independent noise; a is 0.3 higher on average."""
    rng = np.random.default_rng(7)
    shared = rng.normal(10.0, 3.0, size=n)
    a = shared + 0.3 + rng.normal(0.0, 0.1, size=n)
    b = shared + rng.normal(0.0, 0.1, size=n)
    return a, b


def test_paired_difference_matches_scipy_ttest_rel():
    a, b = _correlated_pairs()
    diff = stats.paired_difference(a, b)
    ci = sps.ttest_rel(a, b).confidence_interval(0.95)
    assert (diff.low, diff.high) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert diff.half_width == pytest.approx((diff.high - diff.low) / 2)
    assert diff.mean == pytest.approx(np.mean(a - b))


def test_unpaired_difference_matches_scipy_welch():
    a, b = _correlated_pairs()
    diff = stats.unpaired_difference(a, b)
    ci = sps.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (diff.low, diff.high) == pytest.approx((ci.low, ci.high), rel=1e-10)


def test_pairing_narrows_interval_under_common_random_numbers():
    """The shared noise cancels in a - b but not in Welch's interval, so only
    the paired comparison detects the 0.3 shift."""
    a, b = _correlated_pairs()
    paired, unpaired = stats.paired_difference(a, b), stats.unpaired_difference(a, b)
    assert paired.half_width < unpaired.half_width / 10
    assert paired.significant and paired.low > 0
    assert not unpaired.significant


def test_paired_difference_drops_incomplete_pairs():
    diff = stats.paired_difference([1.0, 2.0, np.nan, 4.0], [0.0, np.nan, 5.0, 3.0])
    assert diff.mean == 1.0
    assert diff.half_width == 0.0
    assert diff.significant


def test_difference_undefined_with_one_observation_is_not_significant():
    diff = stats.paired_difference([5.0], [1.0])
    assert diff.mean == 4.0 and math.isnan(diff.half_width) and not diff.significant
    diff = stats.unpaired_difference([5.0], [1.0, 2.0])
    assert diff.mean == 3.5 and math.isnan(diff.half_width) and not diff.significant


def test_paired_difference_requires_equal_lengths():
    with pytest.raises(ValueError, match="same length"):
        stats.paired_difference([1.0, 2.0], [1.0])


# ---------------------------------------------------------------- mser5


def test_mser5_finds_initial_transient():
    """100 observations at level 10, then 900 from N(0, 1): the transient ends at 100."""
    rng = np.random.default_rng(11)
    series = np.concatenate([np.full(100, 10.0), rng.normal(0.0, 1.0, size=900)])
    assert 95 <= stats.mser5(series) <= 150


def test_mser5_keeps_a_stationary_series():
    """No transient: truncation stays within the first 5% (it is 0 for most seeds)."""
    rng = np.random.default_rng(12)
    assert stats.mser5(rng.normal(0.0, 1.0, size=1000)) <= 50


def test_mser5_is_a_multiple_of_the_batch_size():
    series = np.concatenate([np.linspace(20.0, 0.0, 63), np.zeros(400)])
    series[63:] += np.random.default_rng(3).normal(0.0, 0.5, size=400)
    assert stats.mser5(series) % 5 == 0


def test_mser5_matches_brute_force_definition():
    """MSER(d) = sum_{i>d} (Z_i - mean(Z_{d+1..n}))^2 / (n - d)^2 over batch means Z."""
    rng = np.random.default_rng(5)
    series = np.concatenate([np.linspace(5.0, 0.0, 40), rng.normal(0.0, 1.0, size=260)]) + 1e6
    z = series[: len(series) // 5 * 5].reshape(-1, 5).mean(axis=1)
    n = len(z)
    brute = [np.sum((z[d:] - z[d:].mean()) ** 2) / (n - d) ** 2 for d in range(n // 2 + 1)]
    assert stats.mser5(series) == 5 * int(np.argmin(brute))


@pytest.mark.parametrize("length", [0, 1, 7, 19])
def test_mser5_short_series_returns_zero(length):
    assert stats.mser5(np.arange(length, dtype=float)) == 0


# ---------------------------------------------------------------- percentile


def test_percentile_linear_and_nan_safe():
    values = [1.0, np.nan, 2.0, 3.0, 4.0]
    assert stats.percentile(values, 50) == 2.5
    assert stats.percentile(values, 90) == pytest.approx(3.7)
    assert stats.percentile(values, 0) == 1.0
    assert stats.percentile(values, 100) == 4.0


def test_percentile_empty_is_nan():
    assert math.isnan(stats.percentile([], 99))
    assert math.isnan(stats.percentile([np.nan, np.nan], 99))


def test_percentile_rejects_out_of_range_q():
    with pytest.raises(ValueError, match="0, 100"):
        stats.percentile([1.0, 2.0], 150)
