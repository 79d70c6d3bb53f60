"""The 95% intervals that archsim reports cover the truth about 95% of the time.

Each batch is ``REPS`` independent replications of an M/M/1 queue (rho = 0.5) through the
whole engine; its interval over replications (Student's t, ``sim.stats.mean_ci``) either
covers the true mean sojourn 1/(mu - lambda) or not. Over ``BATCHES`` batches the number
of covering intervals is Binomial(BATCHES, 0.95) for a correct simulator and interval;
the test accepts the central 99.9% of that distribution (computed, not picked), so a
correct engine fails it about once in a thousand seeds, and an interval that is too
narrow (bias, wrong variance) or too wide fails it far more often.
"""

import numpy as np
import pytest
from scipy import stats as st

from sim.model import Model
from sim.scenario import load_scenario
from sim.stats import mean_ci

LAM, MU = 0.5, 1.0
TRUE_W = 1.0 / (MU - LAM)
BATCHES, REPS = 60, 5
DURATION_S, WARMUP_S = 4000.0, 200.0


def mm1(seed: int):
    return load_scenario({
        "seed": seed, "duration": DURATION_S, "drain": 200, "warmup": WARMUP_S,
        "traffic": {"rate": LAM}, "client": {"timeout": 1e6},
        "services": {"order": {"workers": 1, "time": {"dist": "exponential", "mean": 1 / MU}}},
        "flow": {"entry": "order", "links": []},
        "architectures": {"rr": {"style": "call"}},
    })


def batch_covers(seed: int) -> bool:
    sc = mm1(seed)
    means = []
    for rep in range(REPS):
        o = Model(sc, "rr", rep).run().orders
        o = o[o["arrival_s"] >= WARMUP_S]
        means.append(float((o["ack_s"] - o["arrival_s"]).mean()))
    mean, half = mean_ci(np.array(means))
    return mean - half <= TRUE_W <= mean + half


@pytest.mark.slow
def test_intervals_over_replications_cover_the_true_mm1_mean_about_95_percent_of_the_time():
    covered = sum(batch_covers(1000 + b) for b in range(BATCHES))
    low, high = st.binom.interval(0.999, BATCHES, 0.95)
    assert low <= covered <= high, f"{covered}/{BATCHES} intervals covered {TRUE_W}"
