"""Charts: every plotted number against the results frames, and the PNG files themselves.

One small Prime-Day run (5 min, 2 replications) with the spike and the payment outage moved
inside it, so that shading, errors and propagation all have something to show.
"""

import dataclasses
import subprocess
import sys

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from sim import api, charts
from sim.charts.style import spike_window
from sim.recorder import OUTCOMES

OVERRIDES = ["duration=300", "drain=60", "replications=2", "faults.0.start=100",
             "faults.0.end=160", "traffic.profile=[[0,1],[60,1],[80,3],[200,3],[220,1]]"]


@pytest.fixture(scope="module")
def results():
    return api.run(api.load_scenario("prime_day", OVERRIDES), jobs=1)


def system_means(results, column):
    ts = results.timeseries
    rows = ts[ts["service"] == "system"]
    return rows.groupby(["architecture", "time_s"])[column].mean()


def test_importing_charts_switches_no_backend_and_loads_no_pyplot():
    # Read the raw setting: rcParams['backend'] itself would resolve it through pyplot.
    code = ("import matplotlib, sys; raw = lambda: dict.__getitem__(matplotlib.rcParams, "
            "'backend'); before = raw(); import sim.charts; "
            "assert 'matplotlib.pyplot' not in sys.modules; assert raw() == before")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_one_colour_per_architecture(results):
    colours = charts.palette(results.architectures)
    assert list(colours) == results.architectures
    assert len(set(colours.values())) == len(results.architectures)


def test_timeline_data_is_the_time_series(results):
    data = charts.chart_timeline_data(results).set_index(["architecture", "time_s"])
    w = results.scenario.window
    arrivals = system_means(results, "arrivals") / w
    assert np.allclose(data["offered_per_s"], arrivals.loc[data.index])
    for col in ("ack_p50_s", "ack_p99_s"):
        assert np.allclose(data[col], system_means(results, col).loc[data.index], equal_nan=True)
    no = system_means(results, "answered_error") + system_means(results, "answered_timeout")
    told = no / (no + system_means(results, "answered_ok"))
    assert np.allclose(data["told_no_share"], told.loc[data.index], equal_nan=True)
    # The spike at 3x the base rate is in the nominal rate.
    assert data["nominal_per_s"].max() == pytest.approx(3 * results.scenario.traffic.rate)


def latencies(results, arch, kind):
    o = charts.steady_orders(results)
    o = o[o["architecture"] == arch]
    if kind == "client":
        o = o[o["ack_status"] != ""]
        return (o["ack_s"] - o["arrival_s"]).to_numpy()
    o = o[o["outcome"] == "completed"]
    return (o["done_s"] - o["arrival_s"]).to_numpy()


@pytest.mark.parametrize("kind", ["client", "e2e"])
def test_cdf_ends_at_one_and_its_median_is_the_orders_median(results, kind):
    fn = charts.chart_client_cdf_data if kind == "client" else charts.chart_e2e_cdf_data
    data = fn(results)
    assert list(dict.fromkeys(data["architecture"])) == results.architectures
    for arch, g in data.groupby("architecture"):
        values = latencies(results, arch, kind)
        assert g["cdf"].iloc[-1] == 1.0 and g["cdf"].iloc[0] == 0.0
        assert g["latency_s"].is_monotonic_increasing
        assert g.loc[g["cdf"] == 0.5, "latency_s"].item() == pytest.approx(np.median(values))
        assert g["latency_s"].iloc[-1] == values.max()
        assert g["latency_s"].iloc[0] == values.min()


def test_cdfs_leave_out_the_warm_up(results):
    steady = charts.steady_orders(results)
    assert steady["arrival_s"].min() >= results.scenario.warmup
    assert len(steady) < len(results.orders)


