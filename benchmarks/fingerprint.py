"""Fingerprint of the engine's outputs, to check that a speed change changes no result.

Runs replication 0 of every architecture of every built-in scenario (``sim/scenarios``),
shortened so that the whole set takes well under a minute, plus a few variants of them
that switch on what the built-ins leave off (circuit breakers, bulkheads, retry budgets,
link faults, hangs, errors and capacity faults, random faults, outbox, idempotency, bus
throttling, queue concurrency and retention, parallel links), and the benchmark's chain in
both styles (not shortened). For each run it prints a
sha256 of the orders, services and propagation frames and of the stats (without the wall
and CPU timings), then one sha256 over all of them.

Shortening: the duration becomes ``DURATION_S`` and the drain at most ``DRAIN_S``; traffic
profile times and fault starts are scaled by the same factor, fault lengths are kept (up
to ``MAX_FAULT_S``), so each scenario's faults and surges still happen inside the run.

    .venv/bin/python benchmarks/fingerprint.py            # print the hashes
    .venv/bin/python benchmarks/fingerprint.py > before.txt; ...; diff before.txt after.txt
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
import time
from pathlib import Path

import pandas as pd

from sim.loading import builtin_scenarios, load_scenario, parse_yaml
from sim.model import simulate
from sim.units import parse_time

DURATION_S = 240.0
DRAIN_S = 120.0
MAX_FAULT_S = 200.0
CHAIN_ORDERS = 5000
TIMINGS = ("wall_s", "cpu_s")


def shorten(data: dict) -> dict:
    """A copy of scenario data with its duration, drain, surges and faults compressed."""
    out = copy.deepcopy(data)
    duration = parse_time(out.get("duration", 3600.0))
    factor = min(1.0, DURATION_S / duration)
    out["duration"] = duration * factor
    out["drain"] = min(parse_time(out.get("drain", 600.0)), DRAIN_S)
    traffic = out.get("traffic", {})
    if traffic.get("profile"):
        traffic["profile"] = [[parse_time(t) * factor, v] for t, v in traffic["profile"]]
    for fault in out.get("faults", []):
        if "start" in fault:
            start, end = parse_time(fault["start"]), parse_time(fault["end"])
            fault["start"] = start * factor
            fault["end"] = fault["start"] + min(end - start, MAX_FAULT_S)
    return out


def variants(builtins: dict[str, dict]) -> dict[str, dict]:
    """Built-in scenarios with the engine features they leave off switched on."""
    out = {}
    storm = copy.deepcopy(builtins["retry_storm"])
    storm["architectures"] = {
        "rr-resilient": {"style": "call", "call": {
            "timeout": "1s", "retries": 3, "backoff": "50ms", "jitter": True,
            "circuit_breaker": {"window": 20, "failure_rate": 0.5, "min_calls": 10,
                                "open_for": "5s", "half_open_calls": 3},
            "bulkhead": 12, "retry_budget": 0.2}},
        "rr-idempotent": {"style": "call", "idempotency": True,
                          "call": {"timeout": "1s", "retries": 3, "backoff": "50ms"}},
        "ev-idempotent": {"style": "event", "idempotency": True,
                          "queue": {"visibility_timeout": "2s", "max_receives": 3}},
    }
    storm["faults"] = [
        {"target": "payment", "kind": "hang", "start": 60, "end": 80},
        {"target": "order -> invoice", "kind": "errors", "fraction": 0.3, "start": 40,
         "end": 120},
        {"target": "payment -> fulfillment", "kind": "outage", "start": 100, "end": 130},
        {"target": "order -> forecasting", "kind": "hang", "start": 50, "end": 70},
        {"target": "fulfillment -> shipping", "kind": "slowdown", "factor": 3.0, "start": 20,
         "end": 90},
        {"target": "shipping", "kind": "errors", "fraction": 0.2, "start": 30, "end": 150},
        {"target": "fulfillment", "kind": "capacity", "fraction": 0.5, "start": 140,
         "end": 200},
        {"target": "invoice", "kind": "outage", "mtbf": 60, "mttr": 5},
        {"target": "order", "kind": "slowdown", "factor": 2.0, "start": 10, "end": 30},
    ]
    out["v_faults_everywhere"] = storm

    bus = copy.deepcopy(builtins["bus_outage"])
    bus["architectures"] = {
        "ev-outbox": {"style": "event", "outbox": True,
                      "queue": {"visibility_timeout": "5s", "max_receives": 2,
                                "retention": "20s", "concurrency": 2}},
        "ev-throttled": {"style": "event", "bus": {"throughput": 15, "publish_retries": 2,
                                                   "publish_backoff": "100ms"}},
    }
    bus["faults"] = [
        {"target": "bus", "kind": "outage", "start": 60, "end": 90},
        {"target": "bus", "kind": "errors", "fraction": 0.3, "start": 100, "end": 140},
        {"target": "bus", "kind": "slowdown", "factor": 4.0, "start": 150, "end": 170},
        {"target": "payment -> fulfillment", "kind": "errors", "fraction": 0.5, "start": 20,
         "end": 50},
        {"target": "order -> payment", "kind": "hang", "start": 30, "end": 45},
        {"target": "fulfillment", "kind": "hang", "start": 180, "end": 190},
    ]
    out["v_bus_and_queues"] = bus

    par = copy.deepcopy(builtins["prime_day"])
    par["flow"]["links"] = [
        {"link": "order -> invoice", "parallel": True},
        {"link": "order -> payment", "parallel": True},
        "payment -> fulfillment", "fulfillment -> shipping", "order -> forecasting",
    ]
    par["faults"] = list(par.get("faults", [])) + [
        {"target": "invoice", "kind": "errors", "fraction": 0.5, "start": 30, "end": 60},
    ]
    out["v_parallel"] = par
    return out


def bench_chains() -> dict[str, dict]:
    """The chain of ``benchmarks/bench.py`` in both styles, about ``CHAIN_ORDERS`` orders."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench import chain_scenario
    return {f"bench_chain_{style}": chain_scenario(CHAIN_ORDERS, style)
            for style in ("call", "event")}


def frame_hash(frame: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update(repr(list(frame.columns)).encode())
    h.update(repr([str(t) for t in frame.dtypes]).encode())
    h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return h.hexdigest()


def stats_hash(stats: dict) -> str:
    kept = {k: v for k, v in stats.items() if k not in TIMINGS}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, default=repr).encode()).hexdigest()


def main() -> int:
    t0 = time.perf_counter()
    raw = {name: parse_yaml(path.read_text(encoding="utf-8"), str(path))
           for name, path in builtin_scenarios().items()}
    everything = {**raw, **variants(raw), **bench_chains()}
    total = hashlib.sha256()
    for name, data in everything.items():
        scenario = load_scenario(data if name.startswith("bench_") else shorten(data))
        for arch in scenario.architectures:
            record = simulate(scenario, arch, 0)
            parts = [frame_hash(record.orders), frame_hash(record.services),
                     frame_hash(record.propagation), stats_hash(record.stats)]
            line = (f"{name}:{arch} orders={record.stats['orders']} "
                    f"visits={record.stats['service_visits']} "
                    + " ".join(p[:16] for p in parts))
            print(line)
            total.update("".join(parts).encode())
    print(f"TOTAL {total.hexdigest()}")
    print(f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
