"""Validation against queueing theory: the cases behind ``archsim validate``.

Each case is a small scenario whose steady state has a closed form in :mod:`sim.queueing`:
M/M/1, M/M/c (mean, P(wait), p90), M/G/1 with lognormal service, M/M/c/K blocking, an
event-style tandem (Jackson), a call chain whose callers never wait, and the event-style
client answer. Timeouts are set far beyond anything the runs reach, and every case counts
what must not happen (timeouts, retries, redeliveries, unexpected errors, unfinished
orders) as one more metric whose theory is 0.

Method (STYLE.md, Tests). A case has a fixed seed; replication r of it is
``Model(scenario, architecture, r)``, so replications use independent random streams. Each
replication starts empty; orders that arrived before ``warmup`` are left out and the
``drain`` lets every later order finish. A replication gives one estimate per metric; the
estimates are averaged over R replications with a 95% Student-t interval
(:func:`sim.stats.mean_ci`). A metric passes when theory lies inside the interval **and**
the relative error |observed - theory| / theory is at most ``tolerance``.

The tolerance is fixed before running, from the precision the design should reach:
``tolerance = 3 x planned relative standard error of the R-replication mean``, and the
planned error of one replication comes from the theoretical model alone, never from the
engine's output (``planned_rse``):

- a mean sojourn at an M/M/c station: the asymptotic variance of the time-average number
  present, by the exact birth-death formula (Whitt 1992, "Asymptotic formulas for Markov
  processes with applications to simulation", Oper. Res. 40(2)), over the measured window,
  turned into a sojourn by Little's law;
- a fraction (P(wait), blocking): the time-average variance of the indicator (birth-death)
  plus the binomial variance of sampling it at the arrivals, added as standard deviations;
- a quantile x_q: the same for the indicator W <= x_q, whose mean given the number present
  follows from the FCFS M/M/c wait, divided by the sojourn density at x_q;
- the M/G/1 mean: a Monte Carlo of the theoretical queue by the Lindley recursion (numpy,
  its own seed);
- sums (a tandem, a chain): standard deviations added, an upper bound whatever the
  correlation between stations.

These plans were checked once, before any engine run, against the spread of 150-200
runs of a reference FCFS recursion of each theoretical queue: the mean-sojourn plans are
within 5% below to 15% above the true spread, the fraction and tandem plans 20-55% above
it (conservative), the quantile plan within 5%. The factor 3 leaves room for that.

A case's ``perturb`` hook (a function of the scenario dict) lets the tests break the model
on purpose, for example by doubling every service time, and check that the suite fails.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps
from scipy.special import gammaln

from sim import queueing
from sim.loading import load_scenario
from sim.model import Model
from sim.scenario import Service
from sim.stats import mean_ci
from sim.units import parse_time

NEVER_S = 1e6  # timeouts that no run reaches
TOLERANCE_SIGMAS = 3.0
FAMILY_CONFIDENCE = 0.95  # for the suite as a whole (Bonferroni over its checks, see CASES)
COLUMNS = ["case", "metric", "theory", "observed", "ci_low", "ci_high", "rel_error",
           "tolerance", "passed"]
UNEXPECTED = "unexpected_events"
DEFAULT_TIME = Service.model_fields["time"].default.model_dump(exclude_none=True)


@dataclass(frozen=True)
class Metric:
    """A number a replication estimates, its theoretical value and its planned precision.

    ``extract(model, record, warmup_s)`` returns the replication's estimate; ``rse`` is the
    planned relative standard error of one replication's estimate.
    """

    name: str
    theory: float
    rse: float
    extract: Callable


@dataclass(frozen=True)
class Case:
    """A scenario (as a dict), the architecture to run, what to measure, how often."""

    name: str
    scenario: dict
    architecture: str
    metrics: tuple[Metric, ...]
    replications: int = 10
    allowed_errors: frozenset[str] = field(default_factory=frozenset)


# --------------------------------------------------------------------------- planning
def birth_death_variance(birth: np.ndarray, death: np.ndarray,
                         f: np.ndarray) -> tuple[float, float]:
    """(mean, asymptotic variance) of the time average of f(X) for a birth-death process.

    States 0..N; ``birth[j]`` is the rate j -> j+1 (j < N), ``death[j]`` the rate j -> j-1
    (j >= 1). The asymptotic variance is lim T Var((1/T) int_0^T f(X_t) dt)
    = 2 sum_j (sum_{i<=j} pi_i (f_i - m))^2 / (birth_j pi_j) (Whitt 1992, Oper. Res. 40(2)).
    The inner sums are taken from the tail, where they are accurate when pi_j is tiny.
    """
    n = len(f) - 1
    log_pi = np.zeros(n + 1)
    log_pi[1:] = np.cumsum(np.log(birth[:n]) - np.log(death[1:]))
    pi = np.exp(log_pi - log_pi.max())
    pi /= pi.sum()
    mean = float(pi @ f)
    head = -np.cumsum((pi * (f - mean))[::-1])[::-1][1:]  # sum_{i<=j} = -sum_{i>j}
    keep = pi[:n] > 0
    return mean, float(2.0 * np.sum(head[keep] ** 2 / (birth[:n][keep] * pi[:n][keep])))


def mmc_chain(lam: float, mu: float, c: int, K: int | None = None):
    """States 0..K, birth and death rates of M/M/c/K, or of M/M/c truncated where the
    stationary probability is below 1e-16 of the mode."""
    if K is None:
        rho = lam / (c * mu)
        K = c + int(math.ceil(math.log(1e-16) / math.log(rho))) + 10
    k = np.arange(K + 1)
    return k, np.full(K + 1, float(lam)), np.minimum(k, c) * float(mu)


def plan_mean_sojourn(lam: float, mu: float, c: int, window_s: float,
                      K: int | None = None) -> float:
    """Planned relative standard error of one replication's mean sojourn (Little's law)."""
    k, birth, death = mmc_chain(lam, mu, c, K)
    L, var = birth_death_variance(birth, death, k.astype(float))
    return math.sqrt(var / window_s) / L


def plan_fraction(lam: float, mu: float, c: int, window_s: float,
                  indicator: Callable[[np.ndarray], np.ndarray], K: int | None = None) -> float:
    """Planned relative standard error of the fraction of arrivals that find the chain in
    a state where ``indicator(states)`` is 1 (PASTA)."""
    k, birth, death = mmc_chain(lam, mu, c, K)
    g = indicator(k).astype(float)
    p, var = birth_death_variance(birth, death, g)
    sd = math.sqrt(var / window_s) + math.sqrt(p * (1.0 - p) / (lam * window_s))
    return sd / p


def sojourn_cdf_given_present(x: float, mu: float, c: int, k: np.ndarray) -> np.ndarray:
    """P(sojourn <= x | an arrival finds k present), FCFS M/M/c."""
    m = np.maximum(k - c + 1, 0)  # exponential(c mu) phases of wait before service
    served = 1.0 - math.exp(-mu * x)
    out = np.full(len(k), served)
    waits = m > 0
    mm = m[waits]
    gamma = c * mu
    wait_cdf = sps.gamma.cdf(x, mm, scale=1.0 / gamma)
    if c == 1:  # int f_E(y) e^{mu y} dy = (mu x)^m / m!
        tail = np.exp(-mu * x + mm * math.log(mu * x) - gammaln(mm + 1.0))
    else:  # = (gamma / (gamma - mu))^m F_Erlang(m, gamma - mu)(x)
        tail = np.exp(-mu * x + mm * math.log(c / (c - 1.0))
                      + sps.gamma.logcdf(x, mm, scale=1.0 / (gamma - mu)))
    out[waits] = wait_cdf - tail
    return np.clip(out, 0.0, 1.0)


def plan_sojourn_quantile(lam: float, mu: float, c: int, q: float, window_s: float) -> float:
    """Planned relative standard error of one replication's q-quantile of the sojourn."""
    x = queueing.mmc_sojourn_quantile(lam, mu, c, q)
    k, birth, death = mmc_chain(lam, mu, c)
    _, var = birth_death_variance(birth, death, sojourn_cdf_given_present(x, mu, c, k))
    sd_fraction = math.sqrt(var / window_s) + math.sqrt(q * (1.0 - q) / (lam * window_s))
    h = 1e-6 * x
    density = (queueing.mmc_sojourn_cdf(lam, mu, c, x + h)
               - queueing.mmc_sojourn_cdf(lam, mu, c, x - h)) / (2.0 * h)
    return sd_fraction / density / x


