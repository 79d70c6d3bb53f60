"""Scenario schema and loading: defaults, cross-checks with key paths, clear errors."""

import copy

import pytest
import yaml

from sim.errors import ScenarioError
from sim.scenario import (
    Architecture,
    Link,
    Scenario,
    Traffic,
    apply_override,
    builtin_path,
    builtin_scenarios,
    dump_scenario,
    load_scenario,
    scenario_summary,
)

BASE = {
    "services": {"order": {}, "payment": {"workers": 2}, "shipping": {}, "invoice": {}},
    "flow": {
        "links": ["order -> payment", "payment -> shipping", "order -> invoice"],
        "business_failures": [
            {"name": "oos", "at": "shipping", "probability": 0.1,
             "compensate": ["payment.refund"]},
        ],
    },
}


def data(**changes):
    """BASE with changes applied; a__b__0 addresses data["a"]["b"][0]."""
    out = copy.deepcopy(BASE)
    for key, value in changes.items():
        *parents, last = key.split("__")
        node = out
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
        node[int(last) if isinstance(node, list) else last] = value
    return out


def error_of(source, overrides=()):
    with pytest.raises(ScenarioError) as info:
        load_scenario(source, overrides)
    return info.value


# --------------------------------------------------------------------------- defaults
def test_minimal_scenario_fills_documented_defaults():
    s = load_scenario(BASE)
    assert (s.seed, s.duration, s.drain, s.warmup, s.replications) == (42, 3600, 600, 0, 5)
    assert s.services["order"].workers == 1 and s.services["order"].queue is None
    assert s.services["order"].time.dist == "exponential"
    assert s.services["order"].time.mean == 0.01
    assert set(s.architectures) == {"request-response", "event-driven"}
    assert s.architectures["event-driven"].style == "event"
    assert s.architectures["request-response"].bus.latency.cv == 0.38


def test_times_accept_unit_strings_everywhere():
    s = load_scenario(data(duration="2h", warmup="5m", client={"timeout": "1500ms"}))
    assert (s.duration, s.warmup, s.client.timeout) == (7200.0, 300.0, 1.5)


def test_models_are_frozen():
    s = load_scenario(BASE)
    with pytest.raises(Exception, match="frozen"):
        s.seed = 1


def test_service_op_time_falls_back_to_default_time():
    s = load_scenario(data(services__payment={"ops": {"refund": 0.5}}))
    assert s.services["payment"].op_time("refund").mean_s == 0.5
    assert s.services["payment"].op_time("charge") == s.services["payment"].time
    assert s.services["payment"].op_time(None) == s.services["payment"].time


# --------------------------------------------------------------------------- flow
def test_flow_helpers_follow_listed_order():
    flow = load_scenario(BASE).flow
    assert flow.steps() == ("order", "payment", "shipping", "invoice")
    assert [link.child for link in flow.children("order")] == ["payment", "invoice"]
    assert flow.parent("shipping") == "payment" and flow.parent("order") is None
    assert flow.subtree("payment") == ("payment", "shipping")
    assert flow.link("order->payment").key == "order -> payment"


def test_link_forms_and_serialisation():
    assert Link.model_validate("  a->b ") == Link(parent="a", child="b")
    par = Link.model_validate({"link": "a -> b", "parallel": True})
    assert par.parallel and par.key == "a -> b"
    assert Link(parent="a", child="b").model_dump() == "a -> b"
    assert par.model_dump() == {"link": "a -> b", "parallel": True}


def test_business_failure_compensations_split_service_and_op():
    bf = load_scenario(BASE).flow.business_failures[0]
    assert bf.compensations == (("payment", "refund"),)


def test_architecture_link_style_normalises_keys():
    arch = Architecture(style="event", links={"order->payment": "call"})
    assert arch.links == {"order -> payment": "call"}
    assert arch.link_style("order ->  payment") == "call"
    assert arch.link_style("order -> invoice") == "event"


