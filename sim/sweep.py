"""Sweeps: a grid of scenario variants x architectures x replications, in parallel, resumable.

A sweep varies scenario keys over a grid (``services.payment.workers=8,16``, each value a
YAML scalar as in ``--set``). Each grid cell x architecture x replication is one *run*: a
pure function of the cell's resolved scenario (seed included), the architecture and the
replication, computed by :func:`sim.runner.run_one` and reduced to its metrics row.
Replication i draws the same random streams in every cell (common random numbers), so what
differs between cells comes from the keys varied, not from noise.

A run is named by a hash of its inputs (the resolved scenario YAML, architecture,
replication, archsim version and a digest of its source) and stored as soon as it
finishes in ``runs/<hash>.json`` (temp file + ``os.replace``), by the coordinating
process, never by a worker: workers on other machines need no shared disk. A rerun into
the same folder keeps every run file that parses, has the required keys and whose
embedded inputs hash to its name, and redoes the rest; killing a sweep loses only the
runs in flight. The outputs are built from the stored runs alone, in grid order, so they
do not depend on the executor, the number of workers, the order of completion, or on how
often the sweep was interrupted.

Executors: ``local`` (a process pool, or this process for one job) and ``dask`` (a
``dask.distributed`` scheduler, or a LocalCluster of processes on 127.0.0.1).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import sim
from sim import metrics
from sim.charts.style import DPI, arch_legend, new_figure, palette, styled
from sim.errors import ArchsimError, ScenarioError
from sim.loading import apply_override, dump_scenario, load_scenario, parse_yaml
from sim.runner import run_one
from sim.scenario import Scenario

SPEC_FILE, PARQUET_FILE, SUMMARY_FILE = "sweep.json", "sweep.parquet", "sweep_summary.csv"
# Vary from run to run (time, memory): kept in the run files, left out of sweep.parquet.
COST_COLUMNS = ("wall_s", "cpu_s", "peak_rss_mb")
RUN_KEYS = ("key", "version", "architecture", "replication", "scenario", "row")
REQUIRED_METRICS = metrics.COUNT_COLUMNS + metrics.MEAN_METRICS
# Headline metric -> (summary column, its half-width column), charted against each grid key.
CHART_METRICS = {m: (m, metrics.ci_column(m)) for m in metrics.HEADLINE if m != "inconsistent"}
CHART_METRICS["inconsistent"] = ("inconsistent_per_replication", "inconsistent_ci")
MAX_PANELS = 12
SCHEDULER_TIMEOUT = "10s"  # to connect to a dask scheduler
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster per run


def build_version() -> str:
    """The archsim version and a digest of the package's source: a run computed by other
    code (an edited engine under the same version number) is another run."""
    root = Path(sim.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{sim.__version__}+{digest.hexdigest()[:12]}"


VERSION = build_version()


class SweepError(Exception):
    """A sweep that could not finish: failed runs, an unreachable scheduler (exit code 1)."""


# --------------------------------------------------------------------------- grid and runs
def parse_grid(specs: Sequence[str]) -> dict[str, list[str]]:
    """``["KEY=V1,V2", ...]`` -> {key: [value texts]}; each value must be a YAML scalar."""
    grid: dict[str, list[str]] = {}
    for spec in specs:
        key, sep, text = spec.partition("=")
        key = key.strip()
        texts = [t.strip() for t in text.split(",")]
        if not sep or not key or not all(texts):
            raise ScenarioError(f"expected KEY=V1,V2,..., got {spec!r}", path="--grid")
        if key in grid or key == "replications":
            why = "is given twice" if key in grid else "cannot vary (use --replications)"
            raise ScenarioError(f"{key} {why}", path="--grid")
        if len(set(texts)) < len(texts):
            raise ScenarioError(f"repeated value in {spec!r}", path=f"--grid {key}")
        for t in texts:
            if isinstance(parse_yaml(t, f"--grid {key}"), (dict, list)):
                raise ScenarioError(f"a grid value must be a scalar, got {t!r}", path=key)
        grid[key] = texts
    if not grid:
        raise ScenarioError("give at least one --grid KEY=V1,V2,...", path="--grid")
    return grid


@dataclass(frozen=True)
class Cell:
    """One grid cell: the grid keys' values (as resolved, e.g. "1m" -> 60.0) and the run
    scenario (replications set to 1: a run is one replication) as YAML."""

    values: dict
    yaml: str


@dataclass(frozen=True)
class Task:
    """One run: a cell x architecture x replication, named by the hash of its inputs."""

    cell: int
    architecture: str
    replication: int
    key: str


def run_key(scenario_yaml: str, architecture: str, replication: int,
            version: str | None = None) -> str:
    """SHA-256 (hex) of a run's inputs: what the run is a pure function of."""
    text = "\0".join([scenario_yaml, architecture, str(replication), version or VERSION])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def resolve(base: Scenario, assignments: Sequence[str]) -> Scenario:
    """``base`` with ``KEY=VALUE`` assignments applied, validated (ScenarioError names the key)."""
    data = base.model_dump(mode="json", exclude_none=True)
    for assignment in assignments:
        data = apply_override(data, assignment)
    return load_scenario(data)


