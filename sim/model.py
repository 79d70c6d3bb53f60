"""Build one runnable model (a scenario, one architecture, one replication) and run it.

The model owns the clock, the services, the bus and queues, the recorder and the random
streams, and offers the jobs and styles the few things they ask of it (work times, business
failures, calls, publishes, errors). Every architecture of a replication draws arrivals,
per-order service times and business outcomes from the same named streams, in order of
arrival, so the orders are identical across architectures (common random numbers).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from sim.bus import Bus, LinkFault
from sim.clock import Clock, Deadlines
from sim.dists import Stream
from sim.faults import fault_windows
from sim.idempotency import IdempotencyKeys
from sim.job import INF
from sim.queues import MessageQueue
from sim.recorder import (
    ACK_ERROR,
    ACK_OK,
    ACK_STATUS,
    ACK_TIMEOUT,
    BLOCK,
    DEAD_LETTERED,
    DROPPED,
    Recorder,
)
from sim.resilience import Breaker, Gate, RetryBudget
from sim.scaling import Autoscaler, ConsumerScaler
from sim.service import Service
from sim.streams import Streams, Uniforms
from sim.styles import call as calls
from sim.styles import event
from sim.styles.call import Call
from sim.tally import Tally
from sim.traffic import arrival_times

DRAW_BLOCK: Final = 1024  # orders whose random work is drawn at once (divides the recorder's block)
ORDER_COLUMNS = ("architecture", "replication", "order_id", "arrival_s", "ack_s", "ack_status",
                 "done_s", "compensated_s", "outcome", "inconsistent", "error_origin", "attempts")


class Error:
    """Why a request failed: where it began (service, link or bus) and the kind of fault."""

    __slots__ = ("id", "where", "kind", "business", "label")

    def __init__(self, id_: int, where: str, kind: str):
        self.id = id_
        self.where = where
        self.kind = kind
        self.business = kind.startswith("business:")
        self.label = f"{where}:{kind}"


@dataclass
class Policy:
    """A call policy in engine units: the client's and the architecture's, in one shape."""

    timeout_s: float
    retries: int
    backoff_s: float
    jitter: bool
    deadlines: Deadlines


@dataclass
class RunRecord:
    """Everything one run produced, as frames and tallies (no aggregation across runs).

    ``orders`` is the orders frame when the model kept the orders (no sink), else None: the
    rows went to the sink block by block. ``tally`` holds what the metrics need of the
    orders either way (:class:`sim.tally.Tally`)."""

    architecture: str
    replication: int
    orders: pd.DataFrame | None
    services: pd.DataFrame
    propagation: pd.DataFrame
    stats: dict = field(default_factory=dict)
    tally: Tally | None = None


def orders_frame(architecture: str, replication: int, block: dict) -> pd.DataFrame:
    """The orders frame (``ORDER_COLUMNS``) of a run's block (or blocks) of orders."""
    return pd.DataFrame({"architecture": architecture, "replication": replication, **block})


