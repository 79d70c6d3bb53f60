"""Invariants of every run, over small generated scenarios (hypothesis).

Each example is a random tree of 2-5 services with 1-4 workers, bounded or unbounded wait
queues, constant or exponential times and a rate that may overload them; two or three
architectures (all ``call``, all ``event``, random per-link mixes) with random call, bus and
queue policies (small visibility timeouts and max_receives, short retention, concurrency,
bus throughput caps, outbox; breakers, bulkheads, retry budgets, per-link overrides, load
shedding, idempotency keys, autoscaling and Lambda-like consumers); faults of every kind
on services, links and the bus, in windows or as MTBF/MTTR processes; a business failure
with compensations; client timeouts and retries. Runs last 20-60 s plus a 20 s drain.

What every run must satisfy:

- every order has exactly one outcome from the closed set, and the counts add up to the
  orders; the outcome agrees with what the client was told (``check_outcomes``);
- timestamps are ordered: arrival <= ack, arrival <= done, arrival <= compensated, all
  within the horizon; where every link is ``call`` a completed order is done before it is
  acknowledged, where every link is ``event`` it is acknowledged (first attempt) before it is
  done;
- ``done_s`` is pinned as the recorder documents it: the moment every step had been done,
  whatever the client heard. So it is set for every completed order, never for a
  compensated or failed_after_ack one, and may be set for a rejected order (the client gave
  up, the work finished anyway: ``test_done_s_is_set_when_the_client_gave_up``);
- ``ack_status`` is '' exactly when there was no answer (NaN ``ack_s``, 0 attempts), and such
  an order is ``in_flight``;
- ``in_flight`` orders exist only when something is still pending when the run ends (a busy
  worker, a waiting request, a message in a queue or held by a link or the outbox, a live
  timer other than a fault switch or the sampler);
- messages are conserved: sent = deleted + dead + dropped + still in a queue;
- busy workers never exceed the configured workers, nor the current ones unless a capacity
  fault took workers from under running jobs; a worker is idle only if nobody waits;
- Little's law (``runner.littles_law``) holds exactly, per service and for the clients,
  wherever nothing was left in the system at the end (a sample-path identity);
- propagation counts agree with the orders (each error answer reached the client) and the
  queues (each dead letter);
- the same seed gives identical frames and stats, another replication other arrivals, and
  two architectures of one replication the same arrivals (common random numbers).

Engine bugs found by these properties keep a deterministic reproduction at the end of the
file, as regression tests.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model import Model
from sim.queues import VISIBLE
from sim.recorder import OUTCOMES
from sim.runner import littles_law
from sim.scenario import load_scenario

NAMES = ("order", "payment", "stock", "shipping", "mail")
EXAMPLES = int(os.environ.get("ARCHSIM_PROPERTY_EXAMPLES", "30"))  # more for a deep search
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
HORIZON_EPS = 1e-9


# --------------------------------------------------------------------------- fixed engine bugs
# Minimal scenarios that reproduced each bug; the regression tests at the end run them.
# A consumer slower than its visibility timeout, behind a backlog, with no drain.
SLOW_CONSUMER = {
    "seed": 1, "duration": 3, "drain": 0, "traffic": {"rate": 4},
    "services": {"order": {"time": 0.001}, "payment": {"time": 1.0}},
    "flow": {"entry": "order", "links": ["order -> payment"]},
    "architectures": {"ev": {"style": "event", "bus": {"latency": 0},
                             "queue": {"visibility_timeout": 0.5, "max_receives": 10}}},
}
# A business failure whose compensation (a 100 s refund) is still running at the end.
COMPENSATING_AT_END = {
    "seed": 1, "duration": 5, "drain": 5, "traffic": {"rate": 1}, "client": {"timeout": 1000},
    "services": {"order": {"workers": 8, "time": 0.01},
                 "payment": {"workers": 8, "time": 0.01, "ops": {"refund": 100}},
                 "stock": {"workers": 8, "time": 0.01}},
    "flow": {"entry": "order", "links": ["order -> payment", "order -> stock"],
             "business_failures": [{"name": "out_of_stock", "at": "stock", "probability": 1.0,
                                    "compensate": ["payment.refund"]}]},
    "architectures": {"rr": {"style": "call", "call": {"timeout": 1000}}},
}
# 0.2 orders/s through a bus limited to 0.5 events/s.
SLOW_BUS = {
    "seed": 1, "duration": 60, "drain": 10, "traffic": {"rate": 0.2},
    "services": {"order": {"workers": 4, "time": 0.01}, "shipping": {"workers": 4, "time": 0.01}},
    "flow": {"entry": "order", "links": ["order -> shipping"]},
    "architectures": {"ev": {"style": "event", "bus": {"throughput": 0.5}}},
}


# --------------------------------------------------------------------------- strategies
def _time(draw, low: float, high: float) -> float:
    return round(draw(st.floats(low, high)), 4)


@st.composite
def service_time(draw):
    dist = draw(st.sampled_from(["constant", "exponential"]))
    return {"dist": dist, "mean": _time(draw, 0.002, 0.3)}


@st.composite
def architecture(draw, style: str | None, keys: list[str]):
    """An architecture: ``style`` for every link, or (None) a random per-link mix."""
    arch: dict = {"style": style or draw(st.sampled_from(["call", "event"]))}
    if style is None:
        chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)))
        arch["links"] = {k: draw(st.sampled_from(["call", "event"])) for k in chosen}
    arch["call"] = {"timeout": _time(draw, 0.05, 5.0), "retries": draw(st.integers(0, 2)),
                    "backoff": _time(draw, 0.0, 0.2), "jitter": draw(st.booleans())}
    latency = _time(draw, 0.0, 0.05)
    exponential = latency > 0 and draw(st.booleans())
    arch["bus"] = {
        "latency": {"dist": "exponential" if exponential else "constant", "mean": latency},
        "publish_retries": draw(st.integers(0, 3)),
        "publish_backoff": _time(draw, 0.0, 0.2),
    }
    if draw(st.integers(0, 3)) == 0:
        arch["bus"]["throughput"] = float(draw(st.integers(2, 50)))
    queue: dict = {"visibility_timeout": _time(draw, 0.05, 30.0),
                   "max_receives": draw(st.integers(1, 5))}
    if draw(st.integers(0, 3)) == 0:
        queue["retention"] = _time(draw, 0.5, 30.0)
    if draw(st.integers(0, 3)) == 0:
        queue["concurrency"] = draw(st.integers(1, 3))
    arch["outbox"] = draw(st.integers(0, 3)) == 0
    # Issue 9's patterns, each in about a quarter of the architectures.
    if draw(st.integers(0, 3)) == 0:
        arch["call"]["circuit_breaker"] = {
            "window": draw(st.integers(2, 10)), "min_calls": draw(st.integers(1, 5)),
            "failure_rate": draw(st.sampled_from([0.2, 0.5, 1.0])),
            "open_for": _time(draw, 0.2, 5.0), "half_open_calls": draw(st.integers(1, 3))}
    if draw(st.integers(0, 3)) == 0:
        arch["call"]["bulkhead"] = draw(st.integers(1, 4))
    if draw(st.integers(0, 3)) == 0:
        arch["call"]["retry_budget"] = draw(st.sampled_from([0.1, 0.5, 1.0]))
    calls = [k for k in keys if arch.get("links", {}).get(k, arch["style"]) == "call"]
    if calls and draw(st.integers(0, 3)) == 0:
        arch["call_overrides"] = {draw(st.sampled_from(calls)): {
            "timeout": _time(draw, 0.05, 5.0), "bulkhead": draw(st.integers(1, 4))}}
    if draw(st.integers(0, 3)) == 0:
        shedding: dict = {"deadlines": draw(st.booleans())}
        if draw(st.booleans()):
            shedding["max_queue_age"] = _time(draw, 0.01, 2.0)
        arch["load_shedding"] = shedding
    arch["idempotency"] = draw(st.integers(0, 3)) == 0
    if draw(st.integers(0, 3)) == 0:
        start = draw(st.integers(1, 3))
        queue["consumer_scaling"] = {"start": start, "max": start + draw(st.integers(0, 5)),
                                     "ramp_per_minute": float(draw(st.integers(30, 600))),
                                     "cold_start": _time(draw, 0.0, 1.0)}
    arch["queue"] = queue
    return arch


@st.composite
def fault(draw, names: list[str], keys: list[str], duration: float):
    target = draw(st.sampled_from(["service", "link", "bus"]))
    if target == "service":
        where = draw(st.sampled_from(names))
        kind = draw(st.sampled_from(["outage", "hang", "slowdown", "errors", "capacity"]))
    elif target == "link":
        where = draw(st.sampled_from(keys))
        kind = draw(st.sampled_from(["outage", "hang", "slowdown", "errors"]))
    else:
        where = "bus"
        kind = draw(st.sampled_from(["outage", "slowdown", "errors"]))
    f: dict = {"target": where, "kind": kind}
    if draw(st.integers(0, 3)) == 0:
        f["mtbf"] = _time(draw, 2.0, 40.0)
        f["mttr"] = _time(draw, 0.2, 10.0)
    else:
        f["start"] = _time(draw, 0.0, duration)
        f["end"] = f["start"] + _time(draw, 0.1, 30.0)
    if kind == "slowdown":
        f["factor"] = _time(draw, 1.0, 6.0)
    if kind in ("errors", "capacity"):
        f["fraction"] = draw(st.sampled_from([0.1, 0.3, 0.5, 0.9, 1.0]))
    return f


@st.composite
def scenarios(draw):
    """A small scenario as a dict, with two or three architectures."""
    n = draw(st.integers(2, 5))
    names = list(NAMES[:n])
    links, keys = [], []
    for i in range(1, n):
        key = f"{names[draw(st.integers(0, i - 1))]} -> {names[i]}"
        keys.append(key)
        links.append({"link": key, "parallel": True} if draw(st.integers(0, 3)) == 0 else key)
    services = {}
    for name in names:
        spec = {"workers": draw(st.integers(1, 4)), "time": draw(service_time())}
        if draw(st.booleans()):
            spec["queue"] = draw(st.integers(0, 5))
        if draw(st.booleans()):
            spec["ops"] = {"undo": draw(service_time())}
        if draw(st.integers(0, 3)) == 0:
            spec["autoscaling"] = {
                "max_workers": spec["workers"] + draw(st.integers(0, 4)),
                "target_utilisation": draw(st.sampled_from([0.3, 0.6, 0.9])),
                "period": _time(draw, 0.5, 10.0), "scale_out_delay": _time(draw, 0.0, 5.0),
                "cooldown": _time(draw, 0.0, 10.0)}
            if draw(st.booleans()):
                spec["autoscaling"]["target_backlog"] = float(draw(st.integers(1, 5)))
        services[name] = spec
    flow: dict = {"entry": names[0], "links": links}
    if draw(st.booleans()):
        at = draw(st.sampled_from(names[1:]))
        others = [s for s in names if s != at]
        undo = draw(st.lists(st.sampled_from(others), unique=True, max_size=len(others)))
        flow["business_failures"] = [{"name": "out_of_stock", "at": at,
                                      "probability": draw(st.sampled_from([0.05, 0.2, 0.5])),
                                      "compensate": [f"{s}.undo" for s in undo]}]
    duration = float(draw(st.integers(2, 6)) * 10)
    styles = draw(st.lists(st.sampled_from(["call", "event", None]), min_size=2, max_size=3))
    return {
        "seed": draw(st.integers(0, 10_000)),
        "duration": duration,
        "drain": 20.0,
        "window": draw(st.sampled_from([1.0, 2.0, 5.0])),
        "traffic": {"rate": _time(draw, 0.5, 40.0)},
        "client": {"timeout": _time(draw, 0.2, 10.0), "retries": draw(st.integers(0, 2)),
                   "backoff": _time(draw, 0.0, 0.5)},
        "services": services,
        "flow": flow,
        "architectures": {f"a{i}": draw(architecture(style, keys))
                          for i, style in enumerate(styles)},
        "faults": draw(st.lists(fault(names, keys, duration), max_size=3)),
    }


# --------------------------------------------------------------------------- helpers
def run(scenario, arch: str, replication: int = 0):
    """(model, record) of one run: the model is kept to inspect what is left at the end."""
    model = Model(scenario, arch, replication)
    return model, model.run()


def live_messages(model) -> int:
    """Messages still visible or in flight in the queues, from their own states."""
    total = 0
    for s in model.services.values():
        if s.queue is not None:
            total += sum(m.state == VISIBLE for m in s.queue.visible) + s.queue.in_flight
    return total


def pending_at_end(model) -> list[str]:
    """What is still going on when the run ends, in words (empty: nothing)."""
    reasons = []
    for s in model.services.values():
        if s.busy or s.waiting or s.hung:
            reasons.append(f"{s.name}: busy {s.busy}, waiting {len(s.waiting)}")
    if live_messages(model):
        reasons.append(f"{live_messages(model)} messages in queues")
    for lf in model.link_faults.values():
        if lf.pending:
            reasons.append(f"{len(lf.pending)} messages held by a link")
    if model.bus is not None and model.bus.outbox:
        reasons.append(f"{len(model.bus.outbox)} events in the outbox")
    for _t, _prio, _eid, event in model.clock.env._queue:
        fn = getattr(event, "fn", None)
        owner = getattr(fn, "__self__", None)
        name = getattr(fn, "__name__", "")
        if fn is None or name == "switch" or owner is model:
            continue  # fault window edges and the sampler keep no order going
        if name == "_fire" and not any(item.live for _, item in owner.due):
            continue  # a deadline list whose calls and receives have all been settled
        reasons.append(f"timer {fn.__qualname__}")
    return reasons


# --------------------------------------------------------------------------- checks
def check_outcomes(scenario, record) -> None:
    """One outcome per order from the closed set, agreeing with what the client heard."""
    o = record.orders
    n = len(o)
    assert record.stats["orders"] == n
    assert (o["order_id"].to_numpy() == np.arange(n)).all()
    assert set(o["outcome"]) <= set(OUTCOMES)
    assert sum(int((o["outcome"] == name).sum()) for name in OUTCOMES) == n
    status, outcome = o["ack_status"], o["outcome"]
    assert set(status) <= {"", "ok", "error", "timeout"}
    no_answer = status == ""
    assert (no_answer == o["ack_s"].isna()).all()
    assert (no_answer == (o["attempts"] == 0)).all()
    assert (o["attempts"] <= scenario.client.retries + 1).all()
    assert (outcome[no_answer] == "in_flight").all()
    done = o["done_s"].notna()
    told_no = status.isin(["error", "timeout"])
    completed = outcome == "completed"
    assert done[completed].all() and (status[completed] == "ok").all()
    assert (status[outcome == "failed_after_ack"] == "ok").all()
    assert not done[outcome.isin(["failed_after_ack", "compensated"])].any()
    assert told_no[outcome == "rejected"].all()
    assert outcome[told_no].isin(["rejected", "compensated"]).all()
    assert (outcome[o["compensated_s"].notna()] == "compensated").all()
    # Only an order that went wrong, or whose step was done twice (a repeat without an
    # idempotency key), can be left inconsistent across services.
    wrong = outcome[o["inconsistent"]].isin(["rejected", "failed_after_ack", "compensated"])
    assert wrong.all() or record.stats["duplicates"] > 0


def check_times(scenario, arch: str, record) -> None:
    """Arrivals in order within the duration; every later time after the arrival, within
    the horizon, and within what the client's policy allows; ack and done in style order."""
    o = record.orders
    arrival = o["arrival_s"].to_numpy()
    assert (np.diff(arrival) >= 0).all()
    assert ((arrival >= 0) & (arrival < scenario.duration)).all()
    horizon = scenario.duration + scenario.drain
    for col in ("ack_s", "done_s", "compensated_s"):
        t = o[col].to_numpy()
        seen = ~np.isnan(t)
        assert (t[seen] >= arrival[seen]).all(), col
        assert (t[seen] <= horizon + HORIZON_EPS).all(), col
    # The client never waits longer than a timeout per attempt plus the backoffs between
    # attempts (the client does not jitter).
    client, answered = scenario.client, o["ack_status"] != ""
    k = o.loc[answered, "attempts"].to_numpy()
    waited = (o.loc[answered, "ack_s"] - o.loc[answered, "arrival_s"]).to_numpy()
    assert (waited <= k * client.timeout + client.backoff * (2.0 ** (k - 1) - 1) + 1e-6).all()
    arch_ = scenario.architectures[arch]
    styles = {arch_.link_style(link.key) for link in scenario.flow.links}
    completed = o[o["outcome"] == "completed"]
    if styles == {"call"}:  # the whole chain answers before the client hears back
        assert (completed["done_s"] <= completed["ack_s"]).all()
    if styles == {"event"}:  # the entry answers, then the events do the rest
        first = completed[completed["attempts"] == 1]
        assert (first["ack_s"] <= first["done_s"]).all()