def plan_mg1_lognormal(lam: float, mean_s: float, cv: float, warmup_s: float,
                       duration_s: float, runs: int = 200, seed: int = 20240) -> float:
    """Planned relative standard error of one replication's mean sojourn in M/G/1 with
    lognormal service: the spread over ``runs`` Lindley-recursion runs of the theoretical
    queue (W_{n+1} = max(0, W_n + S_n - A_{n+1}), vectorised as a reflected random walk)."""
    rng = np.random.default_rng(seed)
    sigma2 = math.log1p(cv * cv)
    means = np.empty(runs)
    for r in range(runs):
        arrivals = np.cumsum(rng.exponential(1.0 / lam, int(lam * duration_s * 1.2) + 100))
        arrivals = arrivals[arrivals < duration_s]
        service = rng.lognormal(math.log(mean_s) - sigma2 / 2, math.sqrt(sigma2), len(arrivals))
        walk = np.concatenate([[0.0], np.cumsum(service[:-1] - np.diff(arrivals))])
        wait = walk - np.minimum(np.minimum.accumulate(walk), 0.0)
        means[r] = (wait + service)[arrivals >= warmup_s].mean()
    return float(np.std(means, ddof=1) / queueing.mg1(lam, mean_s, (cv * mean_s) ** 2).W_s)


