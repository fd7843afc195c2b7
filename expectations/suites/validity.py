"""F8 validity: the raw contracts hold (types, required fields, scores within scale, no future dates,
unique ids per source and file), and what ingest had to quarantine.

`F8_validity__<table>` (ERROR, blocking): a broken contract in raw must not be published.
`F8_quarantine__<table>` (WARN): records ingest refused; the night still publishes the rest.
`F8_ingest__<table>` (ERROR, blocking): files of a kind that could not be loaded at all (a required
column missing, an unreadable file): tonight's data would be published without them.
`F8_reused_ids__<table>` (WARN): one id of a source in several files with start times more than a day apart:
two different records sharing an id (a source that reuses or restarts its ids), of which staging keeps only
the newest export's as "the newer version"; the other is in raw but in no mart.
`F8_orphans__complaint_events` (WARN): change histories that reach no complaint (its record quarantined,
never exported, its id in several complaint sources, or not in the ticket source sources.yml ties it to), so they are in no journey or ownership mart. A
ticket deleted in the service system is withdrawn with its history: not an orphan.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from connectors.contracts import CONTRACTS, SCALES, Contract
from expectations.spec import CheckSpec, offending_rows


def _violations(column: str, threshold: float) -> list[Any]:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToBeBetween(
            column=column,
            min_value=0,
            max_value=threshold,
            meta={"what": f"{column} per rule at most the threshold"},
        )
    ]


def _rules_sql(contract: Contract) -> str:
    table = f'raw."{contract.table}"'
    parts = []
    for column in contract.columns:
        if column.required:
            parts.append(
                f"SELECT 'required {column.name}' AS rule, count(*) FILTER (WHERE \"{column.name}\" IS NULL)"
                f" AS violations FROM {table}"
            )
        if column.type == "TIMESTAMP":
            parts.append(
                f"SELECT 'not in the future: {column.name}', count(*) FILTER (WHERE \"{column.name}\" > "
                f"now()::TIMESTAMP + INTERVAL 1 DAY) FROM {table}"
            )
    if contract.record_id:
        rid = contract.record_id
        parts.append(
            f"SELECT 'unique {rid} per source and file', count(*) FROM (SELECT _source, _file, \"{rid}\" "
            f"FROM {table} GROUP BY ALL HAVING count(*) > 1)"
        )
    if contract.table == "survey_responses":
        bounds = " OR ".join(
            f"(scale = '{s}' AND score BETWEEN {lo} AND {hi})" for s, (lo, hi) in SCALES.items()
        )
        parts.append(f"SELECT 'score within its scale', count(*) FILTER (WHERE NOT ({bounds})) FROM {table}")
    return "\nUNION ALL\n".join(parts)


def checks() -> list[CheckSpec]:
    specs = []
    for contract in CONTRACTS.values():
        specs.append(
            CheckSpec(
                name=f"F8_validity__{contract.table}",
                asset=("raw", contract.table),
                description=f"raw.{contract.table} keeps its contract: required fields, no future timestamps, "
                "unique ids per source and file, scores within scale",
                severity="ERROR",
                threshold=0,
                sql=_rules_sql(contract),
                expectations=partial(_violations, "violations"),
                observed="coalesce(sum(violations), 0)",
                unit="rows breaking a rule",
            )
        )
        specs.append(
            CheckSpec(
                name=f"F8_quarantine__{contract.table}",
                asset=("raw", contract.table),
                description=f"records of kind {contract.table} that ingest quarantined (ops.quarantine)",
                severity="WARN",
                threshold=0,
                sql=f'SELECT source, file, count(*) AS quarantined, min("row") AS first_row, any_value(reason) AS reason '
                f"FROM ops.quarantine WHERE kind = '{contract.table}' GROUP BY ALL ORDER BY source, file",
                expectations=partial(_violations, "quarantined"),
                observed="coalesce(sum(quarantined), 0)",
                unit="quarantined records",
            )
        )
        # raw/workload derives from contacts' files (recorded as contacts), but a source may also load it
        specs.append(_failed_files(contract.table))
        if contract.table in BEGAN_AT:
            specs.append(_reused_ids(contract, BEGAN_AT[contract.table]))
    specs.append(_orphan_histories())
    return specs


# when a record began: the versions of one record (a rolling or corrected export) agree on it
BEGAN_AT = {"complaints": "created_at", "survey_responses": "submitted_at", "contacts": "started_at"}


def _reused_ids(contract: Contract, began_at: str) -> CheckSpec:
    rid = contract.record_id
    return offending_rows(
        f"F8_reused_ids__{contract.table}",
        ("raw", contract.table),
        f"ids of kind {contract.table} that one source uses in several files for records that began more than "
        "{max_apart_hours} h apart: two records sharing an id, not two versions of one (staging keeps the "
        "newest export's row as the newer version; the other is in raw but in no mart). If the source reuses "
        "or restarts its ids, make them unique in sources.yml (e.g. add the date to the id's mapping)",
        # the few ids in several files whose records began far apart are found first, and only theirs
        # described (the arg_min / arg_max over every id cost more than the rest of the check)
        f"""WITH reused AS (
    SELECT _source, "{rid}" FROM raw."{contract.table}"
    WHERE "{rid}" IS NOT NULL
    GROUP BY ALL
    HAVING min(_file) <> max(_file)
        AND epoch(max("{began_at}")) - epoch(min("{began_at}")) > {{max_apart_hours}} * 3600
)
SELECT _source AS source, "{rid}" AS record_id, count(*) AS versions,
    min("{began_at}") AS earliest_{began_at}, arg_min(_file, "{began_at}") AS earliest_file,
    arg_min(_row, "{began_at}") AS earliest_row,
    max("{began_at}") AS latest_{began_at}, arg_max(_file, "{began_at}") AS latest_file,
    arg_max(_row, "{began_at}") AS latest_row,
    round((epoch(max("{began_at}")) - epoch(min("{began_at}"))) / 86400, 1) AS days_apart
