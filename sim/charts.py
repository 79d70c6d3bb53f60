"""The report's charts: each a pure data function and a figure drawn from exactly that data.

``chart_x_data(results)`` returns the numbers ``chart_x(results)`` plots, as a DataFrame, so
tests can hold every plotted number against the results frames. Figures are built on
:class:`matplotlib.figure.Figure` directly (the Agg canvas), never through ``pyplot``: no
backend is switched and no global figure registry is touched, at import or later. Styling
is applied in an ``rc_context`` reset to matplotlib's defaults, so a user's matplotlibrc
cannot change the output, and PNGs are written without a Software stamp: the same results
give byte-identical files.

Every architecture keeps one colour in every chart (:func:`palette`); time axes are in
minutes, with the traffic spike shaded grey and fixed fault windows shaded red. Per-window
numbers are means over replications; distributions (CDFs) pool the replications' orders
that arrived after the warm-up, as the summary's latency statistics do.
"""

from __future__ import annotations

import functools
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MultipleLocator

from sim.recorder import OUTCOMES

# Okabe-Ito colours (readable with colour-vision deficiencies), in architecture order.
ARCH_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
OUTCOME_COLOURS = {"completed": "#c9c9c9", "compensated": "#8c6d31", "rejected": "#d62728",
                   "failed_after_ack": "#6a3d9a", "in_flight": "#7f7f7f"}
STYLE = {"font.size": 9, "axes.titlesize": 11, "axes.titleweight": "bold", "axes.grid": True,
         "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
         "legend.fontsize": 8, "legend.frameon": False, "figure.facecolor": "white"}
SIZE_IN, DPI = (10.0, 5.0), 110
CDF_POINTS = 2001  # quantile grid 0, 0.0005, ..., 1: holds the median, p99 and p99.9 exactly