def tolerance(rse: float, replications: int) -> float:
    """Relative tolerance of an R-replication mean: 3 planned standard errors."""
    return TOLERANCE_SIGMAS * rse / math.sqrt(replications)


# --------------------------------------------------------------------------- extractors
def _steady(record, warmup_s: float) -> pd.DataFrame:
    o = record.orders
    return o[o["arrival_s"] >= warmup_s]


def ack_mean(model, record, warmup_s: float) -> float:
    """Mean time from arrival to a successful client answer, steady orders."""
    o = _steady(record, warmup_s)
    o = o[o["ack_status"] == "ok"]
    return float((o["ack_s"] - o["arrival_s"]).mean())


def ack_quantile(model, record, warmup_s: float, q: float) -> float:
    """The q-quantile of the time to a successful client answer, steady orders."""
    o = _steady(record, warmup_s)
    o = o[o["ack_status"] == "ok"]
    return float(np.quantile((o["ack_s"] - o["arrival_s"]).to_numpy(), q))


def e2e_mean(model, record, warmup_s: float) -> float:
    """Mean time from arrival to completion (every step done), steady completed orders."""
    o = _steady(record, warmup_s)
    o = o[o["outcome"] == "completed"]
    return float((o["done_s"] - o["arrival_s"]).mean())


def waited_fraction(model, record, warmup_s: float) -> float:
    """Fraction of steady orders that waited for a worker at the entry service: answer
    time minus arrival minus the order's own service time (drawn at arrival) is > 0."""
    o = record.orders
    work = np.asarray(model.work[model.entry.index], dtype=np.float64)[: len(o)]
    wait = (o["ack_s"] - o["arrival_s"]).to_numpy() - work
    steady = o["arrival_s"].to_numpy() >= warmup_s
    return float(np.mean(wait[steady] > 1e-9))


