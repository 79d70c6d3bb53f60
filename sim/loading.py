"""Loading scenarios: YAML files and dicts, ``--set`` overrides, the resolved dump, and
the built-in scenarios shipped inside the package.

Every failure becomes a :class:`~sim.errors.ScenarioError` naming the file, the key path
and the problem; the schema itself is :mod:`sim.scenario`.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.errors import ScenarioError, from_validation_error
from sim.scenario import Scenario, _unknown


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (a silent overwrite hides a typo)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_error(exc: yaml.YAMLError, file: str | None) -> ScenarioError:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}" if mark else None
    problem = getattr(exc, "problem", None) or str(exc)
    if "python/" in problem or "could not determine a constructor" in problem:
        tag = problem.split("tag ", 1)[-1]
        problem = (f"YAML tag {tag} is not allowed: a scenario is plain data, tags that "
                   "would build Python objects are refused")
    return ScenarioError(f"not valid YAML: {problem}", file=file, path=where)


def parse_yaml(text: str, file: str | None = None) -> Any:
    """Plain data from YAML text; ScenarioError (with line) on bad YAML."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file) from None


def _read_file(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ScenarioError(f"cannot read scenario file: {reason}", file=str(path)) from None
    data = parse_yaml(text, str(path))
    if not isinstance(data, dict):
        raise ScenarioError(f"a scenario file must hold a mapping of keys, "
                            f"got {type(data).__name__}", file=str(path))
    return data


def load_scenario(source: str | os.PathLike | dict, overrides: Sequence[str] = ()) -> Scenario:
    """A validated Scenario from a YAML file path or a mapping, after `overrides`.

    A relative trace path is read from the file's folder (the current folder
    for a mapping) and inlined. Every failure is a ScenarioError naming the
    file and key path.
    """
    if isinstance(source, dict):
        data, file, base = source, None, Path.cwd()
    else:
        path = Path(source)
        data, file, base = _read_file(path), str(path), path.parent
    for assignment in overrides:
        data = apply_override(data, assignment)
    try:
        return Scenario.model_validate(data, context={"base_dir": str(base)})
    except ValidationError as exc:
        raise from_validation_error(exc, Scenario, file) from None


def apply_override(data: dict, assignment: str) -> dict:
    """A copy of `data` with ``KEY.PATH=VALUE`` set (VALUE parsed as YAML).

    Numeric key parts index lists (``faults.0.start=100``); missing mapping
    keys are created. Link keys with " -> " work as one key part.
    """
    key, sep, text = assignment.partition("=")
    parts = [p.strip() for p in key.split(".")]
    if not sep or not key.strip() or not all(parts):
        raise ScenarioError(f"expected KEY.PATH=VALUE, got {assignment!r}", path="--set")
    value = parse_yaml(text, "--set")
    out = copy.deepcopy(data)
    node: Any = out
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        node = _set_step(node, part, value if last else None, last, ".".join(parts[:depth + 1]))
    return out


def _set_step(node: Any, part: str, value: Any, last: bool, where: str) -> Any:
    """Set (last) or descend into (creating a mapping) `part` of `node`."""
    if isinstance(node, list):
        if not part.isdigit() or int(part) >= len(node):
            raise ScenarioError(f"no item {part!r} in a list of {len(node)}", path=where)
        index: Any = int(part)
    elif isinstance(node, dict):
        index = part
        if not last and not isinstance(node.get(part), (dict, list)):
            node[part] = {}
    else:
        raise ScenarioError(f"cannot set a key inside {node!r}", path=where)
    if last:
        node[index] = value
    return node[index]


def dump_scenario(scenario: Scenario) -> str:
    """YAML of the fully resolved scenario (defaults filled, times in seconds).

    ``load_scenario(yaml.safe_load(text)) == scenario`` holds.
    """
    data = scenario.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


SCENARIO_DIR = Path(__file__).parent / "scenarios"


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenarios by name (file stem), from sim/scenarios/*.yaml."""
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.yaml"))}


def builtin_path(name: str) -> Path:
    """Path of the built-in scenario `name`; ScenarioError if there is none."""
    known = builtin_scenarios()
    if name not in known:
        raise ScenarioError(_unknown("built-in scenario", name, list(known)))
    return known[name]


def scenario_summary(path: str | os.PathLike) -> str:
    """The one-line question a scenario file answers (its description)."""
    return load_scenario(path).description
