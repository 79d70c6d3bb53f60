"""Which architecture wins each headline metric, and by how much: one logic for every reader.

The console table (``archsim run``) and the report both show these verdicts, so they must
come from one place. A verdict rests on the paired differences of ``comparison.csv``
(common random numbers, 95% intervals over replications), never on the means alone:

- ``x`` *beats* ``y`` on a metric when their paired difference is significant (the
  interval excludes zero) and its sign is the better direction of the metric.
- The *winners* are the architectures that no other architecture beats, provided some
  architecture is beaten; when nobody beats anybody there is no winner.
- The *margin* is the smallest significant lead of a winner over an architecture outside
  the winners (the closest runner-up), with its interval: "wins by at least this much".

Values and margins are formatted here too (milliseconds below a second, percentage points
for rates), so the two outputs read the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from sim.metrics import HEADLINE, ci_column

LABELS = {
    "ack_mean_s": "client latency, mean",
    "ack_p99_s": "client latency, p99",
    "e2e_mean_s": "order to shipped, mean (completed orders)",
    "e2e_p99_s": "order to shipped, p99 (completed orders)",
    "client_error_rate": "client error rate",
    "throughput_per_s": "throughput (orders/s)",
    "dead_letters": "dead letters per replication",
    "inconsistent": "inconsistent orders per replication",
}
# Summary columns holding a metric's mean over replications (when not the metric's name).
MEAN_COLUMN = {"inconsistent": "inconsistent_per_replication"}


@dataclass(frozen=True)
class Difference:
    """``a - b`` of one metric, paired over replications, with its 95% interval."""

    a: str
    b: str
    mean: float
    low: float
    high: float
    significant: bool


@dataclass(frozen=True)
class Verdict:
    """One headline metric: every architecture's value, the winners and their margin."""

    metric: str
    better: str  # "lower" or "higher"
    values: dict  # architecture -> (mean, 95% half-width)
    winners: tuple[str, ...]
    margin: Difference | None  # winner - runner-up, None without a winner

    @property
    def label(self) -> str:
        """Human name of the metric."""
        return LABELS.get(self.metric, self.metric)


def summary_value(summary: pd.DataFrame, architecture: str, metric: str) -> tuple[float, float]:
    """(mean over replications, 95% half-width) of ``metric`` for ``architecture``."""
    rows = summary[summary["architecture"] == architecture]
    column = MEAN_COLUMN.get(metric, metric)
    if rows.empty or column not in rows:
        return math.nan, math.nan
    row = rows.iloc[0]
    return float(row[column]), float(row.get(ci_column(metric), math.nan))


def difference(comparison: pd.DataFrame, a: str, b: str, metric: str) -> Difference | None:
    """The paired difference ``a - b`` of ``metric``, from whichever row of ``comparison``
    holds the pair (rows store ``architecture - baseline``); None if absent."""
    if comparison is None or comparison.empty:
        return None
    rows = comparison[comparison["metric"] == metric]
    for sign, x, y in ((1.0, a, b), (-1.0, b, a)):
        hit = rows[(rows["architecture"] == x) & (rows["baseline"] == y)]
        if not hit.empty:
            r = hit.iloc[0]
            low, high = sorted((sign * float(r["low"]), sign * float(r["high"])))
            return Difference(a, b, sign * float(r["difference"]), low, high,
                              bool(r["significant"]))
    return None


def beats(d: Difference | None, better: str) -> bool:
    """True when ``d.a`` is significantly better than ``d.b`` in direction ``better``."""
    if d is None or not d.significant:
        return False
    return d.mean < 0 if better == "lower" else d.mean > 0


def verdict(summary: pd.DataFrame, comparison: pd.DataFrame, architectures: list[str],
            metric: str) -> Verdict:
    """The verdict on one headline metric (see the module docstring for the rule)."""
    better = HEADLINE.get(metric, "lower")
    values = {a: summary_value(summary, a, metric) for a in architectures}
    diffs = {(a, b): difference(comparison, a, b, metric)
             for a in architectures for b in architectures if a != b}
    beaten = {b for (a, b), d in diffs.items() if beats(d, better)}
    winners = tuple(a for a in architectures if a not in beaten)
    if not beaten:
        return Verdict(metric, better, values, (), None)
    leads = [diffs[w, loser] for w in winners for loser in beaten if beats(diffs[w, loser], better)]
    margin = min(leads, key=lambda d: (abs(d.mean), d.a, d.b))
    return Verdict(metric, better, values, winners, margin)


def verdicts(results) -> list[Verdict]:
    """The verdict on every headline metric of ``results``, in the order of HEADLINE."""
    archs = list(results.architectures)
    return [verdict(results.summary, results.comparison, archs, m) for m in HEADLINE]


