"""Capacity planning: per architecture, the smallest value of one integer key meeting an SLO.

An SLO bounds the mean over replications of one per-run metric: ``ack_p99_s<=1.0`` is about
the mean, over replications, of each run's p99 client latency. It is met *with confidence*
when the confidence interval of that mean (Student-t, two-sided ``confidence``, see
:func:`sim.stats.mean_ci`) lies on the right side of the threshold: its upper end for
``<=``, its lower end for ``>=``. A mean that is undefined (no run measured it) does not
meet anything.

The search assumes that meeting the SLO is monotone in the value (more workers never hurt):
it probes the top of the range (not met there: no answer), the bottom (met there: the
bottom), then bisects between a failing value and a meeting one until they are neighbours,
k - 1 failing and k meeting; k is the answer. It then probes k + 1 as a check of the
assumption, and any probe that contradicts it (a value above k that fails, or one below
that meets) is reported as a warning: the answer then rests on noise or on a non-monotone
metric. Every probe runs the same replications (common random numbers), so neighbouring
values differ by the key alone; architectures are searched in lockstep, so that each
round's runs go to the process pool together.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from sim import metrics
from sim.errors import ScenarioError, unknown_key_message
from sim.scenario import Scenario
from sim.stats import mean_ci
from sim.sweep import SweepError, cells, execute
from sim.units import parse_time

SLO_METRICS = metrics.MEAN_METRICS + metrics.COUNT_COLUMNS
SLO_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=)\s*(\S.*?)\s*$")
RANGE_RE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$")


@dataclass(frozen=True)
class SLO:
    """``metric op threshold``: the confidence bound of the metric's mean must satisfy it."""

    metric: str
    op: str
    threshold: float

    def bound(self, mean: float, half: float) -> float:
        """The end of the interval that must meet the threshold."""
        return mean + half if self.op == "<=" else mean - half

    def met(self, bound: float) -> bool:
        if math.isnan(bound):
            return False
        return bound <= self.threshold if self.op == "<=" else bound >= self.threshold

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"


def parse_slo(text: str) -> SLO:
    """``"ack_p99_s<=1.0"`` (times may carry units: ``<=150ms``) -> SLO."""
    match = SLO_RE.match(text)
    if not match:
        raise ScenarioError(f"expected METRIC<=VALUE or METRIC>=VALUE, got {text!r}",
                            path="--slo")
    metric, op, value = match.groups()
    if metric not in SLO_METRICS:
        raise ScenarioError(unknown_key_message(metric, list(SLO_METRICS)).replace(
            "unknown key", "unknown metric", 1), path="--slo")
    try:
        threshold = parse_time(value) if metric.endswith("_s") and not metric.endswith(
            "_per_s") else float(value)
    except ValueError:
        threshold = math.nan
    if not math.isfinite(threshold):
        raise ScenarioError(f"the threshold must be a finite number, got {value!r}",
                            path="--slo")
    return SLO(metric, op, float(threshold))


def parse_range(text: str) -> tuple[str, int, int]:
    """``"services.payment.workers=1..64"`` -> (key, 1, 64)."""
    key, sep, span = text.partition("=")
    match = RANGE_RE.match(span)
    if not sep or not key.strip() or not match:
        raise ScenarioError(f"expected KEY=LOW..HIGH (integers), got {text!r}", path="--vary")
    low, high = int(match.group(1)), int(match.group(2))
    if low > high:
        raise ScenarioError(f"LOW ({low}) must not exceed HIGH ({high})", path="--vary")
    return key.strip(), low, high


@dataclass
class Plan:
    """The answers (None: not met even at ``high``) and the evidence: one row per value
    tried per architecture, with the metric's mean, its half-width and the bound."""

    key: str
    low: int
    high: int
    slo: SLO
    confidence: float
    replications: int
    answers: dict
    evidence: pd.DataFrame
    warnings: list = field(default_factory=list)


def _search(low: int, high: int):
    """Send each probe's verdict (met?) back; returns the smallest meeting value or None."""
    if not (yield high):
        return None
    if (yield low):
        return low
    while high - low > 1:
        mid = (low + high) // 2
        if (yield mid):
            high = mid
        else:
            low = mid
    return high