def check_origins(scenario, record) -> None:
    """Error origins name a place of this scenario and a known kind; a rejected order has
    one, a compensated order has its business failure's."""
    o = record.orders
    places = set(scenario.services) | {link.key for link in scenario.flow.links} | {"bus"}
    business = {f"business:{f.name}" for f in scenario.flow.business_failures}
    kinds = {"outage", "hang", "slowdown", "errors", "capacity", "timeout", "queue_full",
             "throttled", "retention", "circuit_open", "bulkhead", "deadline", "shed",
             "in_progress"} | business
    for label in set(o["error_origin"]) - {""}:
        where, kind = label.split(":", 1)  # names have no colon; "business:<name>" has one
        assert where in places and kind in kinds, label
    assert (o.loc[o["outcome"] == "rejected", "error_origin"] != "").all()
    labels = {f"{f.at}:business:{f.name}" for f in scenario.flow.business_failures}
    assert o.loc[o["outcome"] == "compensated", "error_origin"].isin(labels).all()


def check_in_flight_pending(model, record) -> None:
    in_flight = int((record.orders["outcome"] == "in_flight").sum())
    if in_flight:
        assert pending_at_end(model), f"{in_flight} orders in flight, nothing pending"


def check_messages(model, record) -> None:
    s = record.stats
    live = live_messages(model)
    assert s["messages_sent"] == s["messages_deleted"] + s["dead_letters"] + s["dropped"] + live
    assert s["messages_in_queue"] == live
    assert s["messages_deleted"] <= s["messages_received"]
    assert s["dead_letters"] == sum(v["dead_letters"] for v in s["services"].values())
    for svc in model.services.values():
        if svc.queue is not None:
            assert svc.queue.in_flight >= 0 and svc.queue.processing >= 0, svc.name
    if model.bus is None:
        assert s["messages_sent"] == s["published"] == 0


