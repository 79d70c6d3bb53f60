"""The side-by-side table printed by ``archsim run``: headline metrics, then the other numbers,
then the winners and the paired differences.

The headline rows and the winners come from :mod:`sim.verdict`, the same logic the report
uses, so the terminal and report.md never disagree. The other rows (outcome counts, backlog,
retries) are context without a verdict. Winners go under the table, one per line, so that
the table fits an 80-column terminal.
"""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Console
from rich.table import Table

from sim.verdict import ci_column, describe_difference, informative, verdict_frame

# Context rows: (summary column, label, format). Counts are totals over replications.
CONTEXT_ROWS = [
    ("orders", "orders (all replications)", "{:.0f}"),
    ("completed", "completed", "{:.0f}"),
    ("compensated", "compensated", "{:.0f}"),
    ("rejected", "rejected (client told no)", "{:.0f}"),
    ("failed_after_ack", "failed after ack", "{:.0f}"),
    ("in_flight", "in flight at end", "{:.0f}"),
    ("max_backlog", "max queue backlog (msgs)", "{:.0f}"),
    ("drain_time_s", "drain time (s)", "{:.0f}"),
    ("retries", "retries per replication", "{:.0f}"),
]


def _cell(row: pd.Series, col: str, fmt: str) -> str:
    """'mean ± half-width' of one summary cell, '-' when missing."""
    value = row.get(col, math.nan)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = fmt.format(value)
    ci = row.get(ci_column(col), math.nan)
    if isinstance(ci, float) and not math.isnan(ci) and ci > 0:
        text += " ± " + fmt.format(ci)
    return text


def summary_table(results, title: str) -> Table:
    """Headline metrics with intervals, then context rows without a verdict. The winners
    are printed under the table, so the table stays within 80 columns."""
    archs = list(results.architectures)
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    for arch in archs:
        table.add_column(str(arch), justify="right")
    for _, row in verdict_frame(results).iterrows():
        table.add_row(row["metric"], *(row[a] for a in archs))
    table.add_section()
    summary = results.summary.set_index("architecture")
    for col, label, fmt in CONTEXT_ROWS:
        if col in summary:
            table.add_row(label, *(_cell(summary.loc[a], col, fmt) for a in archs))
    return table


def print_results(results, console: Console | None = None) -> None:
    """Print the table, the winner of each headline metric and every informative paired
    difference."""
    console = console or Console()
    s = results.scenario
    title = f"{s.name}: {results.replications} replication(s), ± = 95% half-width"
    console.print(summary_table(results, title))
    if len(results.architectures) > 1:
        console.print("\nWinners (paired 95% interval, common random numbers):")
        for _, row in verdict_frame(results).iterrows():
            console.print(f"  {row['metric']}: {row['winner']}", highlight=False,
                          soft_wrap=True)
    rows = informative(results.comparison)
    if not rows.empty:
        console.print("\nPaired differences (95% interval, common random numbers):")
        for _, row in rows.iterrows():
            console.print("  " + describe_difference(row), highlight=False, soft_wrap=True)
