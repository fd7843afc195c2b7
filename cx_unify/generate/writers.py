"""Write the simulated tables in the shapes the vendors' tools export.

- Zendesk: ticket view export (CSV, quoted, account time zone) and Explore "Updates history" (CSV, UTC).
- Qualtrics: one CSV per survey and month with the three header rows of a current export.
- Call centre: the bank call-log layout (tab-separated, CRLF, YYMMDD, H:MM:SS local times, 0 = unknown).
- BI tool: a long KPI export per dashboard.
Output bytes depend only on the frames, so the same seed writes the same files.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import polars as pl

from cx_unify.generate.names import TEAMS

LOCAL_TZ = "Europe/London"  # the account time zone of Zendesk, Qualtrics and the call centre
SURVEYS = {  # key -> (file stem, survey name as exported, question text)
    "csat": ("csat", "Post-ticket CSAT", "How satisfied were you with the support you received?"),
    "nps": ("nps", "Relationship NPS", "How likely are you to recommend us to a friend or colleague?"),
    "ces": ("ces", "Post-call effort", "The company made it easy for me to handle my issue."),
}
VIA = {"email": "Email", "web": "Web Form", "phone": "Phone call (inbound)", "chat": "Chat"}
GROUP_TO_TEAM = {group: team for team, (_, group, _) in TEAMS.items()}
QUEUE_TO_TEAM = {queue: team for team, (_, _, queue) in TEAMS.items()}


def _local(col: str, fmt: str) -> pl.Expr:
    return pl.col(col).dt.replace_time_zone("UTC").dt.convert_time_zone(LOCAL_TZ).dt.strftime(fmt)


def _month_files(df: pl.DataFrame, ts_col: str) -> list[tuple[str, pl.DataFrame]]:
    months = df.with_columns(_m=pl.col(ts_col).dt.strftime("%Y-%m"))
    return [
        (str(key[0]), part.drop("_m"))
        for key, part in sorted(months.partition_by("_m", as_dict=True).items())
    ]


def write_tickets(df: pl.DataFrame, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = df.sort("created_at", "id").select(
        pl.col("id").alias("Id"),
        pl.col("requester").alias("Requester"),
        pl.col("requester_id").cast(pl.String).alias("Requester id"),
        pl.col("requester_external_id").cast(pl.String).alias("Requester external id"),
        pl.col("requester_email").alias("Requester email"),
        pl.col("requester_phone").alias("Requester phone"),
        pl.col("requester_city").alias("Requester city"),
        pl.col("requester_postcode").alias("Requester postcode"),
        pl.col("requester_birth_date").alias("Requester birth date"),
        pl.col("assignee").alias("Assignee"),
        pl.col("group").alias("Group"),
        pl.col("subject").alias("Subject"),
        pl.col("status").str.to_titlecase().alias("Status"),
        pl.col("priority").str.to_titlecase().alias("Priority"),
        pl.col("via").replace_strict(VIA).alias("Via"),
        pl.col("category").alias("Category"),
        _local("created_at", "%Y-%m-%d %H:%M:%S").alias("Created at"),
        _local("updated_at", "%Y-%m-%d %H:%M:%S").alias("Updated at"),
        _local("solved_at", "%Y-%m-%d %H:%M:%S").alias("Solved at"),
        pl.col("satisfaction").fill_null("Unoffered").alias("Satisfaction Score"),
        pl.col("updated_at").alias("_ts"),
    )
    paths = []  # an incremental export: each ticket once, in the month of its latest update
    for month, part in _month_files(out, "_ts"):
        path = folder / f"tickets_{month}.csv"
        part.drop("_ts").write_csv(path, quote_style="always")
        paths.append(path)
    return paths


def write_ticket_updates(df: pl.DataFrame, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = df.sort("ts", "ticket_id").select(
        pl.col("ticket_id").alias("Ticket ID"),
        pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("Update - Timestamp"),
        pl.col("field").alias("Changes - Field name"),
        pl.col("previous").alias("Changes - Previous value"),
        pl.col("new").alias("Changes - New value"),
        pl.col("updater").alias("Updater name"),
        pl.col("ts").alias("_ts"),
    )
    paths = []
    for month, part in _month_files(out, "_ts"):
        path = folder / f"ticket_updates_{month}.csv"
        part.drop("_ts").write_csv(path)
        paths.append(path)
    return paths


QUALTRICS_COLUMNS = [
    ("StartDate", "Start Date", "startDate"),
    ("EndDate", "End Date", "endDate"),
    ("Status", "Response Type", "status"),
    ("IPAddress", "IP Address", "ipAddress"),
    ("Progress", "Progress", "progress"),
    ("Duration (in seconds)", "Duration (in seconds)", "duration"),
    ("Finished", "Finished", "finished"),
    ("RecordedDate", "Recorded Date", "recordedDate"),
    ("ResponseId", "Response ID", "_recordId"),
    ("RecipientLastName", "Recipient Last Name", "recipientLastName"),
    ("RecipientFirstName", "Recipient First Name", "recipientFirstName"),
    ("RecipientEmail", "Recipient Email", "recipientEmail"),
    ("ExternalReference", "External Data Reference", "externalDataReference"),
    ("LocationLatitude", "Location Latitude", "locationLatitude"),
    ("LocationLongitude", "Location Longitude", "locationLongitude"),
    ("DistributionChannel", "Distribution Channel", "distributionChannel"),
    ("UserLanguage", "User Language", "userLanguage"),
]
EMBEDDED = [
    ("ticket_id", "ticket_id"),
    ("Phone", "phone"),
    ("City", "city"),
    ("Postcode", "postcode"),
    ("BirthDate", "birth_date"),
]


def _csv_line(values: list[str]) -> str:
    return ",".join('"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n') else v for v in values)


def write_surveys(df: pl.DataFrame, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for key, (stem, _, question) in SURVEYS.items():
        part_all = (
            df.filter(pl.col("survey") == key)
            .sort("submitted", "response_id")
            .with_columns(start=pl.col("submitted") - pl.duration(seconds=pl.col("duration")))
        )
        if part_all.is_empty():
            continue
        out = part_all.select(
            _local("start", "%Y-%m-%d %H:%M:%S").alias("StartDate"),
            _local("submitted", "%Y-%m-%d %H:%M:%S").alias("EndDate"),
            pl.lit("0").alias("Status"),
            pl.lit("").alias("IPAddress"),
            pl.lit("100").alias("Progress"),
            pl.col("duration").cast(pl.String).alias("Duration (in seconds)"),
            pl.lit("1").alias("Finished"),
            _local("submitted", "%Y-%m-%d %H:%M:%S").alias("RecordedDate"),
            pl.col("response_id").alias("ResponseId"),
            pl.col("last").alias("RecipientLastName"),
            pl.col("first").alias("RecipientFirstName"),
            pl.col("email").alias("RecipientEmail"),
            pl.col("external_ref").cast(pl.String).alias("ExternalReference"),
            pl.lit("").alias("LocationLatitude"),
            pl.lit("").alias("LocationLongitude"),
            pl.col("channel").alias("DistributionChannel"),
            pl.lit("EN-GB").alias("UserLanguage"),
            pl.col("score").alias("Q1"),
            pl.col("comment").alias("Q2"),
            pl.col("ticket_id").cast(pl.String).alias("ticket_id"),
            pl.col("phone").alias("Phone"),
            pl.col("city").alias("City"),
            pl.col("postcode").alias("Postcode"),
            pl.col("birth_date").alias("BirthDate"),
            pl.col("submitted").alias("_ts"),
        )
        names = [c for c, _, _ in QUALTRICS_COLUMNS] + ["Q1", "Q2"] + [e for e, _ in EMBEDDED]
        texts = (
            [t for _, t, _ in QUALTRICS_COLUMNS]
            + [question, "Anything else you want to tell us?"]
            + [e for e, _ in EMBEDDED]
        )
        imports = (
            [json.dumps({"ImportId": i}, separators=(",", ":")) for _, _, i in QUALTRICS_COLUMNS]
            + ['{"ImportId":"QID1"}', '{"ImportId":"QID2_TEXT"}']
            + [json.dumps({"ImportId": i}, separators=(",", ":")) for _, i in EMBEDDED]
        )
        header = "\n".join(_csv_line(row) for row in (names, texts, imports)) + "\n"
        for month, part in _month_files(out, "_ts"):
            path = folder / f"{stem}_{month}.csv"
            body = part.drop("_ts").write_csv(include_header=False)
            path.write_text(header + body, encoding="utf-8")
            paths.append(path)
    return paths


def _clock(seconds: pl.Expr) -> pl.Expr:
    """Seconds after local midnight -> 'H:MM:SS' as the bank log writes it."""
    return pl.format(
        "{}:{}:{}",
        seconds // 3600,
        (seconds % 3600 // 60).cast(pl.String).str.zfill(2),
        (seconds % 60).cast(pl.String).str.zfill(2),
    )


def write_calls(df: pl.DataFrame, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    local = pl.col("started_utc").dt.replace_time_zone("UTC").dt.convert_time_zone(LOCAL_TZ)
    base = (
        df.sort("started_utc", "call_id")
        .with_columns(
            _date=local.dt.strftime("%y%m%d"),
            _entry=(
                local.dt.hour().cast(pl.Int64) * 3600
                + local.dt.minute().cast(pl.Int64) * 60
                + local.dt.second().cast(pl.Int64)
            ),
        )
        .with_columns(_vexit=pl.col("_entry") + pl.col("vru_time"))
    )
    queued = pl.col("q_time") > 0
    agent = pl.col("outcome") == "AGENT"
    ser_start = pl.when(queued).then(pl.col("_vexit") + pl.col("q_time")).otherwise(pl.col("_vexit"))
    zero = pl.lit("0:00:00")
    out = base.select(
        pl.col("vru_line").alias("vru+line"),
        pl.col("call_id").alias("call_id"),
        pl.col("customer_id").alias("customer_id"),
        pl.col("priority").alias("priority"),
        pl.col("type").alias("type"),
        pl.col("_date").alias("date"),
        _clock(pl.col("_entry")).alias("vru_entry"),
        _clock(pl.col("_vexit")).alias("vru_exit"),
        pl.col("vru_time"),
        pl.when(queued).then(_clock(pl.col("_vexit"))).otherwise(zero).alias("q_start"),
        pl.when(queued).then(_clock(pl.col("_vexit") + pl.col("q_time"))).otherwise(zero).alias("q_exit"),
        pl.col("q_time"),
        pl.col("outcome"),
        pl.when(agent).then(_clock(ser_start)).otherwise(zero).alias("ser_start"),
        pl.when(agent).then(_clock(ser_start + pl.col("ser_time"))).otherwise(zero).alias("ser_exit"),
        pl.col("ser_time"),
        pl.col("server"),
        pl.col("started_utc").alias("_ts"),
    )
    paths = []
    for month, part in _month_files(out, "_ts"):
        path = folder / f"calls_{month}.txt"
        part.drop("_ts").write_csv(path, separator="\t", line_terminator="\r\n")
        paths.append(path)
    return paths


def write_dashboards(kpis: pl.DataFrame, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for dashboard in sorted(kpis["dashboard"].unique().to_list()):
        part = kpis.filter(pl.col("dashboard") == dashboard).sort("metric", "team", "period_start")
        out = part.select(
            pl.col("dashboard").alias("Dashboard"),
            pl.col("exported_at").alias("Exported At"),
            pl.col("period_start").dt.strftime("%Y-%m-%d").alias("Period Start"),
            pl.col("period_end").dt.strftime("%Y-%m-%d").alias("Period End"),
            pl.col("metric").alias("Metric"),
            pl.col("team").alias("Team"),
            pl.col("value").alias("Value"),
            pl.col("unit").alias("Unit"),
        )
        path = folder / f"{dashboard.lower().replace(' ', '_')}.csv"
        out.write_csv(path)
        paths.append(path)
    return paths


def month_starts(start: date, end_exclusive: date) -> list[tuple[datetime, datetime]]:
    """[(month start, next month start)] covering the window, clipped to it."""
    months = []
    cursor = date(start.year, start.month, 1)
    while cursor < end_exclusive:
        nxt = date(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
        months.append(
            (
                datetime.combine(max(cursor, start), datetime.min.time()),
                datetime.combine(min(nxt, end_exclusive), datetime.min.time()),
            )
        )
        cursor = nxt
    return months
