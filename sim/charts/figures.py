"""The report's charts, each drawn from exactly the data of its ``chart_x_data`` function.

Every chart is a function ``chart_x(results) -> Figure``; :mod:`sim.charts.style` gives the
shared look (colours per architecture, shaded spike and faults, minutes on time axes).
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from sim.charts.data import (
    chart_client_cdf_data,
    chart_e2e_cdf_data,
    chart_outcomes_data,
    chart_propagation_data,
    chart_services_data,
    chart_throughput_data,
    chart_timeline_data,
)
from sim.charts.style import (
    OUTCOME_COLOURS,
    arch_legend,
    duration_text,
    new_figure,
    palette,
    shade,
    shade_handles,
    styled,
    tick_seconds,
    time_axis,
    widths,
)
from sim.recorder import OUTCOMES

MIN_QUEUE = 10  # the queued-work axes of the services chart span at least 0..MIN_QUEUE


@styled
def chart_timeline(results) -> Figure:
    """Offered load; client latency p50 (dashed) and p99 (solid), log scale, with a latency
    of 0 s (an instant rejection) drawn on the axis floor; share of clients told no."""
    data, sc = chart_timeline_data(results), results.scenario
    colours, lw = palette(results.architectures), widths(results.architectures, 2.0)
    fig, axes = new_figure(3, 1, size=(10.0, 7.0), sharex=True, height_ratios=[1.2, 2, 1])
    load, lat, no = axes[:, 0]
    first = data[data["architecture"] == results.architectures[0]]
    load.fill_between(first["time_s"], first["offered_per_s"], step="post", color="0.6", lw=0,
                      label="orders arriving")
    load.step(first["time_s"], first["nominal_per_s"], where="post", color="k", lw=0.8,
              ls="--", label="scenario rate")
    load.set_ylabel("offered\n(orders/s)")
    positive = data.loc[data["ack_p50_s"] > 0, "ack_p50_s"]
    floor = max(float(positive.min()) / 2, 1e-4) if len(positive) else 1e-3
    for arch, g in data.groupby("architecture", sort=False):
        c = colours[arch]
        lat.step(g["time_s"], g["ack_p99_s"].clip(lower=floor), where="post", color=c, lw=1.2)
        lat.step(g["time_s"], g["ack_p50_s"].clip(lower=floor), where="post", color=c, lw=0.9,
                 ls="--")
        no.step(g["time_s"], 100 * g["told_no_share"], where="post", color=c, lw=lw[arch])
    lat.axhline(sc.client.timeout, color="0.3", lw=0.8, ls=":")
    lat.set_yscale("log")
    lat.set_ylim(bottom=floor)
    lat.yaxis.set_major_formatter(FuncFormatter(tick_seconds))
    lat.set_ylabel("client latency\n(log; floor = 0 s)")
    no.set_ylim(-3, 103)
    no.set_ylabel("clients told no\n(% of answers)")
    for ax in (load, lat, no):
        shade(ax, sc, label=ax is load)
        time_axis(ax, sc)
    handles = [Line2D([], [], color=c, lw=2, label=a) for a, c in colours.items()]
    handles += [Line2D([], [], color="0.3", lw=1.2, label="latency p99"),
                Line2D([], [], color="0.3", lw=0.9, ls="--", label="latency p50"),
                Line2D([], [], color="0.3", lw=0.8, ls=":", label="client timeout"),
                *load.get_legend_handles_labels()[0], *shade_handles(sc)]
    fig.legend(handles=handles, loc="outside lower center", ncols=5)
    load.set_xlabel("")
    lat.set_xlabel("")
    fig.suptitle(f"{sc.name}: offered load and what clients saw, per {sc.window:g} s window "
                 "(mean of replications)", fontweight="bold")
    return fig


def _cdf_chart(results, data: pd.DataFrame, title: str, xlabel: str, timeout=None,
               notes: dict | None = None) -> Figure:
    """One step line per architecture on a log time axis, p50/p99 guides, legend values."""
    colours = palette(results.architectures)
    fig, axes = new_figure()
    ax = axes[0, 0]
    handles = []
    for arch, g in data.groupby("architecture", sort=False):
        p50, p99 = np.interp([0.5, 0.99], g["cdf"], g["latency_s"])
        zero = g.loc[g["latency_s"] <= 0, "cdf"]
        at_zero = float(zero.max()) if len(zero) else 0.0
        ax.step(g["latency_s"], g["cdf"], where="post", color=colours[arch], lw=1.6)
        label = f"{arch}: p50 {duration_text(p50)}, p99 {duration_text(p99)}"
        label += f" ({at_zero:.0%} answered at once, 0 s)" if at_zero >= 0.005 else ""
        label += (notes or {}).get(arch, "")
        handles.append(Line2D([], [], color=colours[arch], lw=2, label=label))
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
    ax.xaxis.set_major_formatter(FuncFormatter(tick_seconds))
    ax.set_ylim(0, 1.01)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of orders at or below")
    ax.set_title(title)
    ax.legend(handles=handles, loc="best")
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
    summary = results.summary.set_index("architecture")
    notes = {a: f" ({summary.loc[a, 'completed'] / summary.loc[a, 'orders']:.0%} of orders "
                "completed)" for a in results.architectures if summary.loc[a, "orders"] > 0}
    return _cdf_chart(results, chart_e2e_cdf_data(results),
                      "End to end: how long until a completed order has shipped",
                      "order to shipped, completed orders only (log scale)", notes=notes)


@styled
def chart_services(results) -> Figure:
    """Small multiples, a row per service: queued work (left), busy workers (right)."""
    data, sc = chart_services_data(results), results.scenario
    colours, lw = palette(results.architectures), widths(results.architectures, 2.0)
    services = list(dict.fromkeys(data["service"]))
    fig, axes = new_figure(len(services), 2, size=(10.0, 1.3 * len(services) + 1.4), sharex=True)
    for row, service in enumerate(services):
        left, right = axes[row]
        for arch, g in data[data["service"] == service].groupby("architecture", sort=False):
            left.step(g["time_s"], g["queued"], where="post", color=colours[arch], lw=lw[arch])
            right.step(g["time_s"], g["busy"], where="post", color=colours[arch], lw=lw[arch])
            # Workers provisioned, per architecture: autoscaling moves it over time.
            right.step(g["time_s"], g["workers"], where="post", color=colours[arch], lw=0.9,
                       ls=":", zorder=1)
        # A queue of a few requests is noise: below MIN_QUEUE the axis does not zoom in.
        left.set_ylim(top=max(left.get_ylim()[1], MIN_QUEUE))
        pool = data.loc[data["service"] == service, "workers"]
        right.set_ylim(0, max(pool.max(), 1) * 1.1)
        left.set_ylabel(service, fontweight="bold")
        for ax in (left, right):
            shade(ax, sc)
            time_axis(ax, sc)
            ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(3, integer=True))
            if row < len(services) - 1:
                ax.set_xlabel("")
    axes[0, 0].set_title("queued: requests waiting + messages in queue", fontsize=9)
    axes[0, 1].set_title("busy workers (dotted: workers provisioned)", fontsize=9)
    fig.suptitle(f"Where the work piles up: services per {sc.window:g} s window, "
                 "mean of replications", fontweight="bold")
    handles = [Line2D([], [], color=c, lw=2, label=a) for a, c in colours.items()]
    fig.legend(handles=handles + shade_handles(sc), loc="outside lower center",
               ncols=len(handles) + 2)
    return fig


@styled
def chart_outcomes(results) -> Figure:
    """Stacked bars: every order's outcome (left) and the orders not completed (right)."""
    data = chart_outcomes_data(results)
    archs, colours = list(results.architectures), palette(results.architectures)
    counts = data.pivot(index="architecture", columns="outcome", values="count").loc[archs]
    fig, axes = new_figure(1, 2, sharey=True)
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
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(5, integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: _compact(x)))
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


