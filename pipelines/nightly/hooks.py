"""A failure hook: every failed step of the nightly is written to the log and to ops.run_failures."""

from datetime import UTC, datetime

import dagster as dg
import duckdb

from cx_unify.settings import load_settings

DDL = """CREATE TABLE IF NOT EXISTS ops.run_failures (
  run_id VARCHAR, job VARCHAR, step VARCHAR, error VARCHAR, failed_at TIMESTAMP)"""


def record_failure(run_id: str, job: str, step: str, error: str) -> None:
    con = duckdb.connect(str(load_settings().warehouse))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS ops")
        con.execute(DDL)
        con.execute(
            "INSERT INTO ops.run_failures VALUES (?, ?, ?, ?, ?)",
            [run_id, job, step, error[:4000], datetime.now(UTC).replace(tzinfo=None)],
        )
    finally:
        con.close()


@dg.failure_hook(name="record_run_failure")
def record_run_failure(context: dg.HookContext) -> None:
    error = repr(context.op_exception) if context.op_exception else "step failed"
    context.log.error(f"step {context.step_key} failed: {error}")
    try:
        record_failure(context.run_id, context.job_name, context.step_key, error)
    except duckdb.Error as exc:  # the warehouse itself may be what failed; the log still has it
        context.log.error(f"could not write ops.run_failures: {exc}")
