"""The results of a comparison: frames in memory, a folder on disk, and back.

A results folder (see DESIGN.md) is written into a temporary sibling folder and renamed
into place at the end, so a reader never sees half of one. ``load_results`` reads a folder
back into the same object, which is all ``archsim report`` needs.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

import sim
from sim.errors import ArchsimError
from sim.loading import dump_scenario, load_scenario

SUMMARY_FILE, COMPARISON_FILE, RUNS_FILE = "summary.csv", "comparison.csv", "runs.csv"
ORDERS_FILE, TIMESERIES_FILE, PROPAGATION_FILE = "orders.parquet", "timeseries.parquet", "propagation.csv"


@dataclass
class Results:
    """Every frame of a comparison: ``summary`` (per architecture), ``comparison`` (paired
    differences), ``runs`` (per run), ``orders``, ``timeseries``, ``propagation``."""

    scenario: object
    architectures: list
    replications: int
    runs: pd.DataFrame
    summary: pd.DataFrame
    comparison: pd.DataFrame
    orders: pd.DataFrame
    timeseries: pd.DataFrame
    propagation: pd.DataFrame
    warnings: list = field(default_factory=list)
    manifest: dict = field(default_factory=dict)

    def build_manifest(self) -> dict:
        """Run metadata: what ran, how big it was and what it cost."""
        s = self.scenario
        cost_columns = ["architecture", "replication", "orders", "service_visits",
                        "engine_events", "wall_s", "cpu_s", "peak_rss_mb", "warmup_s",
                        "little_max_deviation"]
        runs = self.runs[[c for c in cost_columns if c in self.runs]]
        return {
            "scenario": s.name,
            "seed": s.seed,
            "architectures": self.architectures,
            "replications": self.replications,
            "version": sim.__version__,
            "python": platform.python_version(),
            "warmup": s.warmup,
            "warnings": self.warnings,
            "runs": json.loads(runs.to_json(orient="records")),
        }

    def save(self, out: str | os.PathLike, report: bool = True) -> Path:
        """Write the results folder atomically; returns its path."""
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        try:
            self.manifest = self.manifest or self.build_manifest()
            (tmp / "manifest.json").write_text(json.dumps(self.manifest, indent=2) + "\n")
            (tmp / "scenario.yaml").write_text(dump_scenario(self.scenario))
            self.summary.to_csv(tmp / SUMMARY_FILE, index=False)
            self.comparison.to_csv(tmp / COMPARISON_FILE, index=False)
            self.runs.to_csv(tmp / RUNS_FILE, index=False)
            self.propagation.to_csv(tmp / PROPAGATION_FILE, index=False)
            self.orders.to_parquet(tmp / ORDERS_FILE, index=False)
            self.timeseries.to_parquet(tmp / TIMESERIES_FILE, index=False)
            if report:
                from sim.report import write_report
                write_report(self, tmp, name=out.name)
            _replace(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out


def _replace(tmp: Path, out: Path) -> None:
    """Move ``tmp`` to ``out``, replacing an older folder there in one rename."""
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.rename(out, old)
        os.rename(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, out)


def default_folder(scenario, root: str | os.PathLike = "results") -> Path:
    """``results/<name>-<timestamp>``."""
    return Path(root) / f"{scenario.name}-{time.strftime('%Y%m%d-%H%M%S')}"


def check_out_folder(out: str | os.PathLike) -> None:
    """Refuse, before any simulation, an output path that cannot or must not be replaced:
    a file, a folder below a file, or a non-empty folder that is not a results folder."""
    out = Path(out)
    for parent in [out, *out.parents]:
        if parent.exists() and not parent.is_dir():
            raise ArchsimError(f"{out}: {parent} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "manifest.json").exists():
        raise ArchsimError(f"{out}: refusing to replace a folder that is not a results folder "
                           "(no manifest.json); choose another --out")


def load_results(folder: str | os.PathLike) -> Results:
    """Read a results folder written by :meth:`Results.save`."""
    folder = Path(folder)
    if not (folder / "manifest.json").is_file():
        raise ArchsimError(f"{folder}: not a results folder (no manifest.json)")
    manifest = json.loads((folder / "manifest.json").read_text())
    scenario = load_scenario(folder / "scenario.yaml")
    comparison = folder / COMPARISON_FILE
    return Results(
        scenario=scenario,
        architectures=manifest["architectures"],
        replications=manifest["replications"],
        runs=pd.read_csv(folder / RUNS_FILE),
        summary=pd.read_csv(folder / SUMMARY_FILE),
        comparison=pd.read_csv(comparison) if comparison.stat().st_size > 1 else pd.DataFrame(),
        orders=pd.read_parquet(folder / ORDERS_FILE),
        timeseries=pd.read_parquet(folder / TIMESERIES_FILE),
        propagation=pd.read_csv(folder / PROPAGATION_FILE),
        warnings=manifest.get("warnings", []),
        manifest=manifest,
    )
