"""`archsim check`: explain a scenario in plain text without running it.

The offered-load table is the first thing an SRE wants before Prime Day: for
each service, utilisation = arrival rate x visits per order x mean service
time / workers, at the base rate and at the peak rate. Visits per order are
1 for each flow step plus, for each business failure, its probability times
the service's compensation visits. It is an upper bound: steps downstream of
a business failure are counted as if the failure never happened, and
retries and timeouts are ignored.

In call style a caller also holds its worker while its children work, so the
table adds a "held" utilisation: the worker-holding time per visit is the
service's own time plus its children's holding times (summed for sequential
children, the largest for parallel ones), as if every link were a call.
"""

from __future__ import annotations

from sim.assumptions import defence_names
from sim.scenario import Flow, Scenario


def offered_load(scenario: Scenario) -> list[dict]:
    """One row per service (flow order): service, visits_per_order, mean_time_s,
    workers, util_base, util_peak (utilisation at the base and peak rates, 1 = saturated),
    held_time_s, util_call_base, util_call_peak (the same when every link is a call)."""
    base = scenario.traffic.points()[0][1] if scenario.traffic.trace else scenario.traffic.rate
    peak = scenario.traffic.max_rate()
    rows = []
    for name in scenario.flow.steps():
        visits, work_s = _visits_and_work(scenario, name)
        service = scenario.services[name]
        per_order = work_s / service.workers
        held_s = _held_s(scenario, name)
        # Compensation visits hold only their own time; one normal visit holds held_s.
        held_per_order = (work_s - service.time.mean_s + held_s) / service.workers
        rows.append({
            "service": name,
            "visits_per_order": visits,
            "mean_time_s": work_s / visits if visits else 0.0,
            "workers": service.workers,
            "util_base": base * per_order,
            "util_peak": peak * per_order,
            "held_time_s": held_s,
            "util_call_base": base * held_per_order,
            "util_call_peak": peak * held_per_order,
        })
    return rows


def _visits_and_work(scenario: Scenario, name: str) -> tuple[float, float]:
    """(mean visits per order, mean seconds of work per order) at service `name`."""
    service = scenario.services[name]
    visits, work_s = 1.0, service.time.mean_s
    for failure in scenario.flow.business_failures:
        for svc, op in failure.compensations:
            if svc == name:
                visits += failure.probability
                work_s += failure.probability * service.op_time(op).mean_s
    return visits, work_s


def _held_s(scenario: Scenario, name: str) -> float:
    """Mean seconds a call-style visit to `name` holds one of its workers."""
    children = scenario.flow.children(name)
    sequential = sum(_held_s(scenario, c.child) for c in children if not c.parallel)
    parallel = max((_held_s(scenario, c.child) for c in children if c.parallel), default=0.0)
    return scenario.services[name].time.mean_s + sequential + parallel


