"""A retry storm: without a retry budget request-response stays collapsed after a spike;
with one it recovers (issue 9)."""

from sim.model import simulate
from sim.scenario import load_scenario


def storm(retry_budget):
    call = {"timeout": 0.5, "retries": 3, "backoff": 0.05, "jitter": True}
    if retry_budget is not None:
        call["retry_budget"] = retry_budget
    return load_scenario({
        "duration": 300, "drain": 60, "seed": 3,
        # payment serves 40/s; 30/s offered, 45/s for one minute from t=100
        "traffic": {"rate": 30, "profile": [[0, 1], [100, 1], [101, 1.5], [160, 1.5], [161, 1]]},
        "client": {"timeout": 2, "retries": 0},
        "services": {"order": {"workers": 200, "time": {"dist": "exponential", "mean": 0.005}},
                     "payment": {"workers": 4, "time": {"dist": "exponential", "mean": 0.1}}},
        "flow": {"entry": "order", "links": ["order -> payment"]},
        "architectures": {"rr": {"style": "call", "call": call}},
    })


def ok_share_late(record) -> float:
    """Share of orders arriving 80-130 s after the spike that got a successful answer."""
    o = record.orders
    late = o[(o["arrival_s"] >= 240) & (o["arrival_s"] < 290)]
    return float((late["ack_status"] == "ok").mean())


def test_without_a_budget_retries_keep_the_system_collapsed_long_after_the_spike():
    record = simulate(storm(None), "rr", 0)
    # Each timed-out try (0.5 s) is retried 3 times: the queue at payment, fed 4x the
    # offered rate, never drains, so no order succeeds even at 30/s (< 40/s capacity).
    assert ok_share_late(record) == 0.0
    assert record.stats["retries"] > record.stats["orders"]  # more retries than orders


def test_a_retry_budget_lets_the_system_recover_after_the_spike():
    record = simulate(storm(0.1), "rr", 0)
    # At most 10% extra attempts: 33/s offered to a 40/s service, so the backlog left by
    # the spike drains (its abandoned requests still cost work: no cancellation).
    assert ok_share_late(record) > 0.5
    assert record.stats["retries"] <= 0.1 * record.stats["orders"] + 10
