"""Replications of every architecture of a scenario, in one process or a pool of them.

Each run is a pure function of (scenario, architecture, replication): the same seed gives
the same records whatever the number of processes. Runs are collected in a fixed order
(architecture as listed, then replication), never in order of completion.

Memory stays bounded as runs grow: each run streams its orders to a Parquet spool file of
its own (:mod:`sim.spool`) in a temporary folder, computes its metrics and time series from
its tally (:mod:`sim.tally`), and sends back only those and the spool's path; the main
process never holds order rows (``Results.orders`` reads the spools when asked).
"""

from __future__ import annotations

import math
import os
import resource
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from sim import metrics
from sim.model import Model
from sim.results import OrderFiles, Results
from sim.spool import OrderSpool
from sim.stats import mean_ci, mser5

LITTLE_TOLERANCE = 0.02  # relative; a larger deviation means the bookkeeping lost something


def auto_warmup(record, scenario) -> float:
    """MSER-5 truncation of the per-window mean ack latency, in seconds."""
    w = scenario.window
    counts, latency = record.tally.ack_by_window(clip=False)
    series = pd.Series(metrics.per_window(counts, latency, lambda g: g.mean()), dtype=float)
    series = series[series.index * w < scenario.duration].dropna()
    if len(series) < 20:
        return 0.0
    return float(mser5(series.to_numpy()) * w)


def littles_law(record) -> list[dict]:
    """Time-averaged number present against arrival rate x mean time, per service and for
    the clients waiting for an answer; a row per check, with its relative deviation."""
    stats, T = record.stats, record.stats["horizon_s"]
    rows = []
    for name, s in stats["services"].items():
        if s["jobs"] == 0:
            continue
        L = (s["area_busy"] + s["area_waiting"]) / T
        lam_w = s["jobs"] / T * (s["sojourn_s"] / s["jobs"])
        rows.append({"where": name, "L": L, "lambda_W": lam_w})
    lam_w = pd.Series(record.tally.ack, copy=False).sum() / T  # ack_s - arrival_s, answered
    rows.append({"where": "clients", "L": stats["area_in_system"] / T, "lambda_W": lam_w})
    for row in rows:
        row["deviation"] = abs(row["L"] - row["lambda_W"]) / row["L"] if row["L"] > 0 else 0.0
        row["ok"] = row["deviation"] <= LITTLE_TOLERANCE or row["L"] < 1e-3
    return rows


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_one(scenario, architecture: str, replication: int, spool_dir=None,
            series: bool = True) -> dict:
    """Simulate one run and reduce it to what the results need (picklable, small): the
    metrics row, time series, propagation, Little's-law checks and, with ``spool_dir``,
    the path of the run's orders spool there (else the orders are not kept).

    ``series=False`` leaves out the per-window time series (None), for callers that keep
    only the metrics row (sweeps)."""
    spool = None
    if spool_dir is not None:
        spool = OrderSpool(Path(spool_dir) / f"{architecture}-{replication}.parquet",
                           architecture, replication)
    try:
        record = Model(scenario, architecture, replication,
                       sink=spool if spool is not None else _discard).run()
    finally:
        if spool is not None:
            spool.close()
    if scenario.warmup == "auto":
        record.stats["warmup_s"] = auto_warmup(record, scenario)
    little = littles_law(record)
    row = metrics.run_metrics(record, scenario)
    row["warmup_s"] = metrics.warmup_of(record, scenario)
    row["peak_rss_mb"] = math.nan  # set last, below
    row["little_max_deviation"] = max(r["deviation"] for r in little)
    out = {
        "row": row,
        "orders": str(spool.path) if spool is not None else None,
        "timeseries": metrics.timeseries(record, scenario) if series else None,
        "propagation": record.propagation,
        "little": [dict(r, architecture=architecture, replication=replication) for r in little],
    }
    row["peak_rss_mb"] = peak_rss_mb()  # after the metrics: the run's whole cost
    return out


def _discard(block) -> None:
    """A sink that keeps no orders (the tally has what the metrics need)."""


