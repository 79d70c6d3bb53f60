"""The ``archsim`` command line: a thin layer over :mod:`sim.api`.

Exit codes: 0 success, 2 bad input (one line naming the file, key path and problem),
1 anything else.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from sim import api
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
    from sim.scenario import builtin_scenarios, scenario_summary
    for name, path in builtin_scenarios().items():
        click.echo(f"{name:<20} {scenario_summary(path)}")


if __name__ == "__main__":  # pragma: no cover
    main()
