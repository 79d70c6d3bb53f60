"""Build hook: compile the engine's hot modules to C with mypyc (issue 5).

The engine is plain, type-annotated Python; mypyc turns its classes into C structs with
typed fields and its method calls into direct C calls, which measured 2-3x faster per
visit than the same code interpreted (benchmarks/README.md). Everything else (scenario
validation, metrics, reports, the CLI) stays interpreted. The Python sources remain the
reference: ``ARCHSIM_PURE=1 pip install -e .`` installs without compiling, and
``tests/unit/test_compiled.py`` checks that both give the same records, byte for byte.
See docs/architecture.md, "The compiled engine".
"""

import os

from setuptools import setup

# The modules on the per-visit path, compiled together (one shared library, so calls
# between them are direct). Order does not matter.
ENGINE = [
    "sim/clock.py",
    "sim/faults.py",
    "sim/service.py",
    "sim/job.py",
    "sim/queues.py",
    "sim/bus.py",
    "sim/idempotency.py",
    "sim/recorder.py",
    "sim/resilience.py",
    "sim/scaling.py",
    "sim/model.py",
    "sim/styles/call.py",
    "sim/styles/event.py",
]


def engine_extensions() -> list:
    if os.environ.get("ARCHSIM_PURE", "") not in ("", "0"):
        return []
    from mypyc.build import mypycify

    # group_name puts the shared library inside the package (sim/_engine__mypyc*.so), so
    # an editable install finds it like any other module of ``sim``.
    return mypycify(ENGINE, opt_level="3", group_name="sim._engine")


setup(ext_modules=engine_extensions())
