"""Exact cases of the event style: bus, queues, visibility timeouts, dead letters, outbox."""


import pytest

from tests.helpers import constant, make, order, run


def ed(latency=0.05, vt=5, max_receives=3, **extra):
    return {"ed": {"style": "event", "bus": {"latency": latency},
                   "queue": {"visibility_timeout": vt, "max_receives": max_receives}, **extra}}


CHAIN = ["order -> payment", "payment -> fulfillment"]


def test_one_order_is_acked_after_the_entry_and_done_after_the_last_consumer():
    sc = make({"order": 0.1, "payment": 0.2, "fulfillment": 0.3}, CHAIN, ed())
    m, rec = run(sc, "ed", [1.0])
    o = order(rec)
    assert o["ack_s"] == pytest.approx(1.1)
    # payment receives at 1.15, done 1.35; fulfillment receives 1.40, done 1.70
    assert o["done_s"] == pytest.approx(1.7)
    assert o["outcome"] == "completed"
    assert rec.stats["published"] == 2 and rec.stats["messages_deleted"] == 2


def test_fan_out_delivers_one_copy_to_each_subscriber():
    sc = make({"order": 0.1, "a": 0.1, "b": 0.2, "c": 0.3},
              ["order -> a", "order -> b", "order -> c"], ed())
    m, rec = run(sc, "ed", [1.0])
    assert rec.stats["published"] == 1
    assert rec.stats["messages_sent"] == 3
    assert order(rec)["done_s"] == pytest.approx(1.45)  # c: 1.15 + 0.3


def test_failed_message_reappears_exactly_one_visibility_timeout_after_its_receive():
    sc = make({"order": 0.1, "payment": 0.2}, ["order -> payment"], ed(vt=5),
              faults=[{"target": "payment", "kind": "errors", "fraction": 1.0, "start": 0, "end": 2}])
    m, rec = run(sc, "ed", [1.0])
    # received 1.15, fails 1.35, visible again at 6.15, done 6.35
    assert order(rec)["done_s"] == pytest.approx(6.35)
    assert rec.stats["messages_received"] == 2


def test_message_is_dead_lettered_after_exactly_max_receives_receives():
    sc = make({"order": 0.1, "payment": 0.2}, ["order -> payment"], ed(vt=5, max_receives=3),
              faults=[{"target": "payment", "kind": "errors", "fraction": 1.0, "start": 0, "end": 90}])
    m, rec = run(sc, "ed", [1.0], until=16.14)
    queue = m.services["payment"].queue
    assert (queue.received, queue.dead) == (3, 0)  # receives at 1.15, 6.15, 11.15
    m.clock.run(until=16.16)
    assert queue.dead == 1  # the third visibility timeout ends at 16.15
    rec = m.finish()
    o = order(rec)
    assert (o["ack_status"], o["outcome"], o["error_origin"]) == ("ok", "failed_after_ack",
                                                                  "payment:errors")
    prop = rec.propagation.set_index("reached")["count"].to_dict()
    assert prop == {"dead-letter": 1}


def test_consumer_slower_than_the_visibility_timeout_causes_a_duplicate():
    sc = make({"order": 0.1, "payment": {"workers": 2, "time": constant(1.5)}},
              ["order -> payment"], ed(vt=1.0))
    m, rec = run(sc, "ed", [1.0])
    # received 1.15 and again at 2.15; done at 2.65 and again at 3.65
    assert rec.stats["messages_received"] == 2
    assert rec.stats["duplicates"] == 1
    assert order(rec)["done_s"] == pytest.approx(2.65)


