"""Every command explains itself: help text, an `Example:` line, examples that work.

Iterating `main.commands` means a new command without help fails here (the
sqlite-utils habit, see STYLE.md).
"""

from __future__ import annotations

import re
import shlex

import pytest

from sim.cli import main
from tests.cli.helpers import REPO, invoke

COMMANDS = sorted(main.commands)
DESIGN_COMMANDS = ["check", "report", "run", "scenarios", "sweep"]


def test_the_group_has_help_with_an_example():
    result = invoke("--help")
    assert result.exit_code == 0
    assert main.help and main.help.strip()
    assert "Example:" in result.stdout
    for name in COMMANDS:
        assert name in result.stdout


def test_short_help_flag_works_too():
    assert invoke("-h").exit_code == 0


def test_version_is_printed():
    result = invoke("--version")
    assert result.exit_code == 0
    assert re.search(r"\d+\.\d+", result.stdout)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name):
    command = main.commands[name]
    assert command.help and command.help.strip(), f"`archsim {name}` has no docstring/help"
    result = invoke(name, "--help")
    assert result.exit_code == 0, result.output
    assert re.search(rf"^\s*Example: archsim {name}\b", result.stdout, re.M), result.stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_has_help(name):
    for param in main.commands[name].params:
        if param.param_type_name == "option" and param.name != "help":
            assert getattr(param, "help", None), f"`archsim {name}` option {param.name} has no help"


def test_every_design_command_exists():
    assert set(DESIGN_COMMANDS) <= set(main.commands)


def _example_paths():
    for name in COMMANDS:
        for line in (main.commands[name].help or "").splitlines():
            if line.strip().startswith("Example:"):
                for word in shlex.split(line.split(":", 1)[1]):
                    if word.endswith((".yaml", ".yml")):
                        yield name, word


def test_scenario_files_named_in_examples_exist_from_the_repo_root():
    paths = list(_example_paths())
    assert paths, "no example names a scenario file"
    missing = [(name, p) for name, p in paths if not (REPO / p).is_file()]
    assert not missing