def styled(fn):
    """Run a chart function with matplotlib's defaults plus STYLE, whatever the user's rc."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with mpl.rc_context():
            mpl.rcdefaults()
            mpl.rcParams.update(STYLE)
            return fn(*args, **kwargs)
    return wrapper


def palette(architectures) -> dict[str, str]:
    """One colour per architecture, by its position in the run (the same in every chart)."""
    return {a: ARCH_COLOURS[i % len(ARCH_COLOURS)] for i, a in enumerate(architectures)}


# --------------------------------------------------------------------------- shared pieces
def spike_window(scenario) -> tuple[float, float] | None:
    """(start_s, end_s) of the traffic spike: from the last point at the base rate before
    the rate rises to the first point back at it (None for flat traffic)."""
    points = scenario.traffic.points()
    base = points[0][1]
    high = [t for t, r in points if r > base * 1.0001]
    if not high:
        return None
    start = max((t for t, _ in points if t < high[0]), default=0.0)
    after = [t for t, r in points if t > high[-1] and r <= base * 1.0001]
    return start, after[0] if after else scenario.duration


def fault_label(fault) -> str:
    """'payment outage', 'fulfillment slowdown x4', 'bus errors 20%'."""
    extra = f" x{fault.factor:g}" if fault.factor else ""
    extra += f" {fault.fraction:.0%}" if fault.fraction else ""
    return f"{fault.target} {fault.kind}{extra}"


def shade(ax, scenario, label: bool = False) -> None:
    """Grey band over the traffic spike, red bands over fixed fault windows (random
    MTBF/MTTR faults differ per replication and are not shaded)."""
    spike = spike_window(scenario)
    top = ax.get_xaxis_transform()
    if spike:
        ax.axvspan(*spike, color="0.5", alpha=0.12, lw=0, zorder=0)
        if label:
            peak = scenario.traffic.max_rate() / scenario.traffic.points()[0][1]
            ax.text(spike[0], 1.01, f" traffic x{peak:g}", transform=top, fontsize=7,
                    color="0.35", va="bottom")
    for i, fault in enumerate(f for f in scenario.faults if f.start is not None):
        ax.axvspan(fault.start, fault.end, color="#d62728", alpha=0.12, lw=0, zorder=0)
        if label:
            ax.text((fault.start + fault.end) / 2, 0.98 - 0.07 * i, fault_label(fault),
                    transform=top, fontsize=7, color="#a01010", ha="center", va="top",
                    bbox={"facecolor": "white", "alpha": 0.7, "lw": 0, "pad": 1})


def time_axis(ax, scenario) -> None:
    """X axis over the whole run (arrivals then drain), ticks in minutes."""
    end = scenario.duration + scenario.drain
    minutes = end / 60.0
    step = next((s for s in (1, 2, 5, 10, 15, 20, 30, 60, 120) if minutes / s <= 10), 240)
    ax.set_xlim(0, end)
    ax.xaxis.set_major_locator(MultipleLocator(step * 60))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / 60:g}"))
    ax.set_xlabel("time since start (min)")


def seconds_formatter(x, _=None) -> str:
    """Tick labels for a log time axis: '10 ms', '1.5 s', '20 min'."""
    if x < 1:
        return f"{x * 1000:g} ms"
    return f"{x:g} s" if x < 600 else f"{x / 60:g} min"


def arch_legend(ax, colours: dict, extra=(), **kwargs) -> None:
    """A legend naming each architecture by its colour, plus ``extra`` handles."""
    handles = [Line2D([], [], color=c, lw=2, label=a) for a, c in colours.items()]
    ax.legend(handles=handles + list(extra), **kwargs)


def system_windows(results) -> pd.DataFrame:
    """System rows of the time series averaged over replications, per architecture x window."""
    ts = results.timeseries
    rows = ts[ts["service"] == "system"]
    cols = ["arrivals", "completions", "ack_p50_s", "ack_p99_s"]
    out = rows.groupby(["architecture", "time_s"], sort=False)[cols].mean().reset_index()
    return _in_order(out, results.architectures)


def _in_order(frame: pd.DataFrame, archs, *more: str) -> pd.DataFrame:
    """Rows ordered by architecture as run, then by ``more`` columns (stable)."""
    rank = frame["architecture"].map({a: i for i, a in enumerate(archs)})
    keys = [rank.rename("_rank")] + [frame[c] for c in more]
    order = pd.concat(keys, axis=1).sort_values(["_rank", *more], kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def _fig(rows: int = 1, cols: int = 1, size=SIZE_IN, **kwargs):
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    return fig, fig.subplots(rows, cols, squeeze=False, **kwargs)


# --------------------------------------------------------------------------- (a) timeline
def chart_timeline_data(results) -> pd.DataFrame:
    """Per architecture x window: offered load (arrivals/s, its nominal rate) and the mean
    over replications of the window's client latency p50 and p99 (by arrival window)."""
    w = results.scenario.window
    frame = system_windows(results)
    traffic, duration = results.scenario.traffic, results.scenario.duration
    return pd.DataFrame({
        "architecture": frame["architecture"], "time_s": frame["time_s"],
        "offered_per_s": frame["arrivals"] / w,
        "nominal_per_s": [traffic.rate_at(t + w / 2) if t < duration else 0.0
                          for t in frame["time_s"]],
        "ack_p50_s": frame["ack_p50_s"], "ack_p99_s": frame["ack_p99_s"],
    })


