"""`archsim run` and `archsim report`: the table, the results folder (DESIGN.md's
contract), same seed same bytes, any number of processes same bytes."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import yaml

from sim.scenario import load_scenario
from tests.cli.helpers import ARCHITECTURES, SMALL_RUN, assert_bad_input, invoke

SUMMARY_COLUMNS = [
    "architecture", "replications", "orders", "completed", "rejected", "compensated",
    "failed_after_ack", "in_flight", "inconsistent", "client_error_rate", "ack_mean_s",
    "ack_mean_ci_s", "ack_p50_s", "ack_p95_s", "ack_p99_s", "ack_p999_s", "e2e_mean_s",
    "e2e_mean_ci_s", "e2e_p50_s", "e2e_p95_s", "e2e_p99_s", "throughput_per_s",
    "peak_throughput_per_s", "max_backlog", "drain_time_s", "retries", "amplification",
    "dead_letters",
]
OUTCOMES = ["completed", "rejected", "compensated", "failed_after_ack", "in_flight"]
ORDER_COLUMNS = ["architecture", "replication", "order_id", "arrival_s", "ack_s", "ack_status",
                 "done_s", "outcome", "inconsistent", "error_origin", "attempts"]
PROPAGATION_COLUMNS = ["architecture", "origin", "fault", "reached", "count"]
DETERMINISTIC_FILES = ["summary.csv", "orders.parquet", "propagation.csv"]


def _run(tiny_file, out, *extra):
    result = invoke("run", tiny_file, *SMALL_RUN, "--jobs", "1", "--out", out, *extra)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def _same_bytes(a, b, names=DETERMINISTIC_FILES):
    return {name: (a / name).read_bytes() == (b / name).read_bytes() for name in names}


# ------------------------------------------------------------------ the terminal
def test_run_exits_0_and_prints_every_architecture_and_the_folder(small_run):
    result, out = small_run
    assert result.exception is None
    for arch in ARCHITECTURES:
        assert arch in result.stdout
    assert str(out) in result.stdout
    assert "Traceback" not in result.output


def test_the_table_shows_every_name_in_full_at_80_columns(small_run):
    result, _ = small_run
    lines = result.stdout.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("┏"))
    rule = next(i for i, line in enumerate(lines) if line.startswith("┡"))
    bottom = next(i for i, line in enumerate(lines) if line.startswith("└"))
    table = lines[top:bottom + 1]
    assert max(len(line) for line in table) <= 80
    header = "\n".join(lines[top:rule])
    for arch in ARCHITECTURES:
        assert arch in header, header
    assert "…" not in "\n".join(table), "\n".join(table)


def test_run_without_a_scenario_runs_the_builtin_prime_day_and_arch_picks(tmp_path,
                                                                          without_charts):
    out = tmp_path / "out"
    result = invoke("run", "--set", "duration=60", "--set", "drain=10", "--set", "warmup=0",
                    "--replications", "1", "--jobs", "1", "--quiet", "--out", out,
                    "--arch", "event-driven", "--arch", "hybrid")
    assert result.exit_code == 0, (result.output, result.exception)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"] == "prime-day"
    assert manifest["architectures"] == ["event-driven", "hybrid"]
    assert list(pd.read_csv(out / "summary.csv")["architecture"]) == ["event-driven", "hybrid"]
    assert set(pd.read_parquet(out / "orders.parquet")["architecture"]) == {"event-driven",
                                                                            "hybrid"}


# ------------------------------------------------------------------ the results folder
def test_the_folder_holds_the_design_files(small_run):
    _, out = small_run
    for name in ["manifest.json", "scenario.yaml", "summary.csv", "orders.parquet",
                 "timeseries.parquet", "propagation.csv", "report.md", "report.html"]:
        assert (out / name).is_file(), name
    assert list((out / "charts").glob("*.png"))


def test_no_temporary_folder_is_left_beside_it(small_run):
    _, out = small_run
    assert [p.name for p in out.parent.iterdir()] == [out.name]


def test_run_refuses_to_replace_a_folder_that_is_not_results(tiny_file, tmp_path,
                                                             without_charts):
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious")
    result = invoke("run", tiny_file, *SMALL_RUN, "--replications", "1", "--jobs", "1",
                    "--out", mine)
    assert (mine / "notes.txt").read_text() == "precious"
    assert_bad_input(result, str(mine))


def test_manifest(small_run):
    _, out = small_run
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"] == "tiny"
    assert manifest["seed"] == 7
    assert manifest["architectures"] == ARCHITECTURES
    assert manifest["replications"] == 2
    assert manifest["version"]
    runs = manifest["runs"]
    assert len(runs) == len(ARCHITECTURES) * 2
    for run in runs:
        for key in ["architecture", "replication", "orders", "service_visits", "engine_events",
                    "wall_s", "cpu_s"]:
            assert key in run, key
        assert any("rss" in key or "memory" in key for key in run)
        assert run["orders"] > 0


def test_scenario_yaml_is_the_resolved_scenario_and_reruns_it_exactly(small_run,
                                                                       tiny_session_file):
    _, out = small_run
    raw = yaml.safe_load((out / "scenario.yaml").read_text())
    assert raw["duration"] == 60 and raw["drain"] == 10 and raw["replications"] == 2
    expected = load_scenario(tiny_session_file, ["duration=60", "drain=10", "replications=2"])
    assert load_scenario(out / "scenario.yaml") == expected
    assert invoke("check", out / "scenario.yaml").exit_code == 0


def test_summary_has_the_design_columns_and_one_row_per_architecture(small_run):
    _, out = small_run
    summary = pd.read_csv(out / "summary.csv")
    missing = [c for c in SUMMARY_COLUMNS if c not in summary.columns]
    assert not missing
    assert list(summary["architecture"]) == ARCHITECTURES
    assert (summary["replications"] == 2).all()


def test_outcomes_add_up_to_orders_and_every_architecture_sees_the_same_orders(small_run):
    _, out = small_run
    summary = pd.read_csv(out / "summary.csv").set_index("architecture")
    assert (summary[OUTCOMES].sum(axis=1) == summary["orders"]).all(), summary[OUTCOMES]
    assert summary["orders"].nunique() == 1 and summary["orders"].iloc[0] > 0
    assert ((summary["inconsistent"] >= 0) & (summary["inconsistent"] <= summary["orders"])).all()


def test_summary_counts_agree_with_orders_parquet(small_run):
    _, out = small_run
    summary = pd.read_csv(out / "summary.csv").set_index("architecture")
    orders = pd.read_parquet(out / "orders.parquet")
    for arch, group in orders.groupby("architecture"):
        row = summary.loc[arch]
        assert row["orders"] == len(group)
        counts = group["outcome"].value_counts()
        for outcome in OUTCOMES:
            assert row[outcome] == counts.get(outcome, 0), (arch, outcome)
        assert row["inconsistent"] == group["inconsistent"].sum()


def test_orders_parquet(small_run):
    _, out = small_run
    orders = pd.read_parquet(out / "orders.parquet")
    missing = [c for c in ORDER_COLUMNS if c not in orders.columns]
    assert not missing
    keys = orders[["architecture", "replication"]].drop_duplicates()
    assert len(keys) == len(ARCHITECTURES) * 2
    assert set(orders["replication"]) == {0, 1}
    assert not orders.duplicated(["architecture", "replication", "order_id"]).any()
    assert set(orders["outcome"]) <= set(OUTCOMES)
    assert ((orders["arrival_s"] >= 0) & (orders["arrival_s"] < 60)).all()
    acked = orders["ack_s"].notna()
    assert (orders.loc[acked, "ack_s"] >= orders.loc[acked, "arrival_s"]).all()
    done = orders["done_s"].notna()
    assert (orders.loc[done, "done_s"] >= orders.loc[done, "arrival_s"]).all()
    assert (orders["attempts"] >= 1).all()


def test_every_architecture_gets_the_same_arrivals(small_run):
    """Common random numbers: replication r has the same orders under every architecture."""
    _, out = small_run
    orders = pd.read_parquet(out / "orders.parquet").sort_values(
        ["architecture", "replication", "order_id"])
    for rep, group in orders.groupby("replication"):
        arrivals = {arch: g["arrival_s"].to_list() for arch, g in group.groupby("architecture")}
        first = arrivals[ARCHITECTURES[0]]
        assert all(a == first for a in arrivals.values()), rep


def test_timeseries_parquet(small_run):
    _, out = small_run
    series = pd.read_parquet(out / "timeseries.parquet")
    assert len(series) > 0
    for column in ["architecture", "replication", "arrivals", "completions", "backlog",
                   "busy", "workers", "errors"]:
        assert column in series.columns, column
    assert set(series["architecture"]) == set(ARCHITECTURES)


def test_propagation_csv(small_run):
    _, out = small_run
    propagation = pd.read_csv(out / "propagation.csv")
    assert list(propagation.columns) == PROPAGATION_COLUMNS
    assert (propagation["count"] > 0).all()
    assert set(propagation["architecture"]) <= set(ARCHITECTURES)
    # The payment outage (20-30 s) reaches clients when order -> payment is a call.
    call = propagation[(propagation["architecture"] == "request-response")
                       & (propagation["origin"] == "payment")]
    assert "client" in set(call["reached"])


# ------------------------------------------------------------------ reproducibility
def test_same_seed_same_bytes(small_run, tiny_session_file, tmp_path, without_charts):
    _, first = small_run
    again = tmp_path / "again"
    _run(tiny_session_file, again)
    assert _same_bytes(first, again) == dict.fromkeys(DETERMINISTIC_FILES, True)


def test_another_seed_changes_the_orders(small_run, tiny_session_file, tmp_path,
                                         without_charts):
    _, first = small_run
    other = tmp_path / "other"
    _run(tiny_session_file, other, "--seed", "8")
    assert json.loads((other / "manifest.json").read_text())["seed"] == 8
    assert not _same_bytes(first, other, ["orders.parquet"])["orders.parquet"]


def test_jobs_2_gives_the_bytes_of_jobs_1_and_replaces_an_older_results_folder(
        small_run, tiny_session_file, tmp_path, without_charts):
    _, serial = small_run
    parallel = tmp_path / "results"
    shutil.copytree(serial, parallel)  # an older results folder, to be replaced whole
    (parallel / "stale.txt").write_text("from an older run")
    result = invoke("run", tiny_session_file, *SMALL_RUN, "--jobs", "2", "--out", parallel)
    assert result.exit_code == 0, (result.output, result.exception)
    assert _same_bytes(serial, parallel, ["summary.csv", "orders.parquet"]) == {
        "summary.csv": True, "orders.parquet": True}
    assert not (parallel / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["results"]


# ------------------------------------------------------------------ archsim report
def test_report_rebuilds_the_same_report_from_the_folder_alone(small_run, tmp_path):
    _, out = small_run
    folder = tmp_path / out.name  # same name: the report quotes it in its rerun command
    shutil.copytree(out, folder)
    for name in ["report.md", "report.html"]:
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(folder / "charts", ignore_errors=True)
    data = {name: (folder / name).read_bytes() for name in DETERMINISTIC_FILES}

    result = invoke("report", folder)

    assert result.exit_code == 0, (result.output, result.exception)
    assert str(folder) in result.stdout
    text = (folder / "report.md").read_text()
    assert "tiny" in text
    for arch in ARCHITECTURES:
        assert arch in text
    assert (folder / "report.html").is_file()
    assert list((folder / "charts").glob("*.png"))
    for name in ["report.md", "report.html"]:
        assert (folder / name).read_bytes() == (out / name).read_bytes(), name
    assert data == {name: (folder / name).read_bytes() for name in DETERMINISTIC_FILES}
