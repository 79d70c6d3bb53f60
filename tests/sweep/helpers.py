"""The small sweep every sweep test starts from: prime_day cut to two minutes of arrivals.

A 2 x 3 grid (payment workers x traffic rate) x 3 architectures x 3 replications: 54 runs
of a few hundred orders each, about five seconds on one core.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from sim.api import load_scenario
from sim.cli import main

SMALL = ["duration=120", "drain=30", "warmup=0"]
GRID = ["services.payment.workers=8,32", "traffic.rate=2,5,8"]
REPLICATIONS = 3
RUNS = 2 * 3 * 3 * REPLICATIONS


def small_scenario():
    """The built-in prime_day scenario, small."""
    return load_scenario("prime_day", SMALL)


def cli_args(out: Path, *extra) -> list[str]:
    """`archsim sweep` arguments for the small sweep into ``out``."""
    args = ["sweep", "prime_day", "--replications", str(REPLICATIONS), "--out", str(out),
            "--no-charts", "--quiet"]
    for assignment in SMALL:
        args += ["--set", assignment]
    for grid in GRID:
        args += ["--grid", grid]
    return args + [str(e) for e in extra]


def invoke(*args) -> Result:
    """`archsim ARGS...` in-process; stdout and stderr kept apart."""
    return CliRunner().invoke(main, [str(a) for a in args])


def run_files(folder: Path) -> list[Path]:
    return sorted((Path(folder) / "runs").glob("*.json"))
