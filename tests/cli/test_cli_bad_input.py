"""Bad input exits with status 2 and one clear line: file, key path, problem; no traceback.

Each case builds its input in a fresh folder and lists the fragments the error
line must hold (matched case-insensitively): the file (where there is one), the
key path and the problem.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import SMALL_RUN, assert_bad_input, invoke, tiny, write_yaml


def _text(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "scenario.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _changed(tmp_path: Path, change) -> Path:
    data = tiny()
    change(data)
    return write_yaml(tmp_path / "scenario.yaml", data)


def _set(data: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def _rename(mapping: dict, old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


def _fault(target: str, start: float = 1, end: float = 2) -> dict:
    return {"target": target, "kind": "outage", "start": start, "end": end}


# ------------------------------------------------------------------ the file itself
def test_missing_file(tmp_path):
    path = tmp_path / "missing.yaml"
    assert_bad_input(invoke("check", path), str(path), "no such file")


def test_a_directory(tmp_path):
    assert_bad_input(invoke("check", tmp_path), str(tmp_path), "directory")


def test_not_yaml(tmp_path):
    path = _text(tmp_path, "name: x\nservices: [\n  order\n")
    assert_bad_input(invoke("check", path), str(path), "line", "yaml")


def test_yaml_that_is_a_list(tmp_path):
    path = _text(tmp_path, "- order\n- payment\n")
    assert_bad_input(invoke("check", path), str(path), "mapping", "list")


def test_an_empty_file(tmp_path):
    path = _text(tmp_path, "")
    assert_bad_input(invoke("check", path), str(path), "mapping")


def test_not_utf8(tmp_path):
    path = _text(tmp_path, b"name: \xff\xfe\n")
    assert_bad_input(invoke("check", path), str(path), "utf-8")


def test_a_duplicate_key(tmp_path):
    path = _text(tmp_path, "name: a\nname: b\n")
    assert_bad_input(invoke("check", path), str(path), "line 2", "duplicate", "name")


@pytest.mark.parametrize("text", [
    '!!python/object/apply:os.system ["touch {marker}"]\n',
    'name: x\nservices: !!python/object/apply:os.system ["touch {marker}"]\n',
], ids=["top-level", "nested"])
def test_a_python_object_tag_is_refused_and_never_run(tmp_path, text):
    marker = tmp_path / "MARKER"
    path = _text(tmp_path, text.format(marker=marker))
    assert_bad_input(invoke("check", path), str(path), "python/object/apply:os.system",
                     "not allowed")
    assert not marker.exists()


def test_the_literal_echo_tag_from_the_brief(tmp_path):
    path = _text(tmp_path, '!!python/object/apply:os.system ["echo hi"]\n')
    result = invoke("check", path)
    assert_bad_input(result, str(path), "not allowed")
    assert result.stdout == ""


# ------------------------------------------------------------------ keys and values
SCHEMA_CASES = {
    "unknown key with a typo": (
        lambda d: _rename(d["services"]["payment"], "workers", "wrokers"),
        ["services.payment.wrokers", "unknown key", "did you mean 'workers'"]),
    "unknown top-level key": (
        lambda d: _rename(d, "replications", "replicatons"),
        ["replicatons", "did you mean 'replications'"]),
    "wrong type: a word for a count": (
        lambda d: _set(d, "services.payment.workers", "two"),
        ["services.payment.workers", "integer", "two"]),
    "wrong type: a boolean for a count": (
        lambda d: _set(d, "services.payment.workers", True),
        ["services.payment.workers", "integer"]),
    "wrong type: a mapping for the links": (
        lambda d: _set(d, "flow.links", {"order": "payment"}),
        ["flow.links"]),
    "NaN rate": (lambda d: _set(d, "traffic.rate", float("nan")), ["traffic.rate", "finite"]),
    "infinite rate": (lambda d: _set(d, "traffic.rate", float("inf")), ["traffic.rate", "finite"]),
    "NaN time": (lambda d: _set(d, "duration", float("nan")), ["duration", "nan"]),
    "infinite time": (lambda d: _set(d, "drain", float("inf")), ["drain", "inf"]),
    "NaN service-time mean": (
        lambda d: _set(d, "services.payment.time.mean", float("nan")),
        ["services.payment.time.mean", "nan"]),
    "negative count": (lambda d: _set(d, "client.retries", -1), ["client.retries", "-1"]),
    "link to a missing service": (
        lambda d: _set(d, "flow.links", ["order -> invoice", "order -> paymnt"]),
        ["flow.links.1", "paymnt", "did you mean 'payment'"]),
    "link that is not 'a -> b'": (
        lambda d: _set(d, "flow.links", ["order => invoice"]),
        ["flow.links.0", "parent -> child"]),
    "cycle back to the entry": (
        lambda d: d["flow"]["links"].append("shipping -> order"),
        ["flow.links.4", "entry", "cannot have a parent"]),
    "cycle away from the entry": (
        lambda d: (d["services"].update({"a": {}, "b": {}}),
                   d["flow"]["links"].extend(["a -> b", "b -> a"])),
        ["flow.links.4", "cycle"]),
    "second parent": (
        lambda d: d["flow"]["links"].append("invoice -> shipping"),
        ["flow.links.4", "shipping", "already has parent", "tree"]),
    "service outside the flow": (
        lambda d: d["services"].update({"stock": {}}),
        ["services.stock", "not in the flow"]),
    "entry that is not a service": (
        lambda d: _set(d, "flow.entry", "ordr"), ["flow.entry", "ordr", "did you mean 'order'"]),
    "fault on a missing service": (
        lambda d: _set(d, "faults", [_fault("paymant")]),
        ["faults.0.target", "paymant", "did you mean 'payment'"]),
    "fault on a missing link": (
        lambda d: _set(d, "faults", [_fault("order -> shipping")]),
        ["faults.0.target", "unknown link", "order -> shipping"]),
    "fault window that ends before it starts": (
        lambda d: _set(d, "faults", [_fault("payment", start=5, end=2)]),
        ["faults.0.end", "end > start"]),
    "hybrid naming a missing link": (
        lambda d: _set(d, "architectures.hybrid.links", {"order -> shipping": "call"}),
        ["architectures.hybrid.links", "unknown link"]),
    "absurd traffic rate": (
        lambda d: d.update({"duration": 1000, "traffic": {"rate": 1_000_000}}),
        ["traffic", "1,000,000,000", "100,000,000"]),
}


@pytest.mark.parametrize("change, fragments", SCHEMA_CASES.values(), ids=SCHEMA_CASES.keys())
def test_a_bad_scenario_file(tmp_path, change, fragments):
    path = _changed(tmp_path, change)
    assert_bad_input(invoke("check", path), str(path), *fragments)


def test_a_typo_in_a_required_key_names_the_typo(tmp_path):
    path = _changed(tmp_path, lambda d: _rename(d, "services", "servces"))
    assert_bad_input(invoke("check", path), str(path), "servces", "did you mean 'services'")


# ------------------------------------------------------------------ the command line
SET_CASES = {
    "no equals sign": (["--set", "duration"], ["--set", "duration", "KEY.PATH=VALUE"]),
    "empty key": (["--set", "=3"], ["--set", "KEY.PATH=VALUE"]),
    "value that is not YAML": (["--set", "traffic.rate=[1"], ["--set", "yaml"]),
    "no workers": (["--set", "services.payment.workers=0"],
                   ["services.payment.workers", "greater than or equal to 1", "0"]),
    "NaN": (["--set", "traffic.rate=.nan"], ["traffic.rate", "finite"]),
    "list index out of range": (["--set", "faults.5.start=1"], ["faults.5", "no item"]),
    "typo in a key": (["--set", "services.payment.wrokers=3"],
                      ["services.payment.wrokers", "did you mean 'workers'"]),
}


@pytest.mark.parametrize("args, fragments", SET_CASES.values(), ids=SET_CASES.keys())
def test_a_bad_override(tiny_file, args, fragments):
    assert_bad_input(invoke("check", tiny_file, *args), *fragments)


def test_an_unknown_builtin_name_lists_the_builtins():
    assert_bad_input(invoke("check", "prime_dya"), "prime_dya", "prime_day", "baseline")


def test_run_refuses_an_unknown_architecture_before_simulating(tiny_file, tmp_path):
    out = tmp_path / "out"
    result = invoke("run", tiny_file, *SMALL_RUN, "--arch", "nonexistent", "--out", out)
    assert_bad_input(result, "--arch", "nonexistent", "request-response", "event-driven")
    assert result.stdout == ""
    assert not out.exists()


def test_run_refuses_a_bad_file_before_simulating(tmp_path):
    path = _changed(tmp_path, lambda d: _set(d, "traffic.rate", float("nan")))
    out = tmp_path / "out"
    result = invoke("run", path, "--quiet", "--out", out)
    assert_bad_input(result, str(path), "traffic.rate", "finite")
    assert not out.exists()


def test_run_builtin_with_a_duration_shorter_than_its_warmup():
    result = invoke("run", "--set", "duration=60", "--quiet")
    assert_bad_input(result, "prime_day", "warmup", "duration")


def test_report_of_a_missing_folder(tmp_path):
    result = invoke("report", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "nowhere" in result.stderr


def test_report_of_a_folder_that_is_not_a_results_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("not results")
    assert_bad_input(invoke("report", tmp_path), str(tmp_path), "manifest.json")


def test_run_with_an_out_folder_that_cannot_be_created(tiny_file, tmp_path, without_charts):
    blocker = tmp_path / "afile"
    blocker.write_text("")
    out = blocker / "results"
    assert_bad_input(invoke("run", tiny_file, *SMALL_RUN, "--jobs", "1", "--out", out),
                     str(out))
