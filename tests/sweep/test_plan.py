"""`archsim plan`: the search, the SLO, and a case whose answer is known from theory."""

from __future__ import annotations

import math

import pytest

from sim.errors import ScenarioError
from sim.plan import SLO, _search_and_check, parse_range, parse_slo, plan
from sim.queueing import mmc
from sim.scenario import load_scenario
from tests.cli.helpers import write_yaml
from tests.sweep.helpers import invoke

# One M/M/c service called by clients who never give up: lam = 30/s, mean service 0.1 s.
LAM, MU = 30.0, 10.0
THRESHOLD_S = 0.13
MMC = {
    "name": "mmc", "seed": 11, "duration": 300, "drain": 60, "warmup": 30, "replications": 4,
    "window": 10, "traffic": {"rate": LAM},
    "client": {"timeout": 1e6, "retries": 0},
    "services": {"order": {"workers": 1, "time": {"dist": "exponential", "mean": 1 / MU}}},
    "flow": {"entry": "order", "links": []},
    "architectures": {"x": {"style": "call", "call": {"timeout": 1e6, "retries": 0}}},
}


def probes(low, high, answer):
    """Drive the search with a monotone verdict (met from ``answer`` on)."""
    search, tried = _search_and_check(low, high), []
    value = next(search)
    try:
        while True:
            tried.append(value)
            value = search.send(answer is not None and value >= answer)
    except StopIteration as stop:
        return stop.value, tried


@pytest.mark.parametrize("low, high", [(1, 1), (1, 2), (1, 64), (3, 17), (-5, 5)])
def test_the_search_finds_the_smallest_meeting_value_in_few_probes(low, high):
    for answer in [*range(low, high + 1), None]:
        found, tried = probes(low, high, answer)
        assert found == answer
        assert len(tried) <= 3 + math.ceil(math.log2(high - low + 1))
        if answer is not None and answer > low:
            assert answer - 1 in tried, "the failing neighbour below is evidence"
        if answer is not None and answer < high:
            assert answer + 1 in tried, "the neighbour above is checked"


def test_the_bound_is_the_upper_end_for_at_most_and_the_lower_end_for_at_least():
    assert parse_slo("ack_p99_s<=1.0") == SLO("ack_p99_s", "<=", 1.0)
    assert parse_slo(" ack_p99_s <= 250ms ") == SLO("ack_p99_s", "<=", 0.25)
    at_least = parse_slo("throughput_per_s>=4")
    assert at_least.bound(5.0, 0.5) == 4.5 and at_least.met(4.5)
    assert not at_least.met(at_least.bound(4.2, 0.5))
    at_most = parse_slo("ack_mean_s<=1")
    assert at_most.bound(0.8, 0.3) == pytest.approx(1.1) and not at_most.met(1.1)
    assert not at_most.met(math.nan)


@pytest.mark.parametrize("text, fragment", [
    ("ack_p99<=1", "did you mean 'ack_p99_s'"),
    ("ack_p99_s<1", "METRIC<=VALUE"),
    ("ack_p99_s<=soon", "finite number"),
])
def test_bad_slos_are_refused(text, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        parse_slo(text)


@pytest.mark.parametrize("text, fragment", [
    ("services.order.workers=1-8", "KEY=LOW..HIGH"), ("services.order.workers=8..1", "exceed"),
    ("=1..8", "KEY=LOW..HIGH")])
def test_bad_ranges_are_refused(text, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        parse_range(text)


def test_plan_finds_the_number_of_workers_that_mmc_theory_gives():
    # Chosen from theory before running: W(4) = 0.151 s and W(5) = 0.112 s, each more
    # than 10% from the threshold, while the 95% half-width of 4 replications of 270 s
    # is about 3% of the mean: the SLO is met from c = 5 on and not at c = 4.
    assert mmc(LAM, MU, 4).W_s > 1.1 * THRESHOLD_S
    assert mmc(LAM, MU, 5).W_s < THRESHOLD_S / 1.1
    result = plan(load_scenario(MMC), "services.order.workers", 1, 16,
                  parse_slo(f"ack_mean_s<={THRESHOLD_S}"), jobs=2)
    assert result.answers == {"x": 5}
    assert result.warnings == []
    tried = result.evidence.set_index("services.order.workers")
    assert not tried.loc[4, "meets"] and tried.loc[5, "meets"] and tried.loc[6, "meets"]
    assert tried.loc[5, "bound"] == pytest.approx(
        tried.loc[5, "ack_mean_s"] + tried.loc[5, "ack_mean_ci_s"])
    assert (tried["replications"] == 4).all()


def test_plan_prints_the_answer_and_the_evidence(tmp_path):
    path = write_yaml(tmp_path / "mmc.yaml", MMC)
    result = invoke("plan", path, "--slo", f"ack_mean_s<={THRESHOLD_S}",
                    "--vary", "services.order.workers=4..6", "--replications", 3, "--quiet")
    assert result.exit_code == 0, (result.output, result.exception)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("smallest services.order.workers in 4..6 with ack_mean_s <= 0.13")
    assert lines[1].split() == ["x", "5"]
    header = next(line for line in lines if line.lstrip().startswith("architecture"))
    assert header.split() == ["architecture", "services.order.workers", "replications",
                              "ack_mean_s", "ack_mean_ci_s", "bound", "meets"]
    assert len(lines) - lines.index(header) - 1 == 3  # 6, 4, 5 tried


@pytest.mark.parametrize("args, fragment", [
    (["--slo", "ack_p99<=1", "--vary", "services.payment.workers=1..8"], "--slo"),
    (["--slo", "ack_p99_s<=1", "--vary", "services.paymnt.wrokers=1..8"], "services.paymnt"),
    (["--slo", "ack_p99_s<=1", "--vary", "services.payment.workers=0..8"],
     "services.payment.workers"),
    (["--slo", "ack_p99_s<=1", "--vary", "services.payment.workers=1..8", "--arch", "rr"],
     "--arch"),
])
def test_plan_bad_input_exits_2_with_one_line(args, fragment):
    result = invoke("plan", "prime_day", *args, "--quiet")
    assert result.exit_code == 2, (result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], lines
    assert lines[0].startswith("error: --"), lines
