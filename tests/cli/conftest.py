"""Fixtures of the command-line tests (helpers live in tests/cli/helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import SMALL_RUN, TINY, invoke, write_yaml


@pytest.fixture
def tiny_file(tmp_path: Path) -> Path:
    """The tiny scenario as a file in a fresh folder."""
    return write_yaml(tmp_path / "tiny.yaml", TINY)


@pytest.fixture(scope="session")
def tiny_session_file(tmp_path_factory) -> Path:
    return write_yaml(tmp_path_factory.mktemp("scenario") / "tiny.yaml", TINY)


@pytest.fixture(scope="session")
def small_run(tmp_path_factory, tiny_session_file):
    """One `archsim run` of the tiny scenario, shared by the results-folder tests:
    (click result, results folder). The folder sits alone in its parent so that
    leftovers beside it can be seen; the terminal is 80 columns wide."""
    out = tmp_path_factory.mktemp("run") / "results"
    result = invoke("run", tiny_session_file, *SMALL_RUN, "--jobs", "1", "--out", out,
                    env={"COLUMNS": "80"})
    assert result.exit_code == 0, (result.output, result.exception)
    return result, out


@pytest.fixture
def without_charts(monkeypatch):
    """Replace the report writer by a one-line report.md, for tests about the data files.

    The real report renders seven matplotlib charts (several seconds per run); the tests
    that check the report itself (the shared `small_run`, `archsim report`, the subprocess
    run) keep it.
    """
    def write_report(results, folder, *args, **kwargs):
        (Path(folder) / "report.md").write_text(f"# {results.scenario.name}\n")

    monkeypatch.setattr("sim.report.write_report", write_report)
