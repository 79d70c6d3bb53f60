"""Whether the engine runs compiled (setup.py, mypyc) or interpreted, and whether its build
is older than its sources.

An extension module shadows the ``.py`` beside it, so an engine module edited after
``pip install -e .`` keeps running its old compiled code until it is rebuilt. The CLI
warns about that (``stale_sources``); the manifest records which engine made a run.
"""

from __future__ import annotations

import importlib.machinery
from pathlib import Path

# An install writes a module's source and its build within moments of each other; an
# edit made later than this is taken for a change the build does not have.
STALE_AFTER_S = 5.0
PACKAGE = Path(__file__).resolve().parent


def engine() -> str:
    """"compiled" if the engine's modules are extension modules, else "interpreted"."""
    import sim.job

    return "compiled" if Path(sim.job.__file__).suffix != ".py" else "interpreted"


def stale_sources(package: Path = PACKAGE) -> list[str]:
    """Sources of compiled modules edited after their build (paths relative to ``package``)."""
    stale = []
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        for built in sorted(package.rglob(f"*{suffix}")):
            source = built.with_name(built.name[: -len(suffix)] + ".py")
            if (source.exists()
                    and source.stat().st_mtime > built.stat().st_mtime + STALE_AFTER_S):
                stale.append(source.relative_to(package).as_posix())
    return stale
