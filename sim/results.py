"""The results of a comparison: frames in memory, a folder on disk, and back.

A results folder (see DESIGN.md) is written into a temporary sibling folder and renamed
into place at the end, so a reader never sees half of one. ``load_results`` reads a folder
back into the same object, which is all ``archsim report`` needs.

The orders are not held in memory: ``Results.orders`` reads them, on first access, from
their Parquet files (the runs' spools, or a folder's ``orders.parquet``) and keeps the
frame; ``Results.read_orders(columns)`` reads only some columns and keeps nothing. Saving
copies the spools into ``orders.parquet`` a row group at a time.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

import sim
from sim.compiled import engine
from sim.errors import ArchsimError
from sim.loading import dump_scenario, load_scenario

SUMMARY_FILE, COMPARISON_FILE, RUNS_FILE = "summary.csv", "comparison.csv", "runs.csv"
ORDERS_FILE, TIMESERIES_FILE, PROPAGATION_FILE = "orders.parquet", "timeseries.parquet", "propagation.csv"


class OrderFiles:
    """Parquet files holding a comparison's orders, in order (architecture, replication).

    ``OrderFiles.temporary()`` makes a private folder for the runs' spools, removed when
    the object is garbage collected (or at exit)."""

    def __init__(self, paths=(), folder: Path | None = None):
        self.paths = [Path(p) for p in paths]
        self.folder = folder

    @classmethod
    def temporary(cls) -> OrderFiles:
        files = cls(folder=Path(tempfile.mkdtemp(prefix="archsim-orders-")))
        weakref.finalize(files, shutil.rmtree, str(files.folder), True)
        return files

    def read(self, columns=None, architecture: str | None = None) -> pd.DataFrame:
        from sim.spool import read_orders
        return read_orders(self.paths, columns, architecture)

    def write(self, dest: Path) -> None:
        from sim.spool import write_orders
        write_orders(self.paths, dest)


@dataclass
class Results:
    """Every frame of a comparison: ``summary`` (per architecture), ``comparison`` (paired
    differences), ``runs`` (per run), ``orders``, ``timeseries``, ``propagation``.

    ``orders`` may be given as a frame or as :class:`OrderFiles`; the attribute always
    gives the frame (read from the files on first access, then kept)."""

    scenario: object
    architectures: list
    replications: int
    runs: pd.DataFrame
    summary: pd.DataFrame
    comparison: pd.DataFrame
    orders: pd.DataFrame | OrderFiles
    timeseries: pd.DataFrame
    propagation: pd.DataFrame
    warnings: list = field(default_factory=list)
    manifest: dict = field(default_factory=dict)

    def __getattribute__(self, name):
        value = object.__getattribute__(self, name)
        if name == "orders" and isinstance(value, OrderFiles):
            frame = value.read()
            object.__setattr__(self, "_order_files", value)
            object.__setattr__(self, "orders", frame)
            return frame
        return value

    @property
    def order_files(self) -> OrderFiles | None:
        """Where the orders are on disk (None if they were given as a frame)."""
        files = self.__dict__.get("orders")
        return files if isinstance(files, OrderFiles) else self.__dict__.get("_order_files")

    def read_orders(self, columns=None, architecture: str | None = None) -> pd.DataFrame:
        """Some columns of the orders, of one architecture or all: from the frame if
        loaded, else read from the files (nothing kept), so charts need not load them all."""
        if isinstance(self.__dict__.get("orders"), OrderFiles):
            return self.__dict__["orders"].read(columns, architecture)
        frame = self.orders
        if architecture is not None:
            frame = frame[frame["architecture"] == architecture]
        return frame if columns is None else frame[list(columns)]

    def build_manifest(self) -> dict:
        """Run metadata: what ran, how big it was and what it cost."""
        s = self.scenario
        cost_columns = ["architecture", "replication", "orders", "service_visits",
                        "engine_events", "wall_s", "cpu_s", "peak_rss_mb", "warmup_s",
                        "little_max_deviation"]
        runs = self.runs[[c for c in cost_columns if c in self.runs]]
        return {
            "peak_rss_mb": {"main": peak_rss_mb(),
                            "largest_worker": (float(self.runs["peak_rss_mb"].max())
                                               if "peak_rss_mb" in self.runs else None)},
            "scenario": s.name,
            "seed": s.seed,
            "architectures": self.architectures,
            "replications": self.replications,
            "version": sim.__version__,
            "python": platform.python_version(),
            "engine": engine(),  # compiled (setup.py) or interpreted: it changes wall_s, cpu_s
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
            (tmp / "scenario.yaml").write_text(dump_scenario(self.scenario))
            self.summary.to_csv(tmp / SUMMARY_FILE, index=False)
            self.comparison.to_csv(tmp / COMPARISON_FILE, index=False)
            self.runs.to_csv(tmp / RUNS_FILE, index=False)
            self.propagation.to_csv(tmp / PROPAGATION_FILE, index=False)
            files = self.order_files
            if isinstance(self.__dict__.get("orders"), OrderFiles):
                files.write(tmp / ORDERS_FILE)  # a row group at a time
            else:
                self.orders.to_parquet(tmp / ORDERS_FILE, index=False)
            self.timeseries.to_parquet(tmp / TIMESERIES_FILE, index=False)
            if report:
                from sim.report import write_report
                write_report(self, tmp, name=out.name)
            if "peak_rss_mb" in self.manifest:  # written last: the peak includes the saving
                self.manifest["peak_rss_mb"]["main"] = peak_rss_mb()
            (tmp / "manifest.json").write_text(json.dumps(self.manifest, indent=2) + "\n")
            _replace(tmp, out)
            if files is not None and files.paths and not all(p.exists() for p in files.paths):
                files.paths = [out / ORDERS_FILE]  # they were in the folder just replaced
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


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
        orders=OrderFiles([folder / ORDERS_FILE]),  # read when first used
        timeseries=pd.read_parquet(folder / TIMESERIES_FILE),
        propagation=pd.read_csv(folder / PROPAGATION_FILE),
        warnings=manifest.get("warnings", []),
        manifest=manifest,
    )
