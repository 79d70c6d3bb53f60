"""YAML round trip: dumping a scenario and loading it back gives the same scenario."""

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario import dump_scenario, load_scenario

NAMES = st.lists(st.from_regex(r"[a-z][a-z0-9_-]{0,6}", fullmatch=True),
                 min_size=1, max_size=5, unique=True)
TIMES = st.one_of(st.floats(0.001, 100, allow_nan=False),
                  st.integers(1, 500).map(lambda n: f"{n}ms"),
                  st.integers(1, 30).map(lambda n: f"{n}s"))
DISTS = st.one_of(
    TIMES,
    st.builds(lambda m: {"dist": "exponential", "mean": m}, TIMES),
    st.builds(lambda m, cv: {"dist": "lognormal", "mean": m, "cv": cv}, TIMES,
              st.floats(0, 3)),
    st.builds(lambda m: {"dist": "gamma", "mean": m}, TIMES),
    st.builds(lambda a, b: {"dist": "uniform", "low": min(a, b), "high": max(a, b)},
              st.floats(0, 1), st.floats(0, 1)),
    st.builds(lambda xs: {"dist": "empirical", "samples": xs},
              st.lists(st.floats(0, 10), min_size=1, max_size=4)),
)


@st.composite
def scenarios(draw):
    names = draw(NAMES)
    links = []
    for i, child in enumerate(names[1:], start=1):
        parent = names[draw(st.integers(0, i - 1))]
        link = f"{parent} -> {child}"
        links.append({"link": link, "parallel": True} if draw(st.booleans()) else link)
    services = {n: {"workers": draw(st.integers(1, 8)),
                    "queue": draw(st.none() | st.integers(0, 50)),
                    "time": draw(DISTS),
                    "ops": {"undo": draw(DISTS)} if draw(st.booleans()) else {}}
                for n in names}
    times = sorted(set(draw(st.lists(st.integers(0, 3600), min_size=1, max_size=4))))
    profile = [[t, draw(st.floats(0, 5))] for t in times]
    data = {"name": draw(st.text(max_size=10)), "seed": draw(st.integers(0, 2**31)),
            "duration": draw(st.integers(10, 7200)), "warmup": draw(st.just(0) | st.just("auto")),
            "traffic": {"rate": draw(st.floats(0, 50)),
                        "profile": profile if draw(st.booleans()) else None},
            "services": services, "flow": {"entry": names[0], "links": links}}
    if links and draw(st.booleans()):
        key = links[0] if isinstance(links[0], str) else links[0]["link"]
        data["architectures"] = {"hybrid": {"style": "event", "links": {key: "call"},
                                            "bus": {"latency": draw(DISTS)}}}
    if draw(st.booleans()):
        data["faults"] = [{"target": names[-1], "kind": "slowdown",
                           "factor": draw(st.floats(1, 10)), "mtbf": "1h", "mttr": "5m"}]
    return data


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_dump_then_load_is_identity(data):
    original = load_scenario(data)
    text = dump_scenario(original)
    again = load_scenario(yaml.safe_load(text))
    assert again == original
    assert dump_scenario(again) == text
