"""Exact cases of load shedding: drops by queue age, deadline propagation, per-link policies."""

import pytest

from tests.helpers import constant, make, run


def rr(shedding=None, overrides=None, **call):
    policy = {"timeout": 30, "retries": 0, "backoff": 0.1, "jitter": False, **call}
    arch = {"style": "call", "call": policy}
    if shedding is not None:
        arch["load_shedding"] = shedding
    if overrides is not None:
        arch["call_overrides"] = overrides
    return {"rr": arch}


def test_a_request_older_than_the_max_queue_age_is_dropped_when_a_worker_takes_it():
    sc = make({"order": 1.0}, [], rr({"deadlines": False, "max_queue_age": 0.5}))
    m, rec = run(sc, "rr", [0.0, 0.2, 0.9])
    o = rec.orders
    # The second request waited 0.8 s (> 0.5) when the worker freed at 1.0: dropped at once,
    # and the third (waited 0.1 s) is served from 1.0 to 2.0.
    assert o["ack_s"].tolist() == pytest.approx([1.0, 1.0, 2.0])
    assert o["error_origin"].tolist() == ["", "order:shed", ""]
    assert o["outcome"].tolist() == ["completed", "rejected", "completed"]
    assert (m.services["order"].visits, rec.stats["shed"]) == (2, 1)


def test_without_shedding_the_old_request_is_served():
    sc = make({"order": 1.0}, [], rr())
    m, rec = run(sc, "rr", [0.0, 0.2, 0.9])
    assert rec.orders["ack_s"].tolist() == pytest.approx([1.0, 2.0, 3.0])
    assert rec.stats["shed"] == 0


SLOW_PAYMENT = {"order": {"workers": 2, "time": constant(0.1)}, "payment": 2.0}


def test_a_request_whose_caller_gave_up_is_dropped_instead_of_worked():
    sc = make(SLOW_PAYMENT, ["order -> payment"], rr({"deadlines": True}, timeout=1.0))
    m, rec = run(sc, "rr", [0.0, 0.05, 0.1])
    # Payment works o0 from 0.1 to 2.1 (its caller gave up at 1.1). o1's caller gave up at
    # 1.15, so when payment frees at 2.1 o1 is dropped and o2 (deadline 2.2) starts.
    assert rec.orders["ack_s"].tolist() == pytest.approx([1.1, 1.15, 2.2])
    assert m.services["payment"].visits == 2
    assert (m.services["payment"].shed, rec.stats["wasted"]) == (1, 2)


def test_without_deadlines_the_abandoned_request_is_worked_for_nobody():
    sc = make(SLOW_PAYMENT, ["order -> payment"], rr(timeout=1.0))
    m, rec = run(sc, "rr", [0.0, 0.05, 0.1])
    assert rec.orders["ack_s"].tolist() == pytest.approx([1.1, 1.15, 2.2])
    assert m.services["payment"].visits == 3
    assert (m.services["payment"].shed, rec.stats["wasted"]) == (0, 3)


def test_the_clients_deadline_propagates_down_the_chain_and_stops_retries():
    services = {"order": {"workers": 2, "time": constant(0.1)},
                "payment": {"workers": 2, "time": constant(0.1)},
                "fulfillment": 2.0}
    links = ["order -> payment", "payment -> fulfillment"]
    sc = make(services, links, rr({"deadlines": True}, timeout=5.0, retries=2),
              client={"timeout": 1.0})
    m, rec = run(sc, "rr", [0.0, 0.05])
    # o1's request reaches fulfillment at 0.25 carrying the client's deadline 1.05; it is
    # taken at 2.2 (after o0) and dropped; payment does not retry past the deadline.
    assert rec.orders["ack_s"].tolist() == pytest.approx([1.0, 1.05])
    assert m.services["fulfillment"].visits == 1
    assert m.services["fulfillment"].shed == 1
    assert rec.stats["retries"] == 0
    assert rec.propagation.query("origin == 'fulfillment' and reached == 'payment'")[
        "fault"].tolist() == ["deadline"]


def test_without_deadlines_the_chain_works_for_a_client_that_left():
    services = {"order": {"workers": 2, "time": constant(0.1)},
                "payment": {"workers": 2, "time": constant(0.1)},
                "fulfillment": 2.0}
    links = ["order -> payment", "payment -> fulfillment"]
    sc = make(services, links, rr(timeout=5.0, retries=2), client={"timeout": 1.0})
    m, rec = run(sc, "rr", [0.0, 0.05])
    assert m.services["fulfillment"].visits == 2
    assert rec.stats["shed"] == 0


def test_a_call_override_gives_one_link_its_own_timeout():
    services = {"order": 0.1, "invoice": 2.0, "payment": 2.0}
    links = ["order -> invoice", "order -> payment"]
    sc = make(services, links, rr(overrides={"order->invoice": {"timeout": 5.0}}, timeout=1.0))
    m, rec = run(sc, "rr", [0.0])
    # invoice (timeout 5 s) answers at 2.1; payment (timeout 1 s) times out at 3.1.
    assert rec.orders["ack_s"].tolist() == pytest.approx([3.1])
    assert rec.orders["error_origin"].tolist() == ["payment:timeout"]
    assert m.link_policies["order", "invoice"].timeout_s == 5.0
    assert ("order", "payment") not in m.link_policies


def test_a_bulkhead_set_on_one_link_only_guards_that_link():
    services = {"order": {"workers": 4, "time": constant(0.1)},
                "invoice": {"workers": 4, "time": constant(1.0)},
                "payment": {"workers": 4, "time": constant(1.0)}}
    links = [{"link": "order -> invoice", "parallel": True},
             {"link": "order -> payment", "parallel": True}]
    sc = make(services, links, rr(overrides={"order -> payment": {"bulkhead": 1}}))
    m, rec = run(sc, "rr", [0.0, 0.01])
    assert rec.orders["error_origin"].tolist() == ["", "order -> payment:bulkhead"]
    assert set(m.gates) == {("order", "payment")}
    assert m.services["invoice"].visits == 2


def test_call_overrides_must_name_a_call_link():
    from sim.errors import ScenarioError
    with pytest.raises(ScenarioError) as info:
        make({"order": 0.1, "payment": 0.1}, ["order -> payment"],
             {"ed": {"style": "event", "call_overrides": {"order -> payment": {"timeout": 1}}}})
    assert info.value.path == "architectures.ed.call_overrides.order -> payment"
    assert "call links only" in info.value.problem
    with pytest.raises(ScenarioError) as info:
        make({"order": 0.1, "payment": 0.1}, ["order -> payment"],
             rr(overrides={"order -> paymnt": {"timeout": 1}}))
    assert "did you mean 'order -> payment'" in info.value.problem
