"""The shape of a check: what it guards, how severe, what it measures and what it expects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CheckSpec:
    name: str  # e.g. "F8_validity__complaints"; the family is the part before the first "_"
    asset: tuple[str, ...]  # the asset it guards, e.g. ("raw", "complaints")
    description: str
    severity: str  # default; checks.yml may override: "WARN" | "ERROR"
    threshold: float  # default; checks.yml may override
    sql: str  # returns the frame GX validates; may use {threshold}
    expectations: Callable[[float], list[Any]]  # threshold -> GX expectations (imported lazily)
    observed: str  # SQL expression over the frame `f` giving the observed value, e.g. "sum(violations)"
    sample_order: str = ""  # ORDER BY of the failing sample
    unit: str = ""

    @property
    def family(self) -> str:
        return self.name.split("_", 1)[0]
