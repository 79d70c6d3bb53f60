"""`python -m sim` in a real process: exit codes as the shell sees them, and no traceback
on stderr (CliRunner catches exceptions, so only a real process shows what a user sees)."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.cli.helpers import PYTHON, REPO, SMALL_RUN, TINY, write_yaml


def archsim(*args, cwd=REPO) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COLUMNS")}
    return subprocess.run([PYTHON, "-m", "sim", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _installed_sim_is_a_namespace_package() -> bool:
    """True when, outside the repo, `import sim` finds a namespace package: the venv's
    editable install was made before sim/__init__.py existed (reinstall to fix)."""
    probe = subprocess.run([PYTHON, "-c", "import sim; print(getattr(sim, '__file__', None))"],
                           cwd="/", capture_output=True, text=True, timeout=60)
    return probe.stdout.strip() == "None"


STALE_INSTALL = _installed_sim_is_a_namespace_package()


def test_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path):
    data = {**TINY, "services": {**TINY["services"], "payment": {"wrokers": 2}}}
    path = write_yaml(tmp_path / "typo.yaml", data)
    proc = archsim("check", path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert str(path) in lines[0] and "services.payment.wrokers" in lines[0]
    assert "did you mean 'workers'" in lines[0]


def test_a_python_tag_is_never_executed(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text('!!python/object/apply:os.system ["echo hi"]\n')
    proc = archsim("check", path)
    assert proc.returncode == 2
    assert "hi" not in proc.stdout.split()
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_run_with_progress_exits_0_without_traceback(tmp_path):
    scenario = write_yaml(tmp_path / "tiny.yaml", TINY)
    out = tmp_path / "out"
    args = [a for a in SMALL_RUN if a != "--quiet"]
    proc = archsim("run", scenario, *args, "--replications", "1", "--jobs", "1", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"results: {out}" in proc.stdout
    assert (out / "summary.csv").is_file()


@pytest.mark.xfail(STALE_INSTALL, strict=True,
                   reason="this venv's editable install predates sim/__init__.py, so outside "
                   "the repo `import sim` is a namespace package without __version__ and "
                   "Results.save fails (AttributeError, exit 1); `pip install -e .` fixes it")
def test_run_from_another_folder_with_relative_paths(tmp_path):
    write_yaml(tmp_path / "tiny.yaml", TINY)
    proc = archsim("run", "tiny.yaml", *SMALL_RUN, "--replications", "1", "--jobs", "1",
                   "--out", "res", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (tmp_path / "res" / "summary.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res", "tiny.yaml"]
