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

CHARTS = {
    "timeline": (chart_timeline, "Offered load and client latency over time"),
    "client_latency_cdf": (chart_client_cdf, "Client latency distribution"),
    "e2e_latency_cdf": (chart_e2e_cdf, "Order-to-shipped distribution"),
    "services": (chart_services, "Queues and busy workers per service"),
    "outcomes": (chart_outcomes, "Order outcomes"),
    "propagation": (chart_propagation, "Error propagation"),
    "throughput": (chart_throughput, "Throughput against offered load"),
}

def save_charts(results, folder) -> list[Path]:
    """Write every chart as ``<folder>/charts/<name>.png``; returns the paths, in CHARTS order.

    No Software stamp or other varying metadata: the same results give the same bytes.
    """
    out = Path(folder) / "charts"
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (chart, _title) in CHARTS.items():
        path = out / f"{name}.png"
        chart(results).savefig(path, dpi=DPI, metadata={"Software": None})
        paths.append(path)
    return paths
