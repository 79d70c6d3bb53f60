"""Engine benchmark (issue 5): archsim's speed and memory against idiomatic SimPy, in one run.

Cases, each run in a fresh process (multiprocessing, spawn) so that their peak memory and
their heaps do not pollute each other:

- ``baseline``: an open tandem of three M/M/4 stations written the way the SimPy docs do it
  (a generator process per customer, ``with resource.request() as req: yield req``), each
  station 80 % busy, ``--customers`` customers;
- ``call`` and ``event``: archsim on the same three stations as a flow
  (order -> payment -> fulfillment, exponential times, no faults, no timeouts), with the
  duration set so that about ``--customers`` orders arrive, timed whole: validating the
  scenario, building the model, running it and building the record frames;
- ``call_interpreted``, ``event_interpreted``: the same chains on a copy of the engine's
  bare Python sources, without the mypyc build (setup.py), for the compiled/interpreted
  ratio measured in the same run;
- ``prime_day``: one replication of each architecture of ``sim/scenarios/prime_day.yaml``;
- ``growth_call``, ``growth_event``: the chain at N and at 10 N orders, for peak memory, run
  as ``archsim run`` runs each replication (``sim.runner.run_one``: simulate, stream the
  orders to a Parquet spool, metrics and time series from the tally);
- ``growth_run``: the whole ``archsim run`` pipeline on the event chain, two replications
  on two processes and the results folder saved (no report), N and 10 N orders in all;
  peak memory of the main process and of the largest worker.

The figure of merit is station visits per CPU second (``time.process_time``), and its ratio
to the baseline's measured in the same run: the machine is shared, so absolute figures
drift between runs while ratios measured side by side hold. Peak memory is the child's
``ru_maxrss``: it includes the interpreter and its imports (archsim cases import numpy,
pandas and pydantic, the baseline only SimPy, which is why ``sim`` is imported inside the
case functions and not at the top of this module).

Example:
    .venv/bin/python benchmarks/bench.py --quick --json /tmp/bench.json
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import functools
import io
import json
import multiprocessing
import platform
import pstats
import random
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import simpy

DEFAULT_CUSTOMERS = 200_000
QUICK_CUSTOMERS = 20_000
GROWTH_FACTOR = 10
PROFILE_TOP = 15

SERVICE_MEAN_S = 0.1
WORKERS = 4
UTILISATION = 0.8
ARRIVAL_RATE_PER_S = UTILISATION * WORKERS / SERVICE_MEAN_S  # 32 orders/s
BUS_LATENCY_S = 0.05
DRAIN_S = 10.0  # 100 mean service times: every order finishes
CHAIN = ("order", "payment", "fulfillment")
# Worker pools per style, so that every station is about 80 % busy in both. In the event
# style each station is an M/M/4 fed by the one before, like the baseline. In the call
# style a caller holds its worker until its callee answers (measured: an order visit holds
# it 3.5x, a payment visit 2.3x its own work time), so 4 workers there would be overloaded;
# 14 and 9 were chosen by measurement: busy fractions 0.79, 0.80, 0.80 at 100,000 orders.
# Each row of --json reports the busy fractions measured in that run.
WORKER_POOLS = {"call": (14, 9, 4), "event": (4, 4, 4)}

CASES = ("baseline", "call", "event", "call_interpreted", "event_interpreted", "prime_day",
         "growth_call", "growth_event", "growth_run")
GROWTH_CASES = ("growth_call", "growth_event", "growth_run")
GROWTH_RUN_REPLICATIONS = 2
COLUMNS = {  # printed column -> format
    "case": "{}", "orders": "{:d}", "visits": "{:d}", "cpu_s": "{:.2f}",
    "visits_per_cpu_s": "{:.0f}", "ratio_to_baseline": "{:.2f}", "peak_rss_mb": "{:.1f}",
}


# -- the cases, as run in a child process ----------------------------------------------

def simpy_tandem(customers: int, seed: int = 1) -> int:
    """Idiomatic SimPy open tandem of M/M/4 stations; returns the station visits done."""
    env = simpy.Environment()
    rng = random.Random(seed)
    stations = [simpy.Resource(env, capacity=WORKERS) for _ in CHAIN]
    visits = 0

    def customer():
        nonlocal visits
        for station in stations:
            with station.request() as req:
                yield req
                yield env.timeout(rng.expovariate(1.0 / SERVICE_MEAN_S))
            visits += 1

    def arrivals():
        for _ in range(customers):
            yield env.timeout(rng.expovariate(ARRIVAL_RATE_PER_S))
            env.process(customer())

    env.process(arrivals())
    env.run()
    return visits


def chain_scenario(orders: int, style: str) -> dict:
    """The three-station chain as scenario data, ``orders`` expected orders, one style."""
    never = {"timeout": 60.0, "retries": 0}  # no timeout fires, so every order is 3 visits
    return {
        "name": f"bench-chain-{style}",
        "duration": orders / ARRIVAL_RATE_PER_S,
        "drain": DRAIN_S,
        "replications": 1,
        "traffic": {"rate": ARRIVAL_RATE_PER_S},
        "client": never,
        "services": {
            name: {"workers": n, "time": {"dist": "exponential", "mean": SERVICE_MEAN_S}}
            for name, n in zip(CHAIN, WORKER_POOLS[style])
        },
        "flow": {"entry": CHAIN[0], "links": [f"{a} -> {b}" for a, b in zip(CHAIN, CHAIN[1:])]},
        "architectures": {style: {
            "style": style,
            "call": {**never, "backoff": 0.0, "jitter": False},
            "bus": {"latency": BUS_LATENCY_S},
        }},
    }


def _timed(fn, *args) -> tuple:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    out = fn(*args)
    return out, time.process_time() - cpu0, time.perf_counter() - wall0


def baseline_case(customers: int) -> dict:
    visits, cpu_s, wall_s = _timed(simpy_tandem, customers)
    return {"orders": customers, "visits": visits, "cpu_s": cpu_s, "wall_s": wall_s}


def archsim_case(source, architecture: str, overrides: tuple[str, ...] = ()) -> dict:
    """Load ``source`` (a path or a mapping), simulate replication 0 of ``architecture``."""
    from sim.model import simulate
    from sim.scenario import load_scenario

    def load_and_simulate():
        scenario = load_scenario(source, list(overrides))
        return scenario, simulate(scenario, architecture)

    from sim.compiled import engine

    (scenario, record), cpu_s, wall_s = _timed(load_and_simulate)
    stats = record.stats
    return {
        "engine": engine(),
        "orders": stats["orders"], "visits": stats["service_visits"],
        "cpu_s": cpu_s, "wall_s": wall_s,
        "engine_events": stats["engine_events"], "engine_cpu_s": stats["cpu_s"],
        "busy_fraction": {
            name: s["area_busy"] / (scenario.services[name].workers * stats["horizon_s"])
            for name, s in stats["services"].items()
        },
    }


def chain_case(style: str, orders: int) -> dict:
    return archsim_case(chain_scenario(orders, style), style)


def interpreted_chain_case(style: str, orders: int, sources: str) -> dict:
    """``chain_case`` with ``sim`` imported from ``sources``, a copy of the bare sources."""
    sys.path.insert(0, sources)
    from sim.compiled import engine

    if engine() != "interpreted":
        raise RuntimeError(f"sim was not imported from {sources}")
    return chain_case(style, orders)


@functools.cache
def interpreted_sources() -> str:
    """A temporary copy of the package without its compiled modules (removed at exit)."""
    root = tempfile.mkdtemp(prefix="archsim-interpreted-")
    atexit.register(shutil.rmtree, root, True)
    shutil.copytree(Path(__file__).resolve().parents[1] / "sim", Path(root) / "sim",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    return root


def growth_case(style: str, orders: int) -> dict:
    """One replication of the chain as ``archsim run`` runs it (orders spooled to disk)."""
    import tempfile

    from sim.runner import run_one
    from sim.scenario import load_scenario

    def load_and_run():
        scenario = load_scenario(chain_scenario(orders, style))
        with tempfile.TemporaryDirectory() as spool:
            return run_one(scenario, style, 0, spool_dir=spool)["row"]

    row, cpu_s, wall_s = _timed(load_and_run)
    return {"orders": row["orders"], "visits": row["service_visits"], "cpu_s": cpu_s,
            "wall_s": wall_s, "engine_events": row["engine_events"],
            "engine_cpu_s": row["cpu_s"]}


def growth_run_case(orders: int) -> dict:
    """``archsim run`` of the event chain: GROWTH_RUN_REPLICATIONS replications of
    ``orders`` / GROWTH_RUN_REPLICATIONS orders each on as many processes, saved without a
    report. ``peak_rss_mb`` is the main process's (added later), ``worker_peak_rss_mb`` the
    largest worker's."""
    import tempfile

    import sim.api as api
    from sim.scenario import load_scenario

    reps = GROWTH_RUN_REPLICATIONS

    def run_and_save():
        scenario = load_scenario(chain_scenario(orders // reps, "event")).model_copy(
            update={"replications": reps})
        results = api.run(scenario, jobs=reps)
        with tempfile.TemporaryDirectory() as out:
            results.save(f"{out}/results", report=False)
        return results.runs

    runs, cpu_s, wall_s = _timed(run_and_save)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"orders": int(runs["orders"].sum()), "visits": int(runs["service_visits"].sum()),
            "cpu_s": cpu_s + children.ru_utime + children.ru_stime, "wall_s": wall_s,
            "worker_peak_rss_mb": float(runs["peak_rss_mb"].max())}


