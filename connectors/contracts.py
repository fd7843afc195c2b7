"""The canonical raw contracts of DESIGN.md §3, written once.

Connectors map files onto these columns; the dbt sources yml is checked against them in a test;
`ddl()` creates the raw tables. Every raw table also carries the lineage columns.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type: VARCHAR, TIMESTAMP, DOUBLE, BIGINT, DATE
    required: bool = False
    description: str = ""
    allowed: tuple[str, ...] = ()  # when set, the only values the column may hold (checked at ingest)
    non_negative: bool = False  # a count or a duration: below 0 is quarantined (checked at ingest)


@dataclass(frozen=True)
class Contract:
    table: str
    description: str
    columns: tuple[Column, ...]
    record_id: str | None = None  # unique per source within one file
    id_column_for_identity: str | None = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.table} has no column {name!r}")


LINEAGE = (
    Column("_source", "VARCHAR", True, "configured source name (sources.yml)"),
    Column("_file", "VARCHAR", True, "file path relative to the landing folder"),
    Column("_file_sha256", "VARCHAR", True, "SHA-256 of the file's bytes"),
    Column("_row", "BIGINT", True, "1-based record number in the file (data rows, after headers)"),
    Column("_ingested_at", "TIMESTAMP", True, "when the row was loaded (UTC)"),
    Column("_extra", "VARCHAR", False, "JSON object of the file's columns that the mapping does not use"),
    Column(
        "_file_modified_at",
        "TIMESTAMP",
        False,
        "the landed file's modification time (UTC): of two versions of a record, the newer export's wins",
    ),
)

CUSTOMER_ATTRIBUTES = (
    Column("customer_birth_date", "DATE", False, "birth date, when the export is CRM-enriched"),
    Column("customer_city", "VARCHAR", False, "city, when present"),
    Column("customer_postcode", "VARCHAR", False, "postcode, when present"),
)

CONTRACTS: dict[str, Contract] = {
    "complaints": Contract(
        "complaints",
        "One row per complaint / support ticket as the ticket system exported it.",
        (
            Column("complaint_id", "VARCHAR", True, "ticket id in the source system"),
            Column("created_at", "TIMESTAMP", True, "when the ticket was opened (UTC)"),
            Column("updated_at", "TIMESTAMP", False, "last update (UTC)"),
            Column("resolved_at", "TIMESTAMP", False, "when solved (UTC); empty while open"),
            Column("status", "VARCHAR", True, "status as exported (new, open, pending, solved, closed...)"),
            Column("priority", "VARCHAR", False, "priority as exported"),
            Column("channel", "VARCHAR", False, "channel the ticket came in by (as exported)"),
            Column("category", "VARCHAR", False, "category as exported (mapped in staging)"),
            Column("subject", "VARCHAR", False, "subject line"),
            Column("team", "VARCHAR", False, "group / team as exported (mapped in staging)"),
            Column("owner", "VARCHAR", False, "assignee as exported"),
            Column("customer_id", "VARCHAR", False, "the system's id of the requester"),
            Column("customer_crm_id", "VARCHAR", False, "CRM customer number, when the export carries it"),
            Column("customer_email", "VARCHAR", False, "requester email as given"),
            Column("customer_phone", "VARCHAR", False, "requester phone as given"),
            Column(
                "customer_phone_region",
                "VARCHAR",
                False,
                "country of a phone number written without its code (ISO 3166: US, DE); empty: CX_PHONE_REGION",
            ),
            Column("customer_name", "VARCHAR", False, "requester name as given"),
            Column("satisfaction_score", "DOUBLE", False, "the ticket system's own rating (1 good, 0 bad)"),
            *CUSTOMER_ATTRIBUTES,
        ),
        record_id="complaint_id",
    ),
    "complaint_events": Contract(
        "complaint_events",
        "One row per change of a ticket field (owner, team, status, priority).",
        (
            Column("complaint_id", "VARCHAR", True, "ticket id"),
            Column("event_at", "TIMESTAMP", True, "when the change happened (UTC)"),
            Column(
                "field",
                "VARCHAR",
                True,
                "the field changed; staging tracks assignee | team | status | priority (TRACKED_FIELDS). A "
                "change of another field (a help desk's custom fields, requester) is kept here and left out of "
                "staging: histories export every field, and such rows are no error",
            ),
            Column("old_value", "VARCHAR", False, "value before (empty when the export does not say)"),
            Column("new_value", "VARCHAR", False, "value after"),
            Column("actor", "VARCHAR", False, "who made the change"),
        ),
    ),
    "survey_responses": Contract(
        "survey_responses",
        "One row per survey response (CSAT, NPS, CES).",
        (
            Column("response_id", "VARCHAR", True, "response id in the survey tool"),
            Column("survey", "VARCHAR", True, "survey name"),
            Column("submitted_at", "TIMESTAMP", True, "when the response was recorded (UTC)"),
            Column("score", "DOUBLE", True, "the answer to the score question"),
            Column("scale", "VARCHAR", True, "csat_5 | nps_10 | ces_7"),
            Column("comment", "VARCHAR", False, "free text"),
            Column("touchpoint", "VARCHAR", False, "what the survey was about (ticket, call, relationship)"),
            Column("complaint_id", "VARCHAR", False, "the ticket the survey was sent for"),
            Column("customer_id", "VARCHAR", False, "the survey tool's contact id"),
            Column("customer_crm_id", "VARCHAR", False, "CRM customer number (external reference)"),
            Column("customer_email", "VARCHAR", False, "respondent email as given"),
            Column("customer_phone", "VARCHAR", False, "respondent phone as given"),
            Column(
                "customer_phone_region",
                "VARCHAR",
                False,
                "country of a phone number written without its code (ISO 3166: US, DE); empty: CX_PHONE_REGION",
            ),
            Column("customer_name", "VARCHAR", False, "respondent name as given"),
            *CUSTOMER_ATTRIBUTES,
        ),
        record_id="response_id",
    ),
    "workload": Contract(
        "workload",
        "One row per team or queue and period of the contact centre's workload.",
        (
            Column("period_start", "TIMESTAMP", True, "period start (UTC)"),
            Column("period_end", "TIMESTAMP", True, "period end, exclusive (UTC)"),
            Column("team", "VARCHAR", False, "team as exported"),
            Column("queue", "VARCHAR", False, "queue as exported"),
            Column("channel", "VARCHAR", False, "channel"),
            Column("contacts_offered", "BIGINT", False, "contacts that reached the queue", non_negative=True),
            Column("contacts_handled", "BIGINT", False, "contacts answered by an agent", non_negative=True),
            Column("contacts_abandoned", "BIGINT", False, "contacts that hung up waiting", non_negative=True),
            Column("backlog", "BIGINT", False, "open work at period end", non_negative=True),
            Column("avg_wait_seconds", "DOUBLE", False, "mean wait in queue", non_negative=True),
            Column(
                "avg_handle_seconds",
                "DOUBLE",
                False,
                "mean handle time of handled contacts",
                non_negative=True,
            ),
            Column(
                "agents_staffed", "BIGINT", False, "distinct agents who handled contacts", non_negative=True
            ),
        ),
    ),
    "contacts": Contract(
        "contacts",
        "One row per call / contact with its customer when the system identified one.",
        (
            Column("contact_id", "VARCHAR", True, "call id"),
            Column("customer_id", "VARCHAR", False, "the system's customer id; empty when unknown"),
            Column("customer_crm_id", "VARCHAR", False, "CRM customer number, when the system uses it"),
            Column("started_at", "TIMESTAMP", True, "when the contact started (UTC)"),
            Column("team", "VARCHAR", False, "team as exported"),
            Column("queue", "VARCHAR", False, "queue / service type as exported"),
            Column("channel", "VARCHAR", False, "channel"),
            Column("outcome", "VARCHAR", False, "handled | abandoned | phantom (as exported)"),
            Column("wait_seconds", "DOUBLE", False, "time waiting in queue", non_negative=True),
            Column("handle_seconds", "DOUBLE", False, "time with an agent", non_negative=True),
            Column("agent", "VARCHAR", False, "agent who handled it"),
            *CUSTOMER_ATTRIBUTES,
        ),
        record_id="contact_id",
    ),
    "dashboard_kpis": Contract(
        "dashboard_kpis",
        "One row per KPI value a dashboard showed (metric x period x dimension).",
        (
            Column("dashboard", "VARCHAR", True, "dashboard name"),
            Column("exported_at", "TIMESTAMP", True, "when the export was taken (UTC)"),
            Column("period_start", "DATE", True, "first day of the period"),
            Column("period_end", "DATE", True, "last day of the period"),
            Column("metric", "VARCHAR", True, "metric name as shown"),
            Column("dimension_name", "VARCHAR", False, "e.g. team"),
            Column("dimension_value", "VARCHAR", False, "e.g. Billing"),
            Column("value", "DOUBLE", True, "the value shown"),
            Column("unit", "VARCHAR", False, "count, %, score..."),
        ),
    ),
}

KINDS = tuple(CONTRACTS)
SCALES = {"csat_5": (1.0, 5.0), "nps_10": (0.0, 10.0), "ces_7": (1.0, 7.0)}
# kinds whose contract came to load a file differently: the files of their sources are read again once
# (sources.Source.reading_digest). complaint_events 2: changes of untracked fields load, not quarantined
CONTRACT_REVISIONS = {"complaint_events": 2}
# the complaint_events fields staging tracks (compared lower-cased and trimmed); raw keeps every field's changes
TRACKED_FIELDS = ("assignee", "team", "status", "priority")


def ddl(contract: Contract, schema: str = "raw") -> str:
    cols = ",\n  ".join(f'"{c.name}" {c.type}' for c in (*contract.columns, *LINEAGE))
    return f'CREATE TABLE IF NOT EXISTS {schema}."{contract.table}" (\n  {cols}\n)'


OPS_DDL = (
    """CREATE TABLE IF NOT EXISTS ops.ingest_files (
  source VARCHAR, kind VARCHAR, file VARCHAR, sha256 VARCHAR, size BIGINT, rows_read BIGINT,
  rows_loaded BIGINT, rows_quarantined BIGINT, status VARCHAR, error VARCHAR, ingested_at TIMESTAMP,
  run_id VARCHAR, notes VARCHAR, reading_digest VARCHAR, columns_read VARCHAR
)""",
    # one row per kind per ingest: which run last looked at the kind's files (the files that failed
    # then are in ops.ingest_files with its run_id; the F8_ingest checks read them)
    """CREATE TABLE IF NOT EXISTS ops.ingest_runs (
  kind VARCHAR, run_id VARCHAR, finished_at TIMESTAMP, files_seen BIGINT
)""",
    # one row per change-history source: the complaint source whose tickets it changes (sources.yml
    # complaint_source; NULL: an id links to the one complaint source that has it); staging links by it
    "CREATE TABLE IF NOT EXISTS ops.history_sources (source VARCHAR, complaint_source VARCHAR)",
    """CREATE TABLE IF NOT EXISTS ops.quarantine (
  source VARCHAR, kind VARCHAR, file VARCHAR, file_sha256 VARCHAR, "row" BIGINT, raw_record VARCHAR,
  reason VARCHAR, ingested_at TIMESTAMP
)""",
)
