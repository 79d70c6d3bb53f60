"""Distributions of service times and latencies, and fast sampling from them.

`Dist` is the validated scenario form (it knows its analytic mean and
variance, so tests compare sampled moments with theory). `sample` draws a
numpy vector; `Stream` serves single draws from pre-drawn blocks, because the
engine asks for one number at a time and per-call numpy overhead dominates.
lognormal and gamma are parametrised by mean and coefficient of variation
(cv) so that a scenario author thinks in seconds, not in mu and sigma.
"""

from __future__ import annotations

import math
from itertools import chain, islice
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from annotated_types import Ge
from pydantic import BaseModel, ConfigDict, Strict, model_validator

from sim.errors import fail
from sim.units import Seconds

class Dist(BaseModel):
    """A service-time (or latency) distribution, seconds.

    A bare number or time string where a Dist is expected means a constant.
    lognormal and gamma are given by mean and coefficient of variation (cv,
    default 1.0); cv == 0 makes them constant.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    dist: Literal["constant", "exponential", "lognormal", "gamma", "uniform", "empirical"] = (
        "exponential"
    )
    mean: Seconds | None = None
    cv: Annotated[float, Strict(), Ge(0)] | None = None
    low: Seconds | None = None
    high: Seconds | None = None
    samples: tuple[Seconds, ...] | None = None

    _PARAMS: ClassVar[dict[str, tuple[str, ...]]] = {
        "constant": ("mean",), "exponential": ("mean",), "lognormal": ("mean", "cv"),
        "gamma": ("mean", "cv"), "uniform": ("low", "high"), "empirical": ("samples",),
    }

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, (int, float, str)) and not isinstance(data, bool):
            return {"dist": "constant", "mean": data}
        if isinstance(data, dict) and data.get("dist") in ("lognormal", "gamma"):
            return {"cv": 1.0, **data}
        return data

    @model_validator(mode="after")
    def _params(self) -> "Dist":
        wanted = self._PARAMS[self.dist]
        for name in ("mean", "cv", "low", "high", "samples"):
            given = getattr(self, name) is not None
            if given and name not in wanted:
                raise fail(f"'{name}' does not apply to a {self.dist} distribution "
                           f"(it takes {', '.join(wanted)})", name)
            if not given and name in wanted:
                raise fail(f"a {self.dist} distribution needs '{name}'", name)
        if self.dist in ("exponential", "lognormal", "gamma") and self.mean <= 0:
            raise fail(f"a {self.dist} distribution needs mean > 0", "mean")
        if self.dist == "uniform" and self.low > self.high:
            raise fail("uniform needs low <= high", "high")
        if self.dist == "empirical" and not self.samples:
            raise fail("an empirical distribution needs at least one sample", "samples")
        return self

    @property
    def mean_s(self) -> float:
        """Analytic mean, seconds."""
        if self.dist == "uniform":
            return (self.low + self.high) / 2
        if self.dist == "empirical":
            return math.fsum(self.samples) / len(self.samples)
        return self.mean

    @property
    def var_s2(self) -> float:
        """Analytic variance, seconds squared (empirical: population variance)."""
        if self.dist == "constant":
            return 0.0
        if self.dist == "exponential":
            return self.mean**2
        if self.dist in ("lognormal", "gamma"):
            return (self.cv * self.mean) ** 2
        if self.dist == "uniform":
            return (self.high - self.low) ** 2 / 12
        m = self.mean_s
        return math.fsum((x - m) ** 2 for x in self.samples) / len(self.samples)


def sample(dist: Dist, rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` independent draws from `dist`, seconds (float64 array)."""
    kind, mean = dist.dist, dist.mean
    if kind == "constant" or (kind in ("lognormal", "gamma") and dist.cv == 0):
        return np.full(n, float(mean))
    if kind == "exponential":
        return rng.exponential(mean, n)
    if kind == "lognormal":
        sigma2 = math.log1p(dist.cv**2)
        return rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), n)
    if kind == "gamma":
        return rng.gamma(1 / dist.cv**2, mean * dist.cv**2, n)
    if kind == "uniform":
        return rng.uniform(dist.low, dist.high, n)
    return rng.choice(np.asarray(dist.samples, dtype=float), n)


def _blocks(dist: Dist, rng: np.random.Generator, block: int):
    """Blocks of ``block`` draws, each drawn when it is asked for."""
    while True:
        yield sample(dist, rng, block).tolist()


class Stream:
    """Single draws from `dist`, served from blocks of `block` pre-drawn values.

    The sequence depends only on (dist, rng state, block): the same inputs
    always give the same numbers. Values are Python floats (``.tolist()``),
    which are cheaper than numpy scalars in SimPy arithmetic.

    ``next()`` is the ``__next__`` of a C-level iterator chaining the blocks (a block is
    drawn when the previous one is used up), so a draw runs no Python code: the engine
    makes one per bus delivery, retry and rework.
    """

    __slots__ = ("dist", "rng", "block", "_draws", "next")

    def __init__(self, dist: Dist, rng: np.random.Generator, block: int = 1024):
        if block < 1:
            raise ValueError(f"block must be >= 1, got {block}")
        self.dist, self.rng, self.block = dist, rng, block
        self._draws = chain.from_iterable(_blocks(dist, rng, block))
        self.next = self._draws.__next__  # next() -> the next draw, seconds

    def __next__(self) -> float:
        return self.next()

    def __iter__(self) -> "Stream":
        return self

    def take(self, n: int) -> list[float]:
        """The next `n` draws (the same numbers `n` calls to `next` would give)."""
        return list(islice(self._draws, n))
