"""The same sweep gives the same numbers whatever runs it: one process, a pool, or Dask."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.sweep import PARQUET_FILE, SUMMARY_FILE, parse_grid, run_sweep
from tests.sweep.helpers import GRID, REPLICATIONS, RUNS, SMALL, invoke, small_scenario


def assert_same_sweep(folder, reference):
    """Same sweep.parquet (frame and bytes) and sweep_summary.csv as the reference."""
    got = pd.read_parquet(folder / PARQUET_FILE)
    pd.testing.assert_frame_equal(got, pd.read_parquet(reference.folder / PARQUET_FILE),
                                  check_exact=True)
    assert (folder / PARQUET_FILE).read_bytes() == (reference.folder / PARQUET_FILE).read_bytes()
    assert (folder / SUMMARY_FILE).read_text() == (reference.folder / SUMMARY_FILE).read_text()


def test_the_reference_sweep_ran_every_run(reference):
    assert (reference.total, reference.done, reference.skipped) == (RUNS, RUNS, 0)
    assert len(reference.runs) == RUNS


def test_one_process_gives_the_same_sweep_as_a_pool(tmp_path, reference):
    result = run_sweep(small_scenario(), parse_grid(GRID), tmp_path / "one",
                       replications=REPLICATIONS, jobs=1, charts=False)
    assert result.done == RUNS
    assert_same_sweep(result.folder, reference)


def test_a_dask_cluster_gives_the_same_sweep(tmp_path, reference):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, host="127.0.0.1",
                                  threads_per_worker=1, dashboard_address=None) as cluster:
        result = run_sweep(small_scenario(), parse_grid(GRID), tmp_path / "dask",
                           replications=REPLICATIONS, executor="dask",
                           scheduler=cluster.scheduler_address, charts=False)
        with distributed.Client(cluster) as client:
            ran = client.run_on_scheduler(
                lambda dask_scheduler: sum(1 for t in dask_scheduler.task_prefixes
                                           if t.startswith("archsim-run")))
    assert result.done == RUNS
    assert ran >= 1, "the runs did not go through the cluster"
    assert_same_sweep(result.folder, reference)


def test_executor_dask_without_a_scheduler_starts_a_loopback_cluster(tmp_path, reference,
                                                                    monkeypatch):
    distributed = pytest.importorskip("distributed")
    started = []

    class Recording(distributed.LocalCluster):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append((kwargs, self.scheduler_address,
                            [w.address for w in self.scheduler.workers.values()]))

    monkeypatch.setattr(distributed, "LocalCluster", Recording)
    out = tmp_path / "dask"
    args = ["sweep", "prime_day", "--executor", "dask", "--jobs", 2, "--replications", 2,
            "--grid", "traffic.rate=2,8", "--set", "services.payment.workers=8",
            "--arch", "hybrid", "--out", out, "--no-charts", "--quiet"]
    result = invoke(*args, *[a for s in SMALL for a in ("--set", s)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "4 runs: 4 done, 0 skipped" in result.stdout
    [(kwargs, address, workers)] = started
    assert kwargs["processes"] is True and kwargs["n_workers"] == 2
    assert address.startswith("tcp://127.0.0.1:")
    assert workers and all(w.startswith("tcp://127.0.0.1:") for w in workers)
    # The same runs as the reference's cells with 8 payment workers: a run depends on its
    # resolved scenario, not on the grid it came from or the executor that ran it.
    got = pd.read_parquet(out / PARQUET_FILE)
    ref = reference.runs
    ref = ref[(ref["services.payment.workers"] == 8) & ref["traffic.rate"].isin([2, 8])
              & (ref["architecture"] == "hybrid") & (ref["replication"] < 2)]
    pd.testing.assert_frame_equal(got.reset_index(drop=True),
                                  ref.drop(columns="services.payment.workers")
                                  .reset_index(drop=True), check_exact=True)
