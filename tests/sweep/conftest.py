"""The reference sweep, run once with the local executor and shared read-only."""

from __future__ import annotations

import pytest

from sim.sweep import parse_grid, run_sweep
from tests.sweep.helpers import GRID, REPLICATIONS, small_scenario


@pytest.fixture(scope="session")
def reference(tmp_path_factory, jobs):
    """The small sweep with the local process pool: its SweepResult (do not write into
    its folder; copy it first)."""
    out = tmp_path_factory.mktemp("reference") / "sweep"
    return run_sweep(small_scenario(), parse_grid(GRID), out, replications=REPLICATIONS,
                     jobs=jobs, charts=False)
