"""sources.yml: which exports land where and how to read them (DESIGN.md §4).

Loading validates the whole file against the presets and the raw contracts, so a mistake is reported
with the source name and the key to fix before anything is read. Every reading option of a preset
(connectors/presets.py) is also a key here, e.g. a wide BI export in XLSX:

  - name: finance_kpis
    kind: dashboard_kpis
    path: "bi/finance_*.xlsx"
    preset: bi_kpi_export
    sheet: KPIs                          # default: the first sheet
    unpivot: {id_columns: [Metric, Team], variable_name: period, value_name: value}
    constants: {dashboard: Finance}
"""

from __future__ import annotations

import codecs
import dataclasses
import hashlib
import json
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from connectors.contracts import CONTRACT_REVISIONS, CONTRACTS, SCALES
from connectors.presets import PRESETS, Preset, Unpivot


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
    header_rows: int | str = 1  # or "auto"
    skip_rows: int | None = None  # lines (CSV) or rows (XLSX) above the header; None: blank lines and sep=
    delimiter: str | None = None
    encoding: str | None = None
    extra_columns: str = "keep"  # keep (as _extra JSON) | ignore (with a warning in the manifest)
    decimal: str = "."  # how the files write numbers: 4.5 or 4,5
    # a digit group separator they may write: 1,234 (","), 1.234 ("."), 1 234 (" ")
    thousands: str | None = None
    json_path: str | None = None
    sheet: int | str | None = None
    unpivot: Unpivot | None = None
    mapped_here: tuple[str, ...] = ()  # the columns sources.yml's own mapping names (not the preset's)
    # a change history's own ticket source: its ids are that source's complaint ids (None: an id links to
    # the one complaint source that has it). Not a reading option: it decides how staging links, not what loads
    complaint_source: str | None = None

    def files(self, landing: Path) -> list[Path]:
        return sorted(p for p in landing.glob(self.path) if p.is_file())

    @cached_property  # asked for per file; a frozen dataclass's __dict__ takes it
    def reading_digest(self) -> str:
        """SHA-256 of everything that decides what a file of this source loads as: the kind, preset,
        mapping, constants, value maps, formats, zone and reading options (not the path glob, the team or
        the description). Ingest reads a file again when this changes, as when its bytes change."""
        reading = {
            k: v for k, v in dataclasses.asdict(self).items() if k not in ("path", "team", "complaint_source")
        }
        for option, default in OPTIONS_ADDED_SINCE_DIGEST.items():  # at its default, an option added
            if reading.get(option) == default:  # later leaves the digest as it was: no file is read again
                reading.pop(option)
        reading["preset"].pop("description")
        if self.kind in CONTRACT_REVISIONS:  # absent for a kind never revised: its digest is as it was
            reading["contract_revision"] = CONTRACT_REVISIONS[self.kind]
        return hashlib.sha256(
            json.dumps(_text_keys(reading), sort_keys=True, default=repr).encode()
        ).hexdigest()


OPTIONS_ADDED_SINCE_DIGEST = {"skip_rows": None, "decimal": ".", "thousands": None}


def _text_keys(value: Any) -> Any:
    """`value` with every mapping's keys as text, typed (YAML gives a value map keys 1, 'ten' and True)."""
    if isinstance(value, dict):
        return {f"{type(k).__name__}:{k}": _text_keys(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_text_keys(v) for v in value]
    return value


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
    "skip_rows",
    "delimiter",
    "encoding",
    "extra_columns",
    "decimal",
    "thousands",
    "json_path",
    "sheet",
    "unpivot",
    "description",
    "complaint_source",
}
# what `defaults:` may set for every source (each source may set it again); the rest is per source
DEFAULT_KEYS = {
    "timezone",
    "timestamp_formats",
    "date_formats",
    "encoding",
    "extra_columns",
    "decimal",
    "thousands",
}
TOP_LEVEL_KEYS = {"sources", "defaults"}
FORMATS = ("auto", "csv", "tsv", "json", "jsonl", "parquet", "xlsx")
UNPIVOT_KEYS = {"id_columns", "columns", "columns_pattern", "variable_name", "value_name"}