# --------------------------------------------------------------------------- formatting
def _is_nan(x) -> bool:
    """True for None and NaN."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def _scale(metric: str, reference: float) -> tuple[float, str, int]:
    """(factor, unit, decimals) to show ``metric`` values of about ``reference``."""
    if metric == "client_error_rate":
        return 100.0, "%", 2
    if metric.endswith("_s") and metric != "throughput_per_s":
        ref = abs(reference) if not _is_nan(reference) else 0.0
        if ref < 1.0:
            return 1000.0, " ms", 1 if ref < 0.01 else 0
        return 1.0, " s", 2 if ref < 100 else 0
    if metric == "throughput_per_s":
        return 1.0, "/s", 2
    return 1.0, "", 0 if not _is_nan(reference) and abs(reference) >= 100 else 1


def _digits(digits: int, half: float) -> int:
    """Decimals to show: ``digits``, plus up to two more so a small half-width is not 0."""
    if _is_nan(half) or half <= 0 or half >= 10.0 ** -digits:
        return digits
    return min(digits + 2, -math.floor(math.log10(half)))


def format_value(metric: str, mean: float, half: float = math.nan) -> str:
    """'648 ± 35 ms', '1.95 ± 0.62%', '4.85 ± 0.23/s', or '-' for a missing value."""
    if _is_nan(mean):
        return "-"
    factor, unit, digits = _scale(metric, mean)
    digits = _digits(digits, half * factor)
    text = f"{mean * factor:.{digits}f}"
    if not _is_nan(half) and half > 0:
        text += f" ± {half * factor:.{digits}f}"
    return text + unit


def format_difference(metric: str, d: Difference, absolute: bool = False) -> str:
    """'-627 ms (-662 to -593)'; with ``absolute``, the size of the lead: '627 ms (593 to 662)'.
    Rates are in percentage points ('pts')."""
    mean, low, high = d.mean, d.low, d.high
    if absolute and mean < 0:
        mean, low, high = -mean, -high, -low
    factor, unit, digits = _scale(metric, mean)
    digits = _digits(digits, (high - low) / 2 * factor)
    unit = " pts" if unit == "%" else unit
    sign = "" if absolute else "+"
    return (f"{mean * factor:{sign}.{digits}f}{unit} "
            f"({low * factor:.{digits}f} to {high * factor:.{digits}f})")


def format_verdict(v: Verdict) -> str:
    """'event-driven, by 102 ms (98 to 107) over hybrid', or why there is no winner."""
    if v.margin is None:
        means = [m for m, _ in v.values.values()]
        if all(_is_nan(m) for m in means) or len(means) < 2:
            return "-"
        return "the same in every architecture" if len(set(means)) == 1 else (
            "no significant difference")
    who = " = ".join(v.winners)
    return f"{who}, by {format_difference(v.metric, v.margin, absolute=True)} over {v.margin.b}"


def verdict_frame(results) -> pd.DataFrame:
    """The verdict table as text: one row per headline metric, a column per architecture
    ('mean ± half-width') and ``winner``. What the console and the report both print."""
    rows = []
    for v in verdicts(results):
        row = {"metric": v.label, "better": v.better}
        row.update({a: format_value(v.metric, *v.values[a]) for a in results.architectures})
        row["winner"] = format_verdict(v)
        rows.append(row)
    return pd.DataFrame(rows)


def row_difference(row: pd.Series) -> Difference:
    """A comparison row as a Difference (``architecture - baseline``)."""
    return Difference(row["architecture"], row["baseline"], float(row["difference"]),
                      float(row["low"]), float(row["high"]), bool(row["significant"]))


def judge(row: pd.Series) -> str:
    """'better', 'worse' or 'no significant difference' for ``architecture`` against
    ``baseline`` in a comparison row."""
    d = row_difference(row)
    if not d.significant:
        return "no significant difference"
    return "better" if beats(d, row["better"]) else "worse"


def describe_difference(row: pd.Series) -> str:
    """One comparison row as 'event-driven vs request-response: client latency, p99
    -1.48 s (-1.54 to -1.42)  better'."""
    label = LABELS.get(row["metric"], row["metric"])
    change = format_difference(row["metric"], row_difference(row))
    return f"{row['architecture']} vs {row['baseline']}: {label} {change}  {judge(row)}"


def informative(comparison: pd.DataFrame) -> pd.DataFrame:
    """Comparison rows worth printing: not identical in every replication, not undefined."""
    if comparison is None or comparison.empty:
        return pd.DataFrame()
    c = comparison
    same = (c["mean_a"] == c["mean_b"]) & (c["low"] == c["high"])
    return comparison[~same & comparison["difference"].notna()]