def _resolved_value(scenario: Scenario, key: str, text: str):
    """The value at ``key`` in the resolved scenario if a scalar (times in s), else as given."""
    node = scenario.model_dump(mode="json", exclude_none=True)
    for part in key.split("."):
        part = part.strip()
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return parse_yaml(text)
    return node if isinstance(node, (int, float, str, bool)) else text


def cells(base: Scenario, grid: dict[str, list[str]], option: str = "--grid") -> list[Cell]:
    """Every grid cell, validated (first key slowest); a bad key or value raises at once,
    naming ``option`` and the key path."""
    out: dict[str, Cell] = {}
    for combo in itertools.product(*grid.values()):
        pairs = [f"{k}={t}" for k, t in zip(grid, combo)]
        try:
            sc = resolve(base, pairs)
        except ScenarioError as exc:
            raise ScenarioError(f"{exc.problem} (cell {', '.join(pairs)})", file=option,
                                path=exc.path) from None
        cell = Cell({k: _resolved_value(sc, k, t) for k, t in zip(grid, combo)},
                    dump_scenario(sc.model_copy(update={"replications": 1})))
        if cell.yaml in out:
            raise ScenarioError(f"cells {out[cell.yaml].values} and {cell.values} are the "
                                "same scenario: drop one of the values", path=option)
        out[cell.yaml] = cell
    return list(out.values())


def tasks_of(grid_cells: Sequence[Cell], architectures: Sequence[str], replications: int):
    """Runs in output order: cell, then architecture, then replication."""
    return [Task(i, a, r, run_key(c.yaml, a, r)) for i, c in enumerate(grid_cells)
            for a in architectures for r in range(replications)]


def run_task(scenario_yaml: str, architecture: str, replication: int) -> dict:
    """Simulate one run on a worker: its metrics row only (no orders frames travel back)."""
    scenario = load_scenario(yaml.load(scenario_yaml, Loader=SAFE_LOADER))  # noqa: S506
    row = run_one(scenario, architecture, replication, series=False)["row"]
    return {"version": VERSION,
            "row": {k: v.item() if isinstance(v, np.generic) else v for k, v in row.items()}}


