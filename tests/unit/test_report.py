"""The report: rebuilt from a results folder alone, byte for byte; self-contained HTML."""

import base64
import io
import re
import time

import matplotlib.image as mpimg
import pytest
from click.testing import CliRunner

from sim import api
from sim.charts import CHARTS
from sim.cli import main
from sim.report import final_name, write_report
from sim.results import load_results
from sim.verdict import verdict_frame

OVERRIDES = ["duration=300", "drain=60", "replications=2", "faults.0.start=100",
             "faults.0.end=160", "traffic.profile=[[0,1],[60,1],[80,3],[200,3],[220,1]]"]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A results folder saved by Results.save (which writes the report)."""
    results = api.run(api.load_scenario("prime_day", OVERRIDES), jobs=1)
    return results.save(tmp_path_factory.mktemp("runs") / "prime-small")


def snapshot(folder):
    files = ["report.md", "report.html"] + [f"charts/{n}.png" for n in CHARTS]
    return {f: (folder / f).read_bytes() for f in files}


def test_save_writes_the_report_and_every_chart(folder):
    for name, data in snapshot(folder).items():
        assert len(data) > 1000, name


def test_rebuilt_from_the_folder_alone_it_is_byte_identical(folder):
    saved = snapshot(folder)
    time.sleep(1.1)  # a clock reading in the report would now differ
    write_report(load_results(folder), folder)
    assert snapshot(folder) == saved


def test_every_html_image_is_embedded_and_decodes(folder):
    page = (folder / "report.html").read_text()
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == len(CHARTS)
    assert not re.search(r'(href|src)="(?!data:)', page)  # nothing to fetch
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert data.startswith(PNG)
        pixels = mpimg.imread(io.BytesIO(data), format="png")
        assert pixels.ndim == 3 and pixels[..., :3].var() > 0
    assert set(map(bytes, [base64.b64decode(s.split(",", 1)[1]) for s in sources])) == {
        (folder / f"charts/{n}.png").read_bytes() for n in CHARTS}


def test_markdown_links_every_chart_file(folder):
    md = (folder / "report.md").read_text()
    for name in CHARTS:
        assert f"](charts/{name}.png)" in md
        assert (folder / "charts" / f"{name}.png").exists()


def test_sections_in_order(folder):
    md = (folder / "report.md").read_text()
    heads = [line for line in md.splitlines() if line.startswith("## ")]
    assert heads == ["## The question", "## Verdict", "## Charts", "## Coupling",
                     "## Modelling assumptions that matter here", "## Reproduce"]


def test_verdict_table_is_the_shared_verdict(folder):
    md = (folder / "report.md").read_text()
    results = load_results(folder)
    for _, row in verdict_frame(results).iterrows():
        cells = [row["metric"], row["better"], *(row[a] for a in results.architectures),
                 row["winner"]]
        assert "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" in md


def test_scenario_and_assumptions_are_stated(folder):
    md = (folder / "report.md").read_text()
    assert "payment outage from 1.7 to 2.7 min" in md
    assert "rising to 15/s (x3) from 1 to 3.7 min" in md
    assert "visibility timeout 30 s, dead letter after 5 receives" in md
    assert "3 s timeout per try, 2 retries" in md
    assert "bus latency lognormal" in md
    assert "Not modelled:" in md
    assert "`order -> payment -> fulfillment -> shipping` (3 calls)" in md


def test_reproduce_names_the_final_folder_not_the_temporary_one(folder):
    md = (folder / "report.md").read_text()
    assert "archsim run prime-small/scenario.yaml\narchsim report prime-small" in md
    assert ".tmp-" not in md and str(folder.parent) not in md
    assert final_name(folder.parent / ".prime-small.tmp-1234") == "prime-small"


def test_archsim_report_rebuilds_the_folder(folder):
    saved = snapshot(folder)
    (folder / "report.md").unlink()
    (folder / "charts" / "timeline.png").unlink()
    result = CliRunner().invoke(main, ["report", str(folder)])
    assert result.exit_code == 0, result.output
    assert snapshot(folder) == saved
