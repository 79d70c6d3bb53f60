"""The scenario: validated, frozen data describing the system once.

A scenario names the services, the business flow an order triggers (a tree
of links rooted at the entry service), the traffic, the client, the
architectures to compare and the injected faults. Every default lives in the
schema below; every model forbids unknown keys, NaN and infinities. Times are
seconds (numbers or unit strings, see `sim.units`); rates are per second.
Loading (files, overrides, error messages, dumping) is in the second half.
"""

from __future__ import annotations

import bisect
import csv
import difflib
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from annotated_types import Ge, Gt, Le
from pydantic import (
    BeforeValidator,
    Field,
    Strict,
    field_validator,
    model_serializer,
    model_validator,
)

from sim.dists import Dist
from sim.errors import fail
from sim.fields import Count0, Count1, Frozen, NonNegFloat, Probability
from sim.policies import (
    Autoscaling,
    CallOverride,
    CallPolicy,
    ConsumerScaling,
    LoadShedding,
)
from sim.units import PositiveSeconds, Seconds, parse_time

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
OP_RE = r"^[A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$"
MAX_EXPECTED_ORDERS = 100_000_000
Points = tuple[tuple[float, float], ...]


# --------------------------------------------------------------------------- traffic
def _points(value: Any, what: str) -> Points:
    """Validate [[time, value], ...]: times strictly increasing, values finite >= 0."""
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"{what} must be a non-empty list of [time, value] pairs")
    out: list[tuple[float, float]] = []
    for i, pair in enumerate(value):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"{what} point {i} must be a [time, value] pair, got {pair!r}")
        try:
            t, v = parse_time(pair[0]), pair[1]
        except ValueError as exc:
            raise ValueError(f"{what} point {i}: {exc}") from None
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise ValueError(f"{what} point {i}: value must be a finite number >= 0, got {v!r}")
        if out and t <= out[-1][0]:
            raise ValueError(f"{what} point {i}: times must be strictly increasing ({t:g} s)")
        out.append((t, float(v)))
    return tuple(out)