# --------------------------------------------------------------------------- run store
class RunStore:
    """``runs/<key>.json`` files: one finished run each, written atomically."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def load(self, key: str) -> dict | None:
        """The stored run ``key``, or None if absent, unreadable, incomplete or not its own."""
        try:
            record = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            return None
        if not isinstance(record, dict) or not all(k in record for k in RUN_KEYS):
            return None
        row = record["row"]
        if not isinstance(row, dict) or not all(m in row for m in REQUIRED_METRICS):
            return None
        inputs = (record["scenario"], record["architecture"], record["replication"],
                  record["version"])
        if not isinstance(inputs[0], str) or record["key"] != key or run_key(*inputs) != key:
            return None
        return record

    def save(self, record: dict) -> None:
        """Write one run: a temp file in the same folder, then ``os.replace``."""
        path = self.path(record["key"])
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(record) + "\n", encoding="utf-8")
        os.replace(tmp, path)

    def clean(self) -> None:
        """Remove temp files left by a killed sweep (one sweep per folder at a time)."""
        for tmp in self.folder.glob(".*.json.tmp-*"):
            tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------- executors
def execute(tasks: Sequence[tuple], executor: str = "local", jobs: int | None = None,
            scheduler: str | None = None) -> Iterator[tuple[int, dict | BaseException]]:
    """Run ``run_task(*args)`` for each args tuple; yield (index, result or exception) as
    each finishes. Close the generator to cancel what has not started."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    if executor == "dask":
        return _dask(tasks, jobs, scheduler)
    if executor != "local":
        raise ArchsimError(f"--executor: unknown executor {executor!r}; allowed: local, dask")
    return _local(tasks, jobs)


