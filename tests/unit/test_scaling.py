"""Exact cases of elastic capacity: target-tracking autoscaling and Lambda-like consumers."""

import numpy as np
import pytest

from tests.helpers import constant, make, run

RR = {"rr": {"style": "call", "call": {"timeout": 30, "retries": 0, "jitter": False}}}
SCALING = {"max_workers": 3, "target_utilisation": 0.5, "period": 10, "scale_out_delay": 30,
           "cooldown": 100}


def overloaded(scaling=SCALING):
    return make({"order": {"workers": 1, "time": constant(1.0), "autoscaling": scaling}}, [], RR,
                client={"timeout": 1000}, duration=300, drain=300)


EVERY_HALF_SECOND_TO_60 = np.arange(0, 60, 0.5).tolist()


def test_autoscaler_adds_a_worker_exactly_after_the_scale_out_delay():
    m, rec = run(overloaded(), "rr", EVERY_HALF_SECOND_TO_60)
    history = m.scalers["order"].history
    # t=10: mean busy 1 over the period, 1 / 0.5 -> 2 workers wanted, one starts, serving
    # from 10 + 30 = 40. t=20, 30: one is already starting, nothing more. t=50: mean busy 2
    # -> 4 wanted, capped at 3: one more from 80.
    assert history[:3] == [(0.0, 1), (40.0, 2), (80.0, 3)]


def test_autoscaler_scales_in_only_after_the_cooldown_and_not_below_min():
    m, rec = run(overloaded(), "rr", EVERY_HALF_SECOND_TO_60)
    history = m.scalers["order"].history
    # 120 requests of 1 s: one worker serves 40 by t=40, two the other 80 by t=80 (the
    # third, from 80, finds no backlog). The last scaling activity was the decision at t=50:
    # the first evaluation of an idle period at or after 50 + 100 scales in to min, 1.
    assert history[3:] == [(150.0, 1)]
    assert rec.orders["ack_s"].max() == pytest.approx(80.0)
    assert rec.orders["outcome"].eq("completed").all()
    # The workers column of the time series follows the scaler.
    svc = rec.services
    assert svc.loc[svc["time_s"] == 70, "workers"].item() == 2
    assert svc.loc[svc["time_s"] == 90, "workers"].item() == 3


def test_worker_seconds_integrate_the_workers_over_the_run():
    m, rec = run(overloaded(), "rr", EVERY_HALF_SECOND_TO_60)
    history = m.scalers["order"].history + [(m.horizon_s, None)]
    expected = sum((b[0] - a[0]) * a[1] for a, b in zip(history, history[1:]))
    assert rec.stats["services"]["order"]["worker_s"] == pytest.approx(expected)
    assert rec.stats["services"]["order"]["peak_workers"] == 3


def test_an_idle_service_keeps_its_workers():
    m, rec = run(overloaded(), "rr", [1.0, 50.0])
    assert m.scalers["order"].history == [(0.0, 1)]


def test_the_backlog_target_scales_out_on_waiting_requests():
    scaling = {**SCALING, "target_utilisation": 1.0, "target_backlog": 5, "max_workers": 10}
    m, rec = run(overloaded(scaling), "rr", EVERY_HALF_SECOND_TO_60)
    # At t=10, 20 requests arrived, 10 served, one in service: 9 waiting -> ceil(9/5) = 2.
    assert m.scalers["order"].history[1] == (40.0, 2)


def event_flow(start=2, ramp=60, maximum=4):
    return make({"order": 0.1, "payment": 10.0}, ["order -> payment"],
                {"ed": {"style": "event", "bus": {"latency": 0.05},
                        "queue": {"consumer_scaling": {"start": start, "ramp_per_minute": ramp,
                                                       "max": maximum}}}})


def test_lambda_like_consumers_start_small_and_ramp_by_the_minute_rate():
    m, rec = run(event_flow(), "ed", [i / 10 for i in range(10)])
    history = m.scalers["payment"].history
    # Starts at 2; at t=1 and t=2 messages wait with every worker busy: one more each second
    # (60 a minute), up to the cap of 4.
    assert history[:3] == [(0.0, 2), (1.0, 3), (2.0, 4)]
    assert max(w for _, w in history) == 4
    # Idle again, it falls back to its starting concurrency.
    assert history[-1][1] == 2
    assert rec.orders["outcome"].eq("completed").all()


def test_consumer_scaling_replaces_the_services_workers_only_for_consumers():
    m, rec = run(event_flow(start=3), "ed", [0.0])
    assert m.services["payment"].base_workers == 3  # the service's own `workers` is 1
    assert rec.stats["services"]["payment"]["peak_workers"] == 3
    assert "order" not in m.scalers


def test_autoscaling_bounds_are_checked():
    from sim.errors import ScenarioError
    with pytest.raises(ScenarioError) as info:
        make({"order": {"workers": 5, "autoscaling": {"max_workers": 3}}}, [], RR)
    assert info.value.path == "services.order.autoscaling.max_workers"
    with pytest.raises(ScenarioError) as info:
        make({"order": {"workers": 5}}, [], {"rr": {"autoscaling": {"ordr": {"max_workers": 9}}}})
    assert "did you mean 'order'" in info.value.problem
