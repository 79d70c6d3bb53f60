"""`archsim check`: offered load by hand and the explanation text."""

import pytest

from sim.check import explain, offered_load
from sim.scenario import builtin_path, builtin_scenarios, load_scenario

HAND = {
    "traffic": {"rate": 2, "profile": [[0, 1], [10, 4]]},  # base 2/s, peak 8/s
    "services": {
        "order": {"workers": 2, "time": 0.1},
        "payment": {"workers": 1, "time": 0.2, "ops": {"refund": 0.1}},
        "shipping": {"workers": 1, "time": "50ms"},
    },
    "flow": {
        "links": ["order -> payment", "payment -> shipping"],
        "business_failures": [{"name": "oos", "at": "shipping", "probability": 0.1,
                               "compensate": ["payment.refund"]}],
    },
    "architectures": {"rr": {"style": "call"},
                      "mixed": {"style": "event", "links": {"order -> payment": "call"}}},
    "faults": [{"target": "payment", "kind": "outage", "start": "1m", "end": "2m"}],
}


def rows():
    return {r["service"]: r for r in offered_load(load_scenario(HAND))}


def test_offered_load_by_hand():
    r = rows()
    assert list(r) == ["order", "payment", "shipping"]
    assert r["order"]["visits_per_order"] == 1
    assert r["order"]["util_base"] == pytest.approx(2 * 0.1 / 2)
    assert r["order"]["util_peak"] == pytest.approx(8 * 0.1 / 2)
    # payment: 1 visit of 0.2 s plus 0.1 refund visits of 0.1 s = 0.21 s per order.
    assert r["payment"]["visits_per_order"] == pytest.approx(1.1)
    assert r["payment"]["mean_time_s"] == pytest.approx(0.21 / 1.1)
    assert r["payment"]["util_base"] == pytest.approx(2 * 0.21)
    assert r["payment"]["util_peak"] == pytest.approx(8 * 0.21)
    assert r["shipping"]["util_peak"] == pytest.approx(8 * 0.05)


def test_call_style_held_load_includes_children():
    r = rows()
    assert r["order"]["held_time_s"] == pytest.approx(0.1 + 0.2 + 0.05)
    assert r["order"]["util_call_base"] == pytest.approx(2 * 0.35 / 2)
    # payment holds 0.25 s per charge (own 0.2 + shipping 0.05) plus 0.01 s of refunds.
    assert r["payment"]["util_call_base"] == pytest.approx(2 * 0.26)


def test_parallel_children_hold_for_the_longest():
    data = {**HAND, "services": {**HAND["services"], "invoice": {"time": 0.3}},
            "flow": {"links": [{"link": "order -> payment", "parallel": True},
                               {"link": "order -> invoice", "parallel": True},
                               "payment -> shipping"]}}
    r = {x["service"]: x for x in offered_load(load_scenario(data))}
    assert r["order"]["held_time_s"] == pytest.approx(0.1 + max(0.25, 0.3))


def test_explain_warns_only_where_saturated():
    text = explain(load_scenario(HAND))
    warnings = [line for line in text.splitlines() if line.startswith("WARNING")]
    assert warnings == [
        "WARNING: order is saturated at the peak rate in call style (held utilisation 140%)",
        "WARNING: payment is saturated at the peak rate (utilisation 168%)",
    ]


def test_explain_draws_tree_styles_and_faults():
    text = explain(load_scenario(HAND))
    assert "Flow:\n  order\n    payment\n      shipping\n" in text
    assert "  mixed: event\n    order -> payment: call\n    payment -> shipping: event" in text
    assert "outage on service payment, 60-120 s" in text
    assert "payment: 1 workers, queue unbounded, constant mean 200 ms (ops: refund 100 ms)" in text


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_explain_every_builtin(name):
    assert "Offered load" in explain(load_scenario(builtin_path(name)))


def test_prime_day_peak_saturates_something_in_call_style():
    r = offered_load(load_scenario(builtin_path("prime_day")))
    # The story of the built-in scenario: held threads saturate fulfillment at the peak in
    # call style, while its own work alone (event style) stays below one.
    by = {x["service"]: x for x in r}
    assert by["fulfillment"]["util_call_peak"] >= 1 > by["fulfillment"]["util_peak"]
    assert all(x["util_call_base"] <= 0.5 for x in r)


def test_check_names_the_defences_of_each_architecture():
    text = explain(load_scenario(builtin_path("resilient_rr_vs_ed")))
    blocks = text.split("Architectures:")[1].split("Faults")[0]
    defences = [line.strip() for line in blocks.splitlines() if "defences:" in line]
    assert defences[0] == "defences: none"  # request-response, naive
    assert defences[1].startswith("defences: circuit breakers, bulkheads, retry budget 10%")
    assert "deadline propagation" in defences[1] and "idempotency keys" in defences[1]
    assert defences[3] == ("defences: idempotency keys, autoscaling (order), "
                           "Lambda-like consumers")
