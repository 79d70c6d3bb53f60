"""archsim: compare request-response and event-driven ecommerce backends by simulation.

The Python API (the one the CLI uses): ``sim.load_scenario``, ``sim.run``,
``sim.load_results``; see :mod:`sim.api`.
"""

__version__ = "0.1.0"

_API = {"load_scenario", "run", "load_results", "Results", "builtin_scenarios", "charts",
        "ci_column", "verdict_frame", "OUTCOMES"}


def __getattr__(name):
    # Lazy, so that `import sim` stays cheap and has no side effects.
    if name in _API:
        from sim import api
        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
