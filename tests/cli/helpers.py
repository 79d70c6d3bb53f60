"""Shared pieces of the command-line tests: a tiny scenario, a runner, error checks.

The tiny scenario has every feature the results files report on (a business
failure with a compensation, a fault, three architectures including a hybrid)
but only a few hundred orders: its simulation takes well under a second (the
report's charts take a few seconds more).
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner, Result

from sim.cli import main

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

TINY = {
    "name": "tiny",
    "description": "Four services, a payment outage and three architectures, for CLI tests.",
    "seed": 7,
    "duration": 120,
    "drain": 30,
    "warmup": 0,
    "replications": 3,
    "traffic": {"rate": 5},
    "services": {
        "order": {"workers": 4, "time": {"dist": "exponential", "mean": 0.01}},
        "invoice": {"workers": 2, "time": {"dist": "constant", "mean": 0.02}},
        "payment": {"workers": 2, "time": {"dist": "exponential", "mean": 0.03},
                    "ops": {"refund": {"dist": "constant", "mean": 0.01}}},
        "fulfillment": {"workers": 2, "time": {"dist": "exponential", "mean": 0.05}},
        "shipping": {"workers": 1, "time": {"dist": "exponential", "mean": 0.02}},
    },
    "flow": {
        "entry": "order",
        "links": ["order -> invoice", "order -> payment", "payment -> fulfillment",
                  "fulfillment -> shipping"],
        "business_failures": [{"name": "out_of_stock", "at": "fulfillment",
                               "probability": 0.05, "compensate": ["payment.refund"]}],
    },
    "architectures": {
        "request-response": {"style": "call"},
        "event-driven": {"style": "event"},
        "hybrid": {"style": "event", "links": {"order -> payment": "call"}},
    },
    "faults": [{"target": "payment", "kind": "outage", "start": 20, "end": 30}],
}
ARCHITECTURES = list(TINY["architectures"])

# The run every results test starts from: DESIGN's "tiny scenario" command line.
SMALL_RUN = ["--set", "duration=60", "--set", "drain=10", "--replications", "2", "--quiet"]


def tiny() -> dict:
    """A fresh deep copy of the tiny scenario, to change for one test."""
    return copy.deepcopy(TINY)


def write_yaml(path: Path, data) -> Path:
    """`data` as a YAML file at `path` (NaN and infinities come out as .nan / .inf)."""
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def invoke(*args, env: dict | None = None) -> Result:
    """`archsim ARGS...` in-process; stdout and stderr kept apart."""
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def assert_bad_input(result: Result, *fragments: str) -> None:
    """Exit code 2, no traceback, and one or two stderr lines holding every fragment
    (case-insensitive)."""
    context = (f"exit {result.exit_code} ({result.exception!r})\n"
               f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    assert result.exit_code == 2, context
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output, context
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, context
    for fragment in fragments:
        assert fragment.lower() in result.stderr.lower(), f"{fragment!r} not in stderr\n{context}"