def _search_and_check(low: int, high: int):
    """:func:`_search`, then a probe of the answer's upper neighbour."""
    answer = yield from _search(low, high)
    if answer is not None and answer + 1 <= high:
        yield answer + 1
    return answer


def plan(base: Scenario, key: str, low: int, high: int, slo: SLO,
         architectures: Sequence[str] | None = None, replications: int | None = None,
         confidence: float = 0.95, jobs: int | None = None,
         progress: Callable[[int, int], None] | None = None) -> Plan:
    """Search ``key`` over ``low..high`` for each architecture; see the module doc."""
    archs = list(architectures or base.architectures)
    reps = replications or base.replications
    if reps < 2:
        raise ScenarioError("a confidence bound needs at least 2 replications",
                            path="--replications")
    scenarios: dict[int, str] = {}

    def scenario_yaml(value: int) -> str:
        if value not in scenarios:
            scenarios[value] = cells(base, {key: [str(value)]}, "--vary")[0].yaml
        return scenarios[value]

    for value in (low, high):  # a bad key or value fails here, before any run
        scenario_yaml(value)
    probes: dict[tuple[str, int], dict] = {}
    searches = {a: _search_and_check(low, high) for a in archs}
    asks = {a: next(s) for a, s in searches.items()}
    answers: dict[str, int | None] = {}
    rounds = 3 + math.ceil(math.log2(high - low + 1))
    counter = {"done": 0, "total": rounds * reps * len(archs)}
    while asks:
        need = list(dict.fromkeys((a, v) for a, v in asks.items() if (a, v) not in probes))
        _evaluate(need, scenario_yaml, reps, slo, confidence, jobs, probes, counter, progress)
        for a in list(asks):
            try:
                asks[a] = searches[a].send(probes[(a, asks[a])]["meets"])
            except StopIteration as stop:
                answers[a] = stop.value
                del asks[a]
    evidence = pd.DataFrame([
        {"architecture": a, key: v, **probes[(a, v)]}
        for a in archs for v in sorted(v for (b, v) in probes if b == a)])
    return Plan(key, low, high, slo, confidence, reps, answers, evidence,
                _contradictions(evidence, answers, key, slo))


def _evaluate(need, scenario_yaml, reps, slo, confidence, jobs, probes, counter, progress):
    """Run every replication of each (architecture, value) in ``need``; fill ``probes``."""
    tasks = [(scenario_yaml(v), a, r) for a, v in need for r in range(reps)]
    values: list[list[float]] = [[math.nan] * reps for _ in need]
    counter["total"] = max(counter["total"], counter["done"] + len(tasks))
    results = execute(tasks, "local", jobs)
    try:
        for i, out in results:
            if isinstance(out, BaseException):
                a, v = need[i // reps]
                raise SweepError(f"{a} at {v}, replication {i % reps}: "
                                 f"{type(out).__name__}: {out}")
            values[i // reps][i % reps] = float(out["row"][slo.metric])
            counter["done"] += 1
            if progress:
                progress(counter["done"], counter["total"])
    finally:
        results.close()
    for (a, v), sample in zip(need, values):
        mean, half = mean_ci(sample, confidence)
        bound = slo.bound(mean, half)
        measured = sum(1 for x in sample if not math.isnan(x))
        probes[(a, v)] = {"replications": measured, slo.metric: mean,
                          metrics.ci_column(slo.metric): half, "bound": bound,
                          "meets": slo.met(bound)}


def _contradictions(evidence: pd.DataFrame, answers: dict, key: str, slo: SLO) -> list[str]:
    """Probes that contradict monotonicity around each architecture's answer."""
    out = []
    for arch, answer in answers.items():
        rows = evidence[evidence["architecture"] == arch]
        above, meets = rows[key] > (math.inf if answer is None else answer), rows["meets"]
        below = rows[key] < (math.inf if answer is None else answer)
        bad = rows[(above & ~meets) | (below & meets)]
        for value, met in zip(bad[key], bad["meets"]):
            verdict = "meets" if met else "fails"
            out.append(f"{arch}: {slo} {verdict} at {key}={value} although the answer is "
                       f"{answer}: not monotone, or too noisy (add --replications)")
    return out