# --------------------------------------------------------------------------- cross-checks
@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        ({"flow__links__1": "payment -> shiping"}, "flow.links.1", "did you mean 'shipping'"),
        ({"flow__entry": "ordr"}, "flow.entry", "unknown service 'ordr'"),
        ({"flow__links": ["order -> payment", "payment -> shipping", "order -> invoice",
                          "invoice -> shipping"]}, "flow.links.3", "already has parent"),
        ({"flow__links": ["order -> payment", "payment -> order"]}, "flow.links.1",
         "entry 'order' cannot have a parent"),
        ({"flow__links": ["order -> payment", "shipping -> invoice", "invoice -> shipping"]},
         "flow.links.1", "not reachable"),
        ({"flow__links": ["order -> payment", "payment -> shipping"]}, "services.invoice",
         "'invoice' is not in the flow"),
        ({"flow__business_failures__0__at": "shiping"}, "flow.business_failures.0.at",
         "unknown service"),
        ({"flow__business_failures__0__compensate": ["payment.refund", "bank.refund"]},
         "flow.business_failures.0.compensate.1", "unknown service 'bank'"),
        ({"flow__business_failures__0__compensate": ["refund"]},
         "flow.business_failures.0.compensate.0", "written 'service.op'"),
        ({"architectures": {"h": {"links": {"order -> shipping": "call"}}}},
         "architectures.h.links.order -> shipping", "unknown link"),
        ({"faults": [{"target": "paymnt", "kind": "outage", "start": 1, "end": 2}]},
         "faults.0.target", "did you mean 'payment'"),
        ({"faults": [{"target": "order -> invoice", "kind": "capacity", "fraction": 0.5,
                      "start": 1, "end": 2}]}, "faults.0.kind", "a link cannot have"),
        ({"faults": [{"target": "bus", "kind": "hang", "start": 1, "end": 2}]},
         "faults.0.kind", "a bus cannot have a 'hang'"),
        ({"faults": [{"target": "order", "kind": "outage", "start": 5, "end": 5}]},
         "faults.0.end", "end > start"),
        ({"faults": [{"target": "order", "kind": "outage", "start": 1, "end": 2,
                      "mtbf": 10, "mttr": 1}]}, "faults.0", "exactly one"),
        ({"faults": [{"target": "order", "kind": "outage", "mtbf": 10}]},
         "faults.0.mttr", "needs both"),
        ({"faults": [{"target": "order", "kind": "slowdown", "start": 1, "end": 2}]},
         "faults.0.factor", "needs 'factor'"),
        ({"faults": [{"target": "order", "kind": "errors", "start": 1, "end": 2}]},
         "faults.0.fraction", "needs 'fraction'"),
        ({"faults": [{"target": "order", "kind": "outage", "factor": 2, "start": 1,
                      "end": 2}]}, "faults.0.factor", "does not take 'factor'"),
        ({"warmup": 3600}, "warmup", "shorter than duration"),
        ({"services__bad name": {}}, "services.bad name", "invalid service name"),
        ({"services": {}}, "services", "at least one service"),
        ({"traffic": {"rate": 10, "profile": [[0, 1]], "trace": [[0, 1]]}}, "traffic.trace",
         "not both"),
        ({"traffic__profile": [[0, 1], [0, 2]]}, "traffic.profile", "strictly increasing"),
        ({"traffic__profile": [[0, -1]]}, "traffic.profile", "finite number >= 0"),
    ],
)
def test_cross_check_names_key_path(changes, path, message):
    err = error_of(data(**changes))
    assert err.path == path
    assert message in err.problem


def test_valid_fault_targets_of_each_kind():
    faults = [
        {"target": "payment", "kind": "capacity", "fraction": 0.5, "start": "1m", "end": "2m"},
        {"target": "order->invoice", "kind": "hang", "mtbf": "1h", "mttr": "5m"},
        {"target": "bus", "kind": "slowdown", "factor": 3, "start": 0, "end": 10},
    ]
    s = load_scenario(data(faults=faults))
    assert [f.target_kind for f in s.faults] == ["service", "link", "bus"]
    assert s.faults[1].target == "order -> invoice"


