"""Coupling, read from the topology alone: who waits for whom, whose failure a client sees,
and whose code changes when the flow grows.

A ``call`` link ``a -> b`` makes ``a`` hold a worker until ``b`` answers, and ``b``'s errors
and timeouts travel back to ``a`` (see :mod:`sim.styles.call`). An ``event`` link makes
``a`` publish to the bus and carry on; ``b`` consumes later from its own queue (see
:mod:`sim.styles.event`). So, per architecture:

- a service's *synchronous dependencies* are the services it reaches through call links
  (transitively): each must be up and fast for it to answer;
- the *longest synchronous chain* is the deepest path of call links from the entry: the
  calls a client request waits on, one inside the other;
- the *failure domain* is what a client can see fail: the entry, every service reachable
  from it through call links, and the bus when one of those publishes events (a refused
  publish fails the job, unless the architecture uses an outbox);
- *adding a service* below ``x`` takes a new link ``x -> new`` in the architecture's default
  style: in call style ``x``'s code changes to call it, ``x`` waits for it and, if ``x`` is
  in the failure domain, clients can now see the new service fail; in event style the new
  service subscribes to ``x``'s events and no existing service changes (if ``x`` publishes
  nothing yet, it starts publishing once, for any number of future subscribers).

Nothing here simulates: these are facts of the flow tree and the link styles, the
structural side of the trade-off the simulation measures.
"""

from __future__ import annotations

import pandas as pd

CALL = "call"


def call_children(scenario, architecture: str, service: str) -> list[str]:
    """Services that ``service`` calls directly in ``architecture``, in flow order."""
    arch = scenario.architectures[architecture]
    return [link.child for link in scenario.flow.children(service)
            if arch.link_style(link.key) == CALL]


def sync_dependencies(scenario, architecture: str, service: str) -> list[str]:
    """Every service ``service`` waits on through call links, transitively, pre-order."""
    out = []
    for child in call_children(scenario, architecture, service):
        out.append(child)
        out.extend(sync_dependencies(scenario, architecture, child))
    return out


def longest_sync_chain(scenario, architecture: str, service: str | None = None) -> list[str]:
    """The deepest path of call links from ``service`` (default: the entry), itself first;
    the first listed child wins a tie."""
    service = service or scenario.flow.entry
    best: list[str] = []
    for child in call_children(scenario, architecture, service):
        chain = longest_sync_chain(scenario, architecture, child)
        if len(chain) > len(best):
            best = chain
    return [service] + best


def publishes(scenario, architecture: str, service: str) -> bool:
    """True when ``service`` has at least one event link out of it."""
    arch = scenario.architectures[architecture]
    return any(arch.link_style(link.key) != CALL for link in scenario.flow.children(service))


def failure_domain(scenario, architecture: str) -> list[str]:
    """What a client can see fail: the entry, its synchronous dependencies, and ``bus`` when
    one of them publishes events without an outbox."""
    entry = scenario.flow.entry
    domain = [entry] + sync_dependencies(scenario, architecture, entry)
    outbox = scenario.architectures[architecture].outbox
    if not outbox and any(publishes(scenario, architecture, s) for s in domain):
        domain.append("bus")
    return domain


def adding_below(scenario, architecture: str, service: str) -> str:
    """What changes when a new service is added downstream of ``service`` (a new link in the
    architecture's default style)."""
    arch = scenario.architectures[architecture]
    if arch.style != CALL:
        if publishes(scenario, architecture, service):
            return f"it subscribes to {service}'s events; no existing service changes"
        return (f"{service} starts publishing an event (once, for any number of "
                "subscribers); it subscribes to it")
    text = f"{service}'s code changes to call it; {service} waits for it"
    if service in failure_domain(scenario, architecture):
        text += "; clients can see it fail"
    return text


def example_parent(scenario) -> str:
    """A service to show 'adding a service below it' on: the first callee of the longest call
    chain in any architecture (payment, for the built-in flows), else the entry's first
    child, else the entry."""
    chains = [longest_sync_chain(scenario, a) for a in scenario.architectures]
    longest = max(chains, key=len)
    if len(longest) > 1:
        return longest[1]
    children = scenario.flow.children(scenario.flow.entry)
    return children[0].child if children else scenario.flow.entry


def coupling_table(scenario) -> pd.DataFrame:
    """One row per architecture x service (flow order): direct calls, synchronous
    dependencies, the longest chain of calls below it, whether a client can see it fail, and
    what adding a service below it changes."""
    rows = []
    for arch in scenario.architectures:
        domain = set(failure_domain(scenario, arch))
        for service in scenario.flow.steps():
            deps = sync_dependencies(scenario, arch, service)
            rows.append({
                "architecture": arch, "service": service,
                "calls": ", ".join(call_children(scenario, arch, service)),
                "sync_dependencies": ", ".join(deps),
                "sync_dependency_count": len(deps),
                "longest_sync_chain": " -> ".join(longest_sync_chain(scenario, arch, service)),
                "client_visible": service in domain,
                "adding_below": adding_below(scenario, arch, service),
            })
    return pd.DataFrame(rows)


def coupling_summary(scenario) -> pd.DataFrame:
    """One row per architecture: the longest synchronous chain behind a client request (and
    its number of calls), the failure domain (and its size), the links in call style, and
    what adding a service changes, in general."""
    rows = []
    for name, arch in scenario.architectures.items():
        chain = longest_sync_chain(scenario, name)
        domain = failure_domain(scenario, name)
        calls = [link.key for link in scenario.flow.links if arch.link_style(link.key) == CALL]
        rows.append({
            "architecture": name,
            "call_links": len(calls),
            "event_links": len(scenario.flow.links) - len(calls),
            "longest_sync_chain": " -> ".join(chain),
            "sync_chain_calls": len(chain) - 1,
            "failure_domain": ", ".join(domain),
            "failure_domain_size": len(domain),
            "adding_a_service": ("the parent's code changes to call it, and the parent waits "
                                 "for it" if arch.style == CALL else
                                 "the new service subscribes to the parent's events; "
                                 "no existing service changes"),
        })
    return pd.DataFrame(rows)
