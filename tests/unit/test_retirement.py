"""Bounded memory (issue 5): orders retire from the engine as soon as nothing can change them,
and stream to a Parquet spool; none of this may change a result.

- Retiring (in blocks of 1024 orders) and not retiring at all give identical orders frames,
  service samples, propagation and stats, for every built-in scenario (shortened) and every
  architecture: faults, timeouts, retries, redeliveries, dead letters, outboxes,
  compensations and orders still in flight at the end.
- Every activity that holds an order (client call, job, message, outbox entry) gives it back:
  in a drained run no block is still counted live at the end.
- A long steady run keeps a few blocks of orders, not all of them.
- The spool holds each order once, in order; metrics from the tally equal the metrics the
  orders frame gives (the pre-issue-5 formulas, kept here as the reference).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import sim.api as api
from benchmarks.bench import chain_scenario
from sim import metrics
from sim.loading import builtin_scenarios
from sim.model import Model, simulate
from sim.recorder import OUTCOMES
from sim.runner import auto_warmup, littles_law, run_one
from sim.scenario import load_scenario
from sim.stats import mser5

# Each built-in scenario cut down to a few thousand orders per run, keeping its faults.
SHORT = {
    "add_rewards": ["traffic.rate=2", "duration=35m", "drain=5m"],
    "baseline": ["duration=20m", "drain=2m"],
    "bus_outage": ["traffic.rate=5", "duration=17m", "drain=5m"],
    "hybrid_checkout": ["traffic.rate=5", "duration=10m", "drain=2m"],
    "out_of_stock": ["traffic.rate=5", "duration=10m", "drain=2m"],
    "payment_outage": ["traffic.rate=5", "duration=17m", "drain=5m"],
    "prime_day": ["traffic.rate=1", "duration=35m", "drain=5m"],
    "resilient_rr_vs_ed": ["traffic.rate=1", "duration=35m", "drain=5m"],
    "retry_storm": ["duration=6m", "drain=3m"],
    "slow_dependency": ["traffic.rate=5", "duration=17m", "drain=3m"],
}
# Cut short in the middle of an outage and of a storm: orders still in flight at the end.
CUT = {"payment_outage:cut": ["traffic.rate=5", "duration=14m", "drain=0"],
       "retry_storm:cut": ["duration=5m", "drain=0"],
       "bus_outage:cut": ["traffic.rate=5", "duration=12m", "drain=0"]}


def scenario_of(key):
    return api.load_scenario(key.split(":")[0], {**SHORT, **CUT}[key])


def record_of(scenario, arch, **model):
    return Model(scenario, arch, 0, **model).run()


def assert_same_run(a, b):
    pd.testing.assert_frame_equal(a.orders, b.orders, check_exact=True)
    pd.testing.assert_frame_equal(a.services, b.services, check_exact=True)
    pd.testing.assert_frame_equal(a.propagation, b.propagation, check_exact=True)
    skip = {"wall_s", "cpu_s"}
    assert {k: v for k, v in a.stats.items() if k not in skip} == \
        {k: v for k, v in b.stats.items() if k not in skip}


def test_every_builtin_scenario_is_listed():
    assert set(SHORT) == set(builtin_scenarios())


@pytest.mark.parametrize("name", sorted(SHORT) + sorted(CUT))
def test_retiring_orders_changes_no_result(name):
    sc = scenario_of(name)
    for arch in sc.architectures:
        kept = record_of(sc, arch, retire=False)
        retired = record_of(sc, arch, block=1024, retire=True)
        assert kept.stats["orders"] > 2 * 1024, (name, arch)  # several blocks retired
        assert_same_run(kept, retired)
        assert (kept.orders["order_id"].to_numpy() == np.arange(len(kept.orders))).all()


def test_the_stories_exercise_what_retirement_must_survive():
    """The shortened scenarios above do reach the hard cases (so the test above means it)."""
    seen = {"dead_letters": 0, "retries": 0, "duplicates": 0, "wasted": 0, "compensated": 0,
            "in_flight": 0, "rejected": 0, "failed_after_ack": 0}
    for name in ("payment_outage", "out_of_stock", "retry_storm", "payment_outage:cut"):
        sc = scenario_of(name)
        for arch in sc.architectures:
            r = record_of(sc, arch, block=1024, retire=True)
            for key in ("dead_letters", "retries", "duplicates", "wasted"):
                seen[key] += r.stats[key]
            counts = r.orders["outcome"].value_counts()
            for key in ("compensated", "in_flight", "rejected", "failed_after_ack"):
                seen[key] += int(counts.get(key, 0))
    assert all(v > 0 for v in seen.values()), seen


@pytest.mark.parametrize("style", ["call", "event"])
def test_a_long_steady_run_keeps_a_few_blocks_of_orders(style):
    sc = load_scenario(chain_scenario(60_000, style))
    m = Model(sc, style, 0, retire=True)
    peak = []
    m.start()
    horizon = m.horizon_s
    t = 0.0
    while t < horizon:  # look at the recorder now and then
        t = min(t + 100.0, horizon)
        m.clock.run(until=t)
        peak.append(m.rec.rows_in_use())
    record = m.finish()
    n = record.stats["orders"]
    assert n > 50_000
    assert m.rec.capacity <= 4 * m.rec.block  # rows ever allocated
    assert max(peak) <= 4 * m.rec.block < n / 3
    assert m.rec.retired == n
    assert m.rec.rows_in_use() == 0


@pytest.mark.parametrize("name", ["payment_outage", "bus_outage", "retry_storm",
                                  "out_of_stock"])
def test_every_activity_gives_its_order_back(name):
    """In a run drained to the end, no block is still counted live: no hook leaks."""
    sc = api.load_scenario(name, SHORT[name] + ["drain=30m"])
    for arch in sc.architectures:
        m = Model(sc, arch, 0, block=1024, retire=True)
        m.start()
        m.clock.run(until=m.horizon_s)
        rec = m.rec
        if rec.in_system == 0 and not any(s.hung for s in m.services.values()) and not any(
                s.queue is not None and s.queue.backlog for s in m.services.values()):
            assert [rec.live[b] for b in rec.blocks] == [0] * len(rec.blocks), (name, arch)
        assert all(rec.live[b] >= 0 for b in range(len(rec.live)))


def test_bus_outbox_holds_orders_in_play():
    sc = api.load_scenario("bus_outage", SHORT["bus_outage"] + [
        "architectures.event-driven.outbox=true"])
    kept = record_of(sc, "event-driven", retire=False)
    retired = record_of(sc, "event-driven", block=1024, retire=True)
    assert_same_run(kept, retired)


def test_the_spool_holds_every_order_once_in_order(tmp_path):
    sc = api.load_scenario("payment_outage", SHORT["payment_outage"])
    for arch in sc.architectures:
        out = run_one(sc, arch, 0, spool_dir=tmp_path)
        spooled = pd.read_parquet(out["orders"])
        direct = simulate(sc, arch, 0)
        assert len(spooled) == out["row"]["orders"] == direct.stats["orders"]
        assert spooled["order_id"].is_unique
        assert (spooled["order_id"].to_numpy() == np.arange(len(spooled))).all()
        pd.testing.assert_frame_equal(spooled, direct.orders, check_exact=True)


def test_saved_orders_are_the_runs_frames_concatenated(tmp_path):
    sc = api.load_scenario("out_of_stock", SHORT["out_of_stock"] + ["duration=4m"],
                           replications=2)
    results = api.run(sc, jobs=1)
    assert results.order_files is not None
    folder = results.save(tmp_path / "r", report=False)
    frames = [simulate(sc, a, r).orders for a in sc.architectures for r in range(2)]
    expected = pd.concat(frames, ignore_index=True)
    saved = pd.read_parquet(folder / "orders.parquet")
    pd.testing.assert_frame_equal(saved, expected, check_exact=True)
    # The same schema (types and pandas metadata) as writing the frame in one go.
    expected.to_parquet(tmp_path / "direct.parquet", index=False)
    assert pq.read_schema(folder / "orders.parquet").equals(
        pq.read_schema(tmp_path / "direct.parquet"), check_metadata=True)
    pd.testing.assert_frame_equal(results.orders, saved)  # lazy, from the spools
    assert results.read_orders(["order_id"]).shape == (len(saved), 1)
    again = api.load_results(folder)
    pd.testing.assert_frame_equal(again.orders, saved)
    manifest = again.manifest
    assert manifest["peak_rss_mb"]["main"] > 0
    assert manifest["peak_rss_mb"]["largest_worker"] > 0


# -- the metrics as the orders frame gave them before issue 5 (the reference) ------------

def frame_metrics(record, scenario, warmup):
    orders = record.orders
    row = {"orders": len(orders)}
    counts = orders["outcome"].value_counts()
    for outcome in OUTCOMES:
        row[outcome] = int(counts.get(outcome, 0))
    row["inconsistent"] = int(orders["inconsistent"].sum())
    steady = orders[orders["arrival_s"].to_numpy() >= warmup]
    answered = steady[steady["ack_status"] != ""]
    ack = (answered["ack_s"] - answered["arrival_s"]).to_numpy()
    completed = steady[steady["outcome"] == "completed"]
    e2e = (completed["done_s"] - completed["arrival_s"]).to_numpy()
    row["ack_mean_s"] = float(ack.mean()) if len(ack) else math.nan
    row["e2e_mean_s"] = float(e2e.mean()) if len(e2e) else math.nan
    for name, q in (("p50", 50), ("p95", 95), ("p99", 99), ("p999", 99.9)):
        row[f"ack_{name}_s"] = float(np.percentile(ack, q)) if len(ack) else math.nan
        if name != "p999":
            row[f"e2e_{name}_s"] = float(np.percentile(e2e, q)) if len(e2e) else math.nan
    told_no = steady["ack_status"].isin(["error", "timeout"]).sum()
    row["client_error_rate"] = told_no / len(steady) if len(steady) else math.nan
    span = scenario.duration - warmup
    row["throughput_per_s"] = len(completed) / span if span > 0 else math.nan
    done = orders["done_s"].to_numpy()
    done = done[~np.isnan(done)]
    row["peak_throughput_per_s"] = (float(np.bincount((done // scenario.window).astype(
        np.int64)).max()) / scenario.window) if len(done) else 0.0
    comp = steady["compensated_s"] - steady["arrival_s"]
    row["compensation_mean_s"] = float(comp.mean()) if comp.notna().any() else math.nan
    return row


def frame_windows(record, scenario):
    orders = record.orders
    w = scenario.window
    n = int(math.ceil((scenario.duration + scenario.drain) / w))
    arrival = orders["arrival_s"].to_numpy()
    ack = orders["ack_s"].to_numpy()
    status = orders["ack_status"].to_numpy()
    done = orders["done_s"].to_numpy()

    def count(times):
        times = times[~np.isnan(times)]
        return np.bincount(np.minimum((times // w).astype(np.int64), n - 1), minlength=n)[:n]

    frame = pd.DataFrame({"arrivals": count(arrival), "answered_ok": count(ack[status == "ok"]),
                          "answered_error": count(ack[status == "error"]),
                          "answered_timeout": count(ack[status == "timeout"]),
                          "completions": count(done)})
    latency = ack - arrival
    index = np.minimum((arrival // w).astype(np.int64), n - 1)
    valid = ~np.isnan(latency)
    lat = pd.Series(latency[valid]).groupby(index[valid])
    frame["ack_p50_s"] = lat.quantile(0.5).reindex(range(n)).to_numpy()
    frame["ack_p99_s"] = lat.quantile(0.99).reindex(range(n)).to_numpy()
    return frame


def frame_auto_warmup(record, scenario):
    orders = record.orders
    w = scenario.window
    latency = orders["ack_s"] - orders["arrival_s"]
    series = latency.groupby((orders["arrival_s"] // w).astype(int)).mean()
    series = series[series.index * w < scenario.duration].dropna()
    if len(series) < 20:
        return 0.0
    return float(mser5(series.to_numpy()) * w)


@pytest.mark.parametrize("name,extra", [
    ("out_of_stock", ["warmup=auto"]), ("payment_outage", []), ("retry_storm", ["warmup=37.5"]),
    ("prime_day", ["warmup=auto"]),
])
def test_metrics_from_the_tally_equal_the_frames(name, extra):
    sc = api.load_scenario(name, SHORT[name] + extra)
    for arch in sc.architectures:
        record = simulate(sc, arch, 0)
        if sc.warmup == "auto":
            record.stats["warmup_s"] = auto_warmup(record, sc)
            assert record.stats["warmup_s"] == frame_auto_warmup(record, sc)
        warmup = metrics.warmup_of(record, sc)
        row = metrics.run_metrics(record, sc)
        expected = frame_metrics(record, sc, warmup)
        for key, value in expected.items():
            assert (row[key] == value) or (math.isnan(row[key]) and math.isnan(value)), \
                (name, arch, key, row[key], value)
        got = metrics.windows(record, sc)
        pd.testing.assert_frame_equal(got[list(frame_windows(record, sc).columns)],
                                      frame_windows(record, sc), check_exact=True)
        o = record.orders
        answered = o["ack_s"].notna()
        clients = [r for r in littles_law(record) if r["where"] == "clients"][0]
        T = record.stats["horizon_s"]
        assert clients["lambda_W"] == (o.loc[answered, "ack_s"]
                                       - o.loc[answered, "arrival_s"]).sum() / T