def prime_day_case(architecture: str, overrides: tuple[str, ...] = ()) -> dict:
    from sim.scenario import builtin_path
    return archsim_case(str(builtin_path("prime_day")), architecture, overrides)


TARGETS = {"baseline": baseline_case, "chain": chain_case,
           "interpreted_chain": interpreted_chain_case, "prime_day": prime_day_case,
           "growth": growth_case, "growth_run": growth_run_case}


def measure(target: str, args: tuple, profile: bool = False) -> dict:
    """Run one case in this process: its row with peak RSS, or (``profile``) its profile.

    Peak RSS is read here rather than with ``sim.runner.peak_rss_mb``: importing ``sim``
    into the baseline's process would add pandas to its peak.
    """
    fn = TARGETS[target]
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(fn, *args)
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(PROFILE_TOP)
        return {"profile": text.getvalue()}
    row = fn(*args)
    row["visits_per_cpu_s"] = row["visits"] / row["cpu_s"]
    row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return row


# -- the plan and the table, in the parent process -------------------------------------

def plan(cases, customers: int, prime_day_overrides: tuple[str, ...] = ()) -> list[tuple]:
    """(row label, target, args) for each process to start, in order."""
    runs = []
    for case in cases:
        if case == "baseline":
            runs.append((case, "baseline", (customers,)))
        elif case in ("call", "event"):
            runs.append((case, "chain", (case, customers)))
        elif case in ("call_interpreted", "event_interpreted"):
            style = case.removesuffix("_interpreted")
            runs.append((case, "interpreted_chain", (style, customers, interpreted_sources())))
        elif case == "prime_day":
            from sim.scenario import builtin_path, load_scenario
            for arch in load_scenario(builtin_path("prime_day")).architectures:
                runs.append((f"prime_day:{arch}", "prime_day", (arch, tuple(prime_day_overrides))))
        elif case == "growth_run":
            runs.append((f"{case}@N", "growth_run", (customers,)))
            runs.append((f"{case}@{GROWTH_FACTOR}N", "growth_run", (customers * GROWTH_FACTOR,)))
        elif case in GROWTH_CASES:
            style = case.removeprefix("growth_")
            runs.append((f"{case}@N", "growth", (style, customers)))
            runs.append((f"{case}@{GROWTH_FACTOR}N", "growth", (style, customers * GROWTH_FACTOR)))
        else:
            raise ValueError(f"unknown case {case!r}; known: {', '.join(CASES)}")
    return runs


