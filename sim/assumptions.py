"""The report's "modelling assumptions" section: a scenario's choices and patterns in words.

Every resilience and elasticity pattern (issue 9) that an architecture turns on is named
here, per architecture, so a reader sees which defences each side had.
"""

from __future__ import annotations

from sim.words import minutes, plural

NOT_MODELLED = ("network latency of calls and publishes, shared databases and load-dependent "
                "service times, Lambda batches (consumers take one message at a time), "
                "EventBridge target retries, redrive from dead-letter queues, and spontaneous "
                "duplicate deliveries")


def assumptions(results) -> list[tuple]:
    """The modelling choices that shape this scenario's numbers (docs/model.md has all)."""
    sc = results.scenario
    items = [f"Services: {', '.join(service_text(n, s) for n, s in sc.services.items())}. "
             "A job holds its worker for its whole visit, calls and publish included; "
             "synchronous requests go before queued messages."]
    policies: dict[str, list[str]] = {}
    for name, arch in sc.architectures.items():
        styles = {arch.link_style(link.key) for link in sc.flow.links}
        for text in (call_text(arch) if "call" in styles else None,
                     event_text(arch) if "event" in styles else None,
                     idempotency_text(arch), capacity_text(sc, arch)):
            if text:
                policies.setdefault(text, []).append(name)
    items += [f"{' and '.join(names)}, {text}" for text, names in policies.items()]
    items.append(f"Not modelled: {NOT_MODELLED}. See docs/model.md for every rule and source.")
    return [("h2", "Modelling assumptions that matter here"), ("list", items)]


def call_text(arch) -> str:
    """The call policy of an architecture, in words."""
    c = arch.call
    retries = plural(c.retries, "retry", "retries")
    text = (f"calls: {minutes(c.timeout)} timeout per try, {retries}, exponential backoff "
            f"from {minutes(c.backoff)}"
            f"{' with full jitter' if c.jitter else ''}; the caller holds its worker while it "
            "waits, and a timed-out call is not cancelled at the callee (its work is wasted). "
            f"{patterns_text(c)}")
    for key, override in arch.call_overrides.items():
        changed = ", ".join(f"{k} {_value(getattr(override, k))}"
                            for k in type(override).model_fields
                            if getattr(override, k) is not None)
        text += f" On {key}: {changed}."
    shedding = arch.load_shedding
    if shedding is not None:
        parts = []
        if shedding.deadlines:
            parts.append("calls carry their caller's deadline (a request whose caller gave up "
                         "is dropped, no call or retry is made past it)")
        if shedding.max_queue_age is not None:
            parts.append(f"a request that waited over {minutes(shedding.max_queue_age)} is "
                         "dropped")
        text += " Load shedding: " + "; ".join(parts) + "."
    return text


def _value(v) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, float):
        return minutes(v)
    if hasattr(v, "failure_rate"):
        return f"(opens at {v.failure_rate:.0%} of {v.window}, open {minutes(v.open_for)})"
    return str(v)


def patterns_text(c) -> str:
    """The resilience patterns of a call policy, in words (or that there are none)."""
    items = []
    if c.circuit_breaker is not None:
        b = c.circuit_breaker
        items.append(f"a circuit breaker per link (opens at {b.failure_rate:.0%} failures of "
                     f"the last {b.window} calls, at least {b.min_calls}; open "
                     f"{minutes(b.open_for)}, then {plural(b.half_open_calls, 'trial call')})")
    if c.bulkhead is not None:
        items.append(f"a bulkhead of {c.bulkhead} calls in flight per link")
    if c.retry_budget is not None:
        items.append(f"a retry budget of {c.retry_budget:.0%} of calls per service")
    if not items:
        return "No circuit breaker, bulkhead or retry budget."
    return "Resilience: " + "; ".join(items) + "."


def event_text(arch) -> str:
    """The bus and queue policy of an architecture, in words."""
    q, b = arch.queue, arch.bus
    cap = f", capped at {b.throughput:g} events/s" if b.throughput else ""
    text = (f"events: bus latency {dist_text(b.latency)}{cap}, a calibration parameter (AWS "
            f"publishes no figure); publishes retried {plural(b.publish_retries, 'time')}; "
            f"{'an outbox, so a publish cannot fail' if arch.outbox else 'no outbox'}. Queues "
            f"deliver at least once: visibility timeout {minutes(q.visibility_timeout)}, dead "
            f"letter after {plural(q.max_receives, 'receive')} (about "
            f"{minutes(q.visibility_timeout * q.max_receives)} of failures), FIFO among "
            "visible messages.")
    return text


