"""The Python API that the command line and notebooks share."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from sim import charts
from sim.errors import ScenarioError
from sim.loading import builtin_scenarios
from sim.loading import load_scenario as _load
from sim.metrics import ci_column
from sim.recorder import OUTCOMES
from sim.results import Results, check_out_folder, default_folder, load_results
from sim.runner import run
from sim.verdict import verdict_frame

__all__ = ["load_scenario", "run", "load_results", "default_folder", "Results",
           "check_architectures", "rebuild_report", "check_out_folder", "builtin_scenarios",
           "charts", "ci_column", "verdict_frame", "OUTCOMES"]


def load_scenario(source, overrides: Sequence[str] = (), seed: int | None = None,
                  replications: int | None = None):
    """A validated scenario from a path, a built-in name or a dict, with overrides applied."""
    if isinstance(source, (str, os.PathLike)) and not Path(source).exists():
        builtin = builtin_scenarios()
        if str(source) in builtin:
            source = builtin[str(source)]
        elif isinstance(source, str) and not source.endswith((".yaml", ".yml")):
            raise ScenarioError(f"no such file or built-in scenario; built-in: {', '.join(builtin)}",
                                file=str(source))
    extra = list(overrides)
    if seed is not None:
        extra.append(f"seed={seed}")
    if replications is not None:
        extra.append(f"replications={replications}")
    return _load(source, extra)


def check_architectures(scenario, names: Sequence[str]) -> list[str]:
    """The architectures to run: all, or those named (each must exist)."""
    known = list(scenario.architectures)
    for name in names:
        if name not in known:
            raise ScenarioError(f"unknown architecture {name!r}; allowed: {', '.join(known)}",
                                path="--arch")
    return list(names) or known


def rebuild_report(folder) -> Path:
    """Rewrite report.md, report.html and charts/ of a results folder from its files alone."""
    from sim.report import write_report
    results = load_results(folder)
    write_report(results, Path(folder))
    return Path(folder) / "report.md"
