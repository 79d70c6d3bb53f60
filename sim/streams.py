"""Named random streams: one numpy Generator per purpose, derived from (seed, replication, name).

Every architecture of a replication asks for the same names and so sees the same draws
(common random numbers). The name is hashed with zlib.crc32, which is stable across
processes, unlike ``hash()``.
"""

from __future__ import annotations

import zlib
from itertools import chain, islice

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


def _blocks(rng: np.random.Generator, block: int):
    """Blocks of ``block`` uniform draws, each drawn when it is asked for."""
    while True:
        yield rng.random(block).tolist()


class Uniforms:
    """Uniform(0, 1) draws in blocks: numpy is fast per block and slow per call.

    ``next()`` is the ``__next__`` of a C-level iterator chaining the blocks (a block is
    drawn when the previous one is used up), so a draw runs no Python code.
    """

    __slots__ = ("_rng", "_block", "_draws", "next")

    def __init__(self, rng: np.random.Generator, block: int = 1024):
        self._rng = rng
        self._block = block
        self._draws = chain.from_iterable(_blocks(rng, block))
        self.next = self._draws.__next__  # next() -> the next draw

    def take(self, n: int) -> list[float]:
        """The next ``n`` draws: the same numbers ``n`` calls of ``next`` give."""
        return list(islice(self._draws, n))
