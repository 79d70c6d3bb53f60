"""The verdict logic on hand-made summary and comparison frames, and its two readers:
the console table and the report (both print the same verdict_frame)."""

import math
from types import SimpleNamespace

import pandas as pd
import pytest
from rich.console import Console

from sim.console import print_results
from sim.report import verdict_section
from sim.verdict import (
    beats,
    describe_difference,
    difference,
    format_value,
    format_verdict,
    verdict,
    verdict_frame,
)

ARCHS = ["rr", "ed", "hy"]


def comparison_rows(metric, better, pairs):
    """Rows as sim.metrics.compare writes them: (architecture b, baseline a, b - a, half)."""
    rows = []
    for b, a, diff, half in pairs:
        low, high = diff - half, diff + half
        rows.append({"architecture": b, "baseline": a, "metric": metric, "better": better,
                     "mean_a": 0.0, "mean_b": diff, "difference": diff, "low": low,
                     "high": high, "significant": low > 0 or high < 0,
                     "unpaired_half_width": half})
    return rows


def summary(metric, values):
    ci = metric[:-2] + "_ci_s" if metric.endswith("_s") else metric + "_ci"
    return pd.DataFrame([{"architecture": a, metric: m, ci: h} for a, (m, h) in values.items()])


P99 = summary("ack_p99_s", {"rr": (1.5, 0.05), "ed": (0.1, 0.01), "hy": (0.5, 0.02)})
P99_CMP = pd.DataFrame(comparison_rows("ack_p99_s", "lower", [
    ("ed", "rr", -1.4, 0.06), ("hy", "rr", -1.0, 0.05), ("hy", "ed", 0.4, 0.03)]))


def test_difference_reads_either_direction_of_a_stored_pair():
    d = difference(P99_CMP, "ed", "hy", "ack_p99_s")  # stored as hy - ed = +0.4
    assert (d.mean, d.low, d.high, d.significant) == pytest.approx((-0.4, -0.43, -0.37, True))
    assert beats(d, "lower") and not beats(d, "higher")
    assert difference(P99_CMP, "ed", "hy", "throughput_per_s") is None


def test_one_winner_and_its_smallest_lead():
    v = verdict(P99, P99_CMP, ARCHS, "ack_p99_s")
    assert v.winners == ("ed",)
    # ed beats rr by 1.4 and hy by 0.4: the margin is the smaller lead, over hy.
    assert (v.margin.a, v.margin.b, v.margin.mean) == ("ed", "hy", pytest.approx(-0.4))
    assert format_verdict(v) == "ed, by 400 ms (370 to 430) over hy"


def test_a_tie_at_the_top_names_both():
    cmp = pd.DataFrame(comparison_rows("client_error_rate", "lower", [
        ("ed", "rr", -0.02, 0.006), ("hy", "rr", -0.02, 0.006), ("hy", "ed", 0.0, 0.0)]))
    s = summary("client_error_rate", {"rr": (0.02, 0.006), "ed": (0.0, 0.0), "hy": (0.0, 0.0)})
    v = verdict(s, cmp, ARCHS, "client_error_rate")
    assert v.winners == ("ed", "hy")
    assert format_verdict(v) == "ed = hy, by 2.00 pts (1.40 to 2.60) over rr"


def test_no_significant_difference_no_winner():
    cmp = pd.DataFrame(comparison_rows("e2e_p99_s", "lower", [
        ("ed", "rr", -0.2, 0.3), ("hy", "rr", -0.1, 0.3), ("hy", "ed", 0.1, 0.3)]))
    s = summary("e2e_p99_s", {"rr": (1.5, 0.2), "ed": (1.3, 0.2), "hy": (1.4, 0.2)})
    v = verdict(s, cmp, ARCHS, "e2e_p99_s")
    assert v.winners == () and v.margin is None
    assert format_verdict(v) == "no significant difference"


def test_higher_is_better_for_throughput():
    cmp = pd.DataFrame(comparison_rows("throughput_per_s", "higher", [
        ("ed", "rr", 6.9, 0.1), ("hy", "rr", 8.9, 0.1), ("hy", "ed", 2.0, 0.1)]))
    s = summary("throughput_per_s", {"rr": (3.0, 0.03), "ed": (9.9, 0.07), "hy": (11.9, 0.09)})
    v = verdict(s, cmp, ARCHS, "throughput_per_s")
    assert v.winners == ("hy",)
    assert format_verdict(v) == "hy, by 2.00/s (1.90 to 2.10) over ed"


@pytest.mark.parametrize("metric, mean, half, text", [
    ("ack_mean_s", 0.6476, 0.0351, "648 ± 35 ms"),
    ("ack_mean_s", 0.02016, 0.00094, "20.2 ± 0.9 ms"),
    ("ack_p99_s", 1.58, 0.062, "1.58 ± 0.06 s"),
    ("ack_p99_s", 10.0, 0.0, "10.00 s"),
    ("e2e_p99_s", 2000.9, 8.9, "2001 ± 9 s"),
    ("client_error_rate", 0.0195, 0.0062, "1.95 ± 0.62%"),
    ("throughput_per_s", 4.846, 0.23, "4.85 ± 0.23/s"),
    ("dead_letters", 7402.0, 112.5, "7402 ± 112"),
    ("inconsistent", 2.5, 0.5, "2.5 ± 0.5"),
    ("ack_p99_s", math.nan, math.nan, "-"),
])
def test_format_value(metric, mean, half, text):
    assert format_value(metric, mean, half) == text


def test_describe_difference_says_better_or_worse():
    rows = P99_CMP.set_index(["architecture", "baseline"])
    worse = rows.loc[("hy", "ed")].copy()
    worse["architecture"], worse["baseline"] = "hy", "ed"
    assert describe_difference(worse) == (
        "hy vs ed: client latency, p99 +400 ms (370 to 430)  worse")


def results_stub():
    """Two headline metrics' worth of results for the console and the report."""
    return SimpleNamespace(
        architectures=ARCHS, summary=P99, comparison=P99_CMP, replications=5,
        scenario=SimpleNamespace(name="stub", drain=60.0), warnings=[])


def test_console_and_report_print_the_same_verdicts():
    res = results_stub()
    frame = verdict_frame(res)
    row = frame[frame["metric"] == "client latency, p99"].iloc[0]
    assert row["winner"] == "ed, by 400 ms (370 to 430) over hy"
    assert [row["rr"], row["ed"], row["hy"]] == ["1.50 ± 0.05 s", "100 ± 10 ms", "500 ± 20 ms"]

    console = Console(record=True, width=250)
    print_results(res, console)
    printed = console.export_text()
    assert row["winner"] in printed and "100 ± 10 ms" in printed

    res.summary = res.summary.assign(orders=100, completed=100, rejected=0, compensated=0,
                                     failed_after_ack=0, in_flight=0, inconsistent=0)
    table = next(b for b in verdict_section(res) if b[0] == "table")
    assert ["client latency, p99", "lower", "1.50 ± 0.05 s", "100 ± 10 ms", "500 ± 20 ms",
            row["winner"]] in table[2]
