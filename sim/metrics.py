"""From run records to the numbers users read: per-run metrics, summaries with intervals,
paired comparisons between architectures, and per-window time series.

Pure functions of records. Counts (orders and outcomes) cover every order of a run;
latency and throughput leave out orders that arrived during the warm-up. ``ack`` is the
time from an order's arrival to the client's answer, whatever the answer was (an error or
the client's own timeout included: that is what the client waited); ``e2e`` is the time
from arrival to completion (every step of the flow done) for completed orders.
Percentiles are computed per replication and then averaged over replications, each with
its Student-t interval (see :mod:`sim.stats`).

Per-run numbers come from the run's :class:`~sim.tally.Tally` (``record.tally``), not from
the orders frame: the tally holds the same float64 latencies in the same order, so each
number equals the one the frame would give, without holding the orders in memory.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from sim.recorder import OUTCOMES
from sim.stats import mean_ci, paired_difference, unpaired_difference
from sim.tally import per_window

# Per-run metrics averaged over replications, each with a ``*_ci`` half-width in summary.csv.
MEAN_METRICS = (
    "ack_mean_s", "ack_p50_s", "ack_p95_s", "ack_p99_s", "ack_p999_s",
    "e2e_mean_s", "e2e_p50_s", "e2e_p95_s", "e2e_p99_s",
    "client_error_rate", "throughput_per_s", "peak_throughput_per_s",
    "max_backlog", "drain_time_s", "oldest_message_age_s",
    "retries", "amplification", "dead_letters", "duplicates", "wasted", "blast_radius",
    "compensation_mean_s", "shed", "mean_workers",
)
COUNT_COLUMNS = ("orders",) + OUTCOMES + ("inconsistent",)
# Headline metrics of comparison.csv, with the direction that is better.
HEADLINE = {
    "ack_mean_s": "lower", "ack_p99_s": "lower", "e2e_mean_s": "lower", "e2e_p99_s": "lower",
    "client_error_rate": "lower", "throughput_per_s": "higher", "dead_letters": "lower",
    "inconsistent": "lower",
}


def _pct(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else math.nan


def warmup_of(record, scenario) -> float:
    """The warm-up of a run in seconds (``auto`` is resolved per run by the runner)."""
    warmup = record.stats.get("warmup_s", scenario.warmup)
    return 0.0 if warmup == "auto" else float(warmup)


def run_metrics(record, scenario) -> dict:
    """One row of metrics for one run (architecture x replication)."""
    tally = record.tally
    stats = record.stats
    warmup = warmup_of(record, scenario)
    row = {"architecture": record.architecture, "replication": record.replication}
    n = tally.orders
    row["orders"] = n
    for outcome in OUTCOMES:
        row[outcome] = tally.outcomes[outcome]
    row["inconsistent"] = tally.inconsistent
    # Steady orders (arrived at or after the warm-up) are a suffix of the run's orders.
    before = tally.cut(warmup)
    steady = n - before["orders"]
    ack = tally.ack[before["answered"]:]
    e2e = tally.e2e[before["completed"]:]
    row["ack_mean_s"] = float(ack.mean()) if len(ack) else math.nan
    row["e2e_mean_s"] = float(e2e.mean()) if len(e2e) else math.nan
    for name, q in (("p50", 50), ("p95", 95), ("p99", 99), ("p999", 99.9)):
        row[f"ack_{name}_s"] = _pct(ack, q)
        if name != "p999":
            row[f"e2e_{name}_s"] = _pct(e2e, q)
    told_no = tally.before["told_no"][-1] - before["told_no"]
    row["client_error_rate"] = told_no / steady if steady else math.nan
    span = scenario.duration - warmup
    row["throughput_per_s"] = len(e2e) / span if span > 0 else math.nan
    window = scenario.window
    if tally.done.sum():
        row["peak_throughput_per_s"] = float(tally.done.max()) / window
    else:
        row["peak_throughput_per_s"] = 0.0
    if tally.has_compensation(before["orders"]):
        row["compensation_mean_s"] = float(tally.compensation(before["orders"]).mean())
    else:
        row["compensation_mean_s"] = math.nan
    row["max_backlog"] = stats["max_backlog"]
    row["drain_time_s"] = drain_time(record, scenario)
    row["oldest_message_age_s"] = stats["oldest_message_age_s"]
    row["retries"] = stats["retries"]
    steps = len(scenario.flow.steps())
    # Requests offered to services (work done plus requests refused by a full queue) per
    # request the flow needs: above 1, retries and redeliveries multiplied the load.
    offered = stats["service_visits"] + sum(v["rejected"] for v in stats["services"].values())
    row["amplification"] = offered / (n * steps) if n else math.nan
    row["dead_letters"] = stats["dead_letters"]
    row["duplicates"] = stats["duplicates"]
    row["wasted"] = stats["wasted"]
    # Issue 9: requests dropped by load shedding, and the capacity paid for (autoscaling).
    row["shed"] = stats["shed"]
    row["mean_workers"] = (sum(v["worker_s"] for v in stats["services"].values())
                           / stats["horizon_s"])
    row["blast_radius"] = blast_radius(record.propagation)
    for key in ("service_visits", "engine_events", "wall_s", "cpu_s", "dropped"):
        row[key] = stats.get(key, math.nan)
    return row


def blast_radius(propagation: pd.DataFrame) -> int:
    """How many places (services, the client, dead letters) the worst injected fault reached.

    Business failures are left out: they are answers, not faults, and travel up a call chain
    by design."""
    faults = propagation[~propagation["fault"].str.startswith("business:")]
    if faults.empty:
        return 0
    reached = faults.groupby(["origin", "fault"])["reached"].nunique()
    return int(reached.max())


def disturbances(scenario) -> list[tuple[float, float]]:
    """Windows of the traffic spike (rate above its starting level) and of fixed faults."""
    windows = [(f.start, f.end) for f in scenario.faults if f.start is not None]
    points = scenario.traffic.points()
    base = points[0][1]
    above = [t for t, r in points if r > base * 1.0001]
    if above:
        start = max(t for t, r in points if t < above[0])
        after = [t for t, r in points if t > above[-1] and r <= base * 1.0001]
        end = after[0] if after else scenario.duration
        windows.append((start, end))
    return windows


def total_backlog(services: pd.DataFrame) -> pd.Series:
    """Total waiting requests plus queued messages over all services, per sample time."""
    level = services["waiting"] + services["backlog"]
    return level.groupby(services["time_s"]).sum()


DRAIN_REFERENCE_S = 60.0  # the "level before" a disturbance: the max over this long before it


def drain_time(record, scenario) -> float:
    """The longest time, over the disturbances (traffic spike, fixed fault windows), from
    the end of one until the total backlog is back to its level in the minute before that
    disturbance began. 0 when nothing queued; NaN with no disturbance, or if the backlog
    never comes back before the end of the run."""
    windows = disturbances(scenario)
    if not windows:
        return math.nan
    backlog = total_backlog(record.services)
    times = backlog.index.to_numpy()
    worst = 0.0
    for start, end in windows:
        before = backlog[(times < start) & (times >= start - DRAIN_REFERENCE_S)]
        level = float(before.max()) if len(before) else 0.0
        after = backlog[(times >= end) & (backlog.to_numpy() <= level)]
        if not len(after):
            return math.nan
        worst = max(worst, float(after.index[0] - end))
    return worst


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per architecture: counts summed, metrics averaged with 95% half-widths."""
    rows = []
    for arch, group in runs.groupby("architecture", sort=False):
        row = {"architecture": arch, "replications": len(group)}
        for col in COUNT_COLUMNS:
            row[col] = int(group[col].sum())
        for col in MEAN_METRICS:
            mean, half = mean_ci(group[col].to_numpy(dtype=float))
            row[col] = mean
            row[ci_column(col)] = half
        mean, half = mean_ci(group["inconsistent"].to_numpy(dtype=float))
        row["inconsistent_per_replication"] = mean
        row["inconsistent_ci"] = half
        rows.append(row)
    return pd.DataFrame(rows)


