"""The report of a comparison: report.md and a self-contained report.html, from results alone.

The report is built once as a list of blocks (headings, paragraphs, tables, images, lists,
code) and rendered twice, to Markdown and to HTML, so the two always say the same thing.
The HTML embeds every chart as a base64 PNG data URI and needs nothing else to open
offline. Everything in it is a function of the results folder (no clock, no host, no
absolute path), so rebuilding from the same folder gives byte-identical files.

Sections: the question and the scenario; the verdict (shared with the console through
:mod:`sim.verdict`); the charts (:mod:`sim.charts`); coupling (:mod:`sim.coupling`); the
modelling assumptions that matter for this scenario; how to reproduce the run.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import sim
from sim.assumptions import assumptions
from sim.charts import CHARTS, save_charts
from sim.charts.style import fault_label, spike_window
from sim.coupling import adding_below, coupling_summary, coupling_table, example_parent
from sim.verdict import LABELS, format_difference, informative, judge, row_difference, verdict_frame
from sim.words import between, minutes, plural


# --------------------------------------------------------------------------- entry point
def write_report(results, folder, name: str | None = None) -> tuple[Path, Path]:
    """Write ``charts/*.png``, ``report.md`` and ``report.html`` into ``folder``.

    ``name`` is the results folder's final name, used in the reproduce command (default:
    ``folder``'s own name, or the final name when ``folder`` is the temporary folder that
    ``Results.save`` renames into place).
    """
    folder = Path(folder)
    charts = save_charts(results, folder)
    blocks = build(results, name or final_name(folder), charts)
    md, page = folder / "report.md", folder / "report.html"
    md.write_text(to_markdown(blocks), encoding="utf-8")
    page.write_text(to_html(blocks, folder, results.scenario.name), encoding="utf-8")
    return md, page


def final_name(folder: Path) -> str:
    """``folder``'s name, undoing Results.save's temporary ``.<name>.tmp-<pid>``."""
    match = re.fullmatch(r"\.(.+)\.tmp-\d+", folder.name)
    return match.group(1) if match else folder.name


def build(results, name: str, charts: list[Path]) -> list[tuple]:
    """The report as blocks: ('h1'|'h2'|'h3'|'p', text), ('table', header, rows),
    ('image', relative path, alt text), ('list', items), ('code', text)."""
    sc = results.scenario
    blocks = [("h1", f"{sc.name}: {' vs '.join(results.architectures)}")]
    blocks += question(results)
    blocks += verdict_section(results)
    blocks.append(("h2", "Charts"))
    for path in charts:
        _chart, title, caption = CHARTS[path.stem]
        blocks += [("h3", title), ("image", f"charts/{path.name}", path.stem), ("p", caption)]
    blocks += coupling_section(sc)
    blocks += assumptions(results)
    blocks += reproduce(results, name)
    return blocks


# --------------------------------------------------------------------------- sections
def question(results) -> list[tuple]:
    """The question the scenario asks and the scenario in one paragraph."""
    sc = results.scenario
    out = [("h2", "The question")]
    if sc.description:
        out.append(("p", sc.description))
    return out + [("p", " ".join([traffic_text(sc), flow_text(sc), fault_text(sc),
                                  architecture_text(sc), run_text(results)]))]


def traffic_text(sc) -> str:
    """Base rate, the spike, the client's patience."""
    points = sc.traffic.points()
    base, peak = points[0][1], sc.traffic.max_rate()
    text = f"Orders arrive as a Poisson stream at {base:g}/s"
    spike = spike_window(sc)
    if spike and base > 0:
        text += (f", rising to {peak:g}/s (x{peak / base:g}) from {between(*spike)} "
                 "(ramps included)")
    retries = sc.client.retries
    again = "do not retry" if not retries else f"retry {plural(retries, 'time')}"
    return text + f"; clients wait up to {minutes(sc.client.timeout)} and {again}."


def flow_text(sc) -> str:
    """The flow as paths from the entry to each leaf, and its business failures."""
    flow = sc.flow
    leaves = [s for s in flow.steps() if not flow.children(s)]
    paths = []
    for leaf in leaves:
        path = [leaf]
        while flow.parent(path[0]):
            path.insert(0, flow.parent(path[0]))
        paths.append(" -> ".join(path))
    text = f"Each order flows through {len(flow.steps())} services: " + "; ".join(
        f"`{p}`" for p in paths) + "."
    for bf in flow.business_failures:
        text += (f" {bf.probability:.0%} of orders fail `{bf.name}` at {bf.at}, undone by "
                 f"{', '.join(bf.compensate) or 'nothing'}.")
    return text


def fault_text(sc) -> str:
    """Every injected fault with its window (or its MTBF and MTTR)."""
    if not sc.faults:
        return "No faults are injected."
    parts = [f"{fault_label(f)} from {between(f.start, f.end)}"
             if f.start is not None else
             f"{fault_label(f)} at random (MTBF {minutes(f.mtbf)}, MTTR {minutes(f.mttr)})"
             for f in sc.faults]
    return "Faults: " + "; ".join(parts) + "."


def architecture_text(sc) -> str:
    """Each architecture as its default style and its exceptions."""
    parts = []
    for name, arch in sc.architectures.items():
        other = "event" if arch.style == "call" else "call"
        odd = [k for k, v in arch.links.items() if v != arch.style]
        text = f"{name} (every link a{'n' if arch.style == 'event' else ''} {arch.style}"
        text += f", except {', '.join(f'`{k}`' for k in odd)} as a {other})" if odd else ")"
        parts.append(text)
    return "Architectures: " + "; ".join(parts) + "."


def run_text(results) -> str:
    """Run length, warm-up, replications and the common random numbers."""
    sc = results.scenario
    warm = "automatic (MSER-5)" if sc.warmup == "auto" else minutes(float(sc.warmup))
    return (f"Each run has {minutes(sc.duration)} of arrivals and {minutes(sc.drain)} of drain; "
            f"warm-up {warm} is left out of latency and throughput. "
            f"{plural(results.replications, 'replication')} from seed {sc.seed}; every "
            "architecture sees the same orders, "
            "service times and faults (common random numbers).")


def verdict_section(results) -> list[tuple]:
    """The verdict table, the outcome shares, the caveats and every paired difference."""
    frame = verdict_frame(results)
    header = ["metric", "better", *results.architectures, "winner (paired 95% interval)"]
    rows = frame[["metric", "better", *results.architectures, "winner"]].values.tolist()
    out = [("h2", "Verdict"), ("table", header, rows),
           ("p", f"± is the 95% half-width over {plural(results.replications, 'replication')}. A "
                 "winner is named only where the paired difference (same orders in every "
                 "architecture) is significant at 95%; 'by' gives its smallest significant "
                 "lead over an architecture it beats, with the interval."),
           ("list", outcome_lines(results) + caveats(results))]
    rows = informative(results.comparison)
    if not rows.empty:
        out += [("h3", "Every paired difference"),
                ("table", ["comparison", "metric", "difference (95% interval)", "verdict"],
                 [[f"{r.architecture} vs {r.baseline}", LABELS.get(r.metric, r.metric),
                   format_difference(r.metric, row_difference(r)), judge(r)]
                  for _, r in rows.iterrows()])]
    return out


def outcome_lines(results) -> list[str]:
    """'request-response: 18.6% completed, 80.7% rejected, ...' per architecture."""
    summary = results.summary.set_index("architecture")
    names = {"completed": "completed", "rejected": "rejected (client told no)",
             "compensated": "compensated", "failed_after_ack": "failed after the client was "
             "told yes", "in_flight": "still in flight at the end"}
    lines = []
    for arch in results.architectures:
        row = {k: int(v) for k, v in summary.loc[arch, ["orders", "inconsistent", *names]].items()}
        parts = [f"{row[c] / row['orders']:.1%} {label}" for c, label in names.items() if row[c]]
        text = f"{arch}: " + ", ".join(parts) + f" (of {row['orders']:,} orders)"
        lines.append(text + (f"; {row['inconsistent']:,} inconsistent" if row["inconsistent"]
                             else "") + ".")
    return lines


def caveats(results) -> list[str]:
    """Warnings a reader needs before trusting the table."""
    s = results.summary.set_index("architecture").loc[list(results.architectures)]
    out = []
    done = s["completed"] / s["orders"]
    if done.max() - done.min() > 0.05:
        shares = ", ".join(f"{a} {v:.0%}" for a, v in done.items())
        out.append("Order-to-shipped times cover completed orders only, and the share completed"
                   f" differs ({shares}): a shorter time over fewer orders is no win by itself.")
    late = s["in_flight"] / s["orders"]
    if late.max() > 0.01:
        out.append(f"{late.idxmax()} still had {late.max():.0%} of its orders in flight when "
                   f"the run ended: raise `drain` ({minutes(results.scenario.drain)}) to see "
                   "them finish or fail.")
    if results.replications < 2:
        out.append("One replication: no intervals and no winners; use `--replications 3` or "
                   "more.")
    return out + [f"Warning: {w}" for w in results.warnings]


def coupling_section(sc) -> list[tuple]:
    """The coupling summary per architecture and the synchronous dependencies per service."""
    summary = coupling_summary(sc)
    parent = example_parent(sc)
    rows = [[r.architecture, f"{r.call_links} / {r.event_links}",
             f"`{r.longest_sync_chain}` ({plural(r.sync_chain_calls, 'call')})",
             f"{r.failure_domain} ({r.failure_domain_size})",
             adding_below(sc, r.architecture, parent)] for r in summary.itertuples()]
    table = coupling_table(sc)
    archs = list(sc.architectures)
    per_service = []
    for service in sc.flow.steps():
        cells = []
        for arch in archs:
            r = table[(table["architecture"] == arch) & (table["service"] == service)].iloc[0]
            deps = r["sync_dependencies"] or "nothing"
            cells.append(f"waits on {deps}" + ("; client sees it fail" if r["client_visible"]
                                                else ""))
        per_service.append([service, *cells])
    return [
        ("h2", "Coupling"),
        ("p", "From the topology alone. A call makes the caller wait and carries the callee's "
              "errors back; an event does neither. The failure domain is what a client can see "
              "fail: the entry, what it calls (transitively), and the bus when one of those "
              "publishes without an outbox."),
        ("table", ["architecture", "call / event links", "longest synchronous chain",
                   "failure domain (size)", f"adding a service after {parent}"], rows),
        ("table", ["service", *archs], per_service),
    ]


def reproduce(results, name: str) -> list[tuple]:
    """The exact commands: rerun from the resolved scenario, rebuild this report."""
    archs = list(results.architectures)
    flags = "" if archs == list(results.scenario.architectures) else "".join(
        f" --arch {a}" for a in archs)
    version = results.manifest.get("version", sim.__version__)
    return [("h2", "Reproduce"),
            ("p", f"From the folder that holds `{name}` (archsim {version}); the scenario file "
                  "is fully resolved, seed and replications included:"),
            ("code", f"archsim run {name}/scenario.yaml{flags}\narchsim report {name}")]


# --------------------------------------------------------------------------- rendering
def _md_cell(text) -> str:
    """A Markdown table cell: pipes escaped, on one line."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(blocks: list[tuple]) -> str:
    """Render blocks as GitHub-flavoured Markdown."""
    out = []
    for kind, *args in blocks:
        if kind in ("h1", "h2", "h3"):
            out.append("#" * int(kind[1]) + " " + args[0])
        elif kind == "p":
            out.append(args[0])
        elif kind == "table":
            header, rows = args
            lines = ["| " + " | ".join(map(_md_cell, header)) + " |",
                     "|" + "|".join("---" for _ in header) + "|"]
            lines += ["| " + " | ".join(map(_md_cell, r)) + " |" for r in rows]
            out.append("\n".join(lines))
        elif kind == "image":
            out.append(f"![{args[1]}]({args[0]})")
        elif kind == "list":
            out.append("\n".join(f"- {item}" for item in args[0]))
        elif kind == "code":
            out.append("```\n" + args[0] + "\n```")
    return "\n\n".join(out) + "\n"


def _inline(text: str) -> str:
    """Escape ``text`` for HTML and turn `code` spans into <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(str(text)))


def _data_uri(path: Path) -> str:
    """The PNG at ``path`` as a base64 data URI, so the page needs no other file."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


STYLE = ("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;"
         "margin:2em auto;padding:0 1em;line-height:1.45;color:#222}"
         "table{border-collapse:collapse;margin:1em 0;font-size:.9em}"
         "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}"
         "th{background:#f3f3f3}img{max-width:100%;height:auto}"
         "code,pre{background:#f6f6f6;border-radius:3px}code{padding:0 .2em}pre{padding:.8em}")


def to_html(blocks: list[tuple], folder: Path, title: str) -> str:
    """Render blocks as one self-contained HTML page (charts embedded as data URIs)."""
    out = []
    for kind, *args in blocks:
        if kind in ("h1", "h2", "h3", "p"):
            out.append(f"<{kind}>{_inline(args[0])}</{kind}>")
        elif kind == "table":
            header, rows = args
            head = "".join(f"<th>{_inline(h)}</th>" for h in header)
            body = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>"
                           for r in rows)
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif kind == "image":
            out.append(f'<img src="{_data_uri(folder / args[0])}" alt="{html.escape(args[1])}">')
        elif kind == "list":
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in args[0]) + "</ul>")
        elif kind == "code":
            out.append(f"<pre><code>{html.escape(args[0])}</code></pre>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(out) + "\n</body>\n</html>\n")
