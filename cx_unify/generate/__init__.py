"""`cx-unify generate`: a landing folder in vendor shapes plus ground_truth.json (DESIGN.md §7)."""

from __future__ import annotations

import json
import random
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from cx_unify.generate import kpis, writers
from cx_unify.generate.activity import Activity, Recorder, Window
from cx_unify.generate.faults import FAULT_KINDS, plan_faults
from cx_unify.generate.names import TEAMS
from cx_unify.generate.people import Population
from cx_unify.generate.truth import build_truth, email_linkability

GENERATOR_VERSION = 2
DEFAULT_START = date(2026, 5, 1)
DEFAULT_DAYS = 184
PEOPLE_PER_SF = 70_000
CHUNK = 20_000

SCHEMAS = {
    "tickets": {
        "requester_id": pl.Int64,
        "requester_external_id": pl.Int64,
        "solved_at": pl.Datetime("us"),
        "satisfaction": pl.String,
        "requester_email": pl.String,
        "requester_phone": pl.String,
        "requester_city": pl.String,
        "requester_postcode": pl.String,
        "requester_birth_date": pl.String,
        "fault": pl.String,
    },
    "surveys": {
        "email": pl.String,
        "external_ref": pl.Int64,
        "phone": pl.String,
        "city": pl.String,
        "postcode": pl.String,
        "birth_date": pl.String,
        "ticket_id": pl.Int64,
        "fault": pl.String,
    },
    "calls": {"person_id": pl.String},
    "ticket_updates": {},
}


def _frame(rows: list[dict], table: str) -> pl.DataFrame:
    return pl.DataFrame(rows, schema_overrides=SCHEMAS[table], infer_schema_length=None)


def generate(
    out: Path,
    scale: float,
    seed: int,
    clean: bool = False,
    start: date = DEFAULT_START,
    days: int = DEFAULT_DAYS,
    wipe: bool = False,
) -> dict:
    """Writes the landing folder and ground truth; returns a summary (row counts, paths)."""
    if scale <= 0:
        raise ValueError("--scale must be positive, e.g. 0.01 (tests), 1 (~1 M signal rows)")
    out = Path(out)
    if wipe and out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    n_people = max(50, round(PEOPLE_PER_SF * scale))
    window = Window(datetime.combine(start, datetime.min.time()), days)
    plan = plan_faults(random.Random(seed * 7919 + 1), n_people, days, clean)
    population = Population(rng, clean)
    recorder = Recorder()
    activity = Activity(rng, window, plan, population, recorder, scale)
    frames: dict[str, list[pl.DataFrame]] = {table: [] for table in recorder.rows}

    def flush() -> None:
        for table, rows in recorder.rows.items():
            if rows:
                frames[table].append(_frame(rows, table))
                rows.clear()

    for index in range(n_people):
        activity.simulate(population.person(index))
        if (index + 1) % CHUNK == 0:
            flush()
    # every live source has a record on the last day, so a clean night is fresh everywhere
    stale = plan.stale_survey
    extra = n_people
    for survey in ("csat", "nps", "ces"):
        if survey == stale:
            continue
        recent = [r for r in recorder.rows["surveys"] if r["survey"] == survey]
        last_day = window.end - timedelta(days=1)
        if not any(r["submitted"] >= last_day for r in recent) and not any(
            frame.filter((pl.col("survey") == survey) & (pl.col("submitted") >= last_day)).height
            for frame in frames["surveys"]
        ):
            person = population.person(extra)
            extra += 1
            activity._response(
                person,
                survey,
                window.end - timedelta(hours=3),
                3 if survey == "csat" else 5,
                crm=person.crm_ids[0] if survey == "ces" else None,
            )
    flush()
    tables = {table: pl.concat(parts, how="diagonal_relaxed") for table, parts in frames.items()}
    faults = _table_faults(tables, plan, window)

    months = writers.month_starts(start, (window.end).date())
    dashboards, kpi_faults = kpis.compute(
        tables["tickets"], tables["surveys"], tables["calls"], months, plan, window.end
    )
    faults += kpi_faults
    landing_paths = {
        "zendesk_tickets": writers.write_tickets(tables["tickets"], out / "zendesk"),
        "zendesk_ticket_updates": writers.write_ticket_updates(tables["ticket_updates"], out / "zendesk"),
        "qualtrics": writers.write_surveys(tables["surveys"], out / "qualtrics"),
        "call_centre": writers.write_calls(tables["calls"], out / "call_centre"),
        "bi": writers.write_dashboards(dashboards, out / "bi"),
    }
    faults += _row_faults(tables, plan)
    truth = build_truth(
        tables,
        faults,
        plan,
        population_size=extra,
        meta={
            "generator_version": GENERATOR_VERSION,
            "scale": scale,
            "seed": seed,
            "clean": clean,
            "window_start": start.isoformat(),
            "window_end_exclusive": window.end.date().isoformat(),
            "local_timezone": writers.LOCAL_TZ,
        },
    )
    truth["identity_stats"]["email_linkability"] = email_linkability(tables)
    # the files written, relative to the landing folder (raw._file): evaluate scores the records loaded from them
    truth["files"] = sorted(p.relative_to(out).as_posix() for paths in landing_paths.values() for p in paths)
    (out / "ground_truth.json").write_text(
        json.dumps(truth, sort_keys=True, indent=1, default=str) + "\n", encoding="utf-8"
    )
    rows = {
        "complaints": tables["tickets"].height,
        "complaint_events": tables["ticket_updates"].height,
        "survey_responses": tables["surveys"].height,
        "contacts": tables["calls"].height,
        "dashboard_kpis": dashboards.height,
    }
    return {
        "out": str(out),
        "people": extra,
        "rows": rows,
        "signal_rows": sum(rows.values()),
        "files": sum(len(v) for v in landing_paths.values()),
        "faults": len(truth["faults"]),
        "ground_truth": str(out / "ground_truth.json"),
    }