def explain(scenario: Scenario) -> str:
    """Plain-text explanation of `scenario` for `archsim check`."""
    sections = [
        _header(scenario),
        _services(scenario),
        "Flow:\n" + "\n".join(_tree(scenario.flow, scenario.flow.entry, 1)),
        _failures(scenario),
        _architectures(scenario),
        _faults(scenario),
        _load_table(scenario),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def _header(s: Scenario) -> str:
    warmup = "auto" if s.warmup == "auto" else f"{s.warmup:g} s"
    lines = [f"Scenario {s.name}" + (f": {s.description}" if s.description else ""),
             f"  duration {s.duration:g} s, drain {s.drain:g} s, warmup {warmup}, "
             f"{s.replications} replications, seed {s.seed}, window {s.window:g} s",
             f"  traffic: base {_base_rate(s):g}/s, peak {s.traffic.max_rate():g}/s, "
             f"about {s.traffic.expected_orders(s.duration):,.0f} orders expected",
             f"  client: timeout {s.client.timeout:g} s, retries {s.client.retries}"]
    return "\n".join(lines)


def _base_rate(s: Scenario) -> float:
    return s.traffic.points()[0][1] if s.traffic.trace else s.traffic.rate


def _services(s: Scenario) -> str:
    lines = ["Services:"]
    for name, svc in s.services.items():
        queue = "unbounded" if svc.queue is None else str(svc.queue)
        text = (f"  {name}: {svc.workers} workers, queue {queue}, "
                f"{svc.time.dist} mean {svc.time.mean_s * 1000:g} ms")
        ops = ", ".join(f"{op} {d.mean_s * 1000:g} ms" for op, d in svc.ops.items())
        lines.append(text + (f" (ops: {ops})" if ops else ""))
    return "\n".join(lines)


def _tree(flow: Flow, name: str, depth: int) -> list[str]:
    """The flow below `name`, one indented line per service."""
    lines = ["  " * depth + name]
    for link in flow.children(name):
        sub = _tree(flow, link.child, depth + 1)
        if link.parallel:
            sub[0] += "  (parallel)"
        lines.extend(sub)
    return lines


def _failures(s: Scenario) -> str:
    if not s.flow.business_failures:
        return ""
    lines = ["Business failures:"]
    for bf in s.flow.business_failures:
        comp = ", ".join(bf.compensate) or "none"
        lines.append(f"  {bf.name} at {bf.at}, p = {bf.probability:g}; compensate: {comp}")
    return "\n".join(lines)


def _architectures(s: Scenario) -> str:
    lines = ["Architectures:"]
    for name, arch in s.architectures.items():
        lines.append(f"  {name}: {arch.style}" + (" + outbox" if arch.outbox else ""))
        for link in s.flow.links:
            lines.append(f"    {link.key}: {arch.link_style(link.key)}")
        defences = defence_names(s, arch)
        lines.append(f"    defences: {', '.join(defences) if defences else 'none'}")
    return "\n".join(lines)


def _faults(s: Scenario) -> str:
    if not s.faults:
        return "Faults: none"
    lines = ["Faults:"]
    for f in s.faults:
        when = (f"{f.start:g}-{f.end:g} s" if f.start is not None
                else f"random, MTBF {f.mtbf:g} s, MTTR {f.mttr:g} s")
        extra = f" x{f.factor:g}" if f.factor else f" {f.fraction:g}" if f.fraction else ""
        lines.append(f"  {f.kind}{extra} on {f.target_kind} {f.target}, {when}")
    return "\n".join(lines)


def _load_table(s: Scenario) -> str:
    rows = offered_load(s)
    lines = ["Offered load (utilisation = rate x visits x mean time / workers):",
             f"  {'service':<16}{'visits':>8}{'mean ms':>10}{'workers':>9}"
             f"{'base':>8}{'peak':>8}{'held ms':>10}{'call base':>11}{'call peak':>11}"]
    for r in rows:
        lines.append(f"  {r['service']:<16}{r['visits_per_order']:>8.3g}"
                     f"{r['mean_time_s'] * 1000:>10.4g}{r['workers']:>9}"
                     f"{r['util_base']:>8.0%}{r['util_peak']:>8.0%}"
                     f"{r['held_time_s'] * 1000:>10.4g}{r['util_call_base']:>11.0%}"
                     f"{r['util_call_peak']:>11.0%}")
    lines.append("  (held: worker time per visit in call style, children included)")
    for r in rows:
        for level in ("base", "peak"):
            if r[f"util_{level}"] >= 1:
                lines.append(f"WARNING: {r['service']} is saturated at the {level} rate "
                             f"(utilisation {r[f'util_{level}']:.0%})")
            elif r[f"util_call_{level}"] >= 1:
                lines.append(f"WARNING: {r['service']} is saturated at the {level} rate in "
                             f"call style (held utilisation {r[f'util_call_{level}']:.0%})")
    return "\n".join(lines)
