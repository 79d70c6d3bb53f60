"""Exact cases of the resilience patterns of synchronous calls (constant service times)."""

import pytest

from tests.helpers import constant, make, run


def rr(**call):
    policy = {"timeout": 30, "retries": 0, "backoff": 0.1, "jitter": False, **call}
    return {"rr": {"style": "call", "call": policy}}


OUTAGE_UNTIL_12 = [{"target": "payment", "kind": "outage", "start": 0, "end": 12}]


def test_breaker_opens_at_the_threshold_and_half_opens_after_the_sleep_window():
    breaker = {"window": 4, "min_calls": 4, "failure_rate": 0.5, "open_for": 10,
               "half_open_calls": 1}
    sc = make({"order": 0.1, "payment": 0.2}, ["order -> payment"], rr(circuit_breaker=breaker),
              faults=OUTAGE_UNTIL_12)
    m, rec = run(sc, "rr", [1, 2, 3, 4, 5, 6, 15])
    o = rec.orders
    # Four refusals by the down payment (1.1 .. 4.1) open the breaker at 4.1; the calls at
    # 5.1 and 6.1 are refused by the breaker without reaching payment.
    assert o["error_origin"].tolist() == ["payment:outage"] * 4 + [
        "order -> payment:circuit_open"] * 2 + [""]
    assert o["ack_s"].tolist()[:6] == pytest.approx([1.1, 2.1, 3.1, 4.1, 5.1, 6.1])
    # At 15.1 (after 4.1 + 10) one trial call goes through, succeeds and closes it.
    assert o["ack_s"].iloc[6] == pytest.approx(15.3)
    assert m.services["payment"].visits == 5
    gate = m.gates["order", "payment"]
    assert (gate.breaker.state, gate.breaker.opened, gate.refused) == ("closed", 1, 2)


def test_a_failed_trial_call_opens_the_breaker_again():
    breaker = {"window": 2, "min_calls": 2, "failure_rate": 1.0, "open_for": 5,
               "half_open_calls": 1}
    sc = make({"order": 0.1, "payment": 0.2}, ["order -> payment"], rr(circuit_breaker=breaker),
              faults=[{"target": "payment", "kind": "outage", "start": 0, "end": 50}])
    m, rec = run(sc, "rr", [1, 2, 7.5, 8])
    # open at 2.1; the trial at 7.6 fails and reopens it; 8.1 is refused.
    assert rec.orders["error_origin"].tolist() == ["payment:outage"] * 3 + [
        "order -> payment:circuit_open"]
    assert m.gates["order", "payment"].breaker.opened == 2


def test_bulkhead_refuses_the_call_beyond_its_cap():
    sc = make({"order": {"workers": 2, "time": constant(0.1)},
               "payment": {"workers": 2, "time": constant(1.0)}},
              ["order -> payment"], rr(bulkhead=1))
    m, rec = run(sc, "rr", [1.0, 1.05, 2.5])
    o = rec.orders
    assert o["ack_s"].tolist() == pytest.approx([2.1, 1.15, 3.6])
    assert o["error_origin"].tolist() == ["", "order -> payment:bulkhead", ""]
    assert m.services["payment"].visits == 2


def test_retry_budget_allows_retries_as_a_fraction_of_calls():
    sc = make({"order": 0.1, "payment": 0.2}, ["order -> payment"],
              rr(retries=3, retry_budget=0.5),
              faults=[{"target": "payment", "kind": "outage", "start": 0, "end": 50}])
    m, rec = run(sc, "rr", [1, 2, 3, 4])
    # Each call earns 0.5 of a retry: the 2nd and 4th calls may retry once (0.1 s later).
    assert rec.orders["ack_s"].tolist() == pytest.approx([1.1, 2.2, 3.1, 4.2])
    assert rec.stats["retries"] == 2
    assert rec.stats["retries_denied"] == 4
    assert m.services["payment"].visits == 6


def test_patterns_are_off_by_default():
    sc = make({"order": 0.1, "payment": 0.2}, ["order -> payment"], rr(retries=2),
              faults=OUTAGE_UNTIL_12)
    m, rec = run(sc, "rr", [1, 2, 3, 4, 5, 6])
    assert m.gates == {} and m.budgets == {}
    assert rec.stats["retries"] == 12


def test_business_failures_do_not_count_against_the_breaker():
    breaker = {"window": 2, "min_calls": 2, "failure_rate": 0.5, "open_for": 10,
               "half_open_calls": 1}
    sc = make({"order": 0.1, "payment": 0.2}, ["order -> payment"], rr(circuit_breaker=breaker),
              flow={"entry": "order", "links": ["order -> payment"],
                    "business_failures": [{"name": "declined", "at": "payment",
                                           "probability": 1.0}]})
    m, rec = run(sc, "rr", [1, 2, 3])
    # Every order is declined by payment; the breaker stays closed, every call reaches it.
    assert rec.orders["error_origin"].tolist() == ["payment:business:declined"] * 3
    assert m.services["payment"].visits == 3
    assert m.gates["order", "payment"].breaker.state == "closed"