def _read_trace(path: str, info: Any) -> Points:
    """Points of a CSV with header ``time,rate``, relative to the scenario's folder."""
    base = (info.context or {}).get("base_dir") if info and info.context else None
    full = Path(base or ".") / path
    try:
        with open(full, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise ValueError(f"cannot read trace file {str(full)!r}: {exc.strerror or exc}") from None
    if rows and set(rows[0]) != {"time", "rate"}:
        raise ValueError(f"trace file {str(full)!r} needs the header 'time,rate'")
    try:
        pairs = [[r["time"], float(r["rate"])] for r in rows]
    except (TypeError, ValueError):
        raise ValueError(f"trace file {str(full)!r}: every rate must be a number") from None
    return _points(pairs, f"trace {str(full)!r}")


def _profile(value: Any) -> Points | None:
    return None if value is None else _points(value, "profile")


def _trace(value: Any, info: Any) -> Points | None:
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        return _read_trace(os.fspath(value), info)
    return _points(value, "trace")


class Traffic(Frozen):
    """Poisson order arrivals with a piecewise-linear rate (orders/s).

    `profile` multiplies `rate` by [time, multiplier] points; `trace` gives
    absolute [time, rate] points instead (a CSV path is inlined when loaded;
    `rate` is then unused). Before the first point the first value holds,
    after the last point the last value.
    """

    rate: NonNegFloat = 10.0
    profile: Annotated[Points | None, BeforeValidator(_profile)] = None
    trace: Annotated[Points | None, BeforeValidator(_trace)] = None

    @model_validator(mode="after")
    def _exclusive(self) -> "Traffic":
        if self.trace is not None and self.profile is not None:
            raise fail("give either a trace or a profile, not both", "trace")
        return self

    def points(self) -> Points:
        """Absolute rate points ((t_s, rate_per_s), ...), piecewise linear."""
        if self.trace is not None:
            return self.trace
        if self.profile is not None:
            return tuple((t, self.rate * m) for t, m in self.profile)
        return ((0.0, self.rate),)

    def rate_at(self, t: float) -> float:
        """Arrival rate at time `t` seconds, orders/s."""
        pts = self.points()
        i = bisect.bisect_right([p[0] for p in pts], t)
        if i == 0:
            return pts[0][1]
        if i == len(pts):
            return pts[-1][1]
        (t0, r0), (t1, r1) = pts[i - 1], pts[i]
        return r0 + (r1 - r0) * (t - t0) / (t1 - t0)

    def max_rate(self) -> float:
        """Highest rate reached, orders/s."""
        return max(r for _, r in self.points())

    def expected_orders(self, duration_s: float) -> float:
        """Exact integral of the rate over [0, duration_s]: the mean number of orders."""
        knots = sorted({0.0, duration_s, *(t for t, _ in self.points() if 0 < t < duration_s)})
        rates = [self.rate_at(t) for t in knots]
        return math.fsum((b - a) * (ra + rb) / 2
                         for a, b, ra, rb in zip(knots, knots[1:], rates, rates[1:]))


class Client(Frozen):
    """The client placing orders: waits `timeout` s, retries with `backoff` s between."""

    timeout: PositiveSeconds = 10.0
    retries: Count0 = 0
    backoff: Seconds = 1.0


class Service(Frozen):
    """A service: `workers` serving, up to `queue` requests waiting (None: unbounded)."""

    workers: Count1 = 1
    queue: Count0 | None = None
    time: Dist = Dist(dist="exponential", mean=0.01)
    ops: dict[str, Dist] = {}
    autoscaling: Autoscaling | None = None  # in every architecture unless one says otherwise

    def op_time(self, op: str | None) -> Dist:
        """Service-time distribution of operation `op` (the default time if not listed)."""
        return self.ops.get(op, self.time) if op else self.time


# --------------------------------------------------------------------------- flow
def split_link(text: Any) -> tuple[str, str]:
    """("a", "b") from "a -> b" (whitespace-tolerant); ValueError otherwise."""
    parts = [p.strip() for p in str(text).split("->")] if isinstance(text, str) else []
    if len(parts) != 2 or not all(NAME_RE.match(p) for p in parts):
        raise ValueError(f"a link is written 'parent -> child', got {text!r}")
    return parts[0], parts[1]


def link_key(text: str) -> str:
    """Normalised link key "a -> b"."""
    return "{} -> {}".format(*split_link(text))


class Link(Frozen):
    """A flow link: when `parent` has done its work for an order, `child` does its part."""

    input_keys: ClassVar[tuple[str, ...]] = ("link", "parallel")
    parent: str
    child: str
    parallel: bool = False

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, str):
            data = {"link": data}
        if isinstance(data, dict) and "link" in data:
            data = dict(data)
            data["parent"], data["child"] = split_link(data.pop("link"))
        return data

    @model_serializer(mode="wrap")
    def _serialise(self, handler: Any) -> Any:
        return self.key if not self.parallel else {"link": self.key, "parallel": True}

    @property
    def key(self) -> str:
        """"parent -> child"."""
        return f"{self.parent} -> {self.child}"


