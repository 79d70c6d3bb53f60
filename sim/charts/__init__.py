"""The report's charts: each a pure data function and a figure drawn from exactly that data.

For every chart x, ``chart_x_data(results)`` (:mod:`sim.charts.data`) returns the numbers
``chart_x(results)`` (:mod:`sim.charts.figures`) plots, so tests can check them against the
results frames. ``save_charts`` writes them all as PNGs; importing this package switches no
backend and changes no global state (see :mod:`sim.charts.style`). PNGs carry no Software
stamp or other varying metadata: the same results give byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

from sim.charts.data import (
    chart_client_cdf_data,
    chart_e2e_cdf_data,
    chart_outcomes_data,
    chart_propagation_data,
    chart_services_data,
    chart_throughput_data,
    chart_timeline_data,
    steady_orders,
)
from sim.charts.figures import (
    chart_client_cdf,
    chart_e2e_cdf,
    chart_outcomes,
    chart_propagation,
    chart_services,
    chart_throughput,
    chart_timeline,
)
from sim.charts.style import DPI, palette

__all__ = [
    "CHARTS", "save_charts", "palette", "steady_orders",
    "chart_timeline", "chart_timeline_data", "chart_client_cdf", "chart_client_cdf_data",
    "chart_e2e_cdf", "chart_e2e_cdf_data", "chart_services", "chart_services_data",
    "chart_outcomes", "chart_outcomes_data", "chart_propagation", "chart_propagation_data",
    "chart_throughput", "chart_throughput_data",
]

# name -> (figure function, title, how to read it); the report shows them in this order.
CHARTS = {
    "timeline": (
        chart_timeline, "Offered load and client latency over time",
        "Top: orders arriving per second (grey) and the scenario's rate (dashed). Middle: "
        "client latency p50 (dashed) and p99 (solid) of the orders that arrived in each "
        "window, log scale; a line on the floor means 0 s, an instant rejection. Bottom: the "
        "share of the window's answers that told the client no (error or timeout). Grey band: "
        "traffic spike; red bands: faults."),
    "client_latency_cdf": (
        chart_client_cdf, "Client latency distribution",
        "Share of answered orders (after the warm-up, replications pooled) answered within a "
        "time, log time axis. Errors and timeouts are answers too: a fast 'no' counts as "
        "fast, so read it with the client error rate."),
    "e2e_latency_cdf": (
        chart_e2e_cdf, "Order-to-shipped distribution",
        "Share of completed orders shipped within a time, log time axis. Only completed "
        "orders count: the legend gives the share of orders that got there."),
    "services": (
        chart_services, "Queues and busy workers per service",
        "One row per service, in flow order. Left: synchronous requests waiting for a worker "
        "plus messages waiting in the service's queue (the axis spans at least 0 to 10, so a "
        "handful of waiting requests stays flat). Right: busy workers (time average over "
        "each window) against the pool size (dotted): a line on the dotted one is a saturated "
        "service."),
    "outcomes": (
        chart_outcomes, "Order outcomes",
        "Every order of every replication by outcome (left) and the orders that did not "
        "complete on their own scale (right); labels give the share of all orders."),
    "propagation": (
        chart_propagation, "Error propagation",
        "Rows: where an error began (a service and its fault, or a business failure). "
        "Columns: where it was recorded on its way: a service it failed, the client, or a "
        "dead-letter queue. Counts over all replications."),
    "throughput": (
        chart_throughput, "Throughput against offered load",
        "Orders completed per second against orders arriving. Below the arrivals, work is "
        "queueing or being lost; above them, a backlog is draining."),
}


def save_charts(results, folder) -> list[Path]:
    """Write every chart as ``<folder>/charts/<name>.png``; returns the paths, in CHARTS order.

    No Software stamp or other varying metadata: the same results give the same bytes.
    """
    out = Path(folder) / "charts"
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (chart, _title, _caption) in CHARTS.items():
        path = out / f"{name}.png"
        chart(results).savefig(path, dpi=DPI, metadata={"Software": None})
        paths.append(path)
    return paths
