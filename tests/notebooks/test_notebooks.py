"""The tutorial notebooks: each runs top to bottom in a fresh kernel, and none is committed
with outputs.

Every notebook reads its size from ``ARCHSIM_NOTEBOOK_SIZE`` in its first code cell; here it
is ``small`` (about ten simulated minutes, two replications), so the whole file takes a
minute or two. The kernel is this interpreter (the project's virtual environment), started
from a kernelspec written into a temporary folder: no global Jupyter setup is read or
needed, and a ``python3`` kernelspec elsewhere on the machine cannot swap in another Python.
Each notebook runs with a fresh temporary folder as its working directory, so whatever it
saves (``results/...``) stays out of the repository.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
KERNEL_NAME = "archsim-test"
SIZE_VARIABLE = "ARCHSIM_NOTEBOOK_SIZE"
CELL_TIMEOUT_S = 300  # a hung cell fails the test instead of stalling CI


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory) -> KernelSpecManager:
    """A kernelspec that runs this very interpreter, with the small notebook size."""
    root = tmp_path_factory.mktemp("kernels")
    spec = root / KERNEL_NAME
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "archsim tests",
        "language": "python",
        "env": {SIZE_VARIABLE: "small"},
    }))
    return KernelSpecManager(kernel_dirs=[str(root)], ensure_native_kernel=False)


def test_the_tutorials_are_there():
    """Guards against a glob that finds nothing, which would skip every test below."""
    expected = {"01_quickstart.ipynb", "02_prime_day.ipynb", "03_failure_stories.ipynb",
                "04_what_if.ipynb"}
    assert expected <= {p.name for p in NOTEBOOKS}, NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    """Outputs and execution counts make noisy diffs and stale numbers: clear them."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts; clear them"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_size_is_the_first_code_cell(path):
    """The tests can only run a notebook small if its first code cell reads the size."""
    nb = nbformat.read(path, as_version=4)
    first = next(cell.source for cell in nb.cells if cell.cell_type == "code")
    assert "SIZE" in first and SIZE_VARIABLE in first, first


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_runs_without_error(path, kernel_specs, tmp_path):
    """Every cell runs, in order, in a fresh kernel of this venv, at the small size."""
    nb = nbformat.read(path, as_version=4)
    # One more cell, after the notebook's own: which Python ran it, where, and at what size.
    nb.cells.append(nbformat.v4.new_code_cell(
        f"import os, sys; print(sys.executable, os.getcwd(), os.environ['{SIZE_VARIABLE}'], "
        "SIZE, sep='\\n')"))
    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=kernel_specs)
    client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT_S,
                            resources={"metadata": {"path": str(tmp_path)}})
    # Raises CellExecutionError, naming the cell, on the first error. The client shuts down
    # a kernel it did not start only when told to (cleanup_kc).
    client.execute(cleanup_kc=True)
    assert not km.has_kernel
    printed = nb.cells[-1].outputs[0]["text"].split("\n")
    assert Path(printed[0]) == Path(sys.executable)
    assert Path(printed[1]).resolve() == tmp_path.resolve()
    assert printed[2:4] == ["small", "small"]
