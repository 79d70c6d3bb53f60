"""Shared test settings.

Statistical tests are marked ``slow``; ``pytest`` runs everything (as CI does), and
``pytest -m "not slow"`` is the quick loop. ``ARCHSIM_TEST_JOBS`` sets how many processes a
test may use for its replications (default: 2, or 1 on a single core); results never depend
on it.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def jobs() -> int:
    """Processes a test may use to run replications."""
    default = min(2, os.cpu_count() or 1)
    return max(1, int(os.environ.get("ARCHSIM_TEST_JOBS", default)))
