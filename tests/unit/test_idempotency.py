"""Exact cases of idempotency keys (sim.idempotency): stored, held, and released keys."""

import pytest

from tests.helpers import constant, make, order, run


def test_a_repeat_while_the_first_visit_runs_gets_a_conflict_then_the_stored_answer():
    arch = {"rr": {"style": "call", "idempotency": True, "idempotency_check": 0.002}}
    sc = make({"order": {"workers": 2, "time": constant(1.0)}}, [], arch,
              client={"timeout": 0.5, "retries": 2, "backoff": 0.2})
    m, rec = run(sc, "rr", [1.0])
    o = order(rec)
    # Try 1 works 1.0-2.0 but times out at 1.5; try 2 (1.7) finds the key held: conflict at
    # 1.702; try 3 (1.702 + 0.4) finds it stored at 2.0 and is answered at 2.104.
    assert (o["ack_s"], o["ack_status"], o["attempts"]) == (pytest.approx(2.104), "ok", 3)
    assert m.services["order"].visits == 3
    assert (rec.stats["duplicates"], rec.stats["absorbed"]) == (0, 1)
    assert m.services["order"].errors == 1  # the conflict
    assert (o["outcome"], bool(o["inconsistent"])) == ("completed", False)


CHAIN = {"order": 0.1, "payment": 0.1, "fulfillment": 0.1}
LINKS = ["order -> payment", "payment -> fulfillment"]
FULFILLMENT_DOWN = [{"target": "fulfillment", "kind": "outage", "start": 0, "end": 2.5}]


def chain(keyed: bool):
    arch = {"rr": {"style": "call", "idempotency": keyed, "idempotency_check": 0.002,
                   "call": {"timeout": 30, "retries": 1, "backoff": 1.0, "jitter": False}}}
    return make(CHAIN, LINKS, arch, faults=FULFILLMENT_DOWN)


def test_a_retry_after_a_failed_child_skips_the_done_step_and_redoes_the_rest():
    m, rec = run(chain(True), "rr", [1.0])
    o = order(rec)
    # Payment charges (1.1-1.2), fulfillment refuses at 1.2 and 2.2 (down to 2.5), payment
    # fails; order retries at 3.2: payment's charge is known, so only its call to fulfillment
    # runs again (3.202-3.302). The order ships, charged once.
    assert (o["ack_s"], o["done_s"]) == (pytest.approx(3.302), pytest.approx(3.302))
    assert (o["outcome"], bool(o["inconsistent"])) == ("completed", False)
    assert (rec.stats["duplicates"], rec.stats["absorbed"]) == (0, 1)


def test_without_keys_the_same_retry_charges_twice():
    m, rec = run(chain(False), "rr", [1.0])
    o = order(rec)
    assert o["ack_s"] == pytest.approx(3.4)
    assert (o["outcome"], bool(o["inconsistent"])) == ("completed", True)
    assert rec.stats["duplicates"] == 1


def test_a_redelivery_while_the_first_receive_still_works_is_refused_not_done_twice():
    slow = {"order": 0.1, "payment": {"workers": 2, "time": constant(1.5)}}
    arch = {"ed": {"style": "event", "bus": {"latency": 0.05}, "idempotency": True,
                   "idempotency_check": 0.002,
                   "queue": {"visibility_timeout": 1.0, "max_receives": 5}}}
    sc = make(slow, ["order -> payment"], arch)
    m, rec = run(sc, "ed", [1.0])
    # Received at 1.15, it reappears at 2.15 while the first receive works to 2.65: that
    # receive is refused (in progress); the first receive's delete at 2.65 deletes it.
    # (test_event_style: without a key the second receive charges again.)
    assert m.services["payment"].queue.received == 2
    assert m.services["payment"].errors == 1
    assert (rec.stats["duplicates"], rec.stats["absorbed"]) == (0, 0)
    assert order(rec)["done_s"] == pytest.approx(2.65)
    assert m.services["payment"].queue.deleted == 1
    assert not order(rec)["inconsistent"]