def run_plan(runs, profile: bool = False, progress=None) -> list[dict]:
    """Run each planned case in its own fresh (spawned) process; rows in plan order."""
    context = multiprocessing.get_context("spawn")
    rows = []
    for label, target, args in runs:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            row = {"case": label, **pool.submit(measure, target, args, profile).result()}
        rows.append(row)
        if progress is not None:
            progress(row)
    return rows


def add_ratios(rows: list[dict]) -> None:
    """Set each row's ``ratio_to_baseline`` (None when the baseline was not run)."""
    base = next((r["visits_per_cpu_s"] for r in rows if r["case"] == "baseline"), None)
    for row in rows:
        row["ratio_to_baseline"] = row["visits_per_cpu_s"] / base if base else None


def memory_growth(rows: list[dict]) -> list[dict]:
    """Peak RSS at N and at 10 N orders, for each growth case that ran."""
    by_case = {r["case"]: r for r in rows}
    out = []
    for case in GROWTH_CASES:
        small, big = by_case.get(f"{case}@N"), by_case.get(f"{case}@{GROWTH_FACTOR}N")
        if small is None or big is None:
            continue
        for suffix, key in (("", "peak_rss_mb"), (":worker", "worker_peak_rss_mb")):
            if key not in small or key not in big:
                continue
            extra_mib = big[key] - small[key]
            out.append({
                "case": case + suffix,
                "orders": [small["orders"], big["orders"]],
                "peak_rss_mb": [small[key], big[key]],
                "growth_ratio": big[key] / small[key],
                "kib_per_extra_order": extra_mib * 1024 / (big["orders"] - small["orders"]),
            })
    return out


