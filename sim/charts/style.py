"""How every chart looks: one colour per architecture, shaded disturbances, time axes in
minutes, readable durations, and a matplotlib style that ignores the user's rc.

Figures are :class:`matplotlib.figure.Figure` objects drawn on the Agg canvas, never through
``pyplot``: no backend is switched and no global figure registry is touched, at import or
later. :func:`styled` resets matplotlib's defaults inside an ``rc_context`` (and restores the
caller's settings after), so the same results always give the same pixels.
"""

from __future__ import annotations

import functools

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MultipleLocator

ARCH_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")

OUTCOME_COLOURS = {"completed": "#c9c9c9", "compensated": "#8c6d31", "rejected": "#d62728",
                   "failed_after_ack": "#6a3d9a", "in_flight": "#7f7f7f"}

STYLE = {"font.size": 9, "axes.titlesize": 11, "axes.titleweight": "bold", "axes.grid": True,
         "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
         "legend.fontsize": 8, "legend.frameon": False, "figure.facecolor": "white"}

SIZE_IN, DPI = (10.0, 5.0), 110


def styled(fn):
    """Run a chart function with matplotlib's defaults plus STYLE, whatever the user's rc."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        """``fn`` inside a fresh rc context."""
        with mpl.rc_context():
            mpl.rcdefaults()
            mpl.rcParams.update(STYLE)
            return fn(*args, **kwargs)
    return wrapper


def widths(architectures, thickest: float = 2.4) -> dict[str, float]:
    """Line widths falling with the architecture's position, so that a line drawn later on
    top of an identical one leaves the earlier one showing at its edges."""
    return {a: max(thickest - 0.7 * i, 0.8) for i, a in enumerate(architectures)}


def palette(architectures) -> dict[str, str]:
    """One colour per architecture, by its position in the run (the same in every chart)."""
    return {a: ARCH_COLOURS[i % len(ARCH_COLOURS)] for i, a in enumerate(architectures)}


# --------------------------------------------------------------------------- disturbances
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


def visible_faults(scenario) -> list:
    """Fixed-window faults that start within the run (arrivals plus drain), by start time.
    Random MTBF/MTTR faults differ per replication and are left out."""
    end = scenario.duration + scenario.drain
    return sorted((f for f in scenario.faults if f.start is not None and f.start < end),
                  key=lambda f: f.start)


def visible_spike(scenario) -> tuple[float, float] | None:
    """The traffic spike if it starts within the run, else None."""
    spike = spike_window(scenario)
    return spike if spike and spike[0] < scenario.duration + scenario.drain else None


def shade(ax, scenario, label: bool = False) -> None:
    """Grey band over the traffic spike, red bands over fixed fault windows. With ``label``,
    each fault is named from its start, one line per fault, in headroom added above the data
    (linear axes only)."""
    spike = visible_spike(scenario)
    if spike:
        ax.axvspan(*spike, color="0.5", alpha=0.12, lw=0, zorder=0)
    faults = visible_faults(scenario)
    for fault in faults:
        ax.axvspan(fault.start, fault.end, color="#d62728", alpha=0.12, lw=0, zorder=0)
    if label and faults:
        low, high = ax.get_ylim()
        line = 0.18 / (ax.get_figure().get_figheight() * ax.get_position().height)  # ~10 pt
        ax.set_ylim(low, low + (high - low) / (1 - line * (len(faults) + 0.5)))
        for i, fault in enumerate(faults):
            ax.text(fault.start, 1 - line * (i + 0.3), " " + fault_label(fault), fontsize=7,
                    transform=ax.get_xaxis_transform(), color="#a01010", va="top", zorder=5,
                    clip_on=True)


def shade_handles(scenario) -> list:
    """Legend entries for the shaded bands this scenario shows."""
    out = []
    if visible_spike(scenario):
        out.append(Patch(color="0.5", alpha=0.25, label="traffic spike"))
    if visible_faults(scenario):
        out.append(Patch(color="#d62728", alpha=0.25, label="fault window"))
    return out


# --------------------------------------------------------------------------- axes and text
def time_axis(ax, scenario) -> None:
    """X axis over the whole run (arrivals then drain), ticks in minutes."""
    end = scenario.duration + scenario.drain
    minutes = end / 60.0
    step = next((s for s in (1, 2, 5, 10, 15, 20, 30, 60, 120) if minutes / s <= 10), 240)
    ax.set_xlim(0, end)
    ax.xaxis.set_major_locator(MultipleLocator(step * 60))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / 60:g}"))
    ax.set_xlabel("time since start (min)")


def tick_seconds(x, _=None) -> str:
    """Tick labels for a log time axis: '10 ms', '1 s', '1000 s'."""
    return f"{x * 1000:g} ms" if x < 1 else f"{x:g} s"


def duration_text(x: float) -> str:
    """A duration to three significant digits: '14.2 ms', '4.55 s', '10.6 min'."""
    if x < 1:
        return f"{x * 1000:.3g} ms"
    return f"{x:.3g} s" if x < 120 else f"{x / 60:.3g} min"


def arch_legend(ax, colours: dict, extra=(), **kwargs) -> None:
    """A legend naming each architecture by its colour, plus ``extra`` handles."""
    handles = [Line2D([], [], color=c, lw=2, label=a) for a, c in colours.items()]
    ax.legend(handles=handles + list(extra), **kwargs)


def new_figure(rows: int = 1, cols: int = 1, size=SIZE_IN, **kwargs):
    """A constrained-layout Figure and a 2-D array of its axes (``fig.subplots`` arguments)."""
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    return fig, fig.subplots(rows, cols, squeeze=False, **kwargs)
