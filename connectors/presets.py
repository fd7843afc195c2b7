"""Presets: the defaults for a vendor's export — how to read it and how its headers map to the contract.

A source in sources.yml names a preset and may override any part of it (mapping, constants, formats,
reading options). A mapping value is one of:
  "Header"                 the file's column of that name (case and outer spaces ignored)
  ["Header A", "Header B"] the first of these the file has (export variants); an entry may also be
                           {sql: ...}, used when every "double-quoted" column it names is in the file
  {sql: "<expression>"}    a DuckDB expression over the file's columns (all read as text); it may also
                           use _file_name (file name without extensions) and _file_modified_at (UTC)
  {const: "value"}         the same value on every row

Reading options (each also a sources.yml key; see connectors/sources.py):
  format        auto (by extension) | csv | tsv | json | jsonl | parquet | xlsx; `.gz` on top of any
  header_rows   rows of headers before the data, or `auto`: names in the first row plus any rows of
                question text / {"ImportId": ...} JSON under it (Qualtrics), or a row of V1..Vn
                placeholders above the names (legacy Qualtrics)
  delimiter     CSV delimiter; sniffed when absent
  encoding      utf-8 | utf-16 | cp1252 | latin-1 | any Python codec; detected when absent
  json_path     dotted path to the array of records in each JSON document (`tickets` for a Zendesk
                incremental-export page); absent: the document is an array of records or one record
  sheet         XLSX sheet name or 0-based index (default: the first)
  unpivot       wide / crosstab layouts: turn value columns into rows before mapping (Unpivot below)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
)
# year first only, as the timestamps: 06/01/2026 is 6 January in one country and 1 June in another, so a
# source that writes either says which in sources.yml (date_formats); unconfigured, it is quarantined
DEFAULT_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")


@dataclass(frozen=True)
class Unpivot:
    """Wide layout -> long: each value column becomes a row (variable_name = its header, value_name =
    its cell); every other column is kept on each row. Value columns are `columns` if given, else the
    headers matching `columns_pattern` (none matching: the file is already long and read as it is),
    else every header not in `id_columns`. Empty cells are not records."""

    id_columns: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    columns_pattern: str | None = None
    variable_name: str = "variable"
    value_name: str = "value"


@dataclass(frozen=True)
class Preset:
    name: str
    kinds: tuple[str, ...]
    description: str
    format: str = "auto"  # auto | csv | tsv | json | jsonl | parquet | xlsx
    header_rows: int | str = 1  # rows of headers before the data, or "auto"
    delimiter: str | None = None
    encoding: str | None = None
    json_path: str | None = None
    sheet: int | str | None = None
    unpivot: Unpivot | None = None
    mapping: dict[str, Any] = field(default_factory=dict)
    value_maps: dict[str, dict[str, Any]] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    timestamp_formats: tuple[str, ...] = DEFAULT_TIMESTAMP_FORMATS
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
    derive_workload: bool = False  # call-level logs: also aggregate raw.workload per queue and UTC day


PRESETS: dict[str, Preset] = {}


def _register(preset: Preset) -> None:
    PRESETS[preset.name] = preset


_register(
    Preset(
        name="zendesk_tickets",
        kinds=("complaints",),
        description="Zendesk tickets: the CSV view export (display headers), the Fivetran ticket table, "
        "or incremental-export JSON pages ({tickets: [...], next_page, end_of_stream})",
        json_path="tickets",  # JSON only: each page's records
        mapping={
            "complaint_id": ["Id", "id", "ID"],
            "created_at": ["Created at", "created_at"],
            "updated_at": ["Updated at", "updated_at"],
            "resolved_at": ["Solved at", "solved_at", "metric_set.solved_at"],
            "status": ["Status", "status"],
            "priority": ["Priority", "priority"],
            "channel": ["Via", "via_channel", "via.channel", "via"],
            "category": ["Category", "category", "Category [list]"],
            "subject": ["Subject", "subject", "raw_subject"],
            "team": ["Group", "group_id", "group"],
            "owner": ["Assignee", "assignee_id", "assignee"],
            "customer_id": ["Requester id", "requester_id"],
            "customer_crm_id": ["Requester external id", "external_id"],
            # `recipient` is the support address the customer wrote to, not the customer's: not mapped
            "customer_email": ["Requester email", "via.source.from.address", "via_source_from_address"],
            "customer_phone": ["Requester phone", "via.source.from.phone"],
            "customer_name": ["Requester", "requester_name", "via.source.from.name"],
            "satisfaction_score": [
                "Satisfaction Score",
                "satisfaction_score",
                "satisfaction_rating.score",
                "satisfaction_rating_score",
                "satisfaction_rating",
            ],
            "customer_city": ["Requester city"],
            "customer_postcode": ["Requester postcode"],
            "customer_birth_date": ["Requester birth date"],
        },
        value_maps={"satisfaction_score": {"good": 1, "bad": 0, "offered": None, "unoffered": None}},
    )
)

_register(
    Preset(
        name="zendesk_field_history",
        kinds=("complaint_events",),
        description="Zendesk ticket field history: Fivetran's ticket_field_history (field_name, ticket_id, "
        "updated, user_id, value) or Explore's 'Updates history' export. Changes of other fields (custom "
        "fields, requester_id...) are kept in raw and left out of staging, which tracks assignee, team, status, "
        "priority",
        mapping={
            "complaint_id": ["Ticket ID", "ticket_id"],
            "event_at": ["Update - Timestamp", "updated"],
            "field": ["Changes - Field name", "field_name"],
            "old_value": ["Changes - Previous value"],
            "new_value": ["Changes - New value", "value"],
            "actor": ["Updater name", "user_id"],
        },
        value_maps={
            "field": {
                "assignee_id": "assignee",
                "assignee": "assignee",
                "group_id": "team",
                "group": "team",
                "status": "status",
                "priority": "priority",
            }
        },
    )
)

_QUALTRICS_NAME = "nullif(trim(concat_ws(' ', \"RecipientFirstName\", \"RecipientLastName\")), '')"

_register(
    Preset(
        name="qualtrics_export",
        kinds=("survey_responses",),
        description="Qualtrics response export: current (three header rows: names, question text, "
        "ImportId JSON) or legacy (BOM, V1..Vn row above the names, trailing commas), told apart by content",
        header_rows="auto",
        mapping={
            "response_id": ["ResponseId", "ResponseID"],
            "submitted_at": ["RecordedDate", "EndDate"],
            "score": ["Q1"],
            "comment": ["Q2"],
            "customer_crm_id": ["ExternalReference", "ExternalDataReference"],
            "customer_email": ["RecipientEmail", "EmailAddress"],
            "customer_name": [{"sql": _QUALTRICS_NAME}, "Name"],
            "customer_phone": ["Phone"],
            "customer_city": ["City"],
            "customer_postcode": ["Postcode"],
            "customer_birth_date": ["BirthDate"],
            "complaint_id": ["ticket_id", "TicketID"],
        },
    )
)

_register(
    Preset(
        name="call_centre_log",
        kinds=("contacts",),
        description="Call-level ACD log (the bank layout): tab-separated, CRLF, YYMMDD, H:MM:SS, "
        "0 = unknown caller, outcomes AGENT / HANG / PHANTOM, 0:00:00 where a stage did not happen",
        format="tsv",
        mapping={
            # call ids repeat across VRU lines (the real bank log: 15,516 ids for 33,344 calls); each line
            # counts its own (~1,700 a month), so line and id are unique for years. A log that restarts
            # its ids is flagged by F8_reused_ids__contacts: add "date" to this mapping in sources.yml then
            "contact_id": {"sql": "\"vru+line\" || '-' || call_id"},
            "customer_id": {"sql": "nullif(nullif(trim(customer_id), '0'), '')"},
            "customer_crm_id": {"sql": "nullif(nullif(trim(customer_id), '0'), '')"},  # the bank's number
            "started_at": {"sql": "\"date\" || ' ' || vru_entry"},
            "queue": "type",
            "channel": {"const": "phone"},
            "outcome": "outcome",
            "wait_seconds": "q_time",
            "handle_seconds": "ser_time",
            "agent": {"sql": "nullif(server, 'NO_SERVER')"},
        },
        timestamp_formats=("%y%m%d %H:%M:%S",),
        derive_workload=True,
    )
)

# period labels of a wide BI export: 2026-05, 2026-05-01, May 2026, May-2026, 2026-Q2
PERIOD_PATTERN = r"^\s*(\d{4}-\d{2}(-\d{2})?|[A-Za-z]{3,9}[ -]\d{4}|\d{4}[ -]?Q[1-4])\s*$"
_LABEL = "trim(regexp_replace(\"period\", '[ -]+', ' ', 'g'))"
_PERIOD_START = (
    f"coalesce(try_strptime({_LABEL}, ['%Y %m %d', '%Y %m', '%B %Y', '%b %Y'])::DATE, "
    f"CASE WHEN regexp_matches({_LABEL}, '^\\d{{4}} ?Q[1-4]$') THEN make_date(left({_LABEL}, 4)::INT, "
    f"(right({_LABEL}, 1)::INT - 1) * 3 + 1, 1) END)"
)
_PERIOD_END = (
    f"CASE WHEN regexp_matches({_LABEL}, '^\\d{{4}} \\d{{2}} \\d{{2}}$') THEN {_PERIOD_START} "
    f"WHEN regexp_matches({_LABEL}, 'Q[1-4]$') THEN ({_PERIOD_START} + INTERVAL 3 MONTH - INTERVAL 1 DAY)::DATE "
    f"ELSE last_day({_PERIOD_START}) END"
)

_register(
    Preset(
        name="bi_kpi_export",
        kinds=("dashboard_kpis",),
        description="BI tool KPI export (CSV or XLSX): long (one row per dashboard, period, metric and "
        "team) or wide / crosstab (one row per metric x team, one column per period: 2026-05, May 2026)",
        unpivot=Unpivot(columns_pattern=PERIOD_PATTERN, variable_name="period", value_name="value"),
        mapping={
            "dashboard": ["Dashboard", "dashboard", {"sql": "_file_name"}],
            "exported_at": ["Exported At", "exported_at", {"sql": "_file_modified_at"}],
            "period_start": ["Period Start", "period_start", {"sql": _PERIOD_START}],
            "period_end": ["Period End", "period_end", {"sql": _PERIOD_END}],
            "metric": ["Metric", "metric", "Measure Names", "KPI"],
            "dimension_name": {"const": "team"},
            "dimension_value": ["Team", "team", "dimension_value"],
            "value": ["Value", "value", "Measure Values"],
            "unit": ["Unit", "unit"],
        },
    )
)

_register(
    Preset(
        name="generic",
        kinds=(
            "complaints",
            "complaint_events",
            "survey_responses",
            "workload",
            "contacts",
            "dashboard_kpis",
        ),
        description="Any export: the mapping in sources.yml says everything",
    )
)