@styled
def chart_propagation(results) -> Figure:
    """Heat maps origin x reached, one per architecture, on one shared log colour scale."""
    data, archs = chart_propagation_data(results), list(results.architectures)
    if data.empty:
        fig, axes = new_figure()
        axes[0, 0].axis("off")
        axes[0, 0].text(0.5, 0.5, "No error reached a service, a client or a dead-letter queue",
                        ha="center", va="center", fontsize=12)
        return fig
    places = list(results.scenario.flow.steps()) + ["client", "dead-letter"]
    reached = sorted(set(data["reached"]), key=lambda r: (places + [r]).index(r))
    origins = sorted(set(data["origin"]))
    norm = LogNorm(vmin=1, vmax=max(float(data["count"].max()), 10.0))
    fig, axes = new_figure(1, len(archs), sharey=True)
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
        if np.isnan(cells.to_numpy(dtype=float)).all():
            ax.text(0.5, 0.5, "no errors", transform=ax.transAxes, ha="center", color="0.4")
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


@styled
def chart_throughput(results) -> Figure:
    """Completed orders per second against the offered load, per window."""
    data, sc = chart_throughput_data(results), results.scenario
    colours, lw = palette(results.architectures), widths(results.architectures, 2.0)
    fig, axes = new_figure()
    ax = axes[0, 0]
    first = data[data["architecture"] == results.architectures[0]]
    ax.step(first["time_s"], first["offered_per_s"], where="post", color="0.25", lw=0.8)
    for arch, g in data.groupby("architecture", sort=False):
        ax.step(g["time_s"], g["completed_per_s"], where="post", color=colours[arch],
                lw=lw[arch])
    shade(ax, sc, label=True)
    time_axis(ax, sc)
    ax.set_ylabel("orders/s")
    ax.set_title(f"Throughput: orders completed per second against orders arriving "
                 f"({sc.window:g} s windows, mean of replications)")
    arrived = Line2D([], [], color="0.25", lw=0.8, label="orders arriving")
    arch_legend(ax, colours, [arrived, *shade_handles(sc)], loc="upper left")
    return fig