def test_too_many_orders_refused_with_the_figure():
    err = error_of(data(traffic={"rate": 100_000}, duration="1h"))
    assert err.path == "traffic"
    assert "360,000,000 orders" in err.problem and "100,000,000" in err.problem


# --------------------------------------------------------------------------- error forms
def test_unknown_key_suggests_nearest_and_lists_allowed():
    err = error_of(data(services__payment={"wrokers": 3}))
    assert err.path == "services.payment.wrokers"
    assert err.problem == ("unknown key 'wrokers'; did you mean 'workers'? "
                           "allowed: workers, queue, time, ops, autoscaling")


def test_unknown_top_level_key_suggests_nearest():
    assert "did you mean 'duration'" in error_of(data(durration=10)).problem


def test_unknown_key_in_link_mapping_suggests_link_keys():
    err = error_of(data(flow__links=[{"link": "order -> payment", "paralel": True},
                                     "payment -> shipping", "order -> invoice"]))
    assert err.path == "flow.links.0.paralel"
    assert "did you mean 'parallel'" in err.problem


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "inf", "nan"])
def test_nan_and_inf_rejected(bad):
    assert error_of(data(traffic={"rate": bad})).path == "traffic.rate"
    assert error_of(data(duration=bad)).path == "duration"


@pytest.mark.parametrize(("key", "value"), [("seed", True), ("seed", "7"),
                                            ("replications", 2.5), ("name", 12)])
def test_wrong_types_rejected(key, value):
    assert error_of(data(**{key: value})).path == key


def test_more_errors_are_counted():
    assert "(and 1 more)" in error_of(data(seed=-1, replications=0)).problem


def test_file_errors_name_the_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    err = error_of(missing)
    assert err.file == str(missing) and "cannot read" in err.problem
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(data(seed=-1)))
    assert str(error_of(f)).startswith(f"{f}: seed: ")


