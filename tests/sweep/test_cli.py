"""The sweep and plan commands explain themselves and refuse bad input with exit code 2."""

from __future__ import annotations

import re

import pytest

from tests.sweep.helpers import cli_args, invoke


@pytest.mark.parametrize("name", ["sweep", "plan"])
def test_help_has_an_example(name):
    result = invoke(name, "--help")
    assert result.exit_code == 0
    assert re.search(rf"^\s*Example: archsim {name} scenarios/\S+\.yaml ", result.stdout, re.M)


def test_sweep_needs_a_grid(tmp_path):
    result = invoke("sweep", "prime_day", "--out", tmp_path / "x")
    assert result.exit_code == 2
    assert "--grid" in result.stderr


def test_a_scheduler_needs_the_dask_executor(tmp_path):
    result = invoke(*cli_args(tmp_path / "x", "--scheduler", "tcp://127.0.0.1:1"))
    assert result.exit_code == 2
    assert "--executor dask" in result.stderr
    assert not (tmp_path / "x").exists()


def test_an_unreachable_scheduler_is_one_line_and_exit_1(tmp_path, monkeypatch):
    monkeypatch.setattr("sim.sweep.SCHEDULER_TIMEOUT", "1s")
    result = invoke(*cli_args(tmp_path / "x", "--executor", "dask",
                              "--scheduler", "tcp://127.0.0.1:9"))
    assert result.exit_code == 1, (result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and "cannot reach the dask scheduler" in lines[0]