def ci_column(col: str) -> str:
    """``ack_mean_s`` -> ``ack_mean_ci_s``; rates and counts: ``throughput_per_s_ci``."""
    if col.endswith("_s") and not col.endswith("_per_s"):
        return col[:-2] + "_ci_s"
    return col + "_ci"


def compare(runs: pd.DataFrame) -> pd.DataFrame:
    """Paired differences (b - a) of the headline metrics for every pair of architectures."""
    archs = list(dict.fromkeys(runs["architecture"]))
    rows = []
    for a, b in itertools.combinations(archs, 2):
        ra = runs[runs["architecture"] == a].set_index("replication")
        rb = runs[runs["architecture"] == b].set_index("replication")
        common = ra.index.intersection(rb.index)
        for metric, better in HEADLINE.items():
            x = rb.loc[common, metric].to_numpy(dtype=float)
            y = ra.loc[common, metric].to_numpy(dtype=float)
            paired = paired_difference(x, y)
            unpaired = unpaired_difference(x, y)
            rows.append({
                "architecture": b, "baseline": a, "metric": metric, "better": better,
                "replications": len(common), "mean_b": _nanmean(x), "mean_a": _nanmean(y),
                "difference": paired.mean, "low": paired.low, "high": paired.high,
                "significant": bool(paired.significant),
                "unpaired_half_width": unpaired.half_width,
            })
    return pd.DataFrame(rows)


