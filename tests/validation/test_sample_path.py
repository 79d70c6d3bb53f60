"""Exact sample-path checks: the engine's queues are the textbook FCFS queues.

Each validation case is run for a few minutes of simulated time; then the orders' own
arrival times and service times (drawn at arrival, ``Model.work``) are replayed through a
reference FCFS recursion written here, independently of the engine: c servers taken in
arrival order, an arrival turned away when K are present, stations in series fed by the
departures of the one before. Every order must get the same fate and the same times, to
rounding. This separates the queueing logic (exact, here) from the random inputs (checked
statistically by ``test_validate.py``), so a logic error of any size shows at once, without
noise. It is also why the statistical tolerances need not be tight.
"""

from __future__ import annotations

import heapq

import numpy as np
import pytest

from sim import validate as v
from sim.model import Model
from sim.scenario import load_scenario

EXACT_S = 1e-9


def fcfs(arrivals: np.ndarray, services: np.ndarray, c: int,
         capacity: int | None = None) -> np.ndarray:
    """Departure times of a FCFS c-server station (NaN for an arrival turned away because
    ``capacity`` customers were present). Customers are served in order of arrival."""
    departures = np.full(len(arrivals), np.nan)
    free = [0.0] * c  # when each server is next free
    present: list[float] = []  # departure times of the customers in the station
    for i in np.argsort(arrivals, kind="stable").tolist():
        t, s = float(arrivals[i]), float(services[i])
        while present and present[0] <= t:
            heapq.heappop(present)
        if capacity is not None and len(present) >= capacity:
            continue
        start = max(heapq.heappop(free), t)
        heapq.heappush(free, start + s)
        heapq.heappush(present, start + s)
        departures[i] = start + s
    return departures


def run_case(name: str, duration: float = 300.0, replication: int = 0):
    case = next(c for c in v.CASES if c.name == name)
    data = {**case.scenario, "duration": duration, "warmup": 0.0, "drain": 100.0}
    scenario = load_scenario(data)
    model = Model(scenario, case.architecture, replication)
    record = model.run()
    orders = record.orders
    work = {name: np.asarray(model.work[s.index], dtype=np.float64)[: len(orders)]
            for name, s in model.services.items()}
    return scenario, orders, work


def servers(scenario, name: str) -> int:
    return scenario.services[name].workers


@pytest.mark.parametrize("replication", [0, 1])
@pytest.mark.parametrize("name", ["M/M/1 rho=0.7", "M/M/4 rho=0.8",
                                  "M/G/1 lognormal cv=2 rho=0.5", "event ack = entry M/M/3"])
def test_the_entry_is_a_fcfs_multi_server_queue(name, replication):
    scenario, o, work = run_case(name, replication=replication)
    a = o["arrival_s"].to_numpy()
    expected = fcfs(a, work["order"], servers(scenario, "order"))
    assert (o["ack_status"] == "ok").all()
    np.testing.assert_allclose(o["ack_s"].to_numpy(), expected, rtol=0, atol=EXACT_S)


@pytest.mark.parametrize("replication", [0, 1])
def test_a_full_queue_turns_exactly_the_right_orders_away(replication):
    scenario, o, work = run_case("M/M/2/5 offered rho=0.9", replication=replication)
    spec = scenario.services["order"]
    expected = fcfs(o["arrival_s"].to_numpy(), work["order"], spec.workers,
                    capacity=spec.workers + spec.queue)
    blocked = np.isnan(expected)
    assert blocked.any()
    np.testing.assert_array_equal(o["error_origin"].to_numpy() == "order:queue_full", blocked)
    np.testing.assert_array_equal(o["ack_status"].to_numpy() == "error", blocked)
    np.testing.assert_allclose(o["ack_s"].to_numpy()[~blocked], expected[~blocked],
                               rtol=0, atol=EXACT_S)
    # A refusal answers at once.
    np.testing.assert_allclose(o["ack_s"].to_numpy()[blocked], o["arrival_s"].to_numpy()[blocked],
                               rtol=0, atol=EXACT_S)


def test_an_event_tandem_is_stations_in_series():
    scenario, o, work = run_case("event tandem M/M/2 -> M/M/1 -> M/M/3")
    a = o["arrival_s"].to_numpy()
    order = fcfs(a, work["order"], servers(scenario, "order"))
    payment = fcfs(order, work["payment"], servers(scenario, "payment"))
    shipping = fcfs(payment, work["shipping"], servers(scenario, "shipping"))
    # The client hears back when the entry's work is done (bus latency 0); the order is
    # done when the last station finishes.
    np.testing.assert_allclose(o["ack_s"].to_numpy(), order, rtol=0, atol=EXACT_S)
    np.testing.assert_allclose(o["done_s"].to_numpy(), shipping, rtol=0, atol=EXACT_S)


def test_a_call_chain_answers_when_the_last_station_does():
    scenario, o, work = run_case("call chain (callers never wait) -> M/M/2")
    a = o["arrival_s"].to_numpy()
    # The callers have more workers than orders in the system: they never wait.
    reaches_last = a + work["order"] + work["payment"]
    last = fcfs(reaches_last, work["shipping"], servers(scenario, "shipping"))
    np.testing.assert_allclose(o["ack_s"].to_numpy(), last, rtol=0, atol=EXACT_S)
    np.testing.assert_allclose(o["done_s"].to_numpy(), last, rtol=0, atol=EXACT_S)
