"""Closed forms in sim.queueing against published values and against each other."""

import math

import pytest
from scipy.integrate import quad

from sim import queueing as qt

# ---------------------------------------------------------------- published values


def test_mm1_county_hospital_one_doctor():
    """Hillier & Lieberman, *Introduction to Operations Research*, County Hospital
    emergency-room example (M/M/s section, Sec. 17.6 in the 7th-10th editions):
    lam = 2/h, mu = 3/h, one doctor gives L = 2, Lq = 4/3, W = 1 h, Wq = 2/3 h,
    P(Wq > 0) = 2/3.
    """
    res = qt.mm1(2.0, 3.0)
    assert res.L == pytest.approx(2.0)
    assert res.Lq == pytest.approx(4 / 3)
    assert res.W_s == pytest.approx(1.0)
    assert res.Wq_s == pytest.approx(2 / 3)
    assert res.P_wait == pytest.approx(2 / 3)
    assert res.rho == pytest.approx(2 / 3)


def test_mmc_county_hospital_two_doctors():
    """Same County Hospital example with s = 2 doctors: P0 = 1/2, P1 = 1/3, so
    P(Wq > 0) = 1/6, and L = 3/4, Lq = 1/12, W = 3/8 h, Wq = 1/24 h.
    """
    res = qt.mmc(2.0, 3.0, 2)
    assert res.P_wait == pytest.approx(1 / 6)
    assert res.L == pytest.approx(3 / 4)
    assert res.Lq == pytest.approx(1 / 12)
    assert res.W_s == pytest.approx(3 / 8)
    assert res.Wq_s == pytest.approx(1 / 24)


def test_county_hospital_waiting_tails():
    """County Hospital rates in the M/M/s tail formula of the same section,
    P(Wq > t) = P(Wq > 0) e^{-s mu (1 - rho) t}: (2/3) e^{-1/2} and (1/6) e^{-2}
    at t = 1/2 h for one and two doctors; with one doctor W is exponential(1/h),
    so P(W > 1 h) = e^{-1}.
    """
    assert qt.mmc_wait_tail(2.0, 3.0, 1, 0.5) == pytest.approx(2 / 3 * math.exp(-0.5))
    assert qt.mmc_wait_tail(2.0, 3.0, 2, 0.5) == pytest.approx(1 / 6 * math.exp(-2.0))
    assert 1 - qt.mmc_sojourn_cdf(2.0, 3.0, 1, 1.0) == pytest.approx(math.exp(-1.0))


def _call_centre_service_level(agents: int) -> float:
    """Share of calls answered within 20 s: 200 calls/h, 180 s handle time."""
    lam_per_s, mu_per_s = 200 / 3600, 1 / 180
    return 1 - qt.mmc_wait_tail(lam_per_s, mu_per_s, agents, 20.0)


def test_erlang_c_call_centre_example():
    """Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked
    Example", https://www.callcentrehelper.com/erlang-c-formula-example-121281.htm:
    100 calls per 30 min, 180 s handle time = 10 erlangs; with 11 agents the
    probability of waiting is 68.21%, the average speed of answer 122.8 s, and
    39% of calls are answered within 20 s.
    """
    assert qt.erlang_c(11, 10.0) == pytest.approx(0.6821, abs=5e-5)
    res = qt.mmc(200 / 3600, 1 / 180, 11)
    assert res.Wq_s == pytest.approx(122.8, abs=0.05)
    assert _call_centre_service_level(11) == pytest.approx(0.39, abs=5e-3)


def test_erlang_c_call_centre_staffing():
    """Same article: the 80%-in-20-s target is first met with 14 agents."""
    levels = {n: _call_centre_service_level(n) for n in (11, 12, 13, 14)}
    assert max(n for n, sl in levels.items() if sl < 0.8) == 13
    assert levels[14] >= 0.8


@pytest.mark.parametrize(
    ("servers", "erlangs", "blocking"),
    [(5, 1.36, 0.01), (10, 4.46, 0.01), (10, 5.08, 0.02), (20, 12.03, 0.01)],
)
def test_mmck_with_no_waiting_room_matches_erlang_b_table(servers, erlangs, blocking):
    """Standard Erlang B table (e.g. Iversen, *Teletraffic Engineering and
    Network Planning*, DTU 2015, table of Erlang's B-formula): offered traffic
    that N circuits carry at the stated loss. The table rounds traffic to 0.01
    erlang, which moves B by under 2%.
    """
    res = qt.mmck(erlangs, 1.0, servers, servers)
    assert res.P_block == pytest.approx(blocking, rel=0.02)
    assert qt.erlang_b(servers, erlangs) == pytest.approx(res.P_block, rel=1e-12)