def _nanmean(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    return float(x.mean()) if len(x) else math.nan


def windows(record, scenario) -> pd.DataFrame:
    """Per-window system rows: arrivals, answers by status, completions, ack percentiles
    (of the orders that arrived in the window)."""
    tally = record.tally
    w = scenario.window
    n = tally.n_windows
    edges = np.arange(n) * w
    arrivals = tally.arrivals[:n].copy()
    arrivals = np.concatenate([arrivals, np.zeros(n - len(arrivals), dtype=np.int64)])
    arrivals[n - 1] += tally.arrivals[n:].sum()  # the last window takes any overflow
    frame = pd.DataFrame({
        "architecture": record.architecture, "replication": record.replication,
        "time_s": edges, "service": "system",
        "arrivals": arrivals,
        "answered_ok": tally.answers["ok"],
        "answered_error": tally.answers["error"],
        "answered_timeout": tally.answers["timeout"],
        "completions": tally.completions,
    })
    counts, latency = tally.ack_by_window(clip=True)
    for name, q in (("ack_p50_s", 0.5), ("ack_p99_s", 0.99)):
        values = per_window(counts, latency, lambda g, q=q: g.quantile(q))
        frame[name] = pd.Series(values, dtype=float).reindex(range(n)).to_numpy()
    return frame


def service_windows(record, scenario) -> pd.DataFrame:
    """Per-window service rows: waiting and backlog at the window's end, mean busy workers,
    workers, errors and visits in the window."""
    s = record.services.sort_values(["service", "time_s"], kind="stable")
    out = []
    for name, g in s.groupby("service", sort=False):
        g = g.reset_index(drop=True)
        t = g["time_s"].to_numpy()
        dt = np.diff(t, prepend=np.nan)
        busy = np.diff(g["area_busy"].to_numpy(), prepend=np.nan) / dt
        frame = pd.DataFrame({
            "architecture": record.architecture, "replication": record.replication,
            "time_s": t - np.nan_to_num(dt, nan=0.0), "service": name,
            "waiting": g["waiting"], "backlog": g["backlog"], "busy": busy,
            "workers": g["workers"],
            "errors": np.diff(g["errors"].to_numpy(), prepend=0),
            "visits": np.diff(g["visits"].to_numpy(), prepend=0),
        })
        out.append(frame.iloc[1:])
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def timeseries(record, scenario) -> pd.DataFrame:
    """System and service rows of one run in one long frame (``service`` tells which).

    System rows also carry ``backlog``: waiting requests plus queued messages over all
    services at the window's end."""
    system, services = windows(record, scenario), service_windows(record, scenario)
    if not services.empty:
        total = (services["waiting"] + services["backlog"]).groupby(services["time_s"]).sum()
        system["backlog"] = system["time_s"].map(total)
    return pd.concat([system, services], ignore_index=True)