def idempotency_text(arch) -> str:
    """What a repeated request or message does in an architecture."""
    if arch.idempotency:
        return (f"idempotency keys: a repeat (a retried call, a redelivered message) of a "
                f"visit that succeeded is answered in {minutes(arch.idempotency_check)} "
                "without doing its step again; one that comes while the first still runs is "
                "refused (in progress); after a failed visit only what was not done is redone.")
    return ("no idempotency keys: a repeat (a retried call, a redelivered message) does its "
            "step again, and an order with a step done twice counts as inconsistent.")


def capacity_text(sc, arch) -> str | None:
    """Autoscaling and Lambda-like consumer scaling of an architecture, or None if fixed."""
    parts = []
    consumers = arch.queue.consumer_scaling
    if consumers is not None:
        parts.append(f"queue consumers scale like Lambda: {consumers.start} at first, up to "
                     f"{consumers.ramp_per_minute:g} more a minute while messages wait, at "
                     f"most {consumers.max}"
                     + (f", {minutes(consumers.cold_start)} cold start"
                        if consumers.cold_start else ""))
    for name, service in sc.services.items():
        spec = arch.service_autoscaling(name, service)
        if spec is None:
            continue
        low = spec.min_workers or service.workers
        target = f"{spec.target_utilisation:.0%} utilisation"
        if spec.target_backlog is not None:
            target += f" and {spec.target_backlog:g} waiting per worker"
        parts.append(f"{name} autoscales {low}-{spec.max_workers} workers on {target}, "
                     f"every {minutes(spec.period)}, new workers after "
                     f"{minutes(spec.scale_out_delay)}, scale-in cooldown "
                     f"{minutes(spec.cooldown)}")
    if not parts:
        return None
    return ("elastic capacity: " + "; ".join(parts)
            + " (consumer scaling replaces a consumer's autoscaling).")


def defence_names(sc, arch) -> list[str]:
    """The resilience and elasticity patterns an architecture turns on, by name."""
    c, names = arch.call, []
    overrides = arch.call_overrides.values()
    if c.circuit_breaker is not None or any(o.circuit_breaker for o in overrides):
        names.append("circuit breakers")
    if c.bulkhead is not None or any(o.bulkhead for o in overrides):
        names.append("bulkheads")
    if c.retry_budget is not None:
        names.append(f"retry budget {c.retry_budget:.0%}")
    if arch.call_overrides:
        names.append(f"call overrides on {', '.join(arch.call_overrides)}")
    shedding = arch.load_shedding
    if shedding is not None and shedding.deadlines:
        names.append("deadline propagation")
    if shedding is not None and shedding.max_queue_age is not None:
        names.append(f"shedding after {minutes(shedding.max_queue_age)} waiting")
    if arch.idempotency:
        names.append("idempotency keys")
    scaled = [n for n, spec in sc.services.items() if arch.service_autoscaling(n, spec)]
    if scaled:
        names.append(f"autoscaling ({', '.join(scaled)})")
    if arch.queue.consumer_scaling is not None:
        names.append("Lambda-like consumers")
    return names


def service_text(name: str, spec) -> str:
    """'payment (32 workers, unbounded queue, exponential, mean 50 ms)'."""
    queue = "unbounded queue" if spec.queue is None else f"queue {spec.queue}"
    return f"{name} ({plural(spec.workers, 'worker')}, {queue}, {dist_text(spec.time)})"


def dist_text(d) -> str:
    """'exponential, mean 50 ms', 'lognormal, mean 54 ms, cv 0.38', 'uniform 1 ms-2 ms'."""
    def ms(x: float) -> str:  # a time in the unit that reads best
        return f"{x * 1000:g} ms" if x < 1 else f"{x:g} s"
    if d.dist == "uniform":
        return f"uniform {ms(d.low)}-{ms(d.high)}"
    if d.dist == "empirical":
        return f"empirical, {len(d.samples)} samples"
    text = f"{d.dist}, mean {ms(d.mean)}"
    return text + (f", cv {d.cv:g}" if d.dist in ("lognormal", "gamma") else "")