@styled
def chart_timeline(results) -> Figure:
    """Offered load above, client latency p50 (dashed) and p99 (solid) below, per window."""
    data, sc = chart_timeline_data(results), results.scenario
    colours = palette(results.architectures)
    fig, axes = _fig(2, 1, sharex=True, height_ratios=[1, 2])
    load, lat = axes[0, 0], axes[1, 0]
    first = data[data["architecture"] == results.architectures[0]]
    load.fill_between(first["time_s"], first["offered_per_s"], step="post", color="0.75",
                      label="orders arriving (mean of replications)")
    load.step(first["time_s"], first["nominal_per_s"], where="post", color="k", lw=0.8,
              ls="--", label="scenario rate")
    load.set_ylabel("orders/s")
    load.set_title(f"{sc.name}: offered load and client latency per {sc.window:g} s window")
    load.legend(loc="upper left")
    for arch, group in data.groupby("architecture", sort=False):
        lat.step(group["time_s"], group["ack_p99_s"], where="post", color=colours[arch], lw=1.2)
        lat.step(group["time_s"], group["ack_p50_s"], where="post", color=colours[arch], lw=0.9,
                 ls="--")
    lat.axhline(sc.client.timeout, color="0.3", lw=0.8, ls=":")
    lat.set_yscale("log")
    lat.yaxis.set_major_formatter(FuncFormatter(seconds_formatter))
    lat.set_ylabel("client latency (log scale)")
    extra = [Line2D([], [], color="0.3", lw=1.2, label="p99"),
             Line2D([], [], color="0.3", lw=0.9, ls="--", label="p50"),
             Line2D([], [], color="0.3", lw=0.8, ls=":", label="client timeout")]
    arch_legend(lat, colours, extra, loc="upper left", ncols=2)
    for ax in (load, lat):
        shade(ax, sc, label=ax is load)
        time_axis(ax, sc)
    return fig


# --------------------------------------------------------------------------- (b, c) CDFs
def steady_orders(results) -> pd.DataFrame:
    """Orders that arrived after each run's warm-up (as the summary's latencies count)."""
    orders, runs = results.orders, results.runs
    if "warmup_s" in runs:
        warm = runs.set_index(["architecture", "replication"])["warmup_s"]
        key = pd.MultiIndex.from_frame(orders[["architecture", "replication"]])
        cut = warm.reindex(key).to_numpy()
    else:
        cut = float(results.scenario.warmup) if results.scenario.warmup != "auto" else 0.0
    return orders[orders["arrival_s"].to_numpy() >= np.nan_to_num(cut)]


