"""A console logger for `cx-unify run`: one line per step start / finish / failure and per check."""

import logging
import sys
import time

import dagster as dg
from dagster import DagsterEventType


def describe(event: dg.DagsterEvent) -> str | None:
    kind = event.event_type
    if kind == DagsterEventType.STEP_START:
        return f"▶ {event.step_key}"
    if kind == DagsterEventType.STEP_SUCCESS:
        return f"✓ {event.step_key} ({event.event_specific_data.duration_ms / 1000:.1f} s)"  # type: ignore[union-attr]
    if kind == DagsterEventType.STEP_FAILURE:
        error = event.event_specific_data.error  # type: ignore[union-attr]
        while error is not None and error.cause is not None:  # the user-code error, not Dagster's wrapper
            error = error.cause
        lines = [line.strip() for line in error.message.strip().splitlines()] if error is not None else []
        # the first lines: a blocking check's failure names the asset and check on its second line
        return f"✗ {event.step_key}: {' '.join(lines[:3]) if lines else 'failed'}"
    if kind == DagsterEventType.ASSET_CHECK_EVALUATION:
        data = event.event_specific_data
        if data.check_name.startswith(("not_null", "unique", "accepted_values", "relationships")):  # type: ignore[union-attr]
            return None  # dbt's generic tests: summarised at the end, not one line each
        mark = "ok " if data.passed else ("WARN" if data.severity.value == "WARN" else "FAIL")  # type: ignore[union-attr]
        return f"   {mark} {data.check_name} on {data.asset_key.to_user_string()}"  # type: ignore[union-attr]
    return None


def describe_error(record: logging.LogRecord) -> str | None:
    """An error the pipeline's own code logged (`context.log.error`: a landing file ingest could not load),
    which no Dagster event carries: one line, with the step that logged it."""
    if record.levelno < logging.ERROR:
        return None
    meta = getattr(record, "dagster_meta", None) or {}
    message = str(meta.get("orig_message") or record.getMessage()).strip()
    step = meta.get("step_key")
    if not message or meta.get("dagster_event") is not None or message.startswith(_said_elsewhere(step)):
        return None
    return f"✗ {step or 'run'}: {' '.join(message.split())}"


def _said_elsewhere(step: str | None) -> tuple[str, ...]:
    """Error messages a line already says: the failure hook's (the step's failure event is printed) and
    Dagster's note on each step it does not run after a failure (the summary names the failed steps)."""
    return (f"step {step} failed:", "Dependencies for step ")


class _ProgressHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        line = describe(event) if event is not None else describe_error(record)
        if line:
            print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


@dg.logger(config_schema=None, description="Concise progress on stderr: one line per step and per check")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.getLogger("cx_unify.progress")
    logger.setLevel(logging.DEBUG)  # Dagster logs its events at DEBUG
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(_ProgressHandler())
    return logger
