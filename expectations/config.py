"""checks.yml: severity and threshold per check, overriding the catalogue's defaults.

Loading validates the whole file against the catalogue, so a mistake (a missing file, broken YAML, an
unknown key, a name or pattern that matches no check, a value of the wrong kind) is reported with the
file, the check entry and the key before any check runs.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from connectors.sources import read_yaml
from expectations.spec import CheckSpec

ENTRY_KEYS = ("severity", "threshold", "params")
SEVERITIES = ("WARN", "ERROR")


class ChecksConfigError(ValueError):
    """checks.yml says something that cannot work; the message names the file, the check entry and the key."""


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
    entries = {
        pattern: _entry(path, pattern, values, specs) for pattern, values in _read_entries(path).items()
    }
    settings = {}
    for spec in specs:
        severity, threshold, params = spec.severity, spec.threshold, dict(spec.params)
        for pattern, entry in entries.items():
            if fnmatch(spec.name, pattern):
                severity = entry.get("severity", severity)
                threshold = entry.get("threshold", threshold)
                unknown = set(entry.get("params", {})) - set(spec.params)
                if unknown:
                    raise ChecksConfigError(
                        f"{path}: check '{pattern}': {spec.name} has no parameter(s) {sorted(unknown)}; "
                        f"it takes {sorted(spec.params)}"
                    )
                params.update(entry.get("params", {}))
        settings[spec.name] = CheckSettings(severity, threshold, params)
    return settings


def _read_entries(path: Path) -> dict[str, Any]:
    document = read_yaml(path, ChecksConfigError, "checks", "CX_CHECKS or --checks")
    if not isinstance(document, dict) or set(document) - {"checks"}:
        keys = sorted(map(str, document)) if isinstance(document, dict) else type(document).__name__
        raise ChecksConfigError(f"{path}: expected one key, checks, at the top; got {keys}")
    entries = document.get("checks") or {}
    if not isinstance(entries, dict):
        raise ChecksConfigError(f"{path}: 'checks' must map check names (or patterns) to settings")
    return {str(pattern): values for pattern, values in entries.items()}


def _entry(path: Path, pattern: str, values: object, specs: list[CheckSpec]) -> dict[str, Any]:
    """One entry of checks.yml, checked: a name or pattern of the catalogue, known keys, values of the
    kind expected. Returns the keys it sets, severity upper-cased and threshold as a float."""
    where = f"{path}: check '{pattern}'"
    names = [spec.name for spec in specs]
    if not any(fnmatch(name, pattern) for name in names):
        families = sorted({name.split("__")[0] + "__*" for name in names})
        closest = difflib.get_close_matches(pattern, names + families, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(closest)}?" if closest else "; see expectations/suites/"
        raise ChecksConfigError(f"{where} matches no check in the catalogue{hint}")
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ChecksConfigError(f"{where}: expected a mapping of {', '.join(ENTRY_KEYS)}, got {values!r}")
    for key in values:
        if key not in ENTRY_KEYS:
            closest = difflib.get_close_matches(str(key), ENTRY_KEYS, n=1)
            hint = f" (did you mean '{closest[0]}'?)" if closest else ""
            raise ChecksConfigError(
                f"{where}: unknown key '{key}'{hint}; allowed keys: {', '.join(ENTRY_KEYS)}"
            )
    entry: dict[str, Any] = {}
    if "severity" in values:
        severity = str(values["severity"]).upper()
        if severity not in SEVERITIES:
            raise ChecksConfigError(
                f"{where}: severity must be {' or '.join(SEVERITIES)}, got {values['severity']!r}"
            )
        entry["severity"] = severity
    if "threshold" in values:
        entry["threshold"] = _number(
            values["threshold"], f"{where}: threshold", "a number (a row count or a share, e.g. 0 or 0.5)"
        )
    if "params" in values:
        params = values["params"] or {}
        if not isinstance(params, dict):
            raise ChecksConfigError(f"{where}: params must map parameter names to values, got {params!r}")
        defaults = {k: v for spec in specs if fnmatch(spec.name, pattern) for k, v in spec.params.items()}
        for key, value in params.items():
            default = defaults.get(key)
            if isinstance(default, (int, float)) and not isinstance(default, bool):
                _number(value, f"{where}: params.{key}", f"a number like its default {default}")
        entry["params"] = dict(params)
    return entry


def _number(value: object, where: str, expected: str) -> float:
    if not isinstance(value, bool):
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            pass
    raise ChecksConfigError(f"{where} must be {expected}, got {value!r}")
