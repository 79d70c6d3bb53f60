"""Closed-form queueing results that the simulator is validated against.

Every function here is pure: rates in per second (or any one time unit used
consistently), results as small frozen dataclasses whose time fields end in
``_s``. The formulas are the textbook ones (Kleinrock, *Queueing Systems*
Vol. 1, ch. 3 and 5; Gross & Harris, *Fundamentals of Queueing Theory*,
ch. 2, 3 and 5); they exist so that tests and the validation command can put
a simulated mean or percentile next to theory.

Infinite-capacity models raise ``ValueError`` when the offered load is at or
above capacity (``rho >= 1``): there is no steady state to compare with. The
finite-capacity M/M/c/K model is stable at any load and accepts ``rho >= 1``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.special import gammaln, logsumexp


def _check_rate(name: str, value: float) -> float:
    """Return ``value`` as float if it is a finite positive rate, else raise."""
    value = float(value)
    if not math.isfinite(value) or value <= 0.0:
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    return value


def _check_servers(c: int) -> int:
    """Return ``c`` if it is a positive whole number of servers, else raise."""
    if isinstance(c, bool) or int(c) != c or c < 1:
        raise ValueError(f"number of servers c must be a positive integer, got {c!r}")
    return int(c)


def _check_probability(q: float) -> float:
    """Return ``q`` if it lies in [0, 1), the domain of a quantile, else raise."""
    q = float(q)
    if not 0.0 <= q < 1.0:
        raise ValueError(f"quantile level q must be in [0, 1), got {q!r}")
    return q


def _check_stable(lam: float, capacity_per_s: float, model: str) -> float:
    """Return utilisation ``lam / capacity``; raise if it is >= 1 (no steady state)."""
    rho = lam / capacity_per_s
    if rho >= 1.0:
        raise ValueError(
            f"{model} is unstable: utilisation rho = {rho:.4g} >= 1 "
            f"(arrival rate {lam:.4g}/s, capacity {capacity_per_s:.4g}/s)"
        )
    return rho


class _LittlesLaw:
    """Lq and L from the arrival rate and the mean times, by Little's law."""

    lam_per_s: float
    Wq_s: float

    @property
    def Lq(self) -> float:
        """Mean number waiting (not in service)."""
        return self.lam_per_s * self.Wq_s

    @property
    def L(self) -> float:
        """Mean number in system."""
        return self.lam_per_s * self.W_s


@dataclass(frozen=True)
class MMcResult(_LittlesLaw):
    """Steady state of an M/M/c queue (M/M/1 is c = 1).

    ``P_wait`` is the probability an arrival waits (Erlang C); ``Wq_s`` the
    mean wait before service in seconds. The rest follows by Little's law.
    """

    lam_per_s: float
    mu_per_s: float
    c: int
    P_wait: float
    Wq_s: float

    @property
    def rho(self) -> float:
        """Per-server utilisation lam / (c mu), dimensionless."""
        return self.lam_per_s / (self.c * self.mu_per_s)

    @property
    def offered_erlangs(self) -> float:
        """Offered load a = lam / mu, the mean number of busy servers."""
        return self.lam_per_s / self.mu_per_s

    @property
    def W_s(self) -> float:
        """Mean response (sojourn) time = wait + mean service, seconds."""
        return self.Wq_s + 1.0 / self.mu_per_s



@dataclass(frozen=True)
class MG1Result(_LittlesLaw):
    """Steady state of an M/G/1 FCFS queue (Pollaczek-Khinchine)."""

    lam_per_s: float
    mean_s: float
    var_s2: float
    Wq_s: float

    @property
    def rho(self) -> float:
        """Server utilisation lam E[S], dimensionless."""
        return self.lam_per_s * self.mean_s

    @property
    def scv(self) -> float:
        """Squared coefficient of variation of service, Var[S] / E[S]^2."""
        return self.var_s2 / self.mean_s**2

    @property
    def W_s(self) -> float:
        """Mean response time = wait + mean service, seconds."""
        return self.Wq_s + self.mean_s



@dataclass(frozen=True)
class MMcKResult:
    """Steady state of an M/M/c/K queue: at most K customers in the system.

    Arrivals that find K present are blocked (lost). ``L`` and ``Lq`` are
    time averages; ``W_s`` and ``Wq_s`` are for *accepted* customers, by
    Little's law with the effective (accepted) rate.
    """

    lam_per_s: float
    mu_per_s: float
    c: int
    K: int
    P_block: float
    L: float
    Lq: float

    @property
    def rho(self) -> float:
        """Offered per-server load lam / (c mu); may exceed 1."""
        return self.lam_per_s / (self.c * self.mu_per_s)

    @property
    def lam_eff_per_s(self) -> float:
        """Accepted arrival rate lam (1 - P_block), per second."""
        return self.lam_per_s * (1.0 - self.P_block)

    @property
    def utilisation(self) -> float:
        """Carried per-server utilisation lam_eff / (c mu), below 1."""
        return self.lam_eff_per_s / (self.c * self.mu_per_s)

    @property
    def W_s(self) -> float:
        """Mean response time of accepted customers, seconds."""
        return self.L / self.lam_eff_per_s

    @property
    def Wq_s(self) -> float:
        """Mean wait of accepted customers, seconds."""
        return self.Lq / self.lam_eff_per_s


