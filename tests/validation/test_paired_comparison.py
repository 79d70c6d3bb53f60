"""Common random numbers make paired differences between architectures sharper."""

import pytest

import sim.api as api


@pytest.mark.slow
def test_paired_intervals_are_narrower_than_unpaired_on_a_built_in_scenario():
    # Steady traffic, no faults: both styles' latencies are driven by the same draws.
    sc = api.load_scenario("baseline", ["duration=30m", "drain=5m"], replications=5)
    results = api.run(sc, architectures=["request-response", "event-driven"], jobs=2)
    cmp = results.comparison.set_index("metric")
    # Both architectures see the same orders and service times, so their per-replication
    # results move together and the paired half-width must be the smaller one.
    for metric in ("ack_mean_s", "e2e_mean_s", "throughput_per_s"):
        row = cmp.loc[metric]
        paired = (row["high"] - row["low"]) / 2
        assert paired < row["unpaired_half_width"], metric