def test_services_data_is_the_service_rows(results):
    data = charts.chart_services_data(results)
    ts = results.timeseries
    rows = ts[ts["service"] != "system"]
    expect = (rows.assign(queued=rows["waiting"] + rows["backlog"])
              .groupby(["architecture", "service", "time_s"])[["queued", "busy", "workers"]]
              .mean())
    got = data.set_index(["architecture", "service", "time_s"])
    assert len(got) == len(expect)
    assert np.allclose(got[["queued", "busy", "workers"]], expect.loc[got.index])
    assert list(dict.fromkeys(data["service"])) == list(results.scenario.flow.steps())
    assert (data["busy"] <= data["workers"] + 1e-9).all()


def test_outcome_bars_are_the_summary_counts(results):
    data = charts.chart_outcomes_data(results)
    bars = data.pivot(index="architecture", columns="outcome", values="count")
    summary = results.summary.set_index("architecture")
    for arch in results.architectures:
        for outcome in OUTCOMES:
            assert bars.loc[arch, outcome] == summary.loc[arch, outcome]
        assert bars.loc[arch].sum() == summary.loc[arch, "orders"]


def test_heat_map_cells_are_the_propagation_counts(results):
    data = charts.chart_propagation_data(results)
    p = results.propagation
    assert data["count"].sum() == p["count"].sum() > 0
    outage = data[data["origin"] == "payment outage"].set_index(["architecture", "reached"])
    expect = p[(p["origin"] == "payment") & (p["fault"] == "outage")]
    for r in expect.itertuples():
        assert outage.loc[(r.architecture, r.reached), "count"] == r.count
    assert "fulfillment out_of_stock (business)" in set(data["origin"])


def test_throughput_sums_to_the_completed_orders(results):
    data = charts.chart_throughput_data(results)
    w, reps = results.scenario.window, results.replications
    for arch, g in data.groupby("architecture"):
        orders = results.orders[results.orders["architecture"] == arch]
        assert (g["completed_per_s"].sum() * w * reps
                == pytest.approx(orders["done_s"].notna().sum()))
        assert g["offered_per_s"].sum() * w * reps == pytest.approx(len(orders))


def test_spike_and_fault_are_shaded_and_named(results):
    assert spike_window(results.scenario) == (60.0, 220.0)
    fig = charts.chart_throughput(results)
    texts = [t.get_text().strip() for t in fig.axes[0].texts]
    assert "payment outage" in texts
    spans = [p for p in fig.axes[0].patches if p.get_alpha() == 0.12]
    assert len(spans) == 2  # the spike and the outage


def test_every_chart_has_a_title_and_labelled_axes(results):
    for name, (chart, *_) in charts.CHARTS.items():
        fig = chart(results)
        titles = [ax.get_title() for ax in fig.axes] + [fig.get_suptitle()]
        assert any(titles), name
        assert any(ax.get_xlabel() for ax in fig.axes), name


def test_a_run_without_errors_still_draws_the_heat_map(results):
    quiet = dataclasses.replace(results, propagation=results.propagation.iloc[:0])
    assert charts.chart_propagation_data(quiet).empty
    assert charts.chart_propagation(quiet).axes[0].texts


def test_saved_pngs_are_real_images_and_byte_identical(results, tmp_path):
    first = charts.save_charts(results, tmp_path / "one")
    second = charts.save_charts(results, tmp_path / "two")
    assert [p.name for p in first] == [f"{n}.png" for n in charts.CHARTS]
    for a, b in zip(first, second):
        assert a.stat().st_size > 10_000, a.name
        assert a.read_bytes() == b.read_bytes(), a.name
        pixels = mpimg.imread(a)
        assert pixels.shape[0] >= 500 and pixels.shape[1] == 1100, a.name  # 10 in at 110 dpi
        assert pixels[..., :3].var() > 0, a.name


def test_an_architecture_subset_keeps_colours_by_position(results):
    subset = dataclasses.replace(
        results, architectures=["hybrid"],
        summary=results.summary[results.summary["architecture"] == "hybrid"])
    assert charts.palette(subset.architectures) == {"hybrid": charts.style.ARCH_COLOURS[0]}
    assert set(charts.chart_outcomes_data(subset)["architecture"]) == {"hybrid"}
    assert isinstance(charts.chart_timeline_data(subset), pd.DataFrame)
