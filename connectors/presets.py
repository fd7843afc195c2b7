"""Presets: the defaults for a vendor's export — how to read it and how its headers map to the contract.

A source in sources.yml names a preset and may override any part of it (mapping, constants, formats).
A mapping value is one of:
  "Header"                 the file's column of that name
  ["Header A", "Header B"] the first of these headers the file has (export variants)
  {sql: "<expression>"}    a DuckDB expression over the file's columns (all read as text)
  {const: "value"}         the same value on every row
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
DEFAULT_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%Y%m%d")


@dataclass(frozen=True)
class Preset:
    name: str
    kinds: tuple[str, ...]
    description: str
    format: str = "auto"  # auto | csv | tsv | json | jsonl | parquet | xlsx
    header_rows: int = 1  # rows of headers; data starts after them (Qualtrics: 3)
    delimiter: str | None = None
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
        description="Zendesk tickets: the CSV view export (display headers) or the API / Fivetran shape",
        mapping={
            "complaint_id": ["Id", "id", "ID"],
            "created_at": ["Created at", "created_at"],
            "updated_at": ["Updated at", "updated_at"],
            "resolved_at": ["Solved at", "solved_at"],
            "status": ["Status", "status"],
            "priority": ["Priority", "priority"],
            "channel": ["Via", "via_channel", "via"],
            "category": ["Category", "category", "Category [list]"],
            "subject": ["Subject", "subject"],
            "team": ["Group", "group_id", "group"],
            "owner": ["Assignee", "assignee_id", "assignee"],
            "customer_id": ["Requester id", "requester_id"],
            "customer_crm_id": ["Requester external id", "external_id"],
            "customer_email": ["Requester email", "recipient"],
            "customer_phone": ["Requester phone"],
            "customer_name": ["Requester", "requester_name"],
            "satisfaction_score": ["Satisfaction Score", "satisfaction_score", "satisfaction_rating"],
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
        description="Zendesk ticket field history: Fivetran's ticket_field_history or Explore's updates export",
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

_register(
    Preset(
        name="qualtrics_export",
        kinds=("survey_responses",),
        description="Qualtrics response export: three header rows (names, question text, ImportId JSON)",
        header_rows=3,
        mapping={
            "response_id": ["ResponseId", "ResponseID"],
            "submitted_at": ["RecordedDate", "EndDate"],
            "score": ["Q1"],
            "comment": ["Q2"],
            "customer_crm_id": ["ExternalReference", "ExternalDataReference"],
            "customer_email": ["RecipientEmail", "EmailAddress"],
            "customer_name": {
                "sql": "nullif(trim(concat_ws(' ', \"RecipientFirstName\", \"RecipientLastName\")), '')"
            },
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
        description="Call-level ACD log (the bank layout): tab-separated, CRLF, YYMMDD, H:MM:SS, 0 = unknown caller",
        format="tsv",
        mapping={
            "contact_id": "call_id",
            "customer_id": {"sql": "nullif(nullif(trim(customer_id), '0'), '')"},
            "customer_crm_id": {
                "sql": "nullif(nullif(trim(customer_id), '0'), '')"
            },  # the bank's customer number
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

_register(
    Preset(
        name="bi_kpi_export",
        kinds=("dashboard_kpis",),
        description="BI tool KPI export, long layout: one row per dashboard, period, metric and dimension value",
        mapping={
            "dashboard": ["Dashboard", "dashboard"],
            "exported_at": ["Exported At", "exported_at"],
            "period_start": ["Period Start", "period_start"],
            "period_end": ["Period End", "period_end"],
            "metric": ["Metric", "metric"],
            "dimension_name": {"const": "team"},
            "dimension_value": ["Team", "team", "dimension_value"],
            "value": ["Value", "value"],
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