def check_workers(scenario, model, record) -> None:
    lost = {f.target for f in scenario.faults if f.kind == "capacity"}
    for name, g in record.services.groupby("service"):
        spec = scenario.services[name]
        # With autoscaling the pool moves within its history; a worker removed by a scale-in
        # finishes its job first, so busy may exceed the current workers for a while.
        scaler = model.scalers.get(name)
        cap = spec.workers if scaler is None else max(w for _, w in scaler.history)
        assert (g["busy"] >= 0).all() and (g["waiting"] >= 0).all(), name
        assert (g["busy"] <= cap).all(), name
        assert (g["workers"] <= cap).all(), name
        if name not in lost and scaler is None:
            assert (g["busy"] <= g["workers"]).all(), name
        if spec.queue is not None:
            assert (g["waiting"] <= spec.queue).all(), name
        assert (g.loc[g["busy"] < g["workers"], "waiting"] == 0).all(), name
        # The busy-worker integral grows by at most workers x elapsed time.
        t, area = g["time_s"].to_numpy(), g["area_busy"].to_numpy()
        assert (np.diff(area) <= cap * np.diff(t) + 1e-9).all(), name


def check_little(model, record) -> None:
    quiet = {s.name for s in model.services.values() if not (s.busy or s.waiting or s.hung)}
    answered_all = bool(record.orders["ack_s"].notna().all())
    rows = littles_law(record)
    assert [r["where"] for r in rows][-1] == "clients"
    for row in rows:
        if (row["where"] == "clients" and not answered_all) or \
                (row["where"] != "clients" and row["where"] not in quiet):
            continue
        assert row["ok"], row
        assert math.isclose(row["L"], row["lambda_W"], rel_tol=1e-6, abs_tol=1e-9), row


