"""Small scenarios for exact, hand-computed engine tests."""

from __future__ import annotations

from sim.model import Model
from sim.scenario import load_scenario


def constant(mean: float) -> dict:
    return {"dist": "constant", "mean": mean}


def make(services: dict, links: list, architectures: dict | None = None, **extra):
    """A scenario with constant service times (``services``: name -> time or dict)."""
    specs = {}
    for name, spec in services.items():
        if isinstance(spec, (int, float)):
            spec = {"time": constant(spec)}
        specs[name] = {"workers": 1, **spec}
    data = {
        "duration": 100, "drain": 100, "window": 10,
        "client": {"timeout": 60},
        "services": specs,
        "flow": {"entry": next(iter(services)), "links": links},
        "architectures": architectures or {
            "rr": {"style": "call", "call": {"timeout": 30, "retries": 0, "backoff": 0, "jitter": False}},
            "ed": {"style": "event", "bus": {"latency": 0.05},
                   "queue": {"visibility_timeout": 5, "max_receives": 3}},
        },
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return load_scenario(data)


def run(scenario, arch: str, arrivals, until: float | None = None):
    """Run ``arch`` on the given arrival times; return (model, record)."""
    m = Model(scenario, arch, 0)
    m.start(arrivals)
    m.clock.run(until=until if until is not None else m.horizon_s)
    return m, m.finish()


def order(record, i: int = 0) -> dict:
    return record.orders.iloc[i].to_dict()
