"""Errors that reach the user as one line.

`ScenarioError` carries the scenario file and the key path of the problem so
that the CLI can print ``FILE: key.path: problem`` and exit with status 2.
`from_validation_error` turns a pydantic ``ValidationError`` into that form so
that no pydantic dump or traceback reaches the user.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError


class ArchsimError(Exception):
    """Base class of every error archsim reports as bad input."""


class ScenarioError(ArchsimError):
    """A scenario that cannot be read or validated.

    Args:
        problem: what is wrong, in plain words.
        file: the scenario file, when the scenario came from one.
        path: the dotted key path of the offending value (``services.payment.workers``).
    """

    def __init__(self, problem: str, *, file: str | None = None, path: str | None = None):
        self.problem = problem
        self.file = file
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.path) if p]
        return ": ".join([*parts, self.problem])

    def with_file(self, file: str | None) -> "ScenarioError":
        """The same error, naming `file` (kept if already set)."""
        return ScenarioError(self.problem, file=self.file or file, path=self.path)


def from_validation_error(
    exc: ValidationError, root: type[BaseModel], file: str | None = None
) -> ScenarioError:
    """The first error of `exc` as a `ScenarioError` (with a count of the others).

    `root` is the model that was validated; it is walked along the error's
    location to suggest the nearest valid key for an unknown one.
    """
    errors = exc.errors(include_url=False)
    # An unknown key first: a typo in a required key also reports it missing, and the
    # unknown key's "did you mean" is the useful message.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = _clean_loc(first["loc"])
    extra_path = (first.get("ctx") or {}).get("path")
    if extra_path:
        loc = [*loc, *str(extra_path).split(".")]
    problem = _problem(first, root, loc)
    if len(errors) > 1:
        problem += f" (and {len(errors) - 1} more)"
    path = ".".join(str(p) for p in loc) or None
    return ScenarioError(problem, file=file, path=path)


def _clean_loc(loc: tuple) -> list:
    """Drop pydantic's union/validator tags (``function-after[...]``) from a location."""
    return [p for p in loc if not (isinstance(p, str) and "[" in p and p.endswith("]"))]


def _problem(err: dict, root: type[BaseModel], loc: list) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return unknown_key_message(str(loc[-1]), _allowed_keys(root, loc[:-1]))
    if kind == "missing":
        return "required key missing"
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix):]
    msg = msg[0].lower() + msg[1:]
    if kind not in ("scenario_check",) and "input" in err:
        msg += f", got {_short(err['input'])}"
    return msg


def unknown_key_message(key: str, allowed: list[str]) -> str:
    """``unknown key 'wrokers'; did you mean 'workers'? allowed: ...``."""
    text = f"unknown key '{key}'"
    near = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
    if near:
        text += f"; did you mean '{near[0]}'?"
    if allowed:
        text += " allowed: " + ", ".join(allowed)
    return text


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed_keys(root: type[BaseModel], loc: list) -> list[str]:
    """Keys accepted by the model found at `loc` under `root` ([] if none)."""
    tp: Any = root
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return []
    model = _as_model(tp)
    if model is None:
        return []
    return list(getattr(model, "input_keys", None) or model.model_fields)


def _step(tp: Any, part: Any) -> Any:
    """The type one location step below `tp` (a model field, dict value or tuple item)."""
    model = _as_model(tp)
    if model is not None:
        field = model.model_fields.get(str(part))
        return field.annotation if field else None
    for arg in _members(tp):
        origin = typing.get_origin(arg)
        if origin is dict:
            return typing.get_args(arg)[1]
        if origin in (tuple, list) and isinstance(part, int):
            return typing.get_args(arg)[0]
    return None


def _members(tp: Any) -> list:
    """The concrete types behind an Annotated/Optional/Union type."""
    if typing.get_origin(tp) is typing.Annotated:
        return _members(typing.get_args(tp)[0])
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(tp) for m in _members(a)]
    return [tp]


def _as_model(tp: Any) -> type[BaseModel] | None:
    for m in _members(tp):
        if isinstance(m, type) and issubclass(m, BaseModel):
            return m
    return None


def fail(problem: str, path: str = "") -> PydanticCustomError:
    """A validation error (raised inside a model validator) whose key path is
    the model's location extended by `path` (dotted, may be empty)."""
    return PydanticCustomError("scenario_check", "{problem}", {"problem": problem, "path": path})
