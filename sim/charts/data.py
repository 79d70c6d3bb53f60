"""The numbers behind each chart, as pure functions of a :class:`~sim.results.Results`.

``chart_x_data(results)`` returns exactly what ``chart_x`` plots, so tests can hold every
plotted number against the results frames. Per-window numbers are means over replications
(the time series is per replication); distributions pool the replications' orders that
arrived after the warm-up, as the summary's latency statistics do. Rows come in the order
the architectures were run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.recorder import OUTCOMES

CDF_POINTS = 2001  # quantile grid 0, 0.0005, ..., 1: holds the median, p99 and p99.9 exactly


def system_windows(results) -> pd.DataFrame:
    """System rows of the time series averaged over replications, per architecture x window."""
    ts = results.timeseries
    rows = ts[ts["service"] == "system"]
    cols = ["arrivals", "answered_ok", "answered_error", "answered_timeout", "completions",
            "ack_p50_s", "ack_p99_s"]
    out = rows.groupby(["architecture", "time_s"], sort=False)[cols].mean().reset_index()
    return in_run_order(out, results.architectures)


def in_run_order(frame: pd.DataFrame, archs, *more: str) -> pd.DataFrame:
    """Rows ordered by architecture as run, then by ``more`` columns (stable)."""
    rank = frame["architecture"].map({a: i for i, a in enumerate(archs)})
    keys = [rank.rename("_rank")] + [frame[c] for c in more]
    order = pd.concat(keys, axis=1).sort_values(["_rank", *more], kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def chart_timeline_data(results) -> pd.DataFrame:
    """Per architecture x window, means over replications: offered load (orders arriving
    per second, and the scenario's nominal rate), the client latency p50 and p99 of the
    orders that arrived in the window, and the share of the window's answers that told the
    client no (error or timeout)."""
    w, sc = results.scenario.window, results.scenario
    f = system_windows(results)
    answers = f["answered_ok"] + f["answered_error"] + f["answered_timeout"]
    no = (f["answered_error"] + f["answered_timeout"]) / answers.where(answers > 0)
    return pd.DataFrame({
        "architecture": f["architecture"], "time_s": f["time_s"],
        "offered_per_s": f["arrivals"] / w,
        "nominal_per_s": [sc.traffic.rate_at(t + w / 2) if t < sc.duration else 0.0
                          for t in f["time_s"]],
        "ack_p50_s": f["ack_p50_s"], "ack_p99_s": f["ack_p99_s"], "told_no_share": no,
    })


def steady_orders(results, columns=None, architecture: str | None = None) -> pd.DataFrame:
    """Orders that arrived after each run's warm-up (as the summary's latencies count).

    ``columns``, ``architecture``: only these columns, of this architecture's runs (read
    alone from the results' files when the orders are not loaded: see
    ``Results.read_orders``)."""
    if columns is not None:
        columns = list(dict.fromkeys(["architecture", "replication", "arrival_s", *columns]))
    orders, runs = results.read_orders(columns, architecture), results.runs
    if "warmup_s" in runs:
        if architecture is not None:
            own = runs[runs["architecture"] == architecture]
            cut = own.set_index("replication")["warmup_s"].reindex(
                orders["replication"]).to_numpy()
        else:
            warm = runs.set_index(["architecture", "replication"])["warmup_s"]
            key = pd.MultiIndex.from_frame(orders[["architecture", "replication"]])
            cut = warm.reindex(key).to_numpy()
    else:
        cut = float(results.scenario.warmup) if results.scenario.warmup != "auto" else 0.0
    return orders[orders["arrival_s"].to_numpy() >= np.nan_to_num(cut)]


def _cdf_frame(latency_of, columns, results) -> pd.DataFrame:
    """Per architecture: quantiles on a fixed grid of probabilities (the CDF) of
    ``latency_of(steady orders)``; one architecture's orders read at a time."""
    q = np.linspace(0.0, 1.0, CDF_POINTS)
    parts = []
    for arch in results.architectures:
        values = latency_of(steady_orders(results, columns, architecture=arch))
        if len(values):
            parts.append(pd.DataFrame({"architecture": arch, "latency_s": np.quantile(values, q),
                                       "cdf": q}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["architecture", "latency_s", "cdf"])


def chart_client_cdf_data(results) -> pd.DataFrame:
    """CDF of client latency (order to the client's answer, whatever it was) per architecture,
    over answered orders after the warm-up, replications pooled."""
    def latency(o):
        o = o[o["ack_status"] != ""]
        return (o["ack_s"] - o["arrival_s"]).to_numpy(dtype=float)
    return _cdf_frame(latency, ["ack_s", "ack_status"], results)


def chart_e2e_cdf_data(results) -> pd.DataFrame:
    """CDF of end-to-end latency (order to shipped) per architecture, over completed orders
    after the warm-up, replications pooled."""
    def latency(o):
        o = o[o["outcome"] == "completed"]
        return (o["done_s"] - o["arrival_s"]).to_numpy(dtype=float)
    return _cdf_frame(latency, ["done_s", "outcome"], results)


def chart_services_data(results) -> pd.DataFrame:
    """Per architecture x service x window, means over replications: ``queued`` (sync
    requests waiting for a worker plus messages in the service's queue), ``busy`` (busy
    workers, time-averaged over the window) and ``workers``."""
    ts = results.timeseries
    rows = ts[ts["service"] != "system"].assign(queued=lambda f: f["waiting"] + f["backlog"])
    out = (rows.groupby(["architecture", "service", "time_s"], sort=False)
           [["queued", "busy", "workers"]].mean().reset_index())
    steps = {s: i for i, s in enumerate(results.scenario.flow.steps())}
    out = out.assign(_step=out["service"].map(steps))
    return in_run_order(out, results.architectures, "_step", "time_s").drop(columns="_step")


def chart_outcomes_data(results) -> pd.DataFrame:
    """Orders per architecture and outcome, summed over replications (summary counts)."""
    summary = results.summary.set_index("architecture")
    rows = [{"architecture": a, "outcome": o, "count": int(summary.loc[a, o])}
            for a in results.architectures for o in OUTCOMES]
    return pd.DataFrame(rows)


def origin_label(origin: str, fault: str) -> str:
    """'payment outage', 'fulfillment out_of_stock (business)'."""
    if fault.startswith("business:"):
        return f"{origin} {fault.split(':', 1)[1]} (business)"
    return f"{origin} {fault}"


def chart_propagation_data(results) -> pd.DataFrame:
    """Per architecture, error origin (service and fault) and place reached: how many errors
    got there, summed over replications (propagation.csv)."""
    p = results.propagation
    if p.empty:
        return pd.DataFrame(columns=["architecture", "origin", "reached", "count"])
    p = p.assign(origin=[origin_label(o, f) for o, f in zip(p["origin"], p["fault"])])
    out = p.groupby(["architecture", "origin", "reached"], sort=False)["count"].sum()
    return in_run_order(out.reset_index(), results.architectures)


def chart_throughput_data(results) -> pd.DataFrame:
    """Per architecture x window, means over replications: orders arriving and orders
    completed, both per second."""
    w = results.scenario.window
    frame = system_windows(results)
    return pd.DataFrame({"architecture": frame["architecture"], "time_s": frame["time_s"],
                         "offered_per_s": frame["arrivals"] / w,
                         "completed_per_s": frame["completions"] / w})
