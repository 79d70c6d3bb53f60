"""Grid values parse like --set values; bad keys and values are refused before any run;
a run is named by the hash of exactly its inputs."""

from __future__ import annotations

import json

import pytest

from sim.errors import ScenarioError
from sim.sweep import (REQUIRED_METRICS, VERSION, RunStore, cells, parse_grid, run_key,
                       tasks_of)
from tests.sweep.helpers import cli_args, invoke, small_scenario


def test_grid_values_are_yaml_scalars_resolved_like_set_values():
    grid = parse_grid(["duration=1m, 90", "traffic.rate=2,5.5",
                       "architectures.request-response.call.jitter=true,false"])
    assert grid["duration"] == ["1m", "90"]
    got = [c.values for c in cells(small_scenario(), grid)]
    assert len(got) == 2 * 2 * 2
    assert got[0] == {"duration": 60.0, "traffic.rate": 2,
                      "architectures.request-response.call.jitter": True}
    assert got[-1] == {"duration": 90.0, "traffic.rate": 5.5,
                       "architectures.request-response.call.jitter": False}


@pytest.mark.parametrize("spec, fragment", [
    ("services.payment.workers", "expected KEY=V1,V2"),
    ("services.payment.workers=", "expected KEY=V1,V2"),
    ("services.payment.workers=1,,2", "expected KEY=V1,V2"),
    ("services.payment.workers=2,2", "repeated value"),
    ("services.payment.workers={a: 1}", "must be a scalar"),
    ("replications=1,2", "--replications"),
])
def test_malformed_grids_are_refused(spec, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        parse_grid([spec])


def test_values_that_resolve_to_the_same_scenario_are_refused():
    with pytest.raises(ScenarioError, match="same scenario"):
        cells(small_scenario(), parse_grid(["duration=1m,60"]))


def test_a_key_given_twice_is_refused():
    with pytest.raises(ScenarioError, match="given twice"):
        parse_grid(["seed=1,2", "seed=3,4"])


@pytest.mark.parametrize("grid, fragments", [
    ("services.payment.wrokers=4,8", ("services.payment.wrokers", "did you mean 'workers'")),
    ("services.payment.workers=4,0", ("services.payment.workers", "greater than or equal to 1")),
    ("traffic.rat=1,2", ("traffic.rat", "did you mean 'rate'")),
])
def test_a_bad_grid_key_or_value_exits_2_with_its_path_before_any_run(tmp_path, grid,
                                                                       fragments):
    out = tmp_path / "sweep"
    result = invoke("sweep", "prime_day", "--grid", "seed=1,2", "--grid", grid, "--out", out,
                    "--quiet")
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: --grid: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert not out.exists(), "nothing may be written before the grid is valid"


def test_run_keys_change_with_each_input_and_only_with_them():
    base = small_scenario()
    [cell] = cells(base, parse_grid(["seed=42"]))
    key = run_key(cell.yaml, "hybrid", 1)
    assert key == run_key(cell.yaml, "hybrid", 1)
    others = {run_key(cell.yaml, "event-driven", 1), run_key(cell.yaml, "hybrid", 2),
              run_key(cell.yaml, "hybrid", 1, version="0.0.0"),
              run_key(cell.yaml.replace("seed: 42", "seed: 43"), "hybrid", 1)}
    assert key not in others and len(others) == 4
    # The replication count is not an input of one run: a sweep extended from 3 to 5
    # replications into the same folder reuses the first 3.
    more = cells(base.model_copy(update={"replications": 9}), parse_grid(["seed=42"]))
    assert tasks_of(more, ["hybrid"], 2) == tasks_of([cell], ["hybrid"], 2)


def test_the_version_in_a_run_key_names_the_source_too():
    import sim
    assert VERSION.startswith(f"{sim.__version__}+") and len(VERSION.split("+")[1]) == 12


def test_the_store_accepts_only_whole_records_of_their_own_inputs(tmp_path):
    [cell] = cells(small_scenario(), parse_grid(["seed=42"]))
    key = run_key(cell.yaml, "hybrid", 0)
    store = RunStore(tmp_path)
    row = {m: 0.5 for m in REQUIRED_METRICS}
    record = {"key": key, "version": VERSION, "architecture": "hybrid",
              "replication": 0, "scenario": cell.yaml, "row": row}
    assert store.load(key) is None
    store.save(record)
    assert store.load(key) == record
    less = dict(row)
    del less["ack_mean_s"]
    broken = ["", "{", json.dumps([record]),
              json.dumps({**record, "key": "0" * 64}),
              json.dumps({**record, "scenario": cell.yaml + "# edited\n"}),
              json.dumps({**record, "version": "0.0.0"}),
              json.dumps({k: v for k, v in record.items() if k != "architecture"}),
              json.dumps({**record, "row": less})]
    for text in broken:
        store.path(key).write_text(text)
        assert store.load(key) is None, text[:80]


def test_the_sweep_refuses_an_out_folder_that_is_not_a_sweep(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    result = invoke(*cli_args(tmp_path))
    assert result.exit_code == 2
    assert "not a sweep folder" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.txt"]


def test_common_random_numbers_across_cells(reference):
    """Replication i sees the same orders in every cell with the same traffic: changing
    payment workers changes what happens to the orders, not which orders arrive."""
    runs = reference.runs
    orders = runs.pivot_table(index=["traffic.rate", "architecture", "replication"],
                              columns="services.payment.workers", values="orders")
    assert (orders[8] == orders[32]).all()
    assert runs.groupby(["traffic.rate", "replication"])["orders"].nunique().eq(1).all()
    assert runs.groupby("traffic.rate")["orders"].nunique().gt(1).all()
