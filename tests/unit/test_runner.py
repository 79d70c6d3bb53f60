"""Replications: precision stopping, process pools, warm-up and Little's law."""

import pandas as pd

import sim.api as api
from sim.runner import littles_law, run_one

SMALL = ["duration=120", "drain=30", "warmup=0", "faults=[]"]


def test_precision_adds_replications_until_met_or_capped():
    sc = api.load_scenario("baseline", SMALL, replications=2)
    loose = api.run(sc, jobs=1, precision=10.0, max_replications=8)
    assert loose.replications == 2  # 2 replications already give a half-width under 10x the mean
    tight = api.run(sc, jobs=1, precision=1e-9, max_replications=5)
    assert tight.replications == 5  # doubled to 4, then capped at 5
    assert tight.scenario.replications == 5
    assert sorted(tight.runs["replication"].unique()) == [0, 1, 2, 3, 4]


def test_results_do_not_depend_on_the_number_of_processes():
    sc = api.load_scenario("prime_day", ["duration=300", "drain=60", "warmup=0"], replications=2)
    one, two = api.run(sc, jobs=1), api.run(sc, jobs=2)
    pd.testing.assert_frame_equal(one.orders, two.orders)
    cols = [c for c in one.summary.columns if c not in ("wall_s", "cpu_s")]
    pd.testing.assert_frame_equal(one.summary[cols], two.summary[cols])


def test_auto_warmup_is_chosen_per_run_and_reported():
    sc = api.load_scenario("prime_day", ["duration=600", "drain=60", "warmup=auto"], replications=1)
    out = run_one(sc, "request-response", 0)
    assert 0 <= out["row"]["warmup_s"] < 300


def test_littles_law_holds_for_every_service_of_a_drained_run():
    sc = api.load_scenario("prime_day", ["duration=300", "drain=120", "warmup=0"])
    from sim.model import simulate
    for arch in ("request-response", "event-driven"):
        rows = littles_law(simulate(sc, arch, 0))
        assert {r["where"] for r in rows} >= {"order", "payment", "clients"}
        assert all(r["ok"] for r in rows), rows