FROM raw."{contract.table}" AS records
WHERE EXISTS (
    SELECT 1 FROM reused WHERE reused._source = records._source AND reused."{rid}" = records."{rid}"
)
GROUP BY ALL
ORDER BY days_apart DESC, source, record_id""",
        unit="ids",
        entity=("source", "record_id"),
        params={"max_apart_hours": 24},
    )


def _orphan_histories() -> CheckSpec:
    return offending_rows(
        "F8_orphans__complaint_events",
        ("staging", "stg_service__complaints"),
        "complaint change histories that reach no complaint: no complaint record has their id (its record "
        "was quarantined or never exported), several complaint sources do, or the ticket source sources.yml "
        "ties the history to (complaint_source) has none; they are in no journey or ownership mart (a "
        "ticket deleted in the service system is withdrawn with its history)",
        # the histories that link to nothing are found before their changes are counted (counting every
        # history's changes was half of the check)
        """WITH linked AS (  -- the link rule is int_complaint_events_linked's own (macros/complaint_events_linked.sql)
    SELECT DISTINCT source, complaint_id FROM intermediate.int_complaint_events_linked
),
histories AS (
    SELECT source, complaint_id, count(*) AS changes
    FROM staging.stg_service__complaint_events AS events
    WHERE NOT EXISTS (
        SELECT 1 FROM linked WHERE linked.source = events.source AND linked.complaint_id = events.complaint_id)
    GROUP BY source, complaint_id
),
records AS (
    SELECT complaint_id, count(*) AS complaint_records FROM staging.stg_service__complaints GROUP BY complaint_id
),
deleted AS (  -- tickets withdrawn by deletion (staging keeps no deleted ticket)
    SELECT DISTINCT complaint_id FROM raw.complaints WHERE lower(trim(status)) = 'deleted'
)
SELECT histories.source, histories.complaint_id, histories.changes,
    coalesce(records.complaint_records, 0) AS complaint_records,
    CASE WHEN records.complaint_records IS NULL THEN 'no complaint record has the id'
        WHEN tied.complaint_source IS NOT NULL THEN 'its complaint source ' || tied.complaint_source || ' has no such id'
        ELSE 'several complaint sources have the id' END AS why
FROM histories
LEFT JOIN records ON histories.complaint_id = records.complaint_id
LEFT JOIN ops.history_sources AS tied ON tied.source = histories.source
WHERE histories.complaint_id NOT IN (SELECT complaint_id FROM deleted)
ORDER BY histories.changes DESC, histories.source, histories.complaint_id""",
        unit="change histories",
        entity=("source", "complaint_id"),
    )


def _failed_files(kind: str) -> CheckSpec:
    # the kind's latest ingest tried every file that had not loaded: its failed rows are the files failing now
    return offending_rows(
        f"F8_ingest__{kind}",
        ("raw", kind),
        f"files of kind {kind} that the latest ingest could not load at all (ops.ingest_files, status "
        "'failed', with the reason): their rows are not in raw (a file loaded before keeps its earlier "
        "version's rows). After fixing or removing the file, run the whole night again (cx-unify run, or "
        "all steps in the UI): re-executing from failure does not ingest again, so this check fails again",
        f"""SELECT files.source, files.file, files.error
FROM ops.ingest_files AS files
WHERE files.kind = '{kind}' AND files.status = 'failed' AND files.run_id = (
    SELECT run_id FROM ops.ingest_runs WHERE kind = '{kind}' ORDER BY finished_at DESC LIMIT 1
)
ORDER BY files.source, files.file""",
        severity="ERROR",
        unit="files not loaded",
        entity=("source", "file"),
    )
