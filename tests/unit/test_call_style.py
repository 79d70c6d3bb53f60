"""Exact cases of the call style, with constant service times computed by hand."""

import math

import pytest

from tests.helpers import constant, make, order, run

CHAIN = ["order -> payment", "payment -> fulfillment"]


def rr(**call):
    policy = {"timeout": 30, "retries": 0, "backoff": 0, "jitter": False, **call}
    return {"rr": {"style": "call", "call": policy}}


def test_one_order_through_a_chain_is_answered_after_the_sum_of_the_service_times():
    sc = make({"order": 0.1, "payment": 0.2, "fulfillment": 0.3}, CHAIN, rr())
    m, rec = run(sc, "rr", [1.0])
    o = order(rec)
    assert o["ack_s"] == pytest.approx(1.6)
    assert o["done_s"] == pytest.approx(1.6)
    assert (o["ack_status"], o["outcome"], o["attempts"]) == ("ok", "completed", 1)
    assert rec.stats["service_visits"] == 3


def test_caller_holds_its_worker_while_the_callee_works():
    # order has one worker: the second order waits until the first one's chain answers.
    sc = make({"order": 0.1, "payment": 0.5}, ["order -> payment"], rr())
    m, rec = run(sc, "rr", [1.0, 1.05])
    assert rec.orders["ack_s"].tolist() == pytest.approx([1.6, 2.2])


def test_timeout_fires_at_exactly_its_value_and_names_the_hung_service():
    sc = make({"order": 0.1, "payment": 0.2}, ["order -> payment"], rr(timeout=0.5),
              faults=[{"target": "payment", "kind": "hang", "start": 0, "end": 50}])
    m, rec = run(sc, "rr", [1.0])
    o = order(rec)
    assert o["ack_s"] == pytest.approx(1.6)  # 1.1 call + 0.5 timeout
    assert (o["ack_status"], o["error_origin"], o["outcome"]) == ("error", "payment:hang", "rejected")


def test_retries_follow_the_exponential_backoff_schedule():
    # payment refuses at once; tries at 1.1, 1.2 (+0.1), 1.4 (+0.2), then the error is final.
    sc = make({"order": 0.1, "payment": 0.2}, ["order -> payment"], rr(retries=2, backoff=0.1),
              faults=[{"target": "payment", "kind": "outage", "start": 0, "end": 50}])
    m, rec = run(sc, "rr", [1.0])
    o = order(rec)
    assert o["ack_s"] == pytest.approx(1.4)
    assert o["error_origin"] == "payment:outage"
    assert rec.stats["retries"] == 2
    assert m.services["payment"].visits == 3


def test_request_is_rejected_at_once_when_the_wait_queue_is_full():
    sc = make({"order": {"workers": 1, "queue": 0, "time": constant(0.1)}}, [], rr())
    m, rec = run(sc, "rr", [1.0, 1.05])
    second = order(rec, 1)
    assert second["ack_s"] == pytest.approx(1.05)
    assert (second["ack_status"], second["error_origin"]) == ("error", "order:queue_full")
    assert order(rec, 0)["outcome"] == "completed"


def test_outage_window_errors_only_inside_the_window():
    sc = make({"order": 0.1, "payment": 0.2}, ["order -> payment"], rr(),
              faults=[{"target": "payment", "kind": "outage", "start": 2, "end": 3}])
    m, rec = run(sc, "rr", [1.0, 2.0, 3.5])
    assert rec.orders["ack_status"].tolist() == ["ok", "error", "ok"]
    assert rec.orders["error_origin"].tolist() == ["", "payment:outage", ""]
    prop = rec.propagation.set_index("reached")["count"].to_dict()
    assert prop == {"client": 1, "order": 1}


def test_client_timeout_leaves_the_work_going_and_counts_it_wasted():
    sc = make({"order": 1.0}, [], rr(), client={"timeout": 0.5})
    m, rec = run(sc, "rr", [1.0])
    o = order(rec)
    assert o["ack_s"] == pytest.approx(1.5)
    assert (o["ack_status"], o["outcome"]) == ("timeout", "rejected")
    assert rec.stats["wasted"] == 1
    assert not o["inconsistent"]  # only the entry's own step was done


def test_work_done_for_an_order_the_client_was_told_failed_is_inconsistent():
    # payment finishes at 2.2 but order gave up at 1.6: charged, yet the client heard "no".
    sc = make({"order": 0.1, "payment": 1.1}, ["order -> payment"], rr(timeout=0.5))
    m, rec = run(sc, "rr", [1.0])
    o = order(rec)
    assert (o["ack_status"], o["outcome"], o["inconsistent"]) == ("error", "rejected", True)
    assert o["error_origin"] == "payment:timeout"


def test_parallel_links_are_called_at_once_and_answered_when_all_answer():
    links = [{"link": "order -> a", "parallel": True}, {"link": "order -> b", "parallel": True}]
    sc = make({"order": 0.1, "a": 0.3, "b": 0.5}, links, rr())
    m, rec = run(sc, "rr", [1.0])
    assert order(rec)["ack_s"] == pytest.approx(1.6)  # 1.1 + max(0.3, 0.5)


