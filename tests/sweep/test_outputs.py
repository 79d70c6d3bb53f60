"""sweep.parquet, sweep_summary.csv and the charts."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.metrics import HEADLINE, MEAN_METRICS, ci_column
from sim.stats import mean_ci
from sim.sweep import COST_COLUMNS, PARQUET_FILE, SUMMARY_FILE
from tests.sweep.helpers import REPLICATIONS, RUNS, invoke, small_scenario

KEYS = ["services.payment.workers", "traffic.rate"]


def test_parquet_has_a_row_per_run_grid_keys_first_then_the_metrics(reference):
    runs = pd.read_parquet(reference.folder / PARQUET_FILE)
    assert list(runs.columns[:4]) == KEYS + ["architecture", "replication"]
    assert len(runs) == RUNS
    assert not set(COST_COLUMNS) & set(runs.columns), "times vary run to run: not results"
    assert set(MEAN_METRICS) <= set(runs.columns)
    archs = list(small_scenario().architectures)
    expected = [(w, r, a, i) for w in (8, 32) for r in (2, 5, 8) for a in archs
                for i in range(REPLICATIONS)]
    got = list(runs[KEYS + ["architecture", "replication"]].itertuples(index=False, name=None))
    assert got == expected


def test_summary_has_a_row_per_cell_and_architecture_with_intervals(reference):
    runs = pd.read_parquet(reference.folder / PARQUET_FILE)
    summary = pd.read_csv(reference.folder / SUMMARY_FILE)
    assert list(summary.columns[:4]) == KEYS + ["architecture", "replications"]
    assert len(summary) == RUNS // REPLICATIONS
    for metric in ("ack_mean_s", "ack_p99_s", "throughput_per_s"):
        assert ci_column(metric) in summary.columns
    row = summary.iloc[7]
    cell = runs[(runs[KEYS[0]] == row[KEYS[0]]) & (runs[KEYS[1]] == row[KEYS[1]])
                & (runs["architecture"] == row["architecture"])]
    mean, half = mean_ci(cell["ack_p99_s"].to_numpy())
    assert row["replications"] == REPLICATIONS
    assert row["ack_p99_s"] == pytest.approx(mean, rel=1e-12)
    assert row["ack_p99_ci_s"] == pytest.approx(half, rel=1e-12)
    assert row["orders"] == cell["orders"].sum()


def test_charts_of_each_headline_metric_against_each_grid_key(tmp_path):
    out = tmp_path / "sweep"
    result = invoke("sweep", "prime_day", "--set", "duration=60", "--set", "drain=10",
                    "--set", "warmup=0", "--grid", "traffic.rate=2,4",
                    "--grid", "client.timeout=5s,10s", "--arch", "request-response",
                    "--arch", "event-driven", "--replications", 2, "--jobs", 1,
                    "--out", out, "--quiet")
    assert result.exit_code == 0, (result.output, result.exception)
    names = sorted(p.name for p in (out / "charts").glob("*.png"))
    assert names == sorted(f"{m}-by-{k}.png" for m in HEADLINE
                           for k in ("traffic.rate", "client.timeout"))
    assert all((out / "charts" / n).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for n in names)
    assert "16 runs: 16 done, 0 skipped" in result.stdout
