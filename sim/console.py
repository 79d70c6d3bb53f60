"""The side-by-side table and the paired differences, as text for the terminal."""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Console
from rich.table import Table

ROWS = [
    ("orders", "orders", "{:.0f}"),
    ("completed", "completed", "{:.0f}"),
    ("compensated", "compensated", "{:.0f}"),
    ("rejected", "rejected (client told no)", "{:.0f}"),
    ("failed_after_ack", "failed after ack", "{:.0f}"),
    ("in_flight", "in flight at end", "{:.0f}"),
    ("inconsistent", "inconsistent", "{:.0f}"),
    ("ack_mean_s", "client latency mean (s)", "{:.3f}"),
    ("ack_p99_s", "client latency p99 (s)", "{:.3f}"),
    ("e2e_mean_s", "order to shipped mean (s)", "{:.3f}"),
    ("e2e_p99_s", "order to shipped p99 (s)", "{:.3f}"),
    ("client_error_rate", "client error rate", "{:.2%}"),
    ("throughput_per_s", "throughput (orders/s)", "{:.2f}"),
    ("max_backlog", "max queue backlog (msgs)", "{:.0f}"),
    ("drain_time_s", "drain time (s)", "{:.0f}"),
    ("dead_letters", "dead letters", "{:.1f}"),
    ("retries", "retries", "{:.0f}"),
]
PERCENT = {"client_error_rate"}
LABELS = {
    "ack_mean_s": "ack mean", "ack_p99_s": "ack p99", "e2e_mean_s": "e2e mean",
    "e2e_p99_s": "e2e p99", "client_error_rate": "client error rate",
    "throughput_per_s": "throughput /s", "dead_letters": "dead letters",
    "inconsistent": "inconsistent orders",
}


def _cell(row: pd.Series, col: str, fmt: str) -> str:
    value = row.get(col, math.nan)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = fmt.format(value)
    ci = row.get(col[:-2] + "_ci_s" if col.endswith("_s") else col + "_ci", math.nan)
    if isinstance(ci, float) and not math.isnan(ci) and ci > 0:
        text += " ± " + (f"{ci:.2%}" if col in PERCENT else fmt.format(ci))
    return text


def summary_table(summary: pd.DataFrame, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    for arch in summary["architecture"]:
        table.add_column(str(arch), justify="right")
    for col, label, fmt in ROWS:
        table.add_row(label, *(_cell(r, col, fmt) for _, r in summary.iterrows()))
    return table


def describe_difference(row: pd.Series) -> str:
    """'event-driven vs request-response: ack p99 -1.84 s (-1.91 to -1.77)' and a verdict."""
    metric = row["metric"]
    name = LABELS.get(metric, metric)
    unit = " s" if metric.endswith("_s") else ""
    scale, fmt = (100.0, "{:+.2f} pts") if metric == "client_error_rate" else (1.0, "{:+.3g}" + unit)
    diff = fmt.format(row["difference"] * scale)
    low, high = row["low"] * scale, row["high"] * scale
    text = f"{row['architecture']} vs {row['baseline']}: {name} {diff} ({low:.3g} to {high:.3g})"
    if row["significant"]:
        lower_is_better = row["better"] == "lower"
        better = (row["difference"] < 0) == lower_is_better
        text += "  better" if better else "  worse"
    else:
        text += "  no significant difference"
    return text


def print_results(results, console: Console | None = None) -> None:
    console = console or Console()
    s = results.scenario
    console.print(summary_table(
        results.summary,
        f"{s.name}: {results.replications} replication(s), ± = 95% half-width"))
    if not results.comparison.empty:
        console.print("\nPaired differences (95% interval, common random numbers):")
        for _, row in results.comparison.iterrows():
            same = row["mean_a"] == row["mean_b"] and row["low"] == row["high"]
            if same or (isinstance(row["difference"], float) and math.isnan(row["difference"])):
                continue  # identical in every replication: nothing to say
            console.print("  " + describe_difference(row), highlight=False, soft_wrap=True)