def _local(tasks, jobs):
    if jobs == 1 or len(tasks) <= 1:
        for i, args in enumerate(tasks):
            try:
                yield i, run_task(*args)
            except Exception as exc:  # a failed run is reported, the others go on
                yield i, exc
        return
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)))
    try:
        futures = {pool.submit(run_task, *args): i for i, args in enumerate(tasks)}
        for future in as_completed(futures):
            yield futures[future], future.exception() or future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _dask(tasks, jobs, scheduler):
    from distributed import Client, LocalCluster
    from distributed import as_completed as dask_completed
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT, set_as_default=False)
        else:  # loopback only: nothing listens beyond this machine, no dashboard
            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None,
                                   silence_logs=logging.ERROR)
            client = Client(cluster, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        where = f"reach the dask scheduler {scheduler}" if scheduler else "start a dask cluster"
        raise SweepError(f"cannot {where}: {exc}") from None
    futures = {}
    try:
        for i, args in enumerate(tasks):
            key = f"archsim-run-{run_key(*args)}"
            futures[client.submit(run_task, *args, key=key)] = i
        for future in dask_completed(list(futures), loop=client.loop):
            yield futures[future], (future.exception() if future.status == "error"
                                    else future.result())
            future.release()
    finally:
        client.cancel(list(futures))
        client.close()
        if cluster is not None:
            cluster.close()


# --------------------------------------------------------------------------- the sweep
@dataclass
class SweepResult:
    """What a sweep did (``done`` now, of which ``redone`` replaced damaged run files;
    ``skipped`` as already stored) and its frames: ``runs`` (sweep.parquet), ``summary``."""

    folder: Path
    total: int
    done: int
    skipped: int
    redone: int
    runs: pd.DataFrame
    summary: pd.DataFrame
    wall_s: float
    charts: list = field(default_factory=list)


def default_folder(base: Scenario, grid_tasks: Sequence[Task], root="results") -> Path:
    """``results/<name>-sweep-<8 hex>``: the same sweep always lands in the same folder."""
    digest = hashlib.sha256("".join(sorted(t.key for t in grid_tasks)).encode()).hexdigest()
    return Path(root) / f"{base.name}-sweep-{digest[:8]}"


def check_sweep_folder(out: Path) -> None:
    """Refuse a file, or a non-empty folder that is not a sweep folder (no sweep.json)."""
    for parent in [out, *out.parents]:
        if parent.exists() and not parent.is_dir():
            raise ArchsimError(f"{out}: {parent} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / SPEC_FILE).exists():
        raise ArchsimError(f"{out}: refusing to write into a folder that is not a sweep "
                           f"folder (no {SPEC_FILE}); choose another --out")


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write(tmp)
    os.replace(tmp, path)


def _write_spec(folder: Path, base: Scenario, grid, archs, reps, extra: dict) -> None:
    spec = {"scenario": base.name, "seed": base.seed, "grid": grid, "architectures": archs,
            "replications": reps, "version": VERSION, **extra}
    _atomic(folder / SPEC_FILE, lambda p: p.write_text(json.dumps(spec, indent=2) + "\n"))
    _atomic(folder / "scenario.yaml", lambda p: p.write_text(dump_scenario(base)))


def run_sweep(base: Scenario, grid: dict[str, list[str]], out=None, architectures=None,
              replications: int | None = None, executor: str = "local",
              jobs: int | None = None, scheduler: str | None = None,
              progress: Callable[[int, int], None] | None = None,
              charts: bool = True) -> SweepResult:
    """Run (or finish) a sweep into ``out`` and write its outputs; see the module doc.

    Every cell is validated before any run. Raises SweepError if runs failed (the others
    are stored and a rerun only redoes the failed ones).
    """
    start = time.perf_counter()
    archs = list(architectures or base.architectures)
    reps = replications or base.replications
    grid_cells = cells(base, grid)
    tasks = tasks_of(grid_cells, archs, reps)
    folder = Path(out) if out else default_folder(base, tasks)
    check_sweep_folder(folder)
    store = RunStore(folder / "runs")
    store.folder.mkdir(parents=True, exist_ok=True)
    store.clean()
    _write_spec(folder, base, grid, archs, reps, {})
    records = {t.key: store.load(t.key) for t in tasks}
    redone = sum(1 for k, r in records.items() if r is None and store.path(k).exists())
    todo = list({t.key: t for t in tasks if records[t.key] is None}.values())
    failures = _run(todo, grid_cells, store, records, executor, jobs, scheduler, progress)
    if failures:
        raise SweepError(f"{len(failures)} of {len(todo)} runs failed; first: {failures[0]}")
    runs = runs_frame(grid_cells, tasks, records, list(grid))
    summary = summary_frame(runs, list(grid))
    _atomic(folder / PARQUET_FILE, lambda p: runs.to_parquet(p, index=False))
    _atomic(folder / SUMMARY_FILE, lambda p: summary.to_csv(p, index=False))
    paths = save_charts(summary, list(grid), archs, folder / "charts") if charts else []
    wall = time.perf_counter() - start
    cpu = [records[t.key]["row"].get("cpu_s", math.nan) for t in tasks]
    _write_spec(folder, base, grid, archs, reps, {"runs": len(tasks), "last_done": len(todo),
                "last_skipped": len(tasks) - len(todo), "last_wall_s": wall,
                "cpu_s_per_run": float(np.nanmean(cpu)), "cpu_s_total": float(np.nansum(cpu))})
    return SweepResult(folder, len(tasks), len(todo), len(tasks) - len(todo), redone, runs,
                       summary, wall, paths)


def _run(todo, grid_cells, store, records, executor, jobs, scheduler, progress) -> list[str]:
    """Execute ``todo``, storing each run as it arrives; the failures, as one-line texts."""
    failures: list[str] = []
    args = [(grid_cells[t.cell].yaml, t.architecture, t.replication) for t in todo]
    if progress:
        progress(0, len(todo))
    if not todo:
        return failures
    results = execute(args, executor, jobs, scheduler)
    try:
        for n, (i, out) in enumerate(results, start=1):
            t = todo[i]
            if isinstance(out, BaseException):
                failures.append(f"{t.architecture} replication {t.replication}: "
                                f"{type(out).__name__}: {out}")
            elif out["version"] != VERSION:
                raise SweepError(f"a worker runs archsim {out['version']}, this machine "
                                 f"{VERSION}: install the same version everywhere")
            else:
                record = {"key": t.key, "version": out["version"], "architecture":
                          t.architecture, "replication": t.replication,
                          "cell": grid_cells[t.cell].values, "row": out["row"],
                          "scenario": grid_cells[t.cell].yaml}
                store.save(record)
                records[t.key] = json.loads(json.dumps(record))  # as a rerun will read it
            if progress:
                progress(n, len(todo))
    finally:
        results.close()
    return failures


# --------------------------------------------------------------------------- outputs
def runs_frame(grid_cells, tasks, records, keys) -> pd.DataFrame:
    """sweep.parquet: per cell x architecture x replication, grid keys then the metrics."""
    rows = []
    for t in tasks:
        row = {**grid_cells[t.cell].values, "architecture": t.architecture,
               "replication": t.replication}
        row.update((k, v) for k, v in records[t.key]["row"].items()
                   if k not in COST_COLUMNS and k not in row)
        rows.append(row)
    return pd.DataFrame(rows)


def summary_frame(runs: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """sweep_summary.csv: per cell x architecture, counts summed, metrics with 95% intervals."""
    parts = []
    for values, group in runs.groupby(list(keys), sort=False):
        part = metrics.summarise(group)
        for k, v in reversed(list(zip(keys, values))):
            part.insert(0, k, v)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def save_charts(summary: pd.DataFrame, keys, archs, folder: Path) -> list[Path]:
    """``charts/<metric>-by-<key>.png`` for each headline metric and grid key."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for key in keys:
        for name, (mean_col, ci_col) in CHART_METRICS.items():
            fig = sweep_chart(summary, list(keys), key, mean_col, ci_col, archs)
            path = folder / f"{name}-by-{_slug(key)}.png"
            _atomic(path, lambda p: fig.savefig(p, format="png", dpi=DPI,
                                                metadata={"Software": None}))
            paths.append(path)
    return paths


@styled
def sweep_chart(summary, keys, key, mean_col, ci_col, archs):
    """``mean_col`` against ``key``, a line and a 95% band per architecture; one panel per
    combination of the other grid keys (at most MAX_PANELS)."""
    others = [k for k in keys if k != key]
    groups = list(summary.groupby(others, sort=False)) if others else [((), summary)]
    groups = groups[:MAX_PANELS]
    ncols = min(len(groups), 3)
    nrows = math.ceil(len(groups) / ncols)
    fig, axes = new_figure(nrows, ncols, size=(1.0 + 3.8 * ncols, 0.8 + 3.0 * nrows),
                           sharey=True)
    colours = palette(archs)
    levels = list(dict.fromkeys(summary[key]))
    numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))
                  for v in levels)
    for ax, (values, group) in zip(axes.flat, groups):
        for arch in archs:
            g = group[group["architecture"] == arch]
            x = (g[key].to_numpy(dtype=float) if numeric
                 else g[key].map({v: i for i, v in enumerate(levels)}).to_numpy(dtype=float))
            order = np.argsort(x, kind="stable")
            mean = g[mean_col].to_numpy(dtype=float)[order]
            half = g[ci_col].to_numpy(dtype=float)[order]
            ax.plot(x[order], mean, marker="o", ms=4, lw=1.6, color=colours[arch])
            ax.fill_between(x[order], mean - half, mean + half, color=colours[arch],
                            alpha=0.2, lw=0)
        if not numeric:
            ax.set_xticks(range(len(levels)), [str(v) for v in levels])
        ax.set_xlabel(key)
        ax.set_ylabel(mean_col)
        if others:
            ax.set_title(", ".join(f"{k}={v}" for k, v in zip(others, values)),
                         fontsize=9, fontweight="normal")
    for ax in list(axes.flat)[len(groups):]:
        ax.set_visible(False)
    arch_legend(axes[0, 0], colours, loc="best")
    fig.suptitle(f"{mean_col} against {key}: mean over replications, 95% interval band")
    return fig