def test_mm1k_matches_kleinrock_closed_form():
    """Kleinrock, *Queueing Systems* Vol. 1, Sec. 3.6 (M/M/1/K):
    p_K = (1 - rho) rho^K / (1 - rho^{K+1}) and
    L = rho / (1 - rho) - (K + 1) rho^{K+1} / (1 - rho^{K+1}); at rho = 1/2,
    K = 3 these are 1/15 and 11/15, and at rho = 2 (overloaded but finite)
    8/15 and 34/15.
    """
    half = qt.mmck(0.5, 1.0, 1, 3)
    assert half.P_block == pytest.approx(1 / 15)
    assert half.L == pytest.approx(11 / 15)
    double = qt.mmck(2.0, 1.0, 1, 3)
    assert double.P_block == pytest.approx(8 / 15)
    assert double.L == pytest.approx(34 / 15)
    assert double.W_s == pytest.approx((34 / 15) / (2.0 * 7 / 15))


def test_md1_waits_half_as_long_as_mm1():
    """M/D/1: Lq = rho^2 / (2 (1 - rho)), Pollaczek-Khinchine with Var[S] = 0
    (Kleinrock Vol. 1, ch. 5; https://en.wikipedia.org/wiki/M/D/1_queue); at
    rho = 0.8, Lq = 1.6 and Wq = 2 s with 1 s service, half the M/M/1 wait of 4 s.
    """
    res = qt.mg1(0.8, 1.0, 0.0)
    assert res.Lq == pytest.approx(1.6)
    assert res.Wq_s == pytest.approx(2.0)
    assert res.Wq_s == pytest.approx(qt.mm1(0.8, 1.0).Wq_s / 2)


def test_mg1_pollaczek_khinchine_mean_number():
    """Pollaczek-Khinchine in its number form,
    L = rho + (rho^2 + lam^2 Var[S]) / (2 (1 - rho))
    (https://en.wikipedia.org/wiki/Pollaczek%E2%80%93Khinchine_formula):
    lam = 0.5/s, E[S] = 1 s, Var[S] = 3 s^2 gives L = 0.5 + 1/1 = 1.5.
    """
    res = qt.mg1(0.5, 1.0, 3.0)
    assert res.L == pytest.approx(1.5)
    assert res.scv == pytest.approx(3.0)


def test_jackson_tandem_of_county_hospital_stations():
    """Burke (1956) / Jackson (1957): in an open tandem each M/M/c station is an
    isolated M/M/c fed at lam, so the County Hospital one-doctor (W = 1 h) and
    two-doctor (W = 3/8 h) stations in series give W = 11/8 h.
    """
    res = qt.jackson_tandem(2.0, [(3.0, 1), (3.0, 2)])
    assert res.station_W_s == pytest.approx((1.0, 3 / 8))
    assert res.W_s == pytest.approx(11 / 8)
    assert res.L == pytest.approx(2.0 * 11 / 8)


# ---------------------------------------------------------------- internal consistency


@pytest.mark.parametrize(("lam", "mu"), [(0.1, 1.0), (2.0, 3.0), (9.9, 10.0), (0.999, 1.0)])
def test_mmc_with_one_server_is_mm1(lam, mu):
    """Erlang C with c = 1 collapses to P_wait = rho."""
    one, general = qt.mm1(lam, mu), qt.mmc(lam, mu, 1)
    assert general.P_wait == pytest.approx(one.P_wait, rel=1e-12)
    assert general.W_s == pytest.approx(one.W_s, rel=1e-12)
    assert general.L == pytest.approx(one.L, rel=1e-12)


@pytest.mark.parametrize(("lam", "mean_s"), [(0.2, 1.0), (3.0, 0.25), (0.95, 1.0)])
def test_mg1_with_exponential_service_is_mm1(lam, mean_s):
    """Exponential service has Var[S] = E[S]^2, so P-K must give M/M/1."""
    general, mm1 = qt.mg1(lam, mean_s, mean_s**2), qt.mm1(lam, 1 / mean_s)
    assert general.Wq_s == pytest.approx(mm1.Wq_s, rel=1e-12)
    assert general.L == pytest.approx(mm1.L, rel=1e-12)


@pytest.mark.parametrize(("lam", "mu", "c"), [(0.5, 1.0, 1), (8.0, 1.0, 10), (45.0, 0.5, 100)])
def test_mmck_with_large_capacity_tends_to_mmc(lam, mu, c):
    """With K far above the queue the process rarely sees, blocking vanishes."""
    finite, infinite = qt.mmck(lam, mu, c, c + 5000), qt.mmc(lam, mu, c)
    assert finite.P_block < 1e-12
    assert finite.L == pytest.approx(infinite.L, rel=1e-9)
    assert finite.Lq == pytest.approx(infinite.Lq, rel=1e-9)
    assert finite.W_s == pytest.approx(infinite.W_s, rel=1e-9)


def test_erlang_c_is_stable_for_many_servers():
    """The Erlang B recursion must agree with the log-space textbook formula."""
    c, a = 400, 380.0
    log_terms = [k * math.log(a) - math.lgamma(k + 1) for k in range(c)]
    log_top = c * math.log(a) - math.lgamma(c + 1) + math.log(c / (c - a))
    peak = max(max(log_terms), log_top)
    top = math.exp(log_top - peak)
    direct = top / (sum(math.exp(t - peak) for t in log_terms) + top)
    assert qt.erlang_c(c, a) == pytest.approx(direct, rel=1e-10)


