"""quality.check_results: every check result of every run, queryable (and published) as history."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

DDL = """CREATE TABLE IF NOT EXISTS quality.check_results (
  run_id VARCHAR, checked_at TIMESTAMP, "check" VARCHAR, family VARCHAR, asset VARCHAR, severity VARCHAR,
  passed BOOLEAN, observed_value DOUBLE, threshold DOUBLE, failing_sample JSON, description VARCHAR
)"""


@dataclass
class CheckRecord:
    check: str
    asset: str
    severity: str
    passed: bool
    observed_value: float | None
    threshold: float | None
    failing_sample: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""


def write_check_records(con: duckdb.DuckDBPyConnection, run_id: str, records: list[CheckRecord]) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS quality")
    con.execute(DDL)
    now = datetime.now(UTC).replace(tzinfo=None)
    con.executemany(
        "INSERT INTO quality.check_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                run_id,
                now,
                r.check,
                r.check.split("_", 1)[0] if not r.check.startswith("dbt:") else "dbt",
                r.asset,
                r.severity,
                r.passed,
                r.observed_value,
                r.threshold,
                json.dumps(r.failing_sample, default=str),
                r.description,
            ]
            for r in records
        ],
    )