def check_propagation(record) -> None:
    p, o, stats = record.propagation, record.orders, record.stats
    assert (p["count"] > 0).all()
    assert set(p["reached"]) <= set(record.stats["services"]) | {"client", "dead-letter"}
    told_no = int(o["ack_status"].isin(["error", "timeout"]).sum())
    assert int(p.loc[p["reached"] == "client", "count"].sum()) == told_no
    assert int(p.loc[p["reached"] == "dead-letter", "count"].sum()) == stats["dead_letters"]
    lost = int((o["outcome"] == "failed_after_ack").sum())
    assert lost <= stats["dead_letters"] + stats["dropped"]


def check_service_stats(record) -> None:
    for name, s in record.stats["services"].items():
        # A request dropped by load shedding held a worker for no time and did no work.
        assert 0 <= s["jobs"] <= s["visits"] + s["shed"], name
        assert min(s["sojourn_s"], s["area_busy"], s["area_waiting"]) >= 0, name


def check_run(scenario, arch, model, record) -> None:
    check_outcomes(scenario, record)
    check_times(scenario, arch, record)
    check_origins(scenario, record)
    check_in_flight_pending(model, record)
    check_messages(model, record)
    check_workers(scenario, model, record)
    check_little(model, record)
    check_propagation(record)
    check_service_stats(record)