class BusinessFailure(Frozen):
    """A step failing for business reasons with `probability` per order, then compensations."""

    name: str
    at: str
    probability: Probability
    compensate: tuple[str, ...] = ()

    @field_validator("compensate")
    @classmethod
    def _ops(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for i, text in enumerate(value):
            if not re.match(OP_RE, text):
                raise fail(f"a compensation is written 'service.op', got {text!r}", str(i))
        return value

    @property
    def compensations(self) -> tuple[tuple[str, str], ...]:
        """((service, op), ...) in listed order."""
        return tuple(tuple(c.split(".", 1)) for c in self.compensate)  # type: ignore[misc]


class Flow(Frozen):
    """The business flow: a tree of links rooted at `entry`, children in listed order."""

    entry: str = "order"
    links: tuple[Link, ...] = ()
    business_failures: tuple[BusinessFailure, ...] = ()

    def children(self, name: str) -> tuple[Link, ...]:
        """Links out of `name`, in listed order."""
        return tuple(link for link in self.links if link.parent == name)

    def parent(self, name: str) -> str | None:
        """The service that triggers `name` (None for the entry)."""
        return next((link.parent for link in self.links if link.child == name), None)

    def subtree(self, name: str) -> tuple[str, ...]:
        """`name` and every service below it, pre-order."""
        out = [name]
        for link in self.children(name):
            out.extend(self.subtree(link.child))
        return tuple(out)

    def steps(self) -> tuple[str, ...]:
        """Every service of the flow, pre-order, entry first."""
        return self.subtree(self.entry)

    def link(self, key: str) -> Link:
        """The link with key "a -> b" (KeyError if absent)."""
        key = link_key(key)
        for link in self.links:
            if link.key == key:
                return link
        raise KeyError(key)


# --------------------------------------------------------------------------- architecture
# Bus latency: AWS publishes no figure; lognormal median ~50 ms, p90 ~80 ms
# (community reports, see /work/shared/reference/aws-semantics.md).
class BusPolicy(Frozen):
    """The event bus: delivery `latency`, optional `throughput` cap (events/s), publish retries."""

    latency: Dist = Dist(dist="lognormal", mean=0.054, cv=0.38)
    throughput: Annotated[float, Strict(), Gt(0)] | None = None
    publish_retries: Count0 = 3
    publish_backoff: Seconds = 0.1


class QueuePolicy(Frozen):
    """Subscriber queues (SQS defaults): visibility timeout, redrive after `max_receives`."""

    visibility_timeout: PositiveSeconds = 30.0
    max_receives: Count1 = 5
    retention: PositiveSeconds = 345600.0
    batch: Count1 = 1
    concurrency: Count1 | None = None
    consumer_scaling: ConsumerScaling | None = None

    @field_validator("batch")
    @classmethod
    def _one_at_a_time(cls, value: int) -> int:
        if value != 1:
            raise ValueError("batches above 1 are not modelled yet: consumers receive one "
                             "message at a time; allowed: 1")
        return value


class Architecture(Frozen):
    """How each flow link is carried out: `style` for all, `links` per-link exceptions."""

    style: Literal["call", "event"] = "call"
    call: CallPolicy = CallPolicy()
    bus: BusPolicy = BusPolicy()
    queue: QueuePolicy = QueuePolicy()
    links: dict[str, Literal["call", "event"]] = {}
    outbox: bool = False
    # Idempotency keys: a service that already did its step for an order answers a repeat
    # (a redelivered message, a retried call, a client retry) after `idempotency_check` s
    # instead of doing the work (and its children) again. Off: a repeat is done twice.
    idempotency: bool = False
    idempotency_check: Seconds = 0.002
    # Issue 9's patterns, all off by default (see sim.policies).
    call_overrides: dict[str, CallOverride] = {}
    load_shedding: LoadShedding | None = None
    autoscaling: dict[str, Autoscaling | None] = {}  # by service; null: not here

    @field_validator("links", "call_overrides", mode="before")
    @classmethod
    def _normalise(cls, value: Any) -> Any:
        return {link_key(k): v for k, v in value.items()} if isinstance(value, dict) else value

    def link_style(self, key: str) -> Literal["call", "event"]:
        """Style of link "a -> b" in this architecture."""
        return self.links.get(link_key(key), self.style)

    def call_policy(self, key: str) -> CallPolicy:
        """The call policy of link "a -> b": `call`, with the link's override if any."""
        override = self.call_overrides.get(link_key(key))
        return self.call if override is None else self.call.with_override(override)

    def service_autoscaling(self, name: str, service: "Service") -> Autoscaling | None:
        """Autoscaling of service `name` here: this architecture's entry, else the service's."""
        if name in self.autoscaling:
            return self.autoscaling[name]
        return service.autoscaling


# --------------------------------------------------------------------------- faults
FAULT_KINDS = {
    "service": ("outage", "hang", "slowdown", "errors", "capacity"),
    "link": ("outage", "hang", "slowdown", "errors"),
    "bus": ("outage", "slowdown", "errors"),
}


class Fault(Frozen):
    """An injected failure on a service, a link "a -> b" or the bus.

    Active in the window [start, end) s, or as a random process alternating
    up-times of mean `mtbf` s and down-times of mean `mttr` s.
    """

    target: str
    kind: Literal["outage", "hang", "slowdown", "errors", "capacity"]
    start: Seconds | None = None
    end: Seconds | None = None
    mtbf: PositiveSeconds | None = None
    mttr: PositiveSeconds | None = None
    factor: Annotated[float, Strict(), Ge(1)] | None = None
    fraction: Annotated[float, Strict(), Gt(0), Le(1)] | None = None

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        return link_key(value) if "->" in value else value.strip()

    @model_validator(mode="after")
    def _shape(self) -> "Fault":
        window = (self.start, self.end) != (None, None)
        process = (self.mtbf, self.mttr) != (None, None)
        if window == process:
            raise fail("give either start and end, or mtbf and mttr (exactly one)")
        if window and (self.start is None or self.end is None or self.end <= self.start):
            raise fail("a fault window needs start and end with end > start", "end")
        if process and (self.mtbf is None or self.mttr is None):
            raise fail("a random fault needs both mtbf and mttr", "mttr")
        for name, kinds in (("factor", ("slowdown",)), ("fraction", ("errors", "capacity"))):
            if (getattr(self, name) is None) == (self.kind in kinds):
                verb = "needs" if self.kind in kinds else "does not take"
                raise fail(f"a {self.kind} fault {verb} '{name}'", name)
        return self

    @property
    def target_kind(self) -> Literal["service", "link", "bus"]:
        """What the target names."""
        return "bus" if self.target == "bus" else "link" if "->" in self.target else "service"


def _default_architectures() -> dict[str, Architecture]:
    return {"request-response": Architecture(style="call"),
            "event-driven": Architecture(style="event")}


def _warmup(value: Any) -> float | Literal["auto"]:
    return "auto" if value == "auto" else parse_time(value)


WarmupSeconds = Annotated[float | Literal["auto"], BeforeValidator(_warmup)]


class Scenario(Frozen):
    """A whole scenario. `services` and `flow` are required; the rest has defaults."""

    name: str = "scenario"
    description: str = ""
    seed: Count0 = 42
    duration: PositiveSeconds = 3600.0
    drain: Seconds = 600.0
    warmup: WarmupSeconds = 0.0
    replications: Count1 = 5
    window: PositiveSeconds = 10.0
    traffic: Traffic = Traffic()
    client: Client = Client()
    services: dict[str, Service]
    flow: Flow
    architectures: dict[str, Architecture] = Field(default_factory=_default_architectures)
    faults: tuple[Fault, ...] = ()

    @model_validator(mode="after")
    def _cross_checks(self) -> "Scenario":
        _check_services(self)
        _check_flow(self.flow, self.services)
        _check_failures(self.flow, self.services)
        _check_architectures(self)
        _check_faults(self)
        _check_run(self)
        return self


def _unknown(kind: str, name: str, known: Sequence[str]) -> str:
    near = difflib.get_close_matches(name, list(known), n=1, cutoff=0.5)
    hint = f"; did you mean '{near[0]}'?" if near else ""
    return f"unknown {kind} '{name}'{hint} known: {', '.join(known)}"


def _check_services(s: Scenario) -> None:
    if not s.services:
        raise fail("at least one service is required", "services")
    for name in s.services:
        if not NAME_RE.match(name):
            raise fail(f"invalid service name {name!r}: use letters, digits, _ and -, "
                       "starting with a letter or _", f"services.{name}")


def _check_flow(flow: Flow, services: dict[str, Service]) -> None:
    """The flow must be a tree over existing services, rooted at the entry."""
    if flow.entry not in services:
        raise fail(_unknown("service", flow.entry, list(services)), "flow.entry")
    parent: dict[str, str] = {}
    for i, link in enumerate(flow.links):
        for name in (link.parent, link.child):
            if name not in services:
                raise fail(_unknown("service", name, list(services)), f"flow.links.{i}")
        if link.child == flow.entry:
            raise fail(f"the entry '{flow.entry}' cannot have a parent ({link.key})",
                       f"flow.links.{i}")
        if link.child in parent:
            raise fail(f"'{link.child}' already has parent '{parent[link.child]}': "
                       "the flow must be a tree", f"flow.links.{i}")
        parent[link.child] = link.parent
    reached = set(flow.steps())
    for i, link in enumerate(flow.links):
        if link.parent not in reached:
            raise fail(f"link {link.key} is not reachable from entry '{flow.entry}' "
                       "(a cycle or a second root)", f"flow.links.{i}")
    for name in services:
        if name not in reached:
            raise fail(f"service '{name}' is not in the flow (no link reaches it from "
                       f"'{flow.entry}')", f"services.{name}")


def _check_failures(flow: Flow, services: dict[str, Service]) -> None:
    for i, bf in enumerate(flow.business_failures):
        path = f"flow.business_failures.{i}"
        if bf.at not in services:
            raise fail(_unknown("service", bf.at, list(services)), f"{path}.at")
        for j, (svc, _op) in enumerate(bf.compensations):
            if svc not in services:
                raise fail(_unknown("service", svc, list(services)), f"{path}.compensate.{j}")


def _check_architectures(s: Scenario) -> None:
    keys = [link.key for link in s.flow.links]
    for name, arch in s.architectures.items():
        path = f"architectures.{name}"
        for key in arch.links:
            if key not in keys:
                raise fail(_unknown("link", key, keys), f"{path}.links.{key}")
        for key in arch.call_overrides:
            if key not in keys:
                raise fail(_unknown("link", key, keys), f"{path}.call_overrides.{key}")
            if arch.link_style(key) != "call":
                raise fail(f"link {key} is carried by events in this architecture; call "
                           "overrides apply to call links only", f"{path}.call_overrides.{key}")
        for service in arch.autoscaling:
            if service not in s.services:
                raise fail(_unknown("service", service, list(s.services)),
                           f"{path}.autoscaling.{service}")
        for service, spec in s.services.items():
            scaling = arch.service_autoscaling(service, spec)
            where = (f"{path}.autoscaling.{service}" if service in arch.autoscaling
                     else f"services.{service}.autoscaling")
            if scaling is not None:
                _check_autoscaling(scaling, spec, where)


def _check_autoscaling(scaling: Autoscaling, service: Service, path: str) -> None:
    low = scaling.min_workers or service.workers
    if scaling.max_workers < low:
        raise fail(f"max_workers ({scaling.max_workers}) must be at least min_workers ({low})",
                   f"{path}.max_workers")
    if not low <= service.workers <= scaling.max_workers:
        raise fail(f"the service starts with {service.workers} workers, outside "
                   f"[min_workers, max_workers] = [{low}, {scaling.max_workers}]",
                   f"{path}.min_workers")


def _check_faults(s: Scenario) -> None:
    links = [link.key for link in s.flow.links]
    for i, fault in enumerate(s.faults):
        kind = fault.target_kind
        known = list(s.services) if kind == "service" else links
        if kind != "bus" and fault.target not in known:
            raise fail(_unknown(kind, fault.target, known), f"faults.{i}.target")
        if fault.kind not in FAULT_KINDS[kind]:
            raise fail(f"a {kind} cannot have a '{fault.kind}' fault; allowed: "
                       f"{', '.join(FAULT_KINDS[kind])}", f"faults.{i}.kind")


def _check_run(s: Scenario) -> None:
    if s.warmup != "auto" and s.warmup >= s.duration:
        raise fail(f"warmup ({s.warmup:g} s) must be shorter than duration "
                   f"({s.duration:g} s)", "warmup")
    orders = s.traffic.expected_orders(s.duration)
    if orders > MAX_EXPECTED_ORDERS:
        raise fail(f"about {orders:,.0f} orders expected over {s.duration:g} s; the limit "
                   f"is {MAX_EXPECTED_ORDERS:,}: lower traffic.rate or duration", "traffic")


# Loading lives in sim.loading; its names stay importable from here, lazily (so that the
# two modules do not import each other at import time).
_LOADING = {"load_scenario", "apply_override", "dump_scenario", "parse_yaml",
            "builtin_scenarios", "builtin_path", "scenario_summary", "SCENARIO_DIR"}


def __getattr__(name: str):
    if name in _LOADING:
        from sim import loading
        return getattr(loading, name)
    raise AttributeError(f"module 'sim.scenario' has no attribute {name!r}")
