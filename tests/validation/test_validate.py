"""The validation suite (``sim.validate``): the engine agrees with queueing theory, and a
deliberately wrong model does not.

What each case pins (theory from ``sim.queueing``; see ``sim.validate`` for the method and
how each tolerance was planned before running):

- ``M/M/1 rho=0.7``: mean sojourn = 1/(mu - lambda);
- ``M/M/4 rho=0.8``: mean sojourn and P(wait) (Erlang C, the fraction of orders whose
  answer came later than their own service time), and the sojourn p90
  (``mmc_sojourn_quantile``);
- ``M/G/1 lognormal cv=2 rho=0.5``: mean sojourn by Pollaczek-Khinchine;
- ``M/M/2/5``: blocking (the fraction of client answers with origin ``order:queue_full``,
  the service's ``queue`` being K - c) and the mean sojourn of accepted orders;
- ``event tandem``: three event-linked M/M/c stations, bus latency 0, end-to-end mean =
  the Jackson tandem sum;
- ``call chain``: callers with 500 workers never wait, so the client's answer takes their
  mean service times plus the last station's M/M/2 sojourn;
- ``event ack``: in event style the client's answer is the entry's M/M/3 sojourn.

Tolerances at the suite's size (3 planned standard errors of the replication mean, planned
from the theoretical queue before any run, see ``sim.validate``): M/M/1 mean 4.0%; M/M/4
mean 4.0%, P(wait) 2.5%, p90 3.9%; M/G/1 mean 6.1% (20 replications, heavy tail); M/M/2/5
blocking 4.4%, mean 1.0%; tandem 3.5%; call chain 4.8%; event ack 4.3%.

In every case no client or call timeout fires, nothing is retried, redelivered,
dead-lettered or left unfinished, and no error other than the blocking one occurs (the
``unexpected_events`` row, theory 0).

Each check's interval is at 1 - 0.05/k for the k theory checks (``v.CONFIDENCE``,
Bonferroni), so a correct engine passes the whole suite with probability at least 95%;
the seeds were fixed before the first run and are never changed to make a check pass. Whether the queueing logic is exact is checked without noise by
``test_sample_path.py``.
"""

from __future__ import annotations

import copy
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sim import queueing
from sim import validate as v

CASE_NAMES = [case.name for case in v.CASES]


@pytest.fixture(scope="module")
def suite(jobs) -> pd.DataFrame:
    """The suite at its own size, run once for this module."""
    return v.run_validation(jobs=jobs)


# --------------------------------------------------------------------------- the suite
@pytest.mark.slow
def test_the_suite_passes(suite):
    assert list(suite.columns) == v.COLUMNS
    assert list(dict.fromkeys(suite["case"])) == CASE_NAMES
    failed = suite[~suite["passed"]]
    assert failed.empty, failed.to_string()


@pytest.mark.slow
@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_agrees_with_theory(suite, name):
    rows = suite[suite["case"] == name].set_index("metric")
    assert rows.loc[v.UNEXPECTED, "observed"] == 0, "a timeout, retry or unexpected error"
    for metric, row in rows.drop(index=v.UNEXPECTED).iterrows():
        assert row["ci_low"] <= row["theory"] <= row["ci_high"], (metric, row.to_dict())
        assert row["rel_error"] <= row["tolerance"], (metric, row.to_dict())


@pytest.mark.slow
def test_a_model_with_doubled_service_times_fails_every_case(jobs):
    # Three replications are plenty: doubling the work moves every metric far away (most
    # stations become unstable), and the tolerances widen by sqrt(10/3), not enough to hide it.
    result = v.run_validation(replications=3, perturb=v.double_service_times, jobs=jobs)
    theory_rows = result[result["metric"] != v.UNEXPECTED]
    failing_cases = set(theory_rows.loc[~theory_rows["passed"], "case"])
    assert failing_cases == set(CASE_NAMES)


# --------------------------------------------------------------------------- quick checks
def _tiny_case() -> v.Case:
    case = v.CASES[0]
    scenario = {**case.scenario, "duration": 120.0, "warmup": 20.0, "drain": 30.0}
    return replace(case, scenario=scenario, replications=3)


def test_results_do_not_depend_on_the_number_of_processes():
    case = _tiny_case()
    one = v.run_validation([case], jobs=1)
    two = v.run_validation([case], jobs=2)
    pd.testing.assert_frame_equal(one, two)
    assert list(one.columns) == v.COLUMNS
    assert list(one["metric"]) == ["mean_sojourn_s", v.UNEXPECTED]


