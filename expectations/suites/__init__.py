"""The check catalogue (DESIGN.md §6), one module per family; `all_checks()` lists every CheckSpec."""

from __future__ import annotations

from expectations.spec import CheckSpec
from expectations.suites import validity


def all_checks() -> list[CheckSpec]:
    return [*validity.checks()]
