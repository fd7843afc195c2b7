"""The shape of a check: what it guards, how severe, what it measures and what it expects."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CheckSpec:
    name: str  # e.g. "F8_validity__complaints"; the family is the part before the first "_"
    asset: tuple[str, ...]  # the asset it guards, e.g. ("raw", "complaints")
    description: str
    severity: str  # default; checks.yml may override: "WARN" | "ERROR"
    threshold: float  # default; checks.yml may override
    sql: str  # the frame GX validates; may use {threshold} and {<param>}
    expectations: Callable[[float], list[Any]]  # threshold -> GX expectations (imported lazily)
    observed: str  # SQL expression over the frame `f` giving the observed value, e.g. "count(*)"
    unit: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)  # defaults; checks.yml may override
    entity: tuple[
        str, ...
    ] = ()  # frame columns naming what failed (cx-unify evaluate matches faults on them)

    @property
    def family(self) -> str:
        return self.name.split("_", 1)[0]

    def frame_sql(self, threshold: float, params: Mapping[str, Any] | None = None) -> str:
        return self.sql.format(threshold=threshold, **{**self.params, **(params or {})})


def at_most_rows(threshold: float) -> list[Any]:
    """The frame lists offending rows: at most `threshold` of them."""
    import great_expectations.expectations as gxe

    return [gxe.ExpectTableRowCountToBeBetween(min_value=0, max_value=int(threshold))]


def offending_rows(
    name: str,
    asset: tuple[str, ...],
    description: str,
    sql: str,
    *,
    severity: str = "WARN",
    threshold: float = 0,
    unit: str = "rows",
    entity: tuple[str, ...] = (),
    params: Mapping[str, Any] | None = None,
) -> CheckSpec:
    """A check whose frame is the offending rows themselves (ordered worst first)."""
    return CheckSpec(
        name=name,
        asset=asset,
        description=description,
        severity=severity,
        threshold=threshold,
        sql=sql,
        expectations=at_most_rows,
        observed="count(*)",
        unit=unit,
        params=params or {},
        entity=entity,
    )