def test_yaml_syntax_error_gives_line(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("seed: 1\nservices:\n  a: [\n")
    err = error_of(f)
    assert "not valid YAML" in err.problem and err.path.startswith("line ")


def test_top_level_must_be_a_mapping(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("- 1\n- 2\n")
    assert "must hold a mapping" in error_of(f).problem


def test_python_object_tag_rejected(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text('seed: !!python/object/apply:os.system ["echo pwned"]\n')
    err = error_of(f)
    assert "python/object/apply:os.system" in err.problem
    assert "Python objects are refused" in err.problem
    assert err.path == "line 1"


def test_duplicate_key_rejected(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(BASE) + "seed: 1\nseed: 2\n")
    err = error_of(f)
    assert "duplicate key 'seed'" in err.problem


def test_error_str_is_one_line_file_path_problem():
    assert str(ScenarioError("bad", file="f.yaml", path="a.b")) == "f.yaml: a.b: bad"
    assert str(ScenarioError("bad", path="a.b")) == "a.b: bad"
    assert str(ScenarioError("bad")) == "bad"


# --------------------------------------------------------------------------- overrides
def test_override_sets_typed_values_and_creates_keys():
    out = apply_override({"services": {"payment": {}}}, "services.payment.workers=8")
    assert out == {"services": {"payment": {"workers": 8}}}
    assert apply_override({}, "warmup=5m") == {"warmup": "5m"}
    assert apply_override({}, "traffic.profile=[[0, 1], [10, 2]]") == {
        "traffic": {"profile": [[0, 1], [10, 2]]}}


def test_override_does_not_mutate_input():
    src = {"seed": 1}
    apply_override(src, "seed=2")
    assert src == {"seed": 1}


def test_override_indexes_lists():
    src = {"faults": [{"start": 1}, {"start": 2}]}
    assert apply_override(src, "faults.1.start=100")["faults"][1]["start"] == 100


def test_override_link_key_with_arrow():
    out = apply_override({}, "architectures.hybrid.links.order -> payment=call")
    assert out == {"architectures": {"hybrid": {"links": {"order -> payment": "call"}}}}
    s = load_scenario(BASE, ["architectures.hybrid.links.order -> payment=call"])
    assert s.architectures["hybrid"].link_style("order -> payment") == "call"


@pytest.mark.parametrize("bad", ["seed", "=3", " =3", "a..b=1"])
def test_override_without_key_or_equals_is_an_error(bad):
    with pytest.raises(ScenarioError) as info:
        apply_override({}, bad)
    assert info.value.path == "--set"


def test_override_list_index_out_of_range_names_path():
    with pytest.raises(ScenarioError, match="no item '3'") as info:
        apply_override({"faults": []}, "faults.3.start=1")
    assert info.value.path == "faults.3"


def test_override_result_is_validated():
    assert error_of(BASE, ["services.payment.workers=0"]).path == "services.payment.workers"


def test_overrides_apply_to_files(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(BASE))
    assert load_scenario(f, ["seed=7", "traffic.rate=2.5"]).traffic.rate == 2.5


# --------------------------------------------------------------------------- traffic
def test_expected_orders_integrates_hand_computed_profile():
    t = Traffic(rate=10, profile=[[0, 1], [100, 1], [200, 3]])
    # 0-100: 10/s -> 1000; 100-200: ramp 10 -> 30 -> 2000; 200-300: 30/s -> 3000.
    assert t.expected_orders(300) == pytest.approx(6000)
    assert t.expected_orders(150) == pytest.approx(1000 + 50 * (10 + 20) / 2)


def test_rate_is_flat_before_first_and_after_last_point():
    t = Traffic(rate=10, profile=[[50, 2], [100, 4]])
    assert t.rate_at(0) == 20 and t.rate_at(75) == 30 and t.rate_at(1e6) == 40
    assert t.max_rate() == 40
    assert t.expected_orders(200) == pytest.approx(50 * 20 + 50 * 30 + 100 * 40)


def test_constant_rate_without_profile():
    t = Traffic(rate=4)
    assert t.points() == ((0.0, 4.0),) and t.expected_orders(10) == 40


def test_trace_csv_is_read_relative_to_scenario_and_inlined(tmp_path):
    (tmp_path / "traces").mkdir()
    (tmp_path / "traces" / "t.csv").write_text("time,rate\n0,1\n1m,3\n")
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(data(traffic={"trace": "traces/t.csv"})))
    s = load_scenario(f)
    assert s.traffic.trace == ((0.0, 1.0), (60.0, 3.0))
    assert s.traffic.points() == s.traffic.trace
    assert s.traffic.expected_orders(120) == pytest.approx(60 * 2 + 60 * 3)
    assert load_scenario(yaml.safe_load(dump_scenario(s))) == s


def test_trace_file_problems_name_the_key(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(data(traffic={"trace": "missing.csv"})))
    err = error_of(f)
    assert err.path == "traffic.trace" and "cannot read trace file" in err.problem
    (tmp_path / "bad.csv").write_text("t,r\n0,1\n")
    f.write_text(yaml.safe_dump(data(traffic={"trace": "bad.csv"})))
    assert "header 'time,rate'" in error_of(f).problem


# --------------------------------------------------------------------------- dump, builtins
def test_dump_is_fully_resolved_and_round_trips():
    s = load_scenario(data(warmup="auto", flow__links__0={"link": "order -> payment",
                                                           "parallel": True}))
    text = dump_scenario(s)
    raw = yaml.safe_load(text)
    assert raw["duration"] == 3600.0 and raw["architectures"]["event-driven"]["style"] == "event"
    assert raw["flow"]["links"][0] == {"link": "order -> payment", "parallel": True}
    assert load_scenario(raw) == s


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_every_builtin_scenario_validates_and_round_trips(name):
    path = builtin_path(name)
    s = load_scenario(path)
    assert isinstance(s, Scenario) and s.description
    assert scenario_summary(path) == s.description
    assert load_scenario(yaml.safe_load(dump_scenario(s))) == s
    assert path.read_text().startswith("#")


def test_builtins_include_the_three_stories():
    assert {"baseline", "prime_day", "payment_outage"} <= set(builtin_scenarios())


def test_unknown_builtin_suggests_nearest():
    with pytest.raises(ScenarioError, match="did you mean 'prime_day'"):
        builtin_path("primeday")