def error_fraction(model, record, warmup_s: float, origin: str) -> float:
    """Fraction of steady orders whose client answer was an error from ``origin``."""
    o = _steady(record, warmup_s)
    return float(np.mean(o["error_origin"] == origin))


def unexpected_events(model, record, allowed_errors: frozenset[str]) -> int:
    """What must not happen in a validation run: client timeouts, retries, late answers,
    redeliveries, dead letters, drops, errors other than ``allowed_errors``, orders not
    finished by the end of the drain."""
    o, s = record.orders, record.stats
    errors = o[(o["ack_status"] == "error") & ~o["error_origin"].isin(allowed_errors)]
    return int((o["ack_status"] == "timeout").sum() + len(errors)
               + (o["outcome"] == "in_flight").sum()
               + s["retries"] + s["wasted"] + s["duplicates"] + s["dead_letters"] + s["dropped"])


# --------------------------------------------------------------------------- cases
def _exp(mean_s: float) -> dict:
    return {"dist": "exponential", "mean": mean_s}


def _scenario(seed: int, rate: float, duration: float, warmup: float, services: dict,
              links: Sequence[str] = (), style: str = "call", drain: float = 200.0) -> dict:
    """A validation scenario: Poisson arrivals, one architecture ``x``, no timeouts that can
    fire, no retries, a bus without latency, messages that never become visible again."""
    return {
        "name": "validation", "seed": seed, "duration": duration, "drain": drain,
        "warmup": warmup, "replications": 1, "window": 100.0,
        "traffic": {"rate": rate},
        "client": {"timeout": NEVER_S, "retries": 0},
        "services": services,
        "flow": {"entry": next(iter(services)), "links": list(links)},
        "architectures": {"x": {
            "style": style, "call": {"timeout": NEVER_S, "retries": 0},
            "bus": {"latency": {"dist": "constant", "mean": 0.0}, "publish_retries": 0},
            "queue": {"visibility_timeout": NEVER_S, "max_receives": 1},
        }},
    }


def _window(duration: float, warmup: float) -> float:
    return duration - warmup


def _mm1() -> Case:
    lam, mu, duration, warmup = 7.0, 10.0, 3100.0, 100.0
    theory = queueing.mm1(lam, mu).W_s
    return Case("M/M/1 rho=0.7", _scenario(1, lam, duration, warmup,
                                           {"order": {"workers": 1, "time": _exp(1 / mu)}}),
                "x", (Metric("mean_sojourn_s", theory,
                             plan_mean_sojourn(lam, mu, 1, _window(duration, warmup)),
                             ack_mean),))


def _mmc() -> Case:
    lam, mu, c, duration, warmup = 32.0, 10.0, 4, 900.0, 50.0
    res, T = queueing.mmc(lam, mu, c), _window(duration, warmup)
    return Case(
        "M/M/4 rho=0.8",
        _scenario(2, lam, duration, warmup, {"order": {"workers": c, "time": _exp(1 / mu)}}),
        "x",
        (Metric("mean_sojourn_s", res.W_s, plan_mean_sojourn(lam, mu, c, T), ack_mean),
         Metric("p_wait", res.P_wait, plan_fraction(lam, mu, c, T, lambda k: k >= c),
                waited_fraction),
         Metric("p90_sojourn_s", queueing.mmc_sojourn_quantile(lam, mu, c, 0.9),
                plan_sojourn_quantile(lam, mu, c, 0.9, T),
                functools.partial(ack_quantile, q=0.9))))


def _mg1() -> Case:
    lam, mean, cv, duration, warmup = 5.0, 0.1, 2.0, 6100.0, 100.0
    theory = queueing.mg1(lam, mean, (cv * mean) ** 2).W_s
    services = {"order": {"workers": 1,
                          "time": {"dist": "lognormal", "mean": mean, "cv": cv}}}
    return Case("M/G/1 lognormal cv=2 rho=0.5", _scenario(3, lam, duration, warmup, services),
                "x", (Metric("mean_sojourn_s", theory,
                             plan_mg1_lognormal(lam, mean, cv, warmup, duration), ack_mean),),
                replications=20)