def test_perturb_changes_a_copy_of_each_scenario():
    case = _tiny_case()
    before = copy.deepcopy(case.scenario)
    seen = []

    def spy(data):
        seen.append(data["services"]["order"]["time"]["mean"])
        return v.double_service_times(data)

    v.run_validation([case], perturb=spy)
    assert seen == [0.1]
    assert case.scenario == before


def test_double_service_times_doubles_every_time_and_op():
    data = {"services": {"a": {"time": {"dist": "exponential", "mean": 0.1},
                               "ops": {"undo": {"dist": "uniform", "low": 1, "high": 3}}},
                         "b": {"time": "150ms"}, "c": {}}}
    out = v.double_service_times(data)
    assert out["services"]["a"]["time"]["mean"] == 0.2
    assert out["services"]["a"]["ops"]["undo"] == {"dist": "uniform", "low": 2, "high": 6}
    assert data["services"]["a"]["time"]["mean"] == 0.1  # the input is left alone
    assert out["services"]["b"]["time"] == pytest.approx(0.3)
    assert out["services"]["c"]["time"] == {"dist": "exponential", "mean": 0.02}  # default


# --------------------------------------------------------------------------- planning
def test_birth_death_variance_matches_the_m_m_1_closed_form():
    # Whitt (1989): the time-average number in M/M/1 has asymptotic variance
    # 2 rho (1 + rho) / (mu (1 - rho)^4).
    for lam, mu in ((7.0, 10.0), (2.0, 10.0), (9.0, 10.0)):
        k = np.arange(3000)
        mean, var = v.birth_death_variance(np.full(len(k), lam), np.minimum(k, 1) * mu,
                                           k.astype(float))
        rho = lam / mu
        assert math.isclose(mean, queueing.mm1(lam, mu).L, rel_tol=1e-9)
        assert math.isclose(var, 2 * rho * (1 + rho) / (mu * (1 - rho) ** 4), rel_tol=1e-6)


def test_the_m_m_c_k_chain_gives_the_closed_form_blocking_and_mean():
    lam, mu, c, K = 18.0, 10.0, 2, 5
    k, birth, death = v.mmc_chain(lam, mu, c, K)
    res = queueing.mmck(lam, mu, c, K)
    L, _ = v.birth_death_variance(birth, death, k.astype(float))
    block, _ = v.birth_death_variance(birth, death, (k == K).astype(float))
    assert math.isclose(L, res.L, rel_tol=1e-9)
    assert math.isclose(block, res.P_block, rel_tol=1e-9)


@pytest.mark.parametrize("c", [1, 2, 4])
def test_sojourn_given_the_number_present_averages_to_the_m_m_c_sojourn_cdf(c):
    # By PASTA, averaging P(W <= x | N = k) over the stationary N gives P(W <= x).
    lam, mu = 0.75 * c * 10.0, 10.0
    k, birth, death = v.mmc_chain(lam, mu, c)
    for x in (0.05, 0.2, 0.6):
        mean, _ = v.birth_death_variance(birth, death, v.sojourn_cdf_given_present(x, mu, c, k))
        assert math.isclose(mean, queueing.mmc_sojourn_cdf(lam, mu, c, x), rel_tol=1e-7)


def test_every_case_is_sized_to_a_tolerance_below_seven_percent():
    for case in v.CASES:
        for metric in case.metrics:
            tol = v.tolerance(metric.rse, case.replications)
            assert 0 < tol < 0.07, (case.name, metric.name, tol)
            assert math.isclose(tol, 3 * metric.rse / math.sqrt(case.replications))


def test_cases_compare_with_the_closed_forms():
    theory = {(c.name, m.name): m.theory for c in v.CASES for m in c.metrics}
    assert theory["M/M/1 rho=0.7", "mean_sojourn_s"] == pytest.approx(1 / 3)
    assert theory["M/M/4 rho=0.8", "p_wait"] == pytest.approx(queueing.erlang_c(4, 3.2))
    assert theory["M/G/1 lognormal cv=2 rho=0.5", "mean_sojourn_s"] == pytest.approx(
        0.1 + 5 * (0.04 + 0.01) / (2 * 0.5))
    assert theory["event tandem M/M/2 -> M/M/1 -> M/M/3", "e2e_mean_s"] == pytest.approx(
        sum(queueing.mmc(8.0, mu, c).W_s for mu, c in ((10.0, 2), (12.0, 1), (5.0, 3))))
    assert theory["call chain (callers never wait) -> M/M/2", "ack_mean_s"] == pytest.approx(
        0.07 + queueing.mmc(16.0, 10.0, 2).W_s)