def _run_task(args):
    return run_one(*args)


def run(
    scenario,
    architectures: Sequence[str] | None = None,
    replications: int | None = None,
    jobs: int | None = 1,
    progress: Callable[[int, int], None] | None = None,
    precision: float | None = None,
    max_replications: int = 50,
) -> Results:
    """Run every architecture (or those named) for ``replications`` replications.

    ``jobs`` is the number of processes (None: all cores). ``progress(done, total)`` is
    called after each run. With ``precision`` (say 0.02), replications are added (doubling,
    up to ``max_replications``) until the 95% half-width of every architecture's mean
    client latency is under that fraction of the mean.
    """
    archs = list(architectures or scenario.architectures)
    reps = replications or scenario.replications
    jobs = (os.cpu_count() or 1) if jobs is None else max(1, jobs)
    files = OrderFiles.temporary()  # the runs' spools; removed with the last reference to it
    spool = str(files.folder)
    outputs = _execute([(scenario, a, r, spool) for a in archs for r in range(reps)], jobs,
                       progress)
    while precision is not None and reps < max_replications and not _precise(outputs, precision):
        more = min(reps, max_replications - reps)
        tasks = [(scenario, a, r, spool) for a in archs for r in range(reps, reps + more)]
        outputs += _execute(tasks, jobs, progress, done=len(outputs))
        reps += more
    outputs.sort(key=lambda o: (archs.index(o["row"]["architecture"]), o["row"]["replication"]))
    if reps != scenario.replications:
        scenario = scenario.model_copy(update={"replications": reps})
    files.paths = [Path(o["orders"]) for o in outputs]
    return collect(scenario, archs, reps, outputs, files)


def _execute(tasks, jobs, progress, done: int = 0) -> list[dict]:
    """Run ``tasks`` in order (in a pool when jobs > 1); results in the tasks' order."""
    total = done + len(tasks)
    outputs = []
    if jobs == 1 or len(tasks) == 1:
        results = map(_run_task, tasks)
        for out in results:
            outputs.append(out)
            if progress:
                progress(done + len(outputs), total)
        return outputs
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
        for out in pool.map(_run_task, tasks):
            outputs.append(out)
            if progress:
                progress(done + len(outputs), total)
    return outputs


def _precise(outputs, precision: float) -> bool:
    """True when every architecture's mean client latency is known to ``precision``."""
    runs = pd.DataFrame([o["row"] for o in outputs])
    for _, group in runs.groupby("architecture"):
        mean, half = mean_ci(group["ack_mean_s"].to_numpy(dtype=float))
        if not (half <= precision * abs(mean)):
            return False
    return True


def collect(scenario, archs, reps, outputs, orders) -> Results:
    """The runs' outputs (in order) as Results; ``orders``: their :class:`OrderFiles`."""
    runs = pd.DataFrame([o["row"] for o in outputs])
    little = pd.DataFrame([r for o in outputs for r in o["little"]])
    warnings = [
        f"Little's law off by {r.deviation:.1%} at {r.where} "
        f"({r.architecture}, replication {r.replication}): L={r.L:.4g}, lambda*W={r.lambda_W:.4g}"
        for r in little.itertuples() if not r.ok
    ] if not little.empty else []
    propagation = pd.concat([o["propagation"] for o in outputs], ignore_index=True)
    if not propagation.empty:
        propagation = (propagation.groupby(["architecture", "origin", "fault", "reached"],
                                           sort=False)["count"].sum().reset_index())
    else:
        propagation = pd.DataFrame(columns=["architecture", "origin", "fault", "reached", "count"])
    return Results(
        scenario=scenario,
        architectures=archs,
        replications=reps,
        runs=runs,
        summary=metrics.summarise(runs),
        comparison=metrics.compare(runs) if len(archs) > 1 else pd.DataFrame(),
        orders=orders,
        timeseries=pd.concat([o["timeseries"] for o in outputs], ignore_index=True),
        propagation=propagation,
        warnings=warnings,
    )