def test_business_failure_publishes_compensations_to_the_listed_queues():
    flow = {"entry": "order",
            "links": ["order -> invoice", "order -> payment", "payment -> fulfillment"],
            "business_failures": [{"name": "oos", "at": "fulfillment", "probability": 1.0,
                                   "compensate": ["payment.refund", "invoice.void"]}]}
    sc = make({"order": 0.1, "invoice": {"time": constant(0.1), "ops": {"void": constant(0.05)}},
               "payment": {"time": constant(0.1), "ops": {"refund": constant(0.05)}},
               "fulfillment": 0.1}, flow["links"], ed(), flow=flow)
    m, rec = run(sc, "ed", [1.0])
    o = order(rec)
    # ack 1.1; payment 1.15-1.25; fulfillment 1.30-1.40 fails; refund and void 1.45-1.50
    assert o["ack_s"] == pytest.approx(1.1)
    assert o["compensated_s"] == pytest.approx(1.5)
    assert (o["outcome"], o["inconsistent"]) == ("compensated", False)


def test_outbox_holds_events_through_a_bus_outage():
    fault = [{"target": "bus", "kind": "outage", "start": 0, "end": 5}]
    sc = make({"order": 0.1, "payment": 0.2}, ["order -> payment"],
              {**ed(outbox=True), "plain": ed()["ed"]}, faults=fault)
    m, rec = run(sc, "ed", [1.0])
    o = order(rec)
    assert (o["ack_s"], o["ack_status"]) == (pytest.approx(1.1), "ok")
    assert o["done_s"] == pytest.approx(5.25)  # relayed at 5.0, received 5.05, done 5.25
    # Without the outbox the publisher retries 3 times (0.1, 0.2, 0.4 s) and then fails.
    m, rec = run(sc, "plain", [1.0])
    o = order(rec)
    assert o["ack_s"] == pytest.approx(1.8)
    assert (o["ack_status"], o["error_origin"], o["outcome"]) == ("error", "bus:outage", "rejected")


def test_hybrid_calls_payment_synchronously_and_publishes_the_rest():
    arch = {"hy": {"style": "event", "bus": {"latency": 0.05},
                   "links": {"order -> payment": "call"},
                   "call": {"timeout": 30, "retries": 0}}}
    sc = make({"order": 0.1, "payment": 0.2, "invoice": 0.1},
              ["order -> payment", "order -> invoice"], arch)
    m, rec = run(sc, "hy", [1.0])
    o = order(rec)
    assert o["ack_s"] == pytest.approx(1.3)  # order 0.1 + payment call 0.2
    assert o["done_s"] == pytest.approx(1.45)  # invoice: 1.35 + 0.1
    assert m.services["payment"].queue is None  # reached by a call: no queue
    assert m.services["invoice"].queue.sent == 1


def test_link_errors_delay_delivery_by_one_bus_retry():
    sc = make({"order": 0.1, "payment": 0.2}, ["order -> payment"], ed(),
              faults=[{"target": "order -> payment", "kind": "errors", "fraction": 1.0,
                       "start": 0, "end": 50}])
    m, rec = run(sc, "ed", [1.0])
    assert order(rec)["done_s"] == pytest.approx(2.35)  # 1.1 + 0.05 + 1.0 retry + 0.2


def test_a_message_dead_lettered_while_its_consumer_hangs_names_the_hang():
    sc = make({"order": 0.1, "payment": 0.2}, ["order -> payment"], ed(vt=5, max_receives=1),
              faults=[{"target": "payment", "kind": "hang", "start": 0, "end": 50}])
    m, rec = run(sc, "ed", [1.0])
    o = order(rec)
    assert (o["outcome"], o["error_origin"]) == ("failed_after_ack", "payment:hang")


def test_a_redelivered_message_is_done_twice_without_an_idempotency_key():
    slow = {"order": 0.1, "payment": {"workers": 2, "time": constant(1.5)}}
    sc = make(slow, ["order -> payment"], {"plain": ed(vt=1.0)["ed"]})
    m, rec = run(sc, "plain", [1.0])
    assert (rec.stats["duplicates"], rec.stats["absorbed"]) == (1, 0)
    assert bool(order(rec)["inconsistent"])  # charged twice
