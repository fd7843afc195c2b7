"""checks.yml: severity and threshold per check, overriding the catalogue's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

import yaml

from expectations.spec import CheckSpec


class ChecksConfigError(ValueError):
    pass


@dataclass(frozen=True)
class CheckSettings:
    severity: str
    threshold: float
    params: dict = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        return self.severity == "ERROR"


def load_check_settings(path: Path, specs: list[CheckSpec]) -> dict[str, CheckSettings]:
    """Patterns in checks.yml (`F8_validity__*`) apply in file order; later entries win."""
    document: dict = {}
    if path.exists():
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = document.get("checks") or {}
    if not isinstance(entries, dict):
        raise ChecksConfigError(f"{path}: 'checks' must map check names (or patterns) to settings")
    settings = {}
    for spec in specs:
        severity, threshold, params = spec.severity, spec.threshold, dict(spec.params)
        for pattern, values in entries.items():
            if fnmatch(spec.name, pattern):
                values = values or {}
                severity = str(values.get("severity", severity)).upper()
                threshold = float(values.get("threshold", threshold))
                unknown = set(values.get("params") or {}) - set(spec.params)
                if unknown:
                    raise ChecksConfigError(
                        f"{path}: {spec.name} has no parameter(s) {sorted(unknown)}; "
                        f"it takes {sorted(spec.params)}"
                    )
                params.update(values.get("params") or {})
        if severity not in ("WARN", "ERROR"):
            raise ChecksConfigError(f"{path}: severity of {spec.name} must be WARN or ERROR, got {severity}")
        settings[spec.name] = CheckSettings(severity, threshold, params)
    return settings