@dataclass(frozen=True)
class TandemResult:
    """A series of M/M/c stations fed by one Poisson stream (Jackson network)."""

    lam_per_s: float
    stations: tuple[MMcResult, ...]

    @property
    def station_W_s(self) -> tuple[float, ...]:
        """Mean sojourn at each station, seconds, in flow order."""
        return tuple(s.W_s for s in self.stations)

    @property
    def W_s(self) -> float:
        """Mean end-to-end sojourn, the sum of the station means, seconds."""
        return math.fsum(self.station_W_s)

    @property
    def L(self) -> float:
        """Mean number in the whole network."""
        return math.fsum(s.L for s in self.stations)


def mm1(lam: float, mu: float) -> MMcResult:
    """M/M/1 queue: Wq = rho / (mu - lam), P_wait = rho (Kleinrock 3.2).

    Computed from its own formula rather than via ``mmc`` so that tests can
    cross-check the two.
    """
    lam, mu = _check_rate("lam", lam), _check_rate("mu", mu)
    rho = _check_stable(lam, mu, "M/M/1")
    return MMcResult(lam, mu, 1, P_wait=rho, Wq_s=rho / (mu - lam))


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability for c servers and a erlangs offered.

    Uses the recursion B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1, which
    never forms a^c or c! and so stays accurate for hundreds of servers.
    """
    c = _check_servers(c)
    a = _check_rate("offered load a", a)
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C: probability an arrival waits in M/M/c, a = lam/mu erlangs.

    From Erlang B: C = c B / (c - a (1 - B)), valid for a < c.
    """
    c = _check_servers(c)
    a = _check_rate("offered load a", a)
    if a >= c:
        raise ValueError(f"Erlang C needs a < c for stability, got a = {a:.4g}, c = {c}")
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def mmc(lam: float, mu: float, c: int) -> MMcResult:
    """M/M/c queue: Wq = C(c, a) / (c mu - lam), with C the Erlang C formula."""
    lam, mu, c = _check_rate("lam", lam), _check_rate("mu", mu), _check_servers(c)
    _check_stable(lam, c * mu, f"M/M/{c}")
    p_wait = erlang_c(c, lam / mu)
    return MMcResult(lam, mu, c, P_wait=p_wait, Wq_s=p_wait / (c * mu - lam))


def mmc_wait_tail(lam: float, mu: float, c: int, t: float) -> float:
    """P(Wq > t) = C e^{-(c mu - lam) t} for FCFS M/M/c, t in seconds."""
    res = mmc(lam, mu, c)
    if t < 0:
        return 1.0
    return res.P_wait * math.exp(-(c * res.mu_per_s - res.lam_per_s) * t)


def mmc_wait_quantile(lam: float, mu: float, c: int, q: float) -> float:
    """Quantile of the FCFS M/M/c wait in queue, seconds.

    The wait is 0 with probability 1 - C and otherwise exponential with rate
    c mu - lam, so the q-quantile is 0 for q <= 1 - C and
    ln(C / (1 - q)) / (c mu - lam) above it.
    """
    q = _check_probability(q)
    res = mmc(lam, mu, c)
    if q <= 1.0 - res.P_wait:
        return 0.0
    gap = c * res.mu_per_s - res.lam_per_s
    return math.log(res.P_wait / (1.0 - q)) / gap


def _one_minus_exp_over(x: float) -> float:
    """(1 - e^{-|x|}) / |x|, in (0, 1], continuous at x = 0 where it equals 1."""
    x = abs(x)
    if x == 0.0:
        return 1.0
    return -math.expm1(-x) / x


def _sojourn_tail(res: MMcResult, t: float) -> float:
    """P(W > t) for FCFS M/M/c, W = Wq + exponential(mu) service.

    The wait is 0 with probability 1 - C, else exponential with rate
    gamma = c mu - lam; adding the service gives, with delta = gamma - mu,
        P(W > t) = e^{-mu t} + C mu (e^{-mu t} - e^{-gamma t}) / delta.
    Factoring out e^{-min(mu, gamma) t} leaves C mu t (1 - e^{-|delta| t}) /
    (|delta| t), which neither overflows for large t nor loses digits as
    delta -> 0, where the tail becomes (1 + C mu t) e^{-mu t}. This is
    Hillier & Lieberman's P(W > t) for M/M/s in another arrangement.
    """
    if t <= 0.0:
        return 1.0
    mu = res.mu_per_s
    gamma = res.c * mu - res.lam_per_s
    slowest = min(mu, gamma)
    waited = res.P_wait * mu * t * _one_minus_exp_over((gamma - mu) * t)
    return math.exp(-mu * t) + math.exp(-slowest * t) * waited


