"""The compiled engine (setup.py, mypyc) is the one installed, and it computes exactly what
the interpreted Python sources compute: same records, byte for byte, on every built-in
scenario and the fingerprint's variants (benchmarks/fingerprint.py)."""

from __future__ import annotations

import importlib.machinery
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.compiled import STALE_AFTER_S, engine, stale_sources

ROOT = Path(__file__).resolve().parents[2]
FINGERPRINT = ROOT / "benchmarks" / "fingerprint.py"
PURE = os.environ.get("ARCHSIM_PURE", "") not in ("", "0")


def _run(args: list[str], pythonpath: Path | None = None) -> str:
    """``python args`` in a fresh process; ``pythonpath`` first on its path if given (it is
    also the working folder, which ``python -c`` puts before PYTHONPATH)."""
    env = dict(os.environ)
    cwd = None
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
        cwd = pythonpath
    done = subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(PURE, reason="installed with ARCHSIM_PURE=1: the engine is interpreted")
def test_the_installed_engine_is_compiled():
    # What the README's install gives, so CI measures and tests the compiled engine.
    assert engine() == "compiled"


@pytest.mark.slow
@pytest.mark.skipif(PURE, reason="installed with ARCHSIM_PURE=1: nothing to compare with")
def test_compiled_and_interpreted_engines_give_identical_records(tmp_path):
    # The interpreted engine: a copy of the package's sources without any build.
    shutil.copytree(ROOT / "sim", tmp_path / "sim",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    probe = ["-c", "import sim.compiled as c; print(c.engine())"]
    assert _run(probe, tmp_path).strip() == "interpreted"
    assert _run(probe).strip() == "compiled"
    interpreted = _run([str(FINGERPRINT)], tmp_path)
    compiled = _run([str(FINGERPRINT)])
    assert interpreted.count("\n") > 30  # every built-in scenario, variant and chain ran
    assert compiled == interpreted


def test_a_source_edited_after_its_build_is_reported_stale(tmp_path):
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    (tmp_path / "styles").mkdir()
    for name in ("job", "styles/call", "queues"):
        (tmp_path / f"{name}.py").write_text("")
        (tmp_path / f"{name}{suffix}").write_bytes(b"")
    (tmp_path / "report.py").write_text("")  # interpreted: never stale
    built = (tmp_path / f"job{suffix}").stat().st_mtime
    os.utime(tmp_path / "job.py", (built + 60, built + 60))  # edited a minute later
    os.utime(tmp_path / "styles/call.py", (built + 60, built + 60))
    os.utime(tmp_path / "queues.py", (built + STALE_AFTER_S / 2,) * 2)  # written by the install
    os.utime(tmp_path / "report.py", (built + 60, built + 60))
    assert stale_sources(tmp_path) == ["job.py", "styles/call.py"]