def _mmck() -> Case:
    lam, mu, c, K, duration, warmup = 18.0, 10.0, 2, 5, 1250.0, 50.0
    res, T = queueing.mmck(lam, mu, c, K), _window(duration, warmup)
    services = {"order": {"workers": c, "queue": K - c, "time": _exp(1 / mu)}}
    return Case(
        "M/M/2/5 offered rho=0.9", _scenario(4, lam, duration, warmup, services), "x",
        (Metric("p_block", res.P_block, plan_fraction(lam, mu, c, T, lambda k: k == K, K),
                functools.partial(error_fraction, origin="order:queue_full")),
         Metric("mean_sojourn_s", res.W_s, plan_mean_sojourn(lam, mu, c, T, K), ack_mean)),
        allowed_errors=frozenset({"order:queue_full"}))


def _tandem() -> Case:
    lam, duration, warmup = 8.0, 1250.0, 50.0
    stations = {"order": (10.0, 2), "payment": (12.0, 1), "shipping": (5.0, 3)}
    T = _window(duration, warmup)
    res = queueing.jackson_tandem(lam, list(stations.values()))
    sd = sum(st.W_s * plan_mean_sojourn(lam, mu, c, T)
             for st, (mu, c) in zip(res.stations, stations.values()))
    services = {n: {"workers": c, "time": _exp(1 / mu)} for n, (mu, c) in stations.items()}
    scenario = _scenario(5, lam, duration, warmup, services,
                         ["order -> payment", "payment -> shipping"], style="event")
    return Case("event tandem M/M/2 -> M/M/1 -> M/M/3", scenario, "x",
                (Metric("e2e_mean_s", res.W_s, sd / res.W_s, e2e_mean),))


def _call_chain() -> Case:
    lam, mu, c, duration, warmup = 16.0, 10.0, 2, 1250.0, 50.0
    T = _window(duration, warmup)
    callers = {"order": _exp(0.05), "payment": {"dist": "constant", "mean": 0.02}}
    last = queueing.mmc(lam, mu, c)
    theory = 0.05 + 0.02 + last.W_s
    caller_var = 0.05 ** 2 + 0.0  # exponential variance is mean^2, constant has none
    sd = math.sqrt(caller_var / (lam * T)) + last.W_s * plan_mean_sojourn(lam, mu, c, T)
    services = {name: {"workers": 500, "time": t} for name, t in callers.items()}
    services["shipping"] = {"workers": c, "time": _exp(1 / mu)}
    scenario = _scenario(6, lam, duration, warmup, services,
                         ["order -> payment", "payment -> shipping"], style="call")
    return Case("call chain (callers never wait) -> M/M/2", scenario, "x",
                (Metric("ack_mean_s", theory, sd / theory, ack_mean),))


def _event_ack() -> Case:
    lam, mu, c, duration, warmup = 24.0, 10.0, 3, 1250.0, 50.0
    res, T = queueing.mmc(lam, mu, c), _window(duration, warmup)
    services = {"order": {"workers": c, "time": _exp(1 / mu)},
                "shipping": {"workers": 4, "time": _exp(0.05)}}
    scenario = _scenario(7, lam, duration, warmup, services, ["order -> shipping"],
                         style="event")
    return Case("event ack = entry M/M/3", scenario, "x",
                (Metric("ack_mean_s", res.W_s, plan_mean_sojourn(lam, mu, c, T), ack_mean),))


CASES: list[Case] = [_mm1(), _mmc(), _mg1(), _mmck(), _tandem(), _call_chain(), _event_ack()]
# Each interval at 1 - 0.05/k for the k theory checks, so that a correct engine passes the
# whole suite with probability >= 95% (at 95% each it would fail one check in about half
# of all seeds).
CONFIDENCE = 1.0 - (1.0 - FAMILY_CONFIDENCE) / sum(len(case.metrics) for case in CASES)