def assert_same_run(a, b) -> None:
    pd.testing.assert_frame_equal(a.orders, b.orders)
    pd.testing.assert_frame_equal(a.services, b.services)
    pd.testing.assert_frame_equal(a.propagation, b.propagation)
    cost = ("wall_s", "cpu_s")
    assert {k: v for k, v in a.stats.items() if k not in cost} == \
        {k: v for k, v in b.stats.items() if k not in cost}


# --------------------------------------------------------------------------- properties
@SETTINGS
@given(scenarios())
def test_every_run_keeps_the_invariants(data):
    scenario = load_scenario(data)
    first = None
    for arch in scenario.architectures:
        model, record = run(scenario, arch)
        check_run(scenario, arch, model, record)
        # Common random numbers: every architecture of a replication sees the same orders,
        # with the same first-visit service times and the same business failures.
        if first is None:
            first = model, record
            continue
        pd.testing.assert_series_equal(record.orders["arrival_s"], first[1].orders["arrival_s"])
        assert [list(w) for w in model.work] == [list(w) for w in first[0].work]
        assert model.failure_at == first[0].failure_at


@settings(max_examples=max(1, EXAMPLES // 2), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_same_seed_same_frames_other_replication_other_arrivals(data):
    scenario = load_scenario(data)
    arch = list(scenario.architectures)[-1]
    first = run(scenario, arch, 0)[1]
    assert_same_run(first, run(scenario, arch, 0)[1])
    model, other = run(scenario, arch, 1)
    check_run(scenario, arch, model, other)
    a, b = first.orders["arrival_s"].to_numpy(), other.orders["arrival_s"].to_numpy()
    assert len(a) != len(b) or not np.array_equal(a, b)


# --------------------------------------------------------------------------- pinned behaviour
def test_done_s_is_set_when_the_client_gave_up():
    """``done_s`` records when every step was done, even for an order the client gave up on:
    its outcome is ``rejected`` (the client heard a timeout) and it has a ``done_s``."""
    scenario = load_scenario({
        "duration": 3, "drain": 5, "traffic": {"rate": 1}, "client": {"timeout": 0.5},
        "services": {"order": {"workers": 8, "time": 1.0}},
        "flow": {"entry": "order"}, "architectures": {"rr": {"style": "call"}},
    })
    o = run(scenario, "rr")[1].orders
    assert len(o) > 0
    assert (o["outcome"] == "rejected").all() and (o["ack_status"] == "timeout").all()
    np.testing.assert_allclose(o["ack_s"] - o["arrival_s"], 0.5)
    np.testing.assert_allclose(o["done_s"] - o["arrival_s"], 1.0)


# --------------------------------------------------------------------------- regressions
def test_queue_backlog_counts_only_live_messages():
    record = run(load_scenario(SLOW_CONSUMER), "ev")[1]
    s = record.stats
    assert s["messages_sent"] == (s["messages_deleted"] + s["dead_letters"] + s["dropped"]
                                  + s["messages_in_queue"])


def test_an_order_still_compensating_at_the_end_is_in_flight():
    o = run(load_scenario(COMPENSATING_AT_END), "rr")[1].orders
    assert len(o) > 0 and (o["ack_status"] == "").all()
    assert (o["outcome"] == "in_flight").all()


def test_a_bus_slower_than_one_event_per_second_still_accepts_events():
    record = run(load_scenario(SLOW_BUS), "ev")[1]
    o = record.orders
    assert record.stats["published"] == (o["outcome"] == "completed").sum() > 0
    # Orders closer than 2 s to the previous publish find the bucket empty: throttled, and
    # rejected once the publisher's retries (0.7 s in all) run out.
    assert set(o.loc[o["outcome"] != "completed", "error_origin"]) <= {"bus:throttled"}
