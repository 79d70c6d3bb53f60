"""Both sides of the event-driven trade-off during a long payment outage."""

from sim.model import simulate
from sim.scenario import load_scenario


def outage_scenario(visibility_timeout_s: float, max_receives: int):
    return load_scenario({
        "duration": 600, "drain": 900, "seed": 7,
        "traffic": {"rate": 2},
        "services": {
            "order": {"workers": 8, "time": {"dist": "exponential", "mean": 0.02}},
            "payment": {"workers": 8, "time": {"dist": "exponential", "mean": 0.05}},
        },
        "flow": {"entry": "order", "links": ["order -> payment"]},
        "architectures": {
            "rr": {"style": "call"},
            "ed": {"style": "event", "queue": {"visibility_timeout": visibility_timeout_s,
                                               "max_receives": max_receives}},
        },
        # 300 s outage: longer than 30 s x 5 receives = 150 s, shorter than 60 s x 10.
        "faults": [{"target": "payment", "kind": "outage", "start": 200, "end": 500}],
    })


def test_outage_longer_than_the_redelivery_budget_dead_letters_orders_the_client_saw_succeed():
    short = simulate(outage_scenario(30, 5), "ed", 0)
    o = short.orders
    lost = o[o["outcome"] == "failed_after_ack"]
    assert len(lost) > 100  # ~2/s over the first 150 s of the outage
    assert (lost["ack_status"] == "ok").all()
    assert (lost["error_origin"] == "payment:outage").all()
    assert short.stats["dead_letters"] == len(lost)
    assert (o["ack_status"] == "ok").all()  # no client saw an error


def test_a_larger_redelivery_budget_rides_out_the_same_outage():
    long = simulate(outage_scenario(60, 10), "ed", 0)
    assert long.stats["dead_letters"] == 0
    assert (long.orders["outcome"] == "completed").all()


def test_request_response_shows_the_same_outage_to_clients_instead():
    rr = simulate(outage_scenario(30, 5), "rr", 0).orders
    # Retries (2, backoff 0.1 s doubling) span under 0.4 s: arrivals 1 s before the end fail.
    during = rr[(rr["arrival_s"] >= 200) & (rr["arrival_s"] < 499)]
    assert (during["ack_status"] == "error").all()
    assert (during["outcome"] == "rejected").all()
    assert (rr.loc[rr["arrival_s"] < 199, "outcome"] == "completed").all()