def _cdf_frame(latency: pd.Series, archs) -> pd.DataFrame:
    """Per architecture: latency quantiles on a fixed grid of probabilities (the CDF)."""
    q = np.linspace(0.0, 1.0, CDF_POINTS)
    parts = []
    for arch in archs:
        values = latency[latency.index == arch].to_numpy(dtype=float)
        if len(values):
            parts.append(pd.DataFrame({"architecture": arch, "latency_s": np.quantile(values, q),
                                       "cdf": q}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["architecture", "latency_s", "cdf"])


def chart_client_cdf_data(results) -> pd.DataFrame:
    """CDF of client latency (order to the client's answer, whatever it was) per architecture,
    over answered orders after the warm-up, replications pooled."""
    o = steady_orders(results)
    o = o[o["ack_status"] != ""]
    latency = pd.Series((o["ack_s"] - o["arrival_s"]).to_numpy(), index=o["architecture"])
    return _cdf_frame(latency, results.architectures)


def chart_e2e_cdf_data(results) -> pd.DataFrame:
    """CDF of end-to-end latency (order to shipped) per architecture, over completed orders
    after the warm-up, replications pooled."""
    o = steady_orders(results)
    o = o[o["outcome"] == "completed"]
    latency = pd.Series((o["done_s"] - o["arrival_s"]).to_numpy(), index=o["architecture"])
    return _cdf_frame(latency, results.architectures)


def _cdf_chart(results, data: pd.DataFrame, title: str, xlabel: str, timeout=None) -> Figure:
    colours = palette(results.architectures)
    fig, axes = _fig()
    ax = axes[0, 0]
    handles = []
    for arch, g in data.groupby("architecture", sort=False):
        p50, p99 = np.interp([0.5, 0.99], g["cdf"], g["latency_s"])
        ax.step(g["latency_s"], g["cdf"], where="post", color=colours[arch], lw=1.5)
        handles.append(Line2D([], [], color=colours[arch], lw=2, label=(
            f"{arch}: p50 {seconds_formatter(p50)}, p99 {seconds_formatter(p99)}")))
    for level in (0.5, 0.99):
        ax.axhline(level, color="0.5", lw=0.6, ls=":")
        ax.text(1.0, level, f" p{level * 100:g}", transform=ax.get_yaxis_transform(),
                va="center", fontsize=7, color="0.4")
    if timeout:
        ax.axvline(timeout, color="0.3", lw=0.8, ls="--")
        handles.append(Line2D([], [], color="0.3", lw=0.8, ls="--", label="client timeout"))
    positive = data.loc[data["latency_s"] > 0, "latency_s"]
    ax.set_xscale("log")
    if len(positive):
        ax.set_xlim(max(positive.min(), 1e-4) / 1.5, positive.max() * 1.5)
    ax.xaxis.set_major_formatter(FuncFormatter(seconds_formatter))
    ax.set_ylim(0, 1.01)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of orders at or below")
    ax.set_title(title)
    ax.legend(handles=handles, loc="upper left")
    return fig


@styled
def chart_client_cdf(results) -> Figure:
    """CDF of client latency, log time axis."""
    return _cdf_chart(results, chart_client_cdf_data(results),
                      "Client latency: how long a client waits for an answer",
                      "order to the client's answer (log scale)", results.scenario.client.timeout)


@styled
def chart_e2e_cdf(results) -> Figure:
    """CDF of end-to-end latency, log time axis."""
    return _cdf_chart(results, chart_e2e_cdf_data(results),
                      "End to end: how long until a completed order has shipped",
                      "order to shipped, completed orders only (log scale)")


# --------------------------------------------------------------------------- (d) services
def chart_services_data(results) -> pd.DataFrame:
    """Per architecture x service x window, means over replications: ``queued`` (sync
    requests waiting for a worker plus messages in the service's queue), ``busy`` (busy
    workers, time-averaged over the window) and ``workers``."""
    ts = results.timeseries
    rows = ts[ts["service"] != "system"].assign(queued=lambda f: f["waiting"] + f["backlog"])
    out = (rows.groupby(["architecture", "service", "time_s"], sort=False)
           [["queued", "busy", "workers"]].mean().reset_index())
    steps = {s: i for i, s in enumerate(results.scenario.flow.steps())}
    out = out.assign(_step=out["service"].map(steps))
    return _in_order(out, results.architectures, "_step", "time_s").drop(columns="_step")


@styled
def chart_services(results) -> Figure:
    """Small multiples, a row per service: queued work (left), busy workers (right)."""
    data, sc = chart_services_data(results), results.scenario
    colours = palette(results.architectures)
    services = list(dict.fromkeys(data["service"]))
    fig, axes = _fig(len(services), 2, size=(10.0, 1.3 * len(services) + 1.4), sharex=True)
    for row, service in enumerate(services):
        left, right = axes[row]
        for arch, g in data[data["service"] == service].groupby("architecture", sort=False):
            left.step(g["time_s"], g["queued"], where="post", color=colours[arch], lw=1)
            right.step(g["time_s"], g["busy"], where="post", color=colours[arch], lw=1)
        pool = data[(data["service"] == service)].groupby("time_s")["workers"].max()
        right.step(pool.index, pool.to_numpy(), where="post", color="k", lw=0.8, ls=":")
        right.set_ylim(0, max(pool.max(), 1) * 1.1)
        left.set_ylabel(service, fontweight="bold")
        for ax in (left, right):
            shade(ax, sc)
            time_axis(ax, sc)
            ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(3, integer=True))
            if row < len(services) - 1:
                ax.set_xlabel("")
    axes[0, 0].set_title("queued: requests waiting + messages in queue", fontsize=9)
    axes[0, 1].set_title("busy workers (dotted: pool size)", fontsize=9)
    fig.suptitle(f"Where the work piles up: services per {sc.window:g} s window, "
                 "mean of replications", fontweight="bold")
    extra = [Patch(color="0.5", alpha=0.25, label="traffic spike"),
             Patch(color="#d62728", alpha=0.25, label="fault")]
    handles = [Line2D([], [], color=c, lw=2, label=a) for a, c in colours.items()]
    fig.legend(handles=handles + extra, loc="outside upper center", ncols=len(handles) + 2)
    return fig