# --------------------------------------------------------------------------- running
def _replicate(case: Case, scenario, replication: int) -> dict[str, float]:
    """One replication of ``case``: each metric's estimate and the unexpected events."""
    model = Model(scenario, case.architecture, replication)
    record = model.run()
    warmup = float(scenario.warmup)
    out = {m.name: m.extract(model, record, warmup) for m in case.metrics}
    out[UNEXPECTED] = unexpected_events(model, record, case.allowed_errors)
    return out


def _replicate_task(args) -> dict[str, float]:
    return _replicate(*args)


def _rows(case: Case, estimates: list[dict[str, float]], confidence: float) -> list[dict]:
    reps = len(estimates)
    rows = []
    for m in case.metrics:
        values = np.array([e[m.name] for e in estimates], dtype=float)
        mean, half = mean_ci(values, confidence)
        low, high = mean - half, mean + half
        rel = abs(mean - m.theory) / m.theory
        tol = tolerance(m.rse, reps)
        passed = bool(low <= m.theory <= high and rel <= tol)
        rows.append({"case": case.name, "metric": m.name, "theory": m.theory,
                     "observed": mean, "ci_low": low, "ci_high": high, "rel_error": rel,
                     "tolerance": tol, "passed": passed})
    unexpected = float(sum(e[UNEXPECTED] for e in estimates))
    rows.append({"case": case.name, "metric": UNEXPECTED, "theory": 0.0,
                 "observed": unexpected, "ci_low": math.nan, "ci_high": math.nan,
                 "rel_error": unexpected, "tolerance": 0.0, "passed": unexpected == 0})
    return rows


def run_validation(cases: Sequence[Case] = CASES, replications: int | None = None,
                   perturb: Callable[[dict], dict] | None = None,
                   jobs: int = 1, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Run every case and compare it with theory: one row per case and metric.

    ``replications`` overrides each case's own number (the tolerance follows it);
    ``perturb(scenario_dict) -> scenario_dict`` is applied to a copy of each case's scenario
    before running; ``jobs`` > 1 runs replications in that many processes (the results do
    not depend on it); ``confidence`` is that of each interval. Columns: case, metric,
    theory, observed, ci_low, ci_high, rel_error, tolerance, passed.
    """
    tasks = []
    for i, case in enumerate(cases):
        data = copy.deepcopy(case.scenario)
        if perturb is not None:
            data = perturb(data)
        scenario = load_scenario(data)
        reps = replications or case.replications
        tasks.extend((i, (case, scenario, r)) for r in range(reps))
    if jobs > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_replicate_task, [t for _, t in tasks], chunksize=1))
    else:
        results = [_replicate_task(t) for _, t in tasks]
    by_case: dict[int, list] = {}
    for (i, _), result in zip(tasks, results):
        by_case.setdefault(i, []).append(result)
    rows = [row for i, case in enumerate(cases) for row in _rows(case, by_case[i], confidence)]
    return pd.DataFrame(rows, columns=COLUMNS)


def _doubled(dist):
    if isinstance(dist, dict):
        out = dict(dist)
        for key in ("mean", "low", "high"):
            if key in out:
                out[key] = 2 * parse_time(out[key])
        if "samples" in out:
            out["samples"] = [2 * parse_time(x) for x in out["samples"]]
        return out
    return 2 * parse_time(dist)  # a bare time is a constant


def double_service_times(data: dict) -> dict:
    """A deliberately wrong model: every service time (and op time) doubled."""
    data = copy.deepcopy(data)
    for spec in data["services"].values():
        spec["time"] = _doubled(spec.get("time", DEFAULT_TIME))
        spec["ops"] = {op: _doubled(d) for op, d in spec.get("ops", {}).items()}
    return data