def _table_faults(tables: dict[str, pl.DataFrame], plan, window: Window) -> list[dict]:
    """Faults that act on whole tables: misrouted calls (F4) and a stale survey export (F7)."""
    faults: list[dict] = []
    if plan.clean:
        return faults
    team, to_team = plan.misrouted_team, plan.misrouted_to_team
    first, last = plan.misrouted_day_offsets
    day0 = window.start + timedelta(days=first)
    day1 = window.start + timedelta(days=last + 1)
    in_range = (pl.col("started_utc") >= day0) & (pl.col("started_utc") < day1)
    calls = tables["calls"]
    tables["calls"] = calls.with_columns(
        type=pl.when(in_range & (pl.col("type") == TEAMS[team][2]))
        .then(pl.lit(TEAMS[to_team][2]))
        .otherwise(pl.col("type"))
    )
    # the team-days where service logged phone complaints that operations now shows no calls for
    tickets = tables["tickets"].filter(pl.col("valid") & (pl.col("via") == "phone"))
    first_group = (
        tables["ticket_updates"]
        .filter(pl.col("field") == "Group")
        .sort("ts")
        .group_by("ticket_id", maintain_order=True)
        .first()
        .select("ticket_id", first_group="new")
    )
    phone = tickets.with_columns(ticket_id=pl.col("id").cast(pl.Int64)).join(first_group, on="ticket_id")
    days = (
        phone.filter(
            (pl.col("created_at") >= day0)
            & (pl.col("created_at") < day1)
            & (pl.col("first_group") == TEAMS[team][1])
        )
        .select(pl.col("created_at").dt.date().alias("day"))
        .unique()
        .sort("day")["day"]
        .to_list()
    )
    if days:
        faults.append(
            {
                "kind": "workload_misrouted",
                "team": team,
                "logged_as_team": to_team,
                "days": [d.isoformat() for d in days],
            }
        )
    stale = plan.stale_survey
    if stale:
        cut = window.end - timedelta(days=plan.stale_source_days)
        surveys = tables["surveys"]
        tables["surveys"] = surveys.filter((pl.col("survey") != stale) | (pl.col("submitted") < cut))
        faults.append(
            {
                "kind": "stale_source",
                "source_file_prefix": f"qualtrics/{stale}_",
                "survey": writers.SURVEYS[stale][1],
                "last_record_before": cut.date().isoformat(),
                "days_behind": plan.stale_source_days,
            }
        )
    return faults


def _row_faults(tables: dict[str, pl.DataFrame], plan) -> list[dict]:
    """Faults placed on single records (F1, F2, F5, F6, F8), read back from the tables."""
    faults: list[dict] = []
    for row in tables["tickets"].filter(pl.col("fault").is_not_null()).iter_rows(named=True):
        kind = row["fault"]
        if kind == "happy_survey_open_complaint":  # recorded with its survey response below
            continue
        entry = {"kind": kind, "complaint_id": row["id"], "person_id": row["person_id"]}
        if kind == "unmapped_category":
            entry["category"] = row["category"]
        if kind == "unmapped_team":
            entry["team"] = row["group"]
        if kind in ("ticket_created_in_future", "ticket_missing_id"):
            entry = {
                "kind": "invalid_row",
                "rule": kind,
                "source": "zendesk_tickets",
                "requester_id": row["requester_id"],
                "person_id": row["person_id"],
            }
        faults.append(entry)
    for row in tables["surveys"].filter(pl.col("fault").is_not_null()).iter_rows(named=True):
        kind = row["fault"]
        if kind in ("csat_score_out_of_scale", "nps_score_not_a_number"):
            faults.append(
                {
                    "kind": "invalid_row",
                    "rule": kind,
                    "response_id": row["response_id"],
                    "survey": writers.SURVEYS[row["survey"]][1],
                    "person_id": row["person_id"],
                }
            )
        else:
            entry = {"kind": kind, "response_id": row["response_id"], "person_id": row["person_id"]}
            if kind == "duplicate_crm_id":
                entry["second_crm_id"] = str(row["external_ref"])
            faults.append(entry)
    return faults


__all__ = ["generate", "FAULT_KINDS"]
