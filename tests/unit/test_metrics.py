"""Metrics computed by hand on small made-up records."""

import math
from types import SimpleNamespace

import pandas as pd
import pytest

from sim import metrics
from sim.scenario import load_scenario


def scenario(faults):
    return load_scenario({
        "duration": 1000, "drain": 200, "window": 10,
        "services": {"order": {}, "payment": {}},
        "flow": {"entry": "order", "links": ["order -> payment"]},
        "faults": faults,
    })


def record(backlog):
    """Service samples every 10 s with the given total backlog (all in payment's queue)."""
    rows = []
    for i, level in enumerate(backlog):
        rows.append({"time_s": 10.0 * i, "service": "payment", "waiting": 0, "backlog": level})
        rows.append({"time_s": 10.0 * i, "service": "order", "waiting": 0, "backlog": 0})
    return SimpleNamespace(services=pd.DataFrame(rows))


def test_drain_time_is_measured_from_each_disturbance_to_its_own_pre_level():
    sc = scenario([{"target": "payment", "kind": "outage", "start": 100, "end": 200},
                   {"target": "payment", "kind": "slowdown", "factor": 2, "start": 400, "end": 450}])
    # 2 before the outage, grows during it, back to 2 at t=260; 0 again by 450.
    levels = [2] * 10 + [50] * 10 + [40, 30, 20, 10, 5, 3, 2] + [0] * 20
    assert metrics.drain_time(record(levels), sc) == pytest.approx(60.0)


def test_drain_time_is_nan_when_the_backlog_never_returns():
    sc = scenario([{"target": "payment", "kind": "outage", "start": 100, "end": 200}])
    assert math.isnan(metrics.drain_time(record([0] * 10 + [50] * 30), sc))


def test_half_width_column_names_follow_one_rule():
    assert metrics.ci_column("ack_mean_s") == "ack_mean_ci_s"
    assert metrics.ci_column("throughput_per_s") == "throughput_per_s_ci"
    assert metrics.ci_column("client_error_rate") == "client_error_rate_ci"
