"""Coupling from the topology alone, on hand-made flows with hand-computed answers.

The flow used throughout (children in listed order):

    order -> a
    order -> b -> c
"""

import pytest

from sim.coupling import (
    adding_below,
    coupling_summary,
    coupling_table,
    example_parent,
    failure_domain,
    longest_sync_chain,
    sync_dependencies,
)
from tests.helpers import make

LINKS = ["order -> a", "order -> b", "b -> c"]
SERVICES = {"order": 0.1, "a": 0.1, "b": 0.1, "c": 0.1}


def scenario(**architectures):
    return make(SERVICES, LINKS, architectures)


@pytest.fixture(scope="module")
def sc():
    return scenario(
        rr={"style": "call"},
        ed={"style": "event"},
        boxed={"style": "event", "outbox": True},
        hybrid={"style": "event", "links": {"order -> b": "call"}},
        mostly_call={"style": "call", "links": {"b -> c": "event"}},
    )


def test_all_call_every_service_below_is_a_synchronous_dependency(sc):
    assert sync_dependencies(sc, "rr", "order") == ["a", "b", "c"]
    assert sync_dependencies(sc, "rr", "b") == ["c"]
    assert sync_dependencies(sc, "rr", "a") == []
    assert longest_sync_chain(sc, "rr") == ["order", "b", "c"]
    # No event link: the bus cannot fail a client.
    assert failure_domain(sc, "rr") == ["order", "a", "b", "c"]


def test_all_event_the_client_sees_only_the_entry_and_the_bus(sc):
    assert all(sync_dependencies(sc, "ed", s) == [] for s in SERVICES)
    assert longest_sync_chain(sc, "ed") == ["order"]
    assert failure_domain(sc, "ed") == ["order", "bus"]
    # With an outbox a refused publish is held, not failed.
    assert failure_domain(sc, "boxed") == ["order"]


def test_hybrid_call_to_b_then_event_to_c(sc):
    assert sync_dependencies(sc, "hybrid", "order") == ["b"]
    assert sync_dependencies(sc, "hybrid", "b") == []
    assert longest_sync_chain(sc, "hybrid") == ["order", "b"]
    # order publishes to a, b publishes to c: both in the domain, so the bus is too.
    assert failure_domain(sc, "hybrid") == ["order", "b", "bus"]


def test_mostly_call_with_one_event_link(sc):
    assert sync_dependencies(sc, "mostly_call", "order") == ["a", "b"]
    # Two chains of one call each: the first listed child wins the tie.
    assert longest_sync_chain(sc, "mostly_call") == ["order", "a"]
    assert failure_domain(sc, "mostly_call") == ["order", "a", "b", "bus"]


def test_adding_a_service_changes_the_parent_only_in_call_style(sc):
    assert adding_below(sc, "rr", "b") == (
        "b's code changes to call it; b waits for it; clients can see it fail")
    assert adding_below(sc, "ed", "b") == (
        "it subscribes to b's events; no existing service changes")
    # c publishes nothing yet: it must start, once.
    assert adding_below(sc, "ed", "c").startswith("c starts publishing an event")
    # In mostly_call, c consumes messages: a call below it is not client-visible.
    assert adding_below(sc, "mostly_call", "c") == "c's code changes to call it; c waits for it"


def test_table_has_one_row_per_architecture_and_service(sc):
    table = coupling_table(sc)
    assert len(table) == 5 * 4
    row = table[(table["architecture"] == "rr") & (table["service"] == "order")].iloc[0]
    assert row["calls"] == "a, b"
    assert row["sync_dependencies"] == "a, b, c"
    assert row["sync_dependency_count"] == 3
    assert row["longest_sync_chain"] == "order -> b -> c"
    visible = table[table["client_visible"]].groupby("architecture")["service"].apply(list)
    assert visible.to_dict() == {"boxed": ["order"], "ed": ["order"], "hybrid": ["order", "b"],
                                 "mostly_call": ["order", "a", "b"],
                                 "rr": ["order", "a", "b", "c"]}


def test_summary_per_architecture(sc):
    s = coupling_summary(sc).set_index("architecture")
    assert s.loc["rr", "sync_chain_calls"] == 2
    assert s.loc["rr", "longest_sync_chain"] == "order -> b -> c"
    assert s.loc["ed", "sync_chain_calls"] == 0
    assert s.loc["hybrid", "failure_domain"] == "order, b, bus"
    assert s.loc["hybrid", "failure_domain_size"] == 3
    assert (s.loc["hybrid", "call_links"], s.loc["hybrid", "event_links"]) == (1, 2)
    assert "subscribes" in s.loc["ed", "adding_a_service"]
    assert "code changes" in s.loc["rr", "adding_a_service"]


def test_example_parent_is_the_first_callee_of_the_longest_chain(sc):
    assert example_parent(sc) == "b"
    only_events = scenario(ed={"style": "event"})
    assert example_parent(only_events) == "a"  # no call chain: the entry's first child
