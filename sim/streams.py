"""Named random streams: one numpy Generator per purpose, derived from (seed, replication, name).

Every architecture of a replication asks for the same names and so sees the same draws
(common random numbers). The name is hashed with zlib.crc32, which is stable across
processes, unlike ``hash()``.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream_seed(seed: int, replication: int, name: str) -> np.random.SeedSequence:
    """The SeedSequence of stream ``name`` in replication ``replication`` of a run seeded ``seed``."""
    return np.random.SeedSequence([seed, replication, zlib.crc32(name.encode("utf-8"))])


class Streams:
    """Factory of independent, reproducible generators for one replication."""

    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication

    def rng(self, name: str) -> np.random.Generator:
        """A fresh generator for ``name``; asking twice gives two generators with the same draws."""
        return np.random.Generator(np.random.PCG64(stream_seed(self.seed, self.replication, name)))


class Uniforms:
    """Uniform(0, 1) draws in blocks: numpy is fast per block and slow per call."""

    __slots__ = ("_rng", "_block", "_buf", "_i")

    def __init__(self, rng: np.random.Generator, block: int = 1024):
        self._rng = rng
        self._block = block
        self._buf: list[float] = []
        self._i = 0

    def take(self, n: int) -> list[float]:
        """The next ``n`` draws: the same numbers ``n`` calls of ``next`` give."""
        return [self.next() for _ in range(n)]

    def next(self) -> float:
        i = self._i
        if i >= len(self._buf):
            self._buf = self._rng.random(self._block).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]