def test_client_retry_after_an_error_succeeds_once_the_outage_is_over():
    sc = make({"order": 0.1}, [], rr(), client={"timeout": 5, "retries": 1, "backoff": 2},
              faults=[{"target": "order", "kind": "outage", "start": 0, "end": 2}])
    m, rec = run(sc, "rr", [1.0])
    o = order(rec)
    assert o["ack_s"] == pytest.approx(3.1)  # refused at 1.0, retried at 3.0
    assert (o["ack_status"], o["attempts"]) == ("ok", 2)


def test_slowdown_multiplies_service_time_and_capacity_fault_removes_workers():
    sc = make({"order": {"workers": 4, "time": constant(0.1)},
               "payment": {"workers": 2, "time": constant(0.2)}},
              ["order -> payment"], rr(),
              faults=[{"target": "payment", "kind": "slowdown", "factor": 3, "start": 0, "end": 50},
                      {"target": "payment", "kind": "capacity", "fraction": 0.5, "start": 0, "end": 50}])
    m, rec = run(sc, "rr", [1.0, 1.0])
    # one payment worker left, 0.6 s each: the second order waits for the first.
    assert rec.orders["ack_s"].tolist() == pytest.approx([1.7, 2.3])


def test_business_failure_is_compensated_by_the_entry_service_with_calls():
    sc = make({"order": 0.1, "invoice": {"time": constant(0.1), "ops": {"void": constant(0.05)}},
               "payment": {"time": constant(0.1), "ops": {"refund": constant(0.05)}},
               "fulfillment": 0.1},
              ["order -> invoice", "order -> payment", "payment -> fulfillment"], rr(),
              flow={"entry": "order",
                    "links": ["order -> invoice", "order -> payment", "payment -> fulfillment"],
                    "business_failures": [{"name": "oos", "at": "fulfillment", "probability": 1.0,
                                           "compensate": ["payment.refund", "invoice.void"]}]})
    m, rec = run(sc, "rr", [1.0])
    o = order(rec)
    # invoice 1.1-1.2, payment 1.2-1.3, fulfillment fails at 1.4, refund to 1.45, void to 1.5
    assert o["ack_s"] == pytest.approx(1.5)
    assert o["compensated_s"] == pytest.approx(1.5)
    assert (o["outcome"], o["inconsistent"], o["error_origin"]) == ("compensated", False,
                                                                    "fulfillment:business:oos")
    assert math.isnan(o["done_s"])


def test_a_hung_link_is_named_as_the_origin_of_the_timeout():
    sc = make({"order": 0.1, "payment": 0.2}, ["order -> payment"], rr(timeout=0.5),
              faults=[{"target": "order -> payment", "kind": "hang", "start": 0, "end": 50}])
    m, rec = run(sc, "rr", [1.0])
    o = order(rec)
    assert o["ack_s"] == pytest.approx(1.6)
    assert o["error_origin"] == "order -> payment:hang"
    assert m.services["payment"].visits == 0  # the request never reached payment


def test_a_fault_behind_an_event_link_is_not_blamed_for_a_call_timeout():
    # hybrid: order calls payment (slow, times out); shipping, reached by an event, is down.
    arch = {"hy": {"style": "event", "links": {"order -> payment": "call"},
                   "call": {"timeout": 0.5, "retries": 0}}}
    sc = make({"order": 0.1, "payment": 1.0, "shipping": 0.1},
              ["order -> payment", "order -> shipping"], arch,
              faults=[{"target": "shipping", "kind": "outage", "start": 0, "end": 50}])
    m, rec = run(sc, "hy", [1.0])
    assert order(rec)["error_origin"] == "payment:timeout"


def test_queue_full_rejections_count_as_errors_of_the_rejecting_service():
    sc = make({"order": {"workers": 1, "queue": 0, "time": constant(0.1)}}, [], rr())
    m, rec = run(sc, "rr", [1.0, 1.05])
    assert m.services["order"].errors == 1


@pytest.mark.parametrize("keyed", [False, True])
def test_a_client_retry_is_charged_twice_without_an_idempotency_key_and_once_with_it(keyed):
    # The first try times out at 1.5 but its work finishes at 2.0; the retry comes at 2.5.
    arch = {"rr": {"style": "call", "idempotency": keyed, "idempotency_check": 0.002}}
    sc = make({"order": 1.0}, [], arch, client={"timeout": 0.5, "retries": 1, "backoff": 1.0})
    m, rec = run(sc, "rr", [1.0])
    o = order(rec)
    if keyed:  # answered from the key after the check
        assert (o["ack_s"], o["ack_status"]) == (pytest.approx(2.502), "ok")
        assert (rec.stats["duplicates"], rec.stats["absorbed"], o["inconsistent"]) == (0, 1, False)
    else:  # done again (to 3.5): the retry times out too, and the step was done twice
        assert (o["ack_s"], o["ack_status"]) == (pytest.approx(3.0), "timeout")
        assert (rec.stats["duplicates"], rec.stats["absorbed"], o["inconsistent"]) == (1, 0, True)
    assert o["attempts"] == 2