@pytest.mark.parametrize("q", [0.5, 0.9, 0.99, 0.999])
def test_mm1_sojourn_quantile_is_exponential(q):
    """M/M/1 FCFS response time is exponential(mu - lam)."""
    lam, mu = 0.7, 1.0
    assert qt.mmc_sojourn_quantile(lam, mu, 1, q) == pytest.approx(
        -math.log(1 - q) / (mu - lam), rel=1e-9
    )


@pytest.mark.parametrize(
    ("lam", "mu", "c"),
    [(0.7, 1.0, 1), (1.0, 1.0, 2), (1.0 - 1e-9, 1.0, 2), (1.0 + 1e-9, 1.0, 2), (8.0, 1.0, 10)],
)
def test_sojourn_cdf_integrates_to_mean(lam, mu, c):
    """E[W] = integral of P(W > t) dt; includes c mu - lam == mu and its neighbours."""

    def tail(t: float) -> float:
        return 1 - qt.mmc_sojourn_cdf(lam, mu, c, t)

    area, _ = quad(tail, 0, math.inf, epsabs=1e-12, epsrel=1e-10)
    assert area == pytest.approx(qt.mmc(lam, mu, c).W_s, rel=1e-7)


def test_sojourn_cdf_is_continuous_where_rates_coincide():
    """At c mu - lam == mu the tail is (1 + C mu t) e^{-mu t}, the limit of the general form."""
    t = 2.5
    at = qt.mmc_sojourn_cdf(1.0, 1.0, 2, t)
    near = qt.mmc_sojourn_cdf(1.0 + 1e-7, 1.0, 2, t)
    assert at == pytest.approx(near, abs=1e-6)
    p_wait = qt.erlang_c(2, 1.0)
    assert 1 - at == pytest.approx(math.exp(-t) * (1 + p_wait * t), rel=1e-12)


@pytest.mark.parametrize(("lam", "mu", "c"), [(0.7, 1.0, 1), (1.0, 1.0, 2), (8.0, 1.0, 10)])
@pytest.mark.parametrize("q", [0.01, 0.5, 0.95, 0.999])
def test_sojourn_quantile_inverts_cdf(lam, mu, c, q):
    t = qt.mmc_sojourn_quantile(lam, mu, c, q)
    assert qt.mmc_sojourn_cdf(lam, mu, c, t) == pytest.approx(q, abs=1e-10)


def test_wait_quantile_is_zero_below_the_atom():
    """P(Wq = 0) = 1 - C, so quantiles up to that level are 0, above it positive."""
    p_wait = qt.erlang_c(2, 2 / 3)  # 1/6, County Hospital
    assert qt.mmc_wait_quantile(2.0, 3.0, 2, 1 - p_wait) == 0.0
    t = qt.mmc_wait_quantile(2.0, 3.0, 2, 0.99)
    assert t > 0
    assert qt.mmc_wait_tail(2.0, 3.0, 2, t) == pytest.approx(0.01, rel=1e-12)


def test_mm1_wait_quantile_closed_form():
    """M/M/1: P(Wq > t) = rho e^{-(mu - lam) t}, so t_q = ln(rho / (1 - q)) / (mu - lam)."""
    lam, mu, q = 0.8, 1.0, 0.95
    expected = math.log(0.8 / (1 - q)) / (mu - lam)
    assert qt.mmc_wait_quantile(lam, mu, 1, q) == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call",
    [
        lambda: qt.mm1(1.0, 1.0),
        lambda: qt.mmc(20.0, 1.0, 20),
        lambda: qt.mg1(2.0, 0.5, 0.1),
        lambda: qt.mmc_sojourn_quantile(3.0, 1.0, 2, 0.5),
        lambda: qt.jackson_tandem(2.0, [(3.0, 1), (1.0, 2)]),
    ],
)
def test_unstable_systems_raise(call):
    with pytest.raises(ValueError, match="unstable"):
        call()


def test_tandem_error_names_the_station():
    with pytest.raises(ValueError, match="station 1"):
        qt.jackson_tandem(2.0, [(3.0, 1), (1.0, 2)])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: qt.mm1(-1.0, 1.0), "lam"),
        (lambda: qt.mmc(1.0, 2.0, 0), "servers"),
        (lambda: qt.mmc(1.0, 2.0, 1.5), "servers"),
        (lambda: qt.mmck(1.0, 1.0, 3, 2), "capacity K"),
        (lambda: qt.mg1(0.5, 1.0, -1.0), "var_s2"),
        (lambda: qt.mmc_wait_quantile(0.5, 1.0, 1, 1.0), "quantile"),
        (lambda: qt.erlang_c(3, 3.0), "a < c"),
        (lambda: qt.jackson_tandem(1.0, []), "at least one"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