def _preset_sets(preset: Preset, key: str) -> bool:
    """Whether the preset gives `key` a value of its own (not the one every preset has)."""
    if key not in {f.name for f in dataclasses.fields(Preset)}:
        return False
    default = next(f for f in dataclasses.fields(Preset) if f.name == key).default
    return getattr(preset, key) not in (None, default)


def _skip_rows(value: Any, where: str) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    raise SourceConfigError(
        f"{where}: skip_rows must be a whole number >= 0 (lines above the header), got {value!r}"
    )


THOUSANDS = (",", ".", " ", "'")  # " " also reads the no-break spaces (U+00A0, U+202F) of French exports


def _number_format(raw: dict[str, Any], where: str) -> tuple[str, str | None]:
    decimal, thousands = raw.get("decimal", "."), raw.get("thousands")
    if decimal not in (".", ","):
        raise SourceConfigError(f"{where}: decimal must be '.' or ',' (4.5 or 4,5), got {decimal!r}")
    if thousands is not None and thousands not in THOUSANDS:
        raise SourceConfigError(
            f"{where}: thousands must be one of {list(THOUSANDS)} (the digit group separator of 1,234), got {thousands!r}"
        )
    if thousands == decimal:
        raise SourceConfigError(
            f"{where}: thousands and decimal are both {decimal!r}; a number needs two marks"
        )
    return decimal, thousands


def _header_rows(value: Any, where: str) -> int | str:
    if value == "auto":
        return "auto"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise SourceConfigError(f"{where}: header_rows must be a whole number >= 1 or 'auto', got {value!r}")


def _encoding(value: Any, where: str) -> str | None:
    if value is None:
        return None
    try:
        return codecs.lookup(str(value)).name
    except LookupError as exc:
        raise SourceConfigError(
            f"{where}: encoding '{value}' is unknown (e.g. utf-8, utf-16, cp1252, latin-1)"
        ) from exc