# --------------------------------------------------------------------------- (e) outcomes
def chart_outcomes_data(results) -> pd.DataFrame:
    """Orders per architecture and outcome, summed over replications (summary counts)."""
    summary = results.summary.set_index("architecture")
    rows = [{"architecture": a, "outcome": o, "count": int(summary.loc[a, o])}
            for a in results.architectures for o in OUTCOMES]
    return pd.DataFrame(rows)


@styled
def chart_outcomes(results) -> Figure:
    """Stacked bars: every order's outcome (left) and the orders not completed (right)."""
    data = chart_outcomes_data(results)
    archs, colours = list(results.architectures), palette(results.architectures)
    counts = data.pivot(index="architecture", columns="outcome", values="count").loc[archs]
    fig, axes = _fig(1, 2, sharey=True)
    y = np.arange(len(archs))[::-1]
    for ax, outcomes in ((axes[0, 0], OUTCOMES), (axes[0, 1], OUTCOMES[1:])):
        left = np.zeros(len(archs))
        for outcome in outcomes:
            width = counts[outcome].to_numpy(dtype=float)
            ax.barh(y, width, left=left, color=OUTCOME_COLOURS[outcome], label=outcome,
                    height=0.6, edgecolor="white", lw=0.5)
            _label_segments(ax, y, left, width, counts.sum(axis=1).to_numpy(dtype=float))
            left += width
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    axes[0, 0].set_yticks(y, archs)
    for tick, arch in zip(axes[0, 0].get_yticklabels(), archs):
        tick.set_color(colours[arch])
        tick.set_fontweight("bold")
    axes[0, 0].set_title("every order")
    axes[0, 1].set_title("orders not completed")
    axes[0, 0].set_xlabel("orders, all replications")
    axes[0, 1].set_xlabel("orders, all replications (labels: % of all orders)")
    fig.suptitle("What happened to the orders", fontweight="bold")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center",
               ncols=len(OUTCOMES))
    return fig


def _label_segments(ax, y, left, width, totals) -> None:
    """Write each segment's share of all orders inside it when it is wide enough."""
    widest = max(float((left + width).max()), 1.0)
    for yi, x0, wd, total in zip(y, left, width, totals):
        if total > 0 and wd / widest > 0.07:
            ax.text(x0 + wd / 2, yi, f"{wd / total:.1%}", ha="center", va="center", fontsize=7)


# --------------------------------------------------------------------------- (f) propagation
def origin_label(origin: str, fault: str) -> str:
    """'payment outage', 'fulfillment out_of_stock (business)'."""
    if fault.startswith("business:"):
        return f"{origin} {fault.split(':', 1)[1]} (business)"
    return f"{origin} {fault}"


def chart_propagation_data(results) -> pd.DataFrame:
    """Per architecture, error origin (service and fault) and place reached: how many errors
    got there, summed over replications (propagation.csv)."""
    p = results.propagation
    if p.empty:
        return pd.DataFrame(columns=["architecture", "origin", "reached", "count"])
    p = p.assign(origin=[origin_label(o, f) for o, f in zip(p["origin"], p["fault"])])
    out = p.groupby(["architecture", "origin", "reached"], sort=False)["count"].sum()
    return _in_order(out.reset_index(), results.architectures)


