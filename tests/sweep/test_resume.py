"""Resuming: a rerun into the same folder redoes exactly the lost and damaged runs, and
the outputs equal those of an uninterrupted sweep."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.sweep import PARQUET_FILE, SUMMARY_FILE, RunStore
from tests.sweep.helpers import RUNS, cli_args, invoke, run_files

REPO = Path(__file__).resolve().parents[2]


def same_outputs(folder: Path, reference) -> bool:
    return all((folder / f).read_bytes() == (reference.folder / f).read_bytes()
               for f in (PARQUET_FILE, SUMMARY_FILE))


@pytest.fixture
def finished(tmp_path, reference) -> Path:
    """A private copy of the finished reference sweep, without its outputs."""
    out = tmp_path / "sweep"
    shutil.copytree(reference.folder, out)
    (out / PARQUET_FILE).unlink()
    (out / SUMMARY_FILE).unlink()
    return out


def test_a_finished_sweep_reruns_nothing(finished, reference):
    result = invoke(*cli_args(finished))
    assert result.exit_code == 0, (result.output, result.exception)
    assert f"{RUNS} runs: 0 done, {RUNS} skipped" in result.stdout
    assert same_outputs(finished, reference)


def test_lost_and_damaged_runs_are_redone_and_the_results_are_unchanged(finished, reference):
    files = run_files(finished)
    assert len(files) == RUNS
    for path in files[:10]:                       # lost: never written
        path.unlink()
    truncated = files[10]                          # killed while writing (no os.replace)
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    tampered = files[11]                           # whole JSON, but not this run's inputs
    record = json.loads(tampered.read_text())
    record["replication"] += 1
    tampered.write_text(json.dumps(record))
    missing_key = files[12]                        # whole JSON, a required key missing
    record = json.loads(missing_key.read_text())
    del record["row"]["ack_p99_s"]
    missing_key.write_text(json.dumps(record))
    (finished / "runs" / f".{files[13].name}.tmp-99999").write_text("{")  # killed writer

    result = invoke(*cli_args(finished))

    assert result.exit_code == 0, (result.output, result.exception)
    assert f"{RUNS} runs: 13 done, {RUNS - 13} skipped (3 damaged run files redone)" \
        in result.stdout
    assert same_outputs(finished, reference)
    store = RunStore(finished / "runs")
    assert all(store.load(p.stem) is not None for p in run_files(finished))
    assert len(run_files(finished)) == RUNS
    assert not list((finished / "runs").glob(".*"))


def test_a_killed_sweep_resumes(tmp_path, reference):
    """Kill -9 a running `archsim sweep` (one process, so runs finish one by one), then
    rerun it: the stored runs are skipped, the rest done, the results as uninterrupted."""
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "sim", *cli_args(out), "--jobs", "1"]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(run_files(out)) < 5 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this test started
        proc.wait()
    stored = len(run_files(out))
    assert proc.returncode == -signal.SIGKILL, "the sweep ended before it could be killed"
    assert 5 <= stored < RUNS
    assert not (out / PARQUET_FILE).exists()

    result = invoke(*cli_args(out))

    assert result.exit_code == 0, (result.output, result.exception)
    assert f"{RUNS} runs: {RUNS - stored} done, {stored} skipped" in result.stdout
    assert same_outputs(out, reference)
