"""Building blocks of the scenario schema: the frozen base model and strict number types."""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Gt, Le
from pydantic import BaseModel, ConfigDict, Strict

# Strict numbers: a YAML `true` or a quoted "8" is a wrong type, not 1 or 8.
NonNegFloat = Annotated[float, Strict(), Ge(0)]
PositiveFloat = Annotated[float, Strict(), Gt(0)]
Probability = Annotated[float, Strict(), Ge(0), Le(1)]
Fraction = Annotated[float, Strict(), Gt(0), Le(1)]
Count0 = Annotated[int, Strict(), Ge(0)]
Count1 = Annotated[int, Strict(), Ge(1)]


class Frozen(BaseModel):
    """Base of every scenario model: immutable, strict about keys and numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