def format_table(rows: list[dict]) -> str:
    """The rows as a plain, space-aligned text table of COLUMNS ('-' where empty)."""
    cells = [list(COLUMNS)] + [
        ["-" if row.get(c) is None else fmt.format(row[c]) for c, fmt in COLUMNS.items()]
        for row in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                  for i, (cell, w) in enumerate(zip(line, widths)))
        for line in cells
    )


def format_growth(growth: list[dict]) -> str:
    return "\n".join(
        f"memory growth {g['case']}: {g['orders'][0]} -> {g['orders'][1]} orders, peak RSS "
        f"{g['peak_rss_mb'][0]:.1f} -> {g['peak_rss_mb'][1]:.1f} MiB, ratio "
        f"{g['growth_ratio']:.2f}, {g['kib_per_extra_order']:.3f} KiB per extra order"
        for g in growth
    )


# -- command line -----------------------------------------------------------------------

def best_of(rounds: list[list[dict]]) -> list[dict]:
    """Each case's row with the least CPU time over rounds of the same plan (in plan order),
    with ``runs`` = how many rounds it is the best of."""
    best = []
    for rows in zip(*rounds):
        row = dict(min(rows, key=lambda r: r["cpu_s"]))
        row["runs"] = len(rows)
        best.append(row)
    return best


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _cases(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in CASES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown case(s) {', '.join(unknown) or '(none)'}; "
                                         f"known: {', '.join(CASES)}")
    return names


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Example: .venv/bin/python benchmarks/bench.py --quick --json /tmp/bench.json")
    parser.add_argument("--customers", type=_positive, default=None,
                        help=f"customers / orders N (default {DEFAULT_CUSTOMERS:,}; "
                             f"{QUICK_CUSTOMERS:,} with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help=f"N = {QUICK_CUSTOMERS:,} and no memory-growth cases")
    parser.add_argument("--cases", type=_cases, default=list(CASES),
                        help=f"comma-separated subset of: {','.join(CASES)} (default: all)")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON to FILE")
    parser.add_argument("--repeat", type=_positive, default=1,
                        help="run the whole plan K times, interleaved, and keep each case's "
                             "fastest run (best of K: on a shared machine noise only adds "
                             "time; default 1)")
    parser.add_argument("--profile", action="store_true",
                        help=f"instead of timing, print each case's cProfile top {PROFILE_TOP} "
                             "by tottime")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    customers = args.customers or (QUICK_CUSTOMERS if args.quick else DEFAULT_CUSTOMERS)
    cases = [c for c in args.cases if not (args.quick and c in GROWTH_CASES)]
    runs = plan(cases, customers)
    if args.profile:
        for row in run_plan(runs, profile=True):
            print(f"== {row['case']} (N = {customers})\n{row['profile']}")
        return 0

    def progress(row):
        print(f"bench: {row['case']} done, {row['cpu_s']:.1f} s CPU", file=sys.stderr)

    rows = best_of([run_plan(runs, progress=progress) for _ in range(args.repeat)])
    add_ratios(rows)
    growth = memory_growth(rows)
    print(format_table(rows))
    if growth:
        print(format_growth(growth))
    if args.json:
        report = {"customers": customers, "python": platform.python_version(),
                  "simpy": simpy.__version__, "machine": platform.platform(),
                  "rows": rows, "memory_growth": growth}
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
