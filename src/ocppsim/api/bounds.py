"""The pydantic side of ``core/limits.py``: a limit as the keyword arguments of ``Field`` or
``Query``, so the OpenAPI document shows each field's table bounds and nothing else."""

from __future__ import annotations

from typing import TypedDict

from ocppsim.core.limits import Limit, Text


class Bounds(TypedDict, total=False):
    """The constraint keywords ``pydantic.Field`` and ``fastapi.Query`` share."""

    ge: float
    gt: float
    le: float
    max_length: int


def bounds(limit: Limit) -> Bounds:
    """``ge``/``gt`` and ``le`` of a range; ``max_length`` of a text (its lower bound and
    characters are the services' to check, with their own sentence)."""
    if isinstance(limit, Text):
        return Bounds(max_length=limit.high)
    if limit.low_open:
        return Bounds(gt=limit.low, le=limit.high)
    return Bounds(ge=limit.low, le=limit.high)