def mmc_sojourn_cdf(lam: float, mu: float, c: int, t: float) -> float:
    """P(W <= t), the response-time distribution of FCFS M/M/c, t in seconds."""
    return 1.0 - _sojourn_tail(mmc(lam, mu, c), float(t))


def mmc_sojourn_quantile(lam: float, mu: float, c: int, q: float) -> float:
    """Quantile of the FCFS M/M/c response time, seconds (root of the CDF)."""
    q = _check_probability(q)
    res = mmc(lam, mu, c)
    if q == 0.0:
        return 0.0
    upper = res.W_s
    # The tail decays at least as fast as e^{-min(mu, gamma) t}; doubling
    # finds a bracket in a few dozen steps even for q = 1 - 1e-12.
    while _sojourn_tail(res, upper) > 1.0 - q:
        upper *= 2.0

    def excess(t: float) -> float:
        return (1.0 - q) - _sojourn_tail(res, t)

    return float(brentq(excess, 0.0, upper, xtol=1e-14, rtol=1e-12))


def mg1(lam: float, mean_s: float, var_s2: float) -> MG1Result:
    """M/G/1 FCFS by Pollaczek-Khinchine: Wq = lam E[S^2] / (2 (1 - rho)).

    ``mean_s`` is the mean service time (s), ``var_s2`` its variance (s^2);
    E[S^2] = var + mean^2. Deterministic service is var_s2 = 0.
    """
    lam, mean_s = _check_rate("lam", lam), _check_rate("mean_s", mean_s)
    var_s2 = float(var_s2)
    if not math.isfinite(var_s2) or var_s2 < 0.0:
        raise ValueError(f"var_s2 must be a finite non-negative number, got {var_s2!r}")
    rho = _check_stable(lam, 1.0 / mean_s, "M/G/1")
    second_moment_s2 = var_s2 + mean_s**2
    wq = lam * second_moment_s2 / (2.0 * (1.0 - rho))
    return MG1Result(lam, mean_s, var_s2, Wq_s=wq)


def _mmck_log_weights(a: float, c: int, K: int) -> np.ndarray:
    """Unnormalised log p_n, n = 0..K, for M/M/c/K with a = lam/mu erlangs.

    p_n ~ a^n / n! for n <= c and a^c / c! (a/c)^(n-c) above; logs keep large
    K or a free of overflow.
    """
    n = np.arange(K + 1, dtype=float)
    low = n * math.log(a) - gammaln(n + 1.0)
    high = c * math.log(a) - gammaln(c + 1.0) + (n - c) * math.log(a / c)
    return np.where(n <= c, low, high)


def mmck(lam: float, mu: float, c: int, K: int) -> MMcKResult:
    """M/M/c/K queue: c servers, at most K (>= c) customers in the system.

    Blocking probability is p_K (PASTA); W is for accepted customers
    (Gross & Harris sec. 2.5; Kleinrock sec. 3.6 for c = 1).
    """
    lam, mu, c = _check_rate("lam", lam), _check_rate("mu", mu), _check_servers(c)
    if isinstance(K, bool) or int(K) != K or K < c:
        raise ValueError(f"capacity K must be an integer >= c = {c}, got {K!r}")
    K = int(K)
    log_w = _mmck_log_weights(lam / mu, c, K)
    p = np.exp(log_w - logsumexp(log_w))
    n = np.arange(K + 1)
    return MMcKResult(
        lam,
        mu,
        c,
        K,
        P_block=float(p[-1]),
        L=float(np.dot(n, p)),
        Lq=float(np.dot(np.maximum(n - c, 0), p)),
    )


def jackson_tandem(lam: float, stations: Sequence[tuple[float, int]]) -> TandemResult:
    """Open tandem of M/M/c stations, each given as (mu per server, c).

    By Burke's theorem each station's departures are Poisson(lam), so by
    Jackson's theorem each station behaves as an isolated M/M/c and the mean
    end-to-end sojourn is the sum of the station means.
    """
    if len(stations) == 0:
        raise ValueError("jackson_tandem needs at least one station")
    results = []
    for i, (mu, c) in enumerate(stations):
        try:
            results.append(mmc(lam, mu, c))
        except ValueError as err:
            raise ValueError(f"station {i}: {err}") from err
    return TandemResult(float(lam), tuple(results))
