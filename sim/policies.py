"""Resilience and elasticity policies of the scenario schema (issue 9); all off by default.

- `CallPolicy`: synchronous calls (timeout, retries) and their patterns: a circuit breaker
  and a bulkhead per link, a retry budget per calling service; `CallOverride` changes any of
  them for one link (`architectures.X.call_overrides`).
- `LoadShedding`: a service drops a request whose caller has already given up (deadline
  propagation) and, optionally, a request that waited longer than `max_queue_age`.
- `Autoscaling`: target tracking of a service's workers (AWS Application Auto Scaling);
  `ConsumerScaling`: Lambda-like scaling of a queue consumer (AWS Lambda's SQS poller).
The engine's side of each is in `sim.resilience`, `sim.job` and `sim.scaling`.
"""

from __future__ import annotations

from pydantic import model_validator

from sim.fields import Count0, Count1, Fraction, Frozen, PositiveFloat, Probability
from sim.units import PositiveSeconds, Seconds


class CircuitBreaker(Frozen):
    """Per call link, count-based (resilience4j): opens when at least `failure_rate` of the
    last `window` calls failed (once `min_calls` were made), rejects calls for `open_for` s,
    then lets `half_open_calls` trial calls through: all succeed -> closed, one fails -> open."""

    window: Count1 = 20
    failure_rate: Fraction = 0.5
    min_calls: Count1 = 10
    open_for: PositiveSeconds = 5.0
    half_open_calls: Count1 = 3


class CallPolicy(Frozen):
    """Synchronous calls: per-try `timeout` s, `retries`, exponential `backoff` s; optional
    resilience patterns (all off by default): a `circuit_breaker` per link, a `bulkhead`
    (most calls in flight per link), a `retry_budget` (retries as a fraction of calls, per
    calling service)."""

    timeout: PositiveSeconds = 3.0
    retries: Count0 = 2
    backoff: Seconds = 0.1
    jitter: bool = True
    circuit_breaker: CircuitBreaker | None = None
    bulkhead: Count1 | None = None
    retry_budget: Probability | None = None

    def with_override(self, override: "CallOverride") -> "CallPolicy":
        """This policy with the keys that `override` sets replaced."""
        update = {k: v for k in type(override).model_fields
                  if (v := getattr(override, k)) is not None}
        return self.model_copy(update=update)


class CallOverride(Frozen):
    """The call policy of one link, where it differs from the architecture's `call`: any of
    its keys except `retry_budget` (a budget belongs to the calling service, not a link).
    A key left out (or null) keeps the architecture's value, so an override can add or
    change a breaker or bulkhead but not remove one: to protect only some links, set the
    patterns on those links."""

    timeout: PositiveSeconds | None = None
    retries: Count0 | None = None
    backoff: Seconds | None = None
    jitter: bool | None = None
    circuit_breaker: CircuitBreaker | None = None
    bulkhead: Count1 | None = None


class LoadShedding(Frozen):
    """Requests a service drops when a worker takes them, instead of working for nobody.

    `deadlines`: each call carries its caller's deadline (the time the caller gives up, and
    the earliest of its own caller's, as gRPC propagates deadlines); a service drops a
    request whose deadline has passed, makes no further calls for it, and does not retry
    past it. `max_queue_age`: a request that waited longer than this is dropped."""

    deadlines: bool = True
    max_queue_age: PositiveSeconds | None = None


class Autoscaling(Frozen):
    """Target tracking of a service's workers (AWS Application Auto Scaling semantics).

    Every `period` s the desired workers are ceil(mean busy workers over the period /
    `target_utilisation`), and, with `target_backlog`, at least ceil(waiting requests and
    visible messages / `target_backlog`) (two target-tracking policies: out if either says
    out, in only if both say in), kept within [`min_workers`, `max_workers`]. New workers
    serve after `scale_out_delay` s (an instance starting); workers are removed only when
    `cooldown` s passed since the last scaling activity and none is starting. A removed
    worker finishes its job first. Defaults: 60 s period (CloudWatch's standard metric
    resolution), 300 s scale-in cooldown (the AWS default); the 120 s start-up is an
    assumption for a container instance."""

    min_workers: Count1 | None = None  # default: the service's `workers`
    max_workers: Count1
    target_utilisation: Fraction = 0.7
    target_backlog: PositiveFloat | None = None
    period: PositiveSeconds = 60.0
    scale_out_delay: Seconds = 120.0
    cooldown: Seconds = 300.0


class ConsumerScaling(Frozen):
    """Lambda-like scaling of every queue consumer of an architecture (Lambda's SQS event
    source mapping, standard queues): concurrency starts at `start` (5), grows while messages
    wait and every worker is busy by up to `ramp_per_minute` (300 per minute) to at most
    `max` (1,000), and falls back towards `start` when no message waits. New concurrency
    serves after `cold_start` s (0 by default: an assumption). The service's own `workers`
    is replaced by this concurrency in such an architecture."""

    start: Count1 = 5
    ramp_per_minute: PositiveFloat = 300.0
    max: Count1 = 1000
    cold_start: Seconds = 0.0

    @model_validator(mode="after")
    def _ordered(self) -> "ConsumerScaling":
        if self.max < self.start:
            raise ValueError(f"max ({self.max}) must be at least start ({self.start})")
        return self
