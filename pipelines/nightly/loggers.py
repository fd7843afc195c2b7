"""A console logger for `cx-unify run`: one line per step start / finish / failure and per check."""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import TYPE_CHECKING

import dagster as dg
from dagster import DagsterEventType

if TYPE_CHECKING:
    from dagster_shared.error import SerializableErrorInfo  # the type of a Dagster event's error

# packages whose exceptions are the product's own, written to say everything (file, source, key, value)
OWN_PACKAGES = ("connectors.", "pipelines.", "expectations.", "cx_unify.")


class FailureLines:
    """`✗ step: message` lines of one run. A message a step already showed is not shown again (a file two
    sources claim fails under each); steps failing with a message another showed (every ingest step of a
    night whose sources.yml is broken) name the step that showed it instead of repeating it."""

    def __init__(self) -> None:
        self.first_step_of: dict[str, str] = {}  # message -> the step whose line showed it
        self.shown: set[tuple[str, str]] = set()

    def line(self, step: str, message: str) -> str | None:
        if (step, message) in self.shown:
            return None
        self.shown.add((step, message))
        first = self.first_step_of.setdefault(message, step)
        return f"✗ {step}: {message}" if first == step else f"✗ {step}: the same error as {first}"


def failure_message(error: SerializableErrorInfo | None) -> str:
    """One line for a step's error: the product's message, i.e. the first error in the chain that is not
    Dagster's wrapper around it (`Error occurred while executing op ...`), and the innermost cause
    only where it says something more: not after the product's own errors, which say what to fix, nor
    when the message already quotes it."""
    while error is not None and error.cause is not None and (error.cls_name or "").startswith("Dagster"):
        error = error.cause
    if error is None:
        return "failed"
    message = _one_line(error.message)
    innermost = error
    while innermost.cause is not None:
        innermost = innermost.cause
    cause = innermost.message.split(": ", 1)[-1].strip()
    if innermost is not error and not error.message.startswith(OWN_PACKAGES) and cause not in error.message:
        message += f" (cause: {_one_line(innermost.message)})"
    return message


def _one_line(message: str) -> str:
    """`SourceConfigError: ...` without the module path; the first three lines (a blocking check's failure
    names the asset and check on its second)."""
    message = re.sub(r"^(?:\w+\.)+(\w+): ", r"\1: ", message.strip())
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return " ".join(lines[:3]) if lines else "failed"


def describe(event: dg.DagsterEvent, failures: FailureLines) -> str | None:
    kind = event.event_type
    if kind == DagsterEventType.STEP_START:
        return f"▶ {event.step_key}"
    if kind == DagsterEventType.STEP_SUCCESS:
        return f"✓ {event.step_key} ({event.event_specific_data.duration_ms / 1000:.1f} s)"  # type: ignore[union-attr]
    if kind == DagsterEventType.STEP_FAILURE:
        error = event.event_specific_data.error  # type: ignore[union-attr]
        return failures.line(event.step_key or "run", failure_message(error))
    if kind == DagsterEventType.RESOURCE_INIT_FAILURE:  # before any step: the warehouse held open, say
        error = event.event_specific_data.error  # type: ignore[union-attr]
        return failures.line("run", failure_message(error))
    if kind == DagsterEventType.ASSET_CHECK_EVALUATION:
        data = event.event_specific_data
        if data.check_name.startswith(("not_null", "unique", "accepted_values", "relationships")):  # type: ignore[union-attr]
            return None  # dbt's generic tests: summarised at the end, not one line each
        mark = "ok " if data.passed else ("WARN" if data.severity.value == "WARN" else "FAIL")  # type: ignore[union-attr]
        return f"   {mark} {data.check_name} on {data.asset_key.to_user_string()}"  # type: ignore[union-attr]
    return None


def describe_error(record: logging.LogRecord, failures: FailureLines) -> str | None:
    """An error or warning the pipeline's own code logged (`context.log.error`: a landing file ingest could
    not load; `context.log.warning`: rows quarantined, a mapping that found nothing, a source without
    files), which no Dagster event carries: one line, with the step that logged it."""
    if record.levelno < logging.WARNING:
        return None
    meta = getattr(record, "dagster_meta", None) or {}
    message = str(meta.get("orig_message") or record.getMessage()).strip()
    step = meta.get("step_key")
    if not message or meta.get("dagster_event") is not None or message.startswith(_said_elsewhere(step)):
        return None
    if record.levelno < logging.ERROR:
        return f"! {step or 'run'}: {' '.join(message.split())}"
    return failures.line(step or "run", " ".join(message.split()))


def _said_elsewhere(step: str | None) -> tuple[str, ...]:
    """Error messages a line already says: the failure hook's (the step's failure event is printed) and
    Dagster's note on each step it does not run after a failure (the summary names the failed steps)."""
    return (f"step {step} failed:", "Dependencies for step ")


class _ProgressHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.failures = FailureLines()

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        line = describe(event, self.failures) if event is not None else describe_error(record, self.failures)
        if line:
            print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


@dg.logger(config_schema=None, description="Concise progress on stderr: one line per step and per check")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.getLogger("cx_unify.progress")
    logger.setLevel(logging.DEBUG)  # Dagster logs its events at DEBUG
    logger.propagate = False
    for handler in list(logger.handlers):  # a new handler per run: its failure lines start afresh
        logger.removeHandler(handler)
    logger.addHandler(_ProgressHandler())
    return logger
