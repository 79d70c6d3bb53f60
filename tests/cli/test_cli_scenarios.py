"""Every shipped scenario validates, and `archsim scenarios` lists each with its question."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.cli.helpers import REPO, invoke

BUILTIN_DIR = REPO / "sim" / "scenarios"
BUILTINS = sorted(BUILTIN_DIR.glob("*.y*ml"))
# The repo-root scenarios/ (a folder or a symlink to sim/scenarios) when present.
ROOT_FILES = sorted((REPO / "scenarios").glob("*.y*ml")) if (REPO / "scenarios").is_dir() else []
SCENARIO_FILES = BUILTINS + [p for p in ROOT_FILES if p.resolve() not in
                             {b.resolve() for b in BUILTINS}]


def _raw(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_there_are_builtin_scenarios():
    assert len(BUILTINS) >= 3
    assert {"prime_day", "baseline", "payment_outage"} <= {p.stem for p in BUILTINS}


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_scenario_file_validates_and_is_explained(path):
    result = invoke("check", path)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    raw = _raw(path)
    assert raw["name"] in result.stdout
    for service in raw["services"]:
        assert service in result.stdout, f"{service} not explained"
    for arch in raw.get("architectures", {}):
        assert arch in result.stdout


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_every_builtin_validates_by_name(path):
    result = invoke("check", path.stem)
    assert result.exit_code == 0, result.output
    assert _raw(path)["name"] in result.stdout


def test_scenarios_lists_every_builtin_with_its_one_line_description():
    result = invoke("scenarios")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(BUILTINS)
    for path, line in zip(BUILTINS, lines):
        description = _raw(path)["description"]
        assert description and "\n" not in description.strip()
        assert line.split()[0] == path.stem
        assert line.rstrip().endswith(description.strip())

