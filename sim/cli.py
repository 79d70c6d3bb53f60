"""The ``archsim`` command line: a thin layer over :mod:`sim.api`.

Exit codes: 0 success, 2 bad input (one line naming the file, key path and problem),
1 anything else.
"""

from __future__ import annotations

import functools
import os
import sys

# Arrow's default allocator (mimalloc) keeps the pages it frees: reading the orders back for
# the charts a row group at a time grew the main process of the default run to ~450 MiB
# instead of ~340 MiB. The system allocator returns them. Set before pyarrow loads (pandas
# imports it); the CLI's worker processes inherit it. Only memory use changes.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

import click  # noqa: E402
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from sim import api
from sim.compiled import stale_sources
from sim.errors import ArchsimError, ScenarioError


def friendly_errors(fn):
    """Turn bad input into one line and exit code 2; anything else into exit code 1."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ScenarioError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except ArchsimError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="archsim")
def main():
    """Compare request-response and event-driven ecommerce backends by simulation.

    Example: archsim run
    """
    for source in stale_sources():
        click.echo(f"warning: sim/{source} was edited after the engine was compiled, so the "
                   "old build runs; rebuild with `pip install -e .` (docs/architecture.md)",
                   err=True)


@main.command()
@click.argument("scenario", required=False)
@click.option("--arch", "archs", multiple=True, help="Architecture to run (repeatable; default all).")
@click.option("--replications", type=click.IntRange(min=1), help="Replications per architecture.")
@click.option("--seed", type=click.IntRange(min=0), help="Base random seed.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a scenario key, e.g. services.payment.workers=8 (repeatable).")
@click.option("--out", type=click.Path(file_okay=False), help="Results folder (default results/<name>-<time>).")
@click.option("--jobs", type=click.IntRange(min=1), help="Processes to use (default all cores).")
@click.option("--precision", type=click.FloatRange(min=0, min_open=True),
              help="Add replications until the 95% half-width of mean client latency is under "
                   "this fraction of the mean (e.g. 0.02).")
@click.option("--max-replications", type=click.IntRange(min=2), default=50, show_default=True,
              help="Cap for --precision.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--no-report", is_flag=True, help="Write the data files only (no report or charts).")
@friendly_errors
def run(scenario, archs, replications, seed, overrides, out, jobs, precision, max_replications,
        quiet, no_report):
    """Run every architecture of SCENARIO side by side (default: the built-in prime_day).

    SCENARIO is a YAML file or the name of a built-in scenario (see `archsim scenarios`).

    Example: archsim run scenarios/payment_outage.yaml --replications 3 --set duration=10m
    """
    sc = api.load_scenario(scenario or "prime_day", overrides, seed=seed, replications=replications)
    archs = api.check_architectures(sc, archs)
    out = out or api.default_folder(sc)
    api.check_out_folder(out)
    err = Console(stderr=True)
    total_runs = len(archs) * sc.replications
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} runs"), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=err, disable=quiet, transient=True) as bar:
        task = bar.add_task(f"simulating {sc.name}", total=total_runs)
        results = api.run(sc, architectures=archs, jobs=jobs, precision=precision,
                          max_replications=max_replications,
                          progress=lambda done, total: bar.update(task, completed=done,
                                                                   total=total))
    for warning in results.warnings:
        click.echo(f"warning: {warning}", err=True)
    folder = results.save(out, report=not no_report)
    from sim.console import print_results
    wide = sys.stdout.isatty() or "COLUMNS" in os.environ
    print_results(results, Console() if wide else Console(width=160))
    click.echo(f"\nresults: {folder}")


@main.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@friendly_errors
def report(folder):
    """Rebuild the report and charts of a results FOLDER (no re-simulation).

    Example: archsim report results/prime_day-20261128-120000
    """
    path = api.rebuild_report(folder)
    click.echo(f"report: {path}")


@main.command()
@click.argument("scenario")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a key.")
@friendly_errors
def check(scenario, overrides):
    """Validate SCENARIO and explain it: services, flow, offered load per service.

    Example: archsim check scenarios/prime_day.yaml
    """
    from sim.check import explain
    click.echo(explain(api.load_scenario(scenario, overrides)))


@main.command()
@click.option("--replications", type=click.IntRange(min=2), help="Replications per case (default: each case's own).")
@click.option("--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default=True,
              help="Processes to use.")
@friendly_errors
def validate(replications, jobs):
    """Check the simulator against queueing theory on this machine (about a minute).

    Runs M/M/1, M/M/c, M/G/1, M/M/c/K, an event-style tandem, a call chain and the
    event-style ack, and prints theory against the observed mean with its 95% interval.
    Exit code 1 if any case fails.

    Example: archsim validate --jobs 2
    """
    from sim.validate import run_validation
    table = run_validation(replications=replications, jobs=jobs)
    with pd_options():
        click.echo(table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    failed = int((~table["passed"]).sum())
    click.echo(f"\n{len(table) - failed} passed, {failed} failed")
    if failed:
        sys.exit(1)


def pd_options():
    import pandas as pd
    return pd.option_context("display.width", 200, "display.max_columns", 20)


@main.command()
def scenarios():
    """List the built-in scenarios with the question each one answers.

    Example: archsim scenarios
    """
    from sim.loading import builtin_scenarios, scenario_summary
    for name, path in builtin_scenarios().items():
        click.echo(f"{name:<20} {scenario_summary(path)}")


def _progress_bar(quiet: bool, unit: str = "runs") -> Progress:
    """A progress bar on stderr with elapsed time and an estimate of the time left."""
    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                    TextColumn(f"{{task.completed}}/{{task.total}} {unit}"), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=Console(stderr=True), disable=quiet,
                    transient=True)


def _failed(exc: Exception) -> None:
    """A sweep or plan that could not finish: one line, exit code 1."""
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


@main.command()
@click.argument("scenario")
@click.option("--grid", "grids", multiple=True, metavar="KEY=V1,V2,...",
              help="Values of one scenario key, parsed like --set values (repeatable: the "
                   "grid is every combination).")
@click.option("--arch", "archs", multiple=True,
              help="Architecture to run (repeatable; default all).")
@click.option("--replications", type=click.IntRange(min=1),
              help="Replications per cell and architecture.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a scenario key for every cell (repeatable).")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="local: a process pool; dask: a dask.distributed cluster.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Dask scheduler, e.g. tcp://host:8786 (default with --executor dask: a "
                   "local cluster on 127.0.0.1).")
@click.option("--jobs", type=click.IntRange(min=1),
              help="Worker processes of the local pool or local Dask cluster (default all cores).")
@click.option("--out", type=click.Path(file_okay=False),
              help="Sweep folder; rerunning into it skips finished runs "
                   "(default results/<name>-sweep-<hash>).")
@click.option("--no-charts", is_flag=True, help="Write the data files only.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@friendly_errors
def sweep(scenario, grids, archs, replications, overrides, executor, scheduler, jobs, out,
          no_charts, quiet):
    """Run SCENARIO over a grid of key values x architectures x replications, resumably.

    Each run is stored as it finishes under OUT/runs/; rerunning the same sweep into the
    same folder skips the runs already there. Writes sweep.parquet (one row per run),
    sweep_summary.csv (per cell and architecture, with 95% intervals) and charts/.

    \b
    Example: archsim sweep scenarios/prime_day.yaml --grid traffic.rate=2,5 --grid services.fulfillment.workers=9,12,16 --replications 3
    """
    from sim import sweep as sw
    if scheduler and executor != "dask":
        raise ArchsimError("--scheduler: a scheduler address needs --executor dask")
    base = api.load_scenario(scenario, overrides, replications=replications)
    archs = api.check_architectures(base, archs)
    grid = sw.parse_grid(grids)
    with _progress_bar(quiet) as bar:
        task = bar.add_task(f"sweep {base.name}", total=None)
        try:
            result = sw.run_sweep(base, grid, out, archs, base.replications, executor, jobs,
                                  scheduler, charts=not no_charts,
                                  progress=lambda done, total: bar.update(
                                      task, completed=done, total=total))
        except sw.SweepError as exc:
            _failed(exc)
    redone = (f" ({result.redone} damaged run file{'s' if result.redone > 1 else ''} redone)"
              if result.redone else "")
    click.echo(f"{result.total} runs: {result.done} done, {result.skipped} skipped{redone}, "
               f"in {result.wall_s:.1f} s")
    click.echo(f"results: {result.folder}")


@main.command()
@click.argument("scenario")
@click.option("--slo", required=True, metavar="METRIC<=VALUE",
              help="The objective, e.g. \"ack_p99_s<=1.0\" or \"throughput_per_s>=4\" "
                   "(times may carry units: 500ms).")
@click.option("--vary", required=True, metavar="KEY=LOW..HIGH",
              help="The integer key to size and its range, e.g. services.payment.workers=1..64.")
@click.option("--arch", "archs", multiple=True,
              help="Architecture to size (repeatable; default all).")
@click.option("--replications", type=click.IntRange(min=2), help="Replications per value tried.")
@click.option("--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.95, show_default=True,
              help="Confidence of the interval whose bound must meet the SLO.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a scenario key (repeatable).")
@click.option("--jobs", type=click.IntRange(min=1), help="Processes to use (default all cores).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@friendly_errors
def plan(scenario, slo, vary, archs, replications, confidence, overrides, jobs, quiet):
    """Find, per architecture, the smallest value of a key that meets an SLO with confidence.

    The SLO is met when the upper end (for <=; lower end for >=) of the confidence interval
    of the metric's mean over replications meets the threshold. Binary search over the
    range, assuming more is never worse; prints the answer and every value tried.

    \b
    Example: archsim plan scenarios/prime_day.yaml --slo "ack_p99_s<=1.5" --vary services.fulfillment.workers=1..64 --replications 3
    """
    from sim import plan as planning
    from sim.sweep import SweepError
    goal = planning.parse_slo(slo)
    key, low, high = planning.parse_range(vary)
    base = api.load_scenario(scenario, overrides, replications=replications)
    archs = api.check_architectures(base, archs)
    with _progress_bar(quiet) as bar:
        task = bar.add_task(f"plan {base.name}", total=None)
        try:
            result = planning.plan(base, key, low, high, goal, archs, base.replications,
                                   confidence, jobs,
                                   progress=lambda done, total: bar.update(
                                       task, completed=done, total=total))
        except SweepError as exc:
            _failed(exc)
    click.echo(f"smallest {key} in {low}..{high} with {goal} for the "
               f"{'upper' if goal.op == '<=' else 'lower'} end of the {confidence:.0%} "
               f"interval of the mean over {result.replications} replications:")
    width = max(len(a) for a in archs)
    for arch in archs:
        answer = result.answers[arch]
        text = str(answer) if answer is not None else f"not met within {low}..{high}"
        click.echo(f"  {arch:<{width}}  {text}")
    click.echo("\nevidence (every value tried):")
    with pd_options():
        click.echo(result.evidence.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
