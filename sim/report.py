"""Provisional report: the summary table as Markdown (the full report is issue 6)."""

from __future__ import annotations

from pathlib import Path


def write_report(results, folder: Path) -> None:
    cols = ["architecture", "orders", "completed", "rejected", "compensated",
            "failed_after_ack", "in_flight", "ack_mean_s", "ack_p99_s", "e2e_mean_s",
            "client_error_rate", "dead_letters"]
    table = results.summary[[c for c in cols if c in results.summary]]
    text = f"# {results.scenario.name}\n\n{results.scenario.description}\n\n"
    text += "```\n" + table.to_string(index=False) + "\n```"
    (folder / "report.md").write_text(text + "\n")