class Model:
    """One architecture of a scenario in one replication."""

    # What the jobs and styles read on the hot path, typed: compiled (docs/architecture.md),
    # each is a field of the model's struct.
    clock: Clock
    rec: Recorder
    keys: IdempotencyKeys | None
    bus: Bus | None
    entry: Service
    work: list[list[float]]
    rework: list[Stream]
    routes: list[list[tuple[LinkFault | None, Gate | None, RetryBudget | None, Policy, bool]]]
    failure_at: dict[int, dict[int, int]]
    deadlines: bool
    outbox: bool
    jitter: Uniforms
    arch: Any
    scenario: Any
    _next_arrival: float
    _arrivals: Any

    def __init__(self, scenario: Any, architecture: str, replication: int, sink: Any = None,
                 block: int = BLOCK, retire: bool | None = None) -> None:
        """``sink(block)``, if given, receives the orders' columns (``ORDER_COLUMNS`` but the
        first two) a block of consecutive orders at a time, in order of id, as orders
        retire (see :mod:`sim.recorder`); without one the model keeps them for
        ``RunRecord.orders``. ``block`` and ``retire`` are the recorder's; by default orders
        retire only when there is a sink: without one, rows are order ids (as tests and
        ``sim.validate`` read ``Model.work``) and ``finish`` may be called again."""
        if block % DRAW_BLOCK:
            raise ValueError(f"block must be a multiple of {DRAW_BLOCK}, got {block}")
        self.scenario = scenario
        self.arch_name = architecture
        self.arch = scenario.architectures[architecture]
        # Architecture flags read on the hot path, copied out of the pydantic model (whose
        # __getattr__ hook makes every attribute read slower).
        self.outbox = self.arch.outbox
        self.replication = replication
        self.clock = Clock()
        self.streams = Streams(scenario.seed, replication)
        self.horizon_s = scenario.duration + scenario.drain
        self._errors: dict[tuple[str, str], Error] = {}
        self._build_services()
        self._build_links()
        self._build_faults()
        self._build_waits_on()
        self._timers: dict[float, Deadlines] = {}
        client = scenario.client
        self.client_policy = Policy(client.timeout, client.retries, client.backoff, False,
                                    Deadlines(self.clock, client.timeout))
        self.call_policy = self._policy(self.arch.call)
        self._build_resilience()
        self._build_scaling()
        self._build_draws()
        self.sink = sink
        self._kept: list[dict] = []  # the blocks of orders, without a sink
        self.tally = Tally(scenario)
        self._labels = np.array([""], dtype=object)
        self._handed = 0  # blocks of orders handed over
        self.rec = Recorder(len(self.steps), self.entry.bit, on_block=self._retired,
                            block=block, retire=sink is not None if retire is None else retire)
        self.keys = IdempotencyKeys(self.rec) if self.arch.idempotency else None
        self.jitter = Uniforms(self.streams.rng("jitter"))
        self.samples: list[tuple] = []

    # -- building -----------------------------------------------------------------------

    def _build_services(self) -> None:
        flow = self.scenario.flow
        self.steps = flow.steps()
        self.services = {
            name: Service(self.clock, i, name, self.scenario.services[name])
            for i, name in enumerate(self.steps)
        }
        self.entry = self.services[flow.entry]

    def style_into(self, name: str) -> str:
        """The style of the link that reaches ``name``; the entry is always called."""
        parent = self.scenario.flow.parent(name)
        if parent is None:
            return "call"
        return self.arch.link_style(f"{parent} -> {name}")

    def _build_links(self) -> None:
        flow = self.scenario.flow
        self.link_faults: dict[tuple[str, str], LinkFault] = {}
        for fault in self.scenario.faults:
            if fault.target_kind == "link":
                link = flow.link(fault.target)
                self.link_faults.setdefault((link.parent, link.child),
                                            LinkFault(self.clock, link.key))
        receivers = {name for name in self.steps if self.style_into(name) == "event"}
        for failure in flow.business_failures:
            receivers |= {s for s, _ in failure.compensations if self.style_into(s) == "event"}
        self.bus = Bus(self, self.arch.bus, self.streams) if receivers else None
        for name in self.steps:
            if name in receivers:
                service = self.services[name]
                service.queue = MessageQueue(self, service, self.arch.queue)
        for name in self.steps:
            groups: list[list[Service]] = []
            targets: list[Any] = []
            parallel: list[Service] = []
            for link in flow.children(name):
                child = self.services[link.child]
                if self.arch.link_style(link.key) == "event":
                    targets.append((child.queue, self.link_faults.get((name, link.child)), None))
                elif link.parallel:
                    if not parallel:
                        groups.append(parallel)
                    parallel.append(child)
                else:
                    groups.append([child])
            self.services[name].call_groups = groups
            self.services[name].event_targets = targets

    def _build_faults(self) -> None:
        for i, fault in enumerate(self.scenario.faults):
            rng = self.streams.rng(f"faults:{i}:{fault.target}")
            if fault.target_kind == "service":
                state = self.services[fault.target].fault
            elif fault.target_kind == "bus":
                if self.bus is None:
                    continue
                state = self.bus.fault
            else:
                link = self.scenario.flow.link(fault.target)
                state = self.link_faults[(link.parent, link.child)]
            for start, end in fault_windows(fault, self.horizon_s, rng):
                self.clock.later(start, state.switch, fault, True)
                self.clock.later(end, state.switch, fault, False)
        self._fault_draws: dict[str, Uniforms] = {}

    def _build_draws(self) -> None:
        rng = self.streams.rng
        services = self.scenario.services
        self.work_streams = [Stream(services[s].time, rng(f"service:{s}")) for s in self.steps]
        self.work: list[list[float]] = [[] for _ in self.steps]  # lists: see Recorder
        self.rework = [Stream(services[s].time, rng(f"rework:{s}")) for s in self.steps]
        self.op_streams: dict[tuple[int, str], Stream] = {}
        failures = self.scenario.flow.business_failures
        self.failure_streams = [Uniforms(rng(f"business:{f.name}")) for f in failures]
        self.failure_errors = [self.error(f.at, f"business:{f.name}") for f in failures]
        self.failure_need = [
            sum(self.services[s].bit for s, _ in f.compensations) for f in failures
        ]
        self.failure_by_kind = {f"business:{f.name}": f for f in failures}
        self.failure_at: dict[int, dict[int, int]] = {}  # row -> {step index: failure index}
        self._failure_rows: dict[int, list[int]] = {}  # recorder block -> rows in failure_at

    # -- what jobs and styles ask of the model ------------------------------------------

    def error(self, where: str, kind: str) -> Error:
        """The interned Error for (where, kind)."""
        key = (where, kind)
        error = self._errors.get(key)
        if error is None:
            error = self._errors[key] = Error(len(self._errors), where, kind)
        return error

    def timeout_error(self, callee: Service, link=None) -> Error:
        """The error of a call to ``callee`` that timed out: the first active fault among
        the services and links a call to ``callee`` waits on (a hang or slowdown began
        there), else ``callee`` itself with kind ``timeout``."""
        if link is not None and link.active:
            return self.error(link.name, str(link.kind()))
        for name, state in self.waits_on[callee.index]:
            if state.active:
                return self.error(name, str(state.kind()))
        return self.error(callee.name, "timeout")

    def _build_waits_on(self) -> None:
        """For each service, the (name, fault state) pairs a call to it waits on: itself,
        then, depth first, each link reached by a call and the service behind it."""
        flow = self.scenario.flow
        self.waits_on = []
        for name in self.steps:
            chain, stack = [], [name]
            while stack:
                current = stack.pop()
                chain.append((current, self.services[current].fault))
                for link in reversed(flow.children(current)):
                    if self.arch.link_style(link.key) == "call":
                        stack.append(link.child)
                        lf = self.link_faults.get((link.parent, link.child))
                        if lf is not None:
                            chain.append((link.key, lf))
            self.waits_on.append(tuple(chain))

    def fault_draw(self, target) -> float:
        """A uniform draw from the errors-fault stream of a service or link, by its name."""
        draws = self._fault_draws.get(target.name)
        if draws is None:
            draws = self._fault_draws[target.name] = Uniforms(
                self.streams.rng(f"faults:{target.name}"))
        return draws.next()

    def op_time(self, service: Service, op: str) -> float:
        """Service time of operation ``op`` (a compensation) at ``service``, drawn when needed.

        A step's own work is drawn per order at arrival instead (see ``Job.start``)."""
        key = (service.index, op)
        stream = self.op_streams.get(key)
        if stream is None:
            stream = self.op_streams[key] = Stream(
                service.spec.op_time(op), self.streams.rng(f"op:{service.name}.{op}"))
        return stream.next()

    def business_failure(self, order: int, service: Service) -> Error | None:
        at = self.failure_at.get(order)
        if at is None:
            return None
        index = at.get(service.index)
        if index is None:
            return None
        error = self.failure_errors[index]
        self.rec.business_failed(order, error.id, self.failure_need[index])
        return error

    def compensations(self, order: int, error: Error):
        """(calls, event targets) that undo ``order``'s steps after business failure ``error``."""
        failure = self.failure_by_kind[error.kind]
        done = self.rec.done_mask[order]
        calls, events = [], []
        for name, op in failure.compensations:
            target = self.services[name]
            if self.style_into(name) == "event":
                events.append((target.queue, None, op))
            elif done & target.bit:
                calls.append((target, op))
        return calls, events

    def compensated(self, order: int, service: Service) -> None:
        if self.rec.done_mask[order] & service.bit:
            self.rec.compensation_done(order, service.bit, self.clock.now)

    # The styles' functions, as methods: jobs reach the styles through the model (and a
    # compiled module function cannot be bound as a method, docs/architecture.md).
    def publish(self, service: Service, order: int, targets: Any, on_done: Any) -> None:
        event.publish(self, service, order, targets, on_done)

    def publish_now(self, order: int, targets: Any) -> bool:
        return event.publish_now(self, order, targets)

    def call(self, order: int, caller: Service, callee: Service, op: str | None,
             on_result: Any, deadline: float = INF) -> None:
        calls.call(self, order, caller, callee, op, on_result, deadline)

    def retry_first(self, job: Any, error: Any, timed_out: bool) -> None:
        calls.retry_first(self, job, error, timed_out)

    def _deadlines(self, timeout_s: float) -> Deadlines:
        """The one timer list of calls with timeout ``timeout_s`` (equal timeouts are FIFO)."""
        timers = self._timers.get(timeout_s)
        if timers is None:
            timers = self._timers[timeout_s] = Deadlines(self.clock, timeout_s)
        return timers

    def _policy(self, spec) -> Policy:
        return Policy(spec.timeout, spec.retries, spec.backoff, spec.jitter,
                      self._deadlines(spec.timeout))

    def _build_resilience(self) -> None:
        """Per call link: its policy where overridden and its gate (breaker, bulkhead); a
        retry budget per caller; load shedding at every service."""
        arch = self.arch
        self.gates: dict[tuple[str, str], Gate] = {}
        self.budgets: dict[str, RetryBudget] = {}
        self.link_policies: dict[tuple[str, str], Policy] = {}
        for link in self.scenario.flow.links:
            if arch.link_style(link.key) != "call":
                continue
            spec = arch.call_policy(link.key)
            if link.key in arch.call_overrides:
                self.link_policies[link.parent, link.child] = self._policy(spec)
            if spec.circuit_breaker is not None or spec.bulkhead is not None:
                breaker = (Breaker(self.clock, spec.circuit_breaker)
                           if spec.circuit_breaker is not None else None)
                self.gates[link.parent, link.child] = Gate(link.key, breaker, spec.bulkhead)
        if arch.call.retry_budget is not None:
            self.budgets = {name: RetryBudget(arch.call.retry_budget) for name in self.steps}
        shedding = arch.load_shedding
        self.deadlines = shedding is not None and shedding.deadlines
        if shedding is not None:
            for service in self.services.values():
                service.guarded = True
                if shedding.max_queue_age is not None:
                    service.max_age = shedding.max_queue_age
        # What stands on a call from one service to another, looked up once here rather
        # than on every call: routes[caller index][callee index] = (link fault, gate, budget,
        # policy, plain), where ``plain`` says a first attempt needs no Call (nothing stands on
        # the link and no deadline is propagated; see sim.styles.call).
        self.routes = [
            [self._route(caller, callee) for callee in self.steps] for caller in self.steps
        ]

    def _route(self, caller: str, callee: str) -> tuple:
        link = self.link_faults.get((caller, callee))
        gate = self.gates.get((caller, callee))
        budget = self.budgets.get(caller)
        policy = self.link_policies.get((caller, callee), self.call_policy)
        plain = link is None and gate is None and budget is None and not self.deadlines
        return link, gate, budget, policy, plain

    def _build_scaling(self) -> None:
        """An autoscaler per autoscaled service; Lambda-like scaling of every queue consumer
        where the architecture asks for it (it replaces the consumer's autoscaling)."""
        self.scalers: dict[str, Autoscaler | ConsumerScaler] = {}
        consumers = self.arch.queue.consumer_scaling
        for name, service in self.services.items():
            if consumers is not None and service.queue is not None:
                self.scalers[name] = ConsumerScaler(self.clock, service, consumers,
                                                    self.horizon_s)
                continue
            spec = self.arch.service_autoscaling(name, service.spec)
            if spec is not None:
                self.scalers[name] = Autoscaler(self.clock, service, spec, self.horizon_s)


    def client_answered(self, order: int, error, timed_out: bool, attempts: int) -> None:
        now = self.clock.now
        if error is None:
            self.rec.answered(order, now, ACK_OK, -1, attempts)
            return
        self.rec.reached(error.id, "client")
        self.rec.answered(order, now, ACK_TIMEOUT if timed_out else ACK_ERROR, error.id, attempts)

    def message_dead(self, message, service: Service) -> None:
        error = message.error or self.error(service.name, "timeout")
        rec = self.rec
        rec.live[message.order >> rec.shift] -= 1  # the message is out of play
        rec.lost(message.order, DEAD_LETTERED, error.id)
        rec.reached(error.id, "dead-letter")

    def message_dropped(self, message, service: Service) -> None:
        rec = self.rec
        rec.live[message.order >> rec.shift] -= 1  # the message is out of play
        rec.lost(message.order, DROPPED, self.error(service.name, "retention").id)

    # -- running ------------------------------------------------------------------------

    def _arrive(self) -> None:
        # The arrival's exact time waits in ``_next_arrival``: a timer without arguments is
        # the cheapest kind (see sim.clock), and this one runs once per order.
        t = self._next_arrival
        order = self.rec.new_order(t)
        if order % DRAW_BLOCK == 0:
            self._draw_block(order)
        entry = self.entry
        if self.deadlines or entry.fault.down:
            Call(self, order, entry, None, self.client_policy, None, None, True).attempt()
        else:  # the client's request is plain unless deadlines are propagated (sim.styles.call)
            calls.first_attempt(self, order, entry, None, self.client_policy, None, True)
        nxt = next(self._arrivals, None)
        if nxt is not None:
            self._next_arrival = nxt
            self.clock.after(nxt - t, self._arrive)

    def _draw_block(self, first: int) -> None:
        """Draw the work of the next DRAW_BLOCK orders (rows first .. first + DRAW_BLOCK - 1),
        in order of arrival: each order's service time at every step and its business
        outcomes (common random numbers: the i-th draw of a stream belongs to the i-th order
        in every architecture)."""
        capacity = self.rec.capacity
        for stream, work in zip(self.work_streams, self.work):
            if len(work) < capacity:  # the recorder added rows
                work.extend([0.0] * (capacity - len(work)))
            work[first:first + DRAW_BLOCK] = stream.take(DRAW_BLOCK)
        for index, draws in enumerate(self.failure_streams):
            failure = self.scenario.flow.business_failures[index]
            step = self.services[failure.at].index
            hits = np.flatnonzero(np.asarray(draws.take(DRAW_BLOCK)) < failure.probability)
            for hit in hits.tolist():
                row = first + hit
                if row not in self.failure_at:
                    self._failure_rows.setdefault(row >> self.rec.shift, []).append(row)
                self.failure_at.setdefault(row, {}).setdefault(step, index)

    def _retired(self, first: int, lo: int, cols: dict) -> None:
        """A block of orders is final (``Recorder.on_block``): forget its rows' business
        failures, turn its columns into the orders' columns, tally them, pass them on."""
        for row in self._failure_rows.pop(lo >> self.rec.shift, ()):
            del self.failure_at[row]
        self._hand(first, cols)

    def _hand(self, first: int, cols: dict) -> None:
        self._handed += 1
        if len(self._labels) != len(self._errors) + 1:
            self._labels = np.array(
                [e.label for e in sorted(self._errors.values(), key=lambda e: e.id)] + [""],
                dtype=object)
        n = len(cols["arrival"])
        block = {
            "order_id": np.arange(first, first + n, dtype=np.int64),
            "arrival_s": cols["arrival"],
            "ack_s": cols["ack"],
            "ack_status": ACK_STATUS[cols["status"]],
            "done_s": cols["done"],
            "compensated_s": cols["compensated"],
            "outcome": cols["outcome"],
            "inconsistent": cols["inconsistent"],
            "error_origin": self._labels[cols["origin"]],
            "attempts": cols["attempts"],
        }
        self.tally.add(block)
        if self.sink is not None:
            self.sink(block)
        else:
            self._kept.append(block)

    def _sample(self, t: float) -> None:
        window = self.scenario.window
        for service in self.services.values():
            service._level()
            q = service.queue
            self.samples.append((
                t, service.name, len(service.waiting), q.backlog if q is not None else 0,
                service.busy, service.workers, service.area_busy, service.errors,
                service.visits,
            ))
        if t + window < self.horizon_s - 1e-9:
            self.clock.later(window, self._sample, t + window)

    def start(self, arrivals=None) -> None:
        """Schedule the arrivals (the scenario's traffic, or the given times) and sampling."""
        if arrivals is None:
            arrivals = arrival_times(self.scenario.traffic.points(), self.scenario.duration,
                                     self.streams.rng("arrivals"))
        self._arrivals = iter(arrivals)
        first = next(self._arrivals, None)
        if first is not None:
            self._next_arrival = first
            self.clock.later(first, self._arrive)
        self.clock.later(0.0, self._sample, 0.0)

    def finish(self) -> RunRecord:
        """Close the time integrals and turn the run's state into records."""
        if self.clock.now >= self.horizon_s and self.samples[-1][0] < self.horizon_s:
            self._sample(self.horizon_s)  # the last window ends at the horizon
        for service in self.services.values():
            service.finish_levels()
        self.rec._in_system(self.clock.now, 0)
        if self.rec.retire or self.sink is not None:
            self.rec.close()  # the orders still held go to the sink (once: rows are reset)
        else:  # nothing retired: rows are order ids; hand all, the state stays as it is
            self.tally = Tally(self.scenario)
            self._hand(0, self.rec.block_columns(0, self.rec.n))
        if not self._handed:  # no orders: an empty block gives the columns their types
            self._hand(0, self.rec.block_columns(0, 0))
        return self._record()

    def run(self, arrivals=None) -> RunRecord:
        """Simulate arrivals for ``duration`` and then ``drain``; return the run's records.

        ``arrivals`` (increasing times in seconds) replaces the scenario's traffic: tests
        use it for exact, hand-computed cases.
        """
        wall0, cpu0 = time.perf_counter(), time.process_time()
        self.start(arrivals)
        self.clock.run(until=self.horizon_s)
        record = self.finish()
        record.stats["wall_s"] = time.perf_counter() - wall0
        record.stats["cpu_s"] = time.process_time() - cpu0
        return record

    # -- records ------------------------------------------------------------------------

    def _record(self) -> RunRecord:
        orders = None
        if self.sink is None:
            kept, self._kept = self._kept, []
            orders = orders_frame(self.arch_name, self.replication,
                                  {k: np.concatenate([b[k] for b in kept]) for k in kept[0]})
        return RunRecord(self.arch_name, self.replication, orders, self._service_frame(),
                         self._propagation_frame(), self._stats(), self.tally)

    def _service_frame(self) -> pd.DataFrame:
        columns = ["time_s", "service", "waiting", "backlog", "busy", "workers", "area_busy",
                   "errors", "visits"]
        frame = pd.DataFrame(self.samples, columns=columns)
        frame.insert(0, "replication", self.replication)
        frame.insert(0, "architecture", self.arch_name)
        return frame

    def _propagation_frame(self) -> pd.DataFrame:
        by_id = {e.id: e for e in self._errors.values()}
        rows = [
            (self.arch_name, self.replication, by_id[eid].where, by_id[eid].kind, reached, count)
            for (eid, reached), count in sorted(self.rec.propagation.items(),
                                                key=lambda kv: (by_id[kv[0][0]].label, kv[0][1]))
        ]
        return pd.DataFrame(rows, columns=["architecture", "replication", "origin", "fault",
                                           "reached", "count"])

    def _stats(self) -> dict:
        rec, T = self.rec, self.horizon_s
        queues = [s.queue for s in self.services.values() if s.queue is not None]
        services = {
            s.name: {
                "visits": s.visits, "errors": s.errors, "rejected": s.rejected, "jobs": s.jobs,
                "sojourn_s": s.sojourn_s, "area_busy": s.area_busy,
                "area_waiting": s.area_waiting,
                "max_backlog": s.queue.max_backlog if s.queue is not None else 0,
                "dead_letters": s.queue.dead if s.queue is not None else 0,
                "shed": s.shed,
                "worker_s": s.area_workers,
                "peak_workers": (max(w for _, w in self.scalers[s.name].history)
                                 if s.name in self.scalers else s.spec.workers),
            }
            for s in self.services.values()
        }
        return {
            "horizon_s": T,
            "orders": rec.n,
            "service_visits": sum(s.visits for s in self.services.values()),
            "engine_events": self.clock.events,
            "retries": rec.retries,
            "wasted": rec.wasted,
            "duplicates": rec.duplicates,
            "absorbed": rec.absorbed,
            "dead_letters": sum(q.dead for q in queues),
            "dropped": sum(q.dropped for q in queues),
            "max_backlog": max((q.max_backlog for q in queues), default=0),
            "oldest_message_age_s": max((q.oldest_age_s for q in queues), default=0.0),
            "messages_sent": sum(q.sent for q in queues),
            "messages_received": sum(q.received for q in queues),
            "messages_deleted": sum(q.deleted for q in queues),
            "messages_in_queue": sum(q.backlog for q in queues),
            "published": self.bus.published if self.bus is not None else 0,
            "circuit_opened": sum(g.breaker.opened for g in self.gates.values()
                                  if g.breaker is not None),
            "refused_by_gates": sum(g.refused for g in self.gates.values()),
            "retries_denied": sum(b.denied for b in self.budgets.values()),
            "shed": sum(s.shed for s in self.services.values()),
            "area_in_system": rec.area_in_system,
            "services": services,
        }


def simulate(scenario, architecture: str, replication: int = 0) -> RunRecord:
    """Run one architecture of ``scenario`` in replication ``replication``."""
    return Model(scenario, architecture, replication).run()