@styled
def chart_propagation(results) -> Figure:
    """Heat maps origin x reached, one per architecture, on one shared log colour scale."""
    data, archs = chart_propagation_data(results), list(results.architectures)
    if data.empty:
        fig, axes = _fig()
        axes[0, 0].axis("off")
        axes[0, 0].text(0.5, 0.5, "No error reached a service, a client or a dead-letter queue",
                        ha="center", va="center", fontsize=12)
        return fig
    places = list(results.scenario.flow.steps()) + ["client", "dead-letter"]
    reached = sorted(set(data["reached"]), key=lambda r: (places + [r]).index(r))
    origins = sorted(set(data["origin"]))
    norm = LogNorm(vmin=1, vmax=max(float(data["count"].max()), 10.0))
    fig, axes = _fig(1, len(archs), sharey=True)
    for ax, arch in zip(axes[0], archs):
        cells = (data[data["architecture"] == arch]
                 .pivot_table(index="origin", columns="reached", values="count", aggfunc="sum")
                 .reindex(index=origins, columns=reached))
        image = ax.imshow(cells.to_numpy(dtype=float), cmap="OrRd", norm=norm, aspect="auto")
        for (i, j), value in np.ndenumerate(cells.to_numpy(dtype=float)):
            if value > 0:
                dark = norm(value) > 0.6
                ax.text(j, i, _compact(value), ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")
        ax.set_xticks(range(len(reached)), reached, rotation=35, ha="right")
        ax.set_yticks(range(len(origins)), origins)
        ax.grid(False)
        ax.set_title(arch, color=palette(archs)[arch])
        ax.set_xlabel("reached")
    axes[0, 0].set_ylabel("error origin")
    fig.colorbar(image, ax=axes[0].tolist(), label="errors, all replications", shrink=0.8)
    fig.suptitle("Error propagation: where each error began and how far it travelled",
                 fontweight="bold")
    return fig


def _compact(value: float) -> str:
    """'950', '12.3k', '1.2M'."""
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.0f}"


# --------------------------------------------------------------------------- (g) throughput
def chart_throughput_data(results) -> pd.DataFrame:
    """Per architecture x window, means over replications: orders arriving and orders
    completed, both per second."""
    w = results.scenario.window
    frame = system_windows(results)
    return pd.DataFrame({"architecture": frame["architecture"], "time_s": frame["time_s"],
                         "offered_per_s": frame["arrivals"] / w,
                         "completed_per_s": frame["completions"] / w})


@styled
def chart_throughput(results) -> Figure:
    """Completed orders per second against the offered load, per window."""
    data, sc = chart_throughput_data(results), results.scenario
    colours = palette(results.architectures)
    fig, axes = _fig()
    ax = axes[0, 0]
    first = data[data["architecture"] == results.architectures[0]]
    ax.fill_between(first["time_s"], first["offered_per_s"], step="post", color="0.85",
                    lw=0)
    for arch, g in data.groupby("architecture", sort=False):
        ax.step(g["time_s"], g["completed_per_s"], where="post", color=colours[arch], lw=1.1)
    shade(ax, sc, label=True)
    time_axis(ax, sc)
    ax.set_ylabel("orders/s")
    ax.set_title(f"Throughput: orders completed per second against orders arriving "
                 f"({sc.window:g} s windows)", pad=14)
    arch_legend(ax, colours, [Patch(color="0.85", label="orders arriving")], loc="upper left")
    return fig


# --------------------------------------------------------------------------- files
CHARTS = {
    "timeline": (chart_timeline, "Offered load and client latency over time"),
    "client_latency_cdf": (chart_client_cdf, "Client latency distribution"),
    "e2e_latency_cdf": (chart_e2e_cdf, "Order-to-shipped distribution"),
    "services": (chart_services, "Queues and busy workers per service"),
    "outcomes": (chart_outcomes, "Order outcomes"),
    "propagation": (chart_propagation, "Error propagation"),
    "throughput": (chart_throughput, "Throughput against offered load"),
}


def save_charts(results, folder) -> list[Path]:
    """Write every chart as ``<folder>/charts/<name>.png``; returns the paths, in CHARTS order.

    No Software stamp or other varying metadata: the same results give the same bytes.
    """
    out = Path(folder) / "charts"
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (chart, _title) in CHARTS.items():
        path = out / f"{name}.png"
        chart(results).savefig(path, dpi=DPI, metadata={"Software": None})
        paths.append(path)
    return paths