def _names(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise SourceConfigError(f"{where}: unpivot.{key} must be a list of headers, got {value!r}")


def _unpivot(value: Any, where: str) -> Unpivot | None:
    if value is None or isinstance(value, Unpivot):
        return value
    if not isinstance(value, dict) or set(value) - UNPIVOT_KEYS:
        raise SourceConfigError(
            f"{where}: unpivot must be a mapping with keys among {sorted(UNPIVOT_KEYS)}, got {value!r}"
        )
    pattern = value.get("columns_pattern")
    if pattern is not None:
        try:
            re.compile(str(pattern))
        except re.error as exc:
            raise SourceConfigError(f"{where}: unpivot.columns_pattern is not a regex: {exc}") from exc
    unpivot = Unpivot(
        id_columns=_names(value.get("id_columns"), where, "id_columns"),
        columns=_names(value.get("columns"), where, "columns"),
        columns_pattern=None if pattern is None else str(pattern),
        variable_name=str(value.get("variable_name", "variable")),
        value_name=str(value.get("value_name", "value")),
    )
    if not (unpivot.id_columns or unpivot.columns or unpivot.columns_pattern):
        raise SourceConfigError(
            f"{where}: unpivot needs id_columns (the columns to keep), columns or columns_pattern "
            "(the value columns)"
        )
    return unpivot


def _mapping_value_ok(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, dict):
        return set(value) == {"sql"} or set(value) == {"const"}
    if isinstance(value, list):
        return bool(value) and all(
            isinstance(v, str) or (isinstance(v, dict) and set(v) == {"sql"}) for v in value
        )
    return False


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
    # a default applies where neither the source nor its preset says otherwise
    raw = {**{k: v for k, v in defaults.items() if not _preset_sets(preset, k)}, **raw}
    kind = raw.get("kind", preset.kinds[0] if len(preset.kinds) == 1 else None)
    if kind not in CONTRACTS:
        raise SourceConfigError(f"{where}: kind '{kind}' is not one of {sorted(CONTRACTS)}")
    if kind not in preset.kinds:
        raise SourceConfigError(f"{where}: preset '{preset_name}' reads {list(preset.kinds)}, not '{kind}'")
    if not raw.get("path"):
        raise SourceConfigError(f"{where}: 'path' (a glob under the landing folder) is required")
    timezone = raw.get("timezone", "UTC")
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
        if not _mapping_value_ok(value):
            raise SourceConfigError(
                f"{where}: mapping.{target} must be a header, a list of headers (or {{sql: ...}}), "
                f"{{sql: ...}} or {{const: ...}}, got {value!r}"
            )
    for target in raw.get("value_maps") or {}:
        if target not in contract.names:
            raise SourceConfigError(
                f"{where}: value_maps target '{target}' is not a column of raw.{kind}; columns: {contract.names}"
            )
    if kind == "survey_responses" and "scale" in constants and constants["scale"] not in SCALES:
        raise SourceConfigError(
            f"{where}: constants.scale '{constants['scale']}' is not one of {list(SCALES)}"
        )
    extra = raw.get("extra_columns", "keep")
    if extra not in ("keep", "ignore"):
        raise SourceConfigError(f"{where}: extra_columns must be 'keep' or 'ignore'")
    fmt = str(raw.get("format", preset.format))
    if fmt not in FORMATS:
        raise SourceConfigError(f"{where}: format '{fmt}' is not one of {list(FORMATS)}")
    sheet = raw.get("sheet", preset.sheet)
    if sheet is not None and not isinstance(sheet, (int, str)):
        raise SourceConfigError(f"{where}: sheet must be a sheet name or a 0-based index, got {sheet!r}")
    delimiter = raw.get("delimiter", preset.delimiter)
    if delimiter == "tab":
        delimiter = "\t"
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise SourceConfigError(f"{where}: delimiter must be one character (or 'tab'), got {delimiter!r}")
    decimal, thousands = _number_format(raw, where)
    json_path = raw.get("json_path", preset.json_path)
    if json_path is not None and (not isinstance(json_path, str) or not json_path.strip(".")):
        raise SourceConfigError(
            f"{where}: json_path must be a dotted key path like 'tickets', got {json_path!r}"
        )
    complaint_source = raw.get("complaint_source")
    if complaint_source is not None and kind != "complaint_events":
        raise SourceConfigError(
            f"{where}: complaint_source ties a change history (kind complaint_events) to its ticket source; "
            f"this source's kind is '{kind}'"
        )
    return Source(
        name=str(name),
        team=str(raw.get("team", "")),
        kind=kind,
        path=str(raw["path"]),
        preset=preset,
        timezone=timezone,
        mapping=mapping,
        mapped_here=tuple(raw.get("mapping") or {}),
        constants=constants,
        value_maps={**preset.value_maps, **(raw.get("value_maps") or {})},
        timestamp_formats=_formats(raw, "timestamp_formats", preset.timestamp_formats, where),
        date_formats=_formats(raw, "date_formats", preset.date_formats, where),
        format=fmt,
        header_rows=_header_rows(raw.get("header_rows", preset.header_rows), where),
        skip_rows=_skip_rows(raw.get("skip_rows"), where),
        delimiter=delimiter,
        encoding=_encoding(raw.get("encoding", preset.encoding), where),
        extra_columns=extra,
        decimal=decimal,
        thousands=thousands,
        json_path=json_path,
        sheet=sheet,
        unpivot=_unpivot(raw.get("unpivot", preset.unpivot), where),
        complaint_source=None if complaint_source is None else str(complaint_source),
    )


def _formats(raw: dict[str, Any], option: str, preset: tuple[str, ...], where: str) -> tuple[str, ...]:
    """A source's date or timestamp formats. Day-first and month-first forms of one format both listed
    read 03/06 by whichever comes first and 06/15 by the other, in one file without a word: refused."""
    formats = tuple(raw.get(option) or preset)
    for first in formats:
        swapped = first.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
        if swapped != first and swapped in formats:
            raise SourceConfigError(
                f"{where}: {option} lists both {first!r} and {swapped!r}: a date such as 03/06 fits both, "
                "and would be read by whichever comes first; keep the one the source writes"
            )
    return formats


class _UniqueKeyLoader(yaml.SafeLoader):
    """A key written twice in one mapping is a mistake (two `mapping:` blocks: the first silently lost);
    so are two keys YAML reads as one (`yes` is true, and true is 1)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, str] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults`: merged keys may be overridden
                continue
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if isinstance(key, Hashable) and key in seen:
                written = f"'{key_node.value}'"
                if seen[key] != key_node.value:
                    written = f"'{seen[key]}' and '{key_node.value}' (one key to YAML: quote them to keep them text)"
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {written} appears twice in one mapping (the first would be lost)",
                    key_node.start_mark,
                )
            if isinstance(key, Hashable):
                seen[key] = str(key_node.value)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path, error: type[ValueError], what: str, setting: str) -> Any:
    """The document of a YAML settings file (`what`: sources, checks), or `error` naming the file (and
    `setting`, the variable and option that choose it, when it is not there) and the line and column of
    a YAML mistake (a key written twice too)."""
    try:
        return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_UniqueKeyLoader) or {}  # noqa: S506
    except FileNotFoundError as exc:
        raise error(f"{what} file not found: {path} (set {setting})") from exc
    except yaml.MarkedYAMLError as exc:
        raise error(f"{path}, {yaml_problem(exc)}") from exc
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc


def yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """'line 12, column 4: not valid YAML: could not find expected ':' (while scanning a simple key at
    line 10, column 3)': the marks are 0-based, an editor's lines and columns 1-based."""
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    text = f"{where}not valid YAML: {exc.problem or exc.context}"
    if exc.context and exc.problem and exc.context_mark:
        text += f" ({exc.context} at line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1})"
    return text


def load_sources(path: Path) -> list[Source]:
    """Parse and validate sources.yml."""
    document = read_yaml(path, SourceConfigError, "sources", "CX_SOURCES or --sources")
    if not isinstance(document, dict) or set(document) - TOP_LEVEL_KEYS:
        unknown = sorted(set(document) - TOP_LEVEL_KEYS) if isinstance(document, dict) else document
        raise SourceConfigError(
            f"{path}: unknown top-level key(s) {unknown}; known: {sorted(TOP_LEVEL_KEYS)}"
        )
    raw_sources = document.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise SourceConfigError(f"{path}: expected a non-empty list under 'sources:'")
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, dict) or set(defaults) - DEFAULT_KEYS:
        unknown = sorted(set(defaults) - DEFAULT_KEYS) if isinstance(defaults, dict) else defaults
        raise SourceConfigError(
            f"{path}: defaults: key(s) {unknown} cannot be defaults; they can: {sorted(DEFAULT_KEYS)}"
        )
    sources = [_source(raw, i, defaults, str(path)) for i, raw in enumerate(raw_sources)]
    names = [s.name for s in sources]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise SourceConfigError(f"{path}: source names must be unique; repeated: {duplicated}")
    complaint_sources = sorted(s.name for s in sources if s.kind == "complaints")
    for source in sources:
        if source.complaint_source is not None and source.complaint_source not in complaint_sources:
            raise SourceConfigError(
                f"{path}: source '{source.name}': complaint_source '{source.complaint_source}' is no source of "
                f"kind complaints; those are {complaint_sources}"
            )
    return sources
