"""The diagnostic report: one self-contained HTML file (no CDN), written atomically beside the analyst file."""

from __future__ import annotations

import html
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb


def _table(headers: list[str], rows: list[tuple]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def build_report(published_db: Path, target: Path, run_id: str) -> Path:
    con = duckdb.connect(str(published_db), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_name, one_row_means FROM main.readme ORDER BY table_name"
        ).fetchall()
        counts = [
            (name, con.execute(f"SELECT count(*) FROM {name}").fetchone()[0], means)  # type: ignore[index]
            for name, means in tables
        ]
        checks = (
            con.execute(
                """
            SELECT "check", asset, severity, CASE WHEN passed THEN 'passed' ELSE 'FAILED' END, observed_value,
                   threshold
            FROM quality.check_results WHERE run_id = ? AND family <> 'dbt'
            ORDER BY passed, "check" """,
                [run_id],
            ).fetchall()
            if _has(con, "quality", "check_results")
            else []
        )
        journey = (
            con.execute("""
            SELECT event_type, count(*), count(DISTINCT customer_key) FROM marts.customer_journey
            GROUP BY 1 ORDER BY 2 DESC""").fetchall()
            if _has(con, "marts", "customer_journey")
            else []
        )
    finally:
        con.close()
    failed = sum(1 for c in checks if c[3] == "FAILED")
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cx-unify diagnostic</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}}table{{border-collapse:collapse;margin:1rem 0}}
td,th{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}}th{{background:#f4f4f4}}</style></head>
<body><h1>cx-unify diagnostic</h1>
<p>Run <code>{html.escape(run_id)}</code>, generated {generated}. {failed} check(s) failed.</p>
<h2>Checks</h2>{_table(["check", "asset", "severity", "result", "observed", "threshold"], checks)}
<h2>Customer journey</h2>{_table(["event type", "events", "customers"], journey)}
<h2>Tables in the analyst file</h2>{_table(["table", "rows", "one row means"], counts)}
</body></html>
"""
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.parent / f".{target.name}.building"
    building.write_text(page, encoding="utf-8")
    os.replace(building, target)
    return target


def _has(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])
