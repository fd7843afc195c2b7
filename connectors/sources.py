"""sources.yml: which exports land where and how to read them (DESIGN.md §4).

Loading validates the whole file against the presets and the raw contracts, so a mistake is reported
with the source name and the key to fix before anything is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from connectors.contracts import CONTRACTS, SCALES
from connectors.presets import PRESETS, Preset


class SourceConfigError(ValueError):
    """sources.yml says something that cannot work; the message names the source and the key."""


@dataclass(frozen=True)
class Source:
    name: str
    team: str
    kind: str
    path: str  # glob under the landing folder
    preset: Preset
    timezone: str = "UTC"
    mapping: dict[str, Any] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    value_maps: dict[str, dict[str, Any]] = field(default_factory=dict)
    timestamp_formats: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = ()
    format: str = "auto"
    header_rows: int = 1
    delimiter: str | None = None
    encoding: str | None = None
    extra_columns: str = "keep"  # keep (as _extra JSON) | ignore

    def files(self, landing: Path) -> list[Path]:
        return sorted(p for p in landing.glob(self.path) if p.is_file())


KNOWN_KEYS = {
    "name",
    "team",
    "kind",
    "path",
    "preset",
    "timezone",
    "mapping",
    "constants",
    "value_maps",
    "timestamp_formats",
    "date_formats",
    "format",
    "header_rows",
    "delimiter",
    "encoding",
    "extra_columns",
    "description",
}


def _source(raw: dict[str, Any], index: int, defaults: dict[str, Any], origin: str) -> Source:
    where = f"{origin}: sources[{index}]"
    if not isinstance(raw, dict):
        raise SourceConfigError(f"{where}: expected a mapping with name, kind, path, got {raw!r}")
    name = raw.get("name")
    if not name:
        raise SourceConfigError(f"{where}: 'name' is required")
    where = f"{origin}: source '{name}'"
    unknown = set(raw) - KNOWN_KEYS
    if unknown:
        raise SourceConfigError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(KNOWN_KEYS)}")
    preset_name = raw.get("preset", "generic")
    if preset_name not in PRESETS:
        raise SourceConfigError(f"{where}: preset '{preset_name}' is not one of {sorted(PRESETS)}")
    preset = PRESETS[preset_name]
    kind = raw.get("kind", preset.kinds[0] if len(preset.kinds) == 1 else None)
    if kind not in CONTRACTS:
        raise SourceConfigError(f"{where}: kind '{kind}' is not one of {sorted(CONTRACTS)}")
    if kind not in preset.kinds:
        raise SourceConfigError(f"{where}: preset '{preset_name}' reads {list(preset.kinds)}, not '{kind}'")
    if not raw.get("path"):
        raise SourceConfigError(f"{where}: 'path' (a glob under the landing folder) is required")
    timezone = raw.get("timezone", defaults.get("timezone", "UTC"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SourceConfigError(f"{where}: timezone '{timezone}' is not an IANA zone name") from exc
    contract = CONTRACTS[kind]
    mapping = {**preset.mapping, **(raw.get("mapping") or {})}
    constants = {**preset.constants, **(raw.get("constants") or {})}
    for target in list(mapping) + list(constants):
        if target not in contract.names:
            raise SourceConfigError(
                f"{where}: mapping/constants target '{target}' is not a column of raw.{kind}; "
                f"columns: {contract.names}"
            )
    for target, value in mapping.items():
        if value is None:
            continue
        if not isinstance(value, (str, list, dict)) or (
            isinstance(value, dict) and not (set(value) == {"sql"} or set(value) == {"const"})
        ):
            raise SourceConfigError(
                f"{where}: mapping.{target} must be a header, a list of headers, "
                f"{{sql: ...}} or {{const: ...}}, got {value!r}"
            )
    if kind == "survey_responses" and "scale" in constants and constants["scale"] not in SCALES:
        raise SourceConfigError(
            f"{where}: constants.scale '{constants['scale']}' is not one of {list(SCALES)}"
        )
    extra = raw.get("extra_columns", "keep")
    if extra not in ("keep", "ignore"):
        raise SourceConfigError(f"{where}: extra_columns must be 'keep' or 'ignore'")
    return Source(
        name=str(name),
        team=str(raw.get("team", "")),
        kind=kind,
        path=str(raw["path"]),
        preset=preset,
        timezone=timezone,
        mapping=mapping,
        constants=constants,
        value_maps={**preset.value_maps, **(raw.get("value_maps") or {})},
        timestamp_formats=tuple(raw.get("timestamp_formats") or preset.timestamp_formats),
        date_formats=tuple(raw.get("date_formats") or preset.date_formats),
        format=str(raw.get("format", preset.format)),
        header_rows=int(raw.get("header_rows", preset.header_rows)),
        delimiter=raw.get("delimiter", preset.delimiter),
        encoding=raw.get("encoding"),
        extra_columns=extra,
    )


def load_sources(path: Path) -> list[Source]:
    """Parse and validate sources.yml."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise SourceConfigError(f"sources file not found: {path} (set CX_SOURCES or --sources)") from exc
    except yaml.YAMLError as exc:
        raise SourceConfigError(f"{path}: not valid YAML: {exc}") from exc
    raw_sources = document.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise SourceConfigError(f"{path}: expected a non-empty list under 'sources:'")
    defaults = document.get("defaults") or {}
    sources = [_source(raw, i, defaults, str(path)) for i, raw in enumerate(raw_sources)]
    names = [s.name for s in sources]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise SourceConfigError(f"{path}: source names must be unique; repeated: {duplicated}")
    return sources
