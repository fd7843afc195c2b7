"""The console lines of `cx-unify run` for failed steps: the product's message (file, source, key) rather
than the innermost exception, each message once per run."""

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from connectors.sources import load_sources
from pipelines.nightly.loggers import FailureLines, failure_message, progress_logger

SOURCES = """sources:
  - name: freshdesk_tickets
    team: customer_service
    kind: complaints
    path: "fd/*.csv"
    preset: generic
    timezone: {timezone}
"""


def _step_failures(sources: Path) -> list[dg.DagsterEvent]:
    """Two ingest-like steps reading the same sources.yml, failing as the nightly's raw assets do."""

    @dg.asset
    def raw__complaints() -> None:
        load_sources(sources)

    @dg.asset
    def raw__contacts() -> None:
        load_sources(sources)

    result = dg.materialize([raw__complaints, raw__contacts], raise_on_error=False)
    return result.get_step_failure_events()


def test_a_bad_time_zone_shows_the_source_and_key_not_zoneinfos_error(tmp_path: Path) -> None:
    sources = tmp_path / "sources.yml"
    sources.write_text(SOURCES.format(timezone="America/NewYork"), encoding="utf-8")
    [failure, _] = _step_failures(sources)
    message = failure_message(failure.event_specific_data.error)  # type: ignore[union-attr]
    assert message == (
        f"SourceConfigError: {sources}: source 'freshdesk_tickets': timezone 'America/NewYork' is not an "
        "IANA zone name"
    )  # the cause (ZoneInfoNotFoundError) says nothing more: not shown


def test_broken_yaml_names_the_file_line_and_column(tmp_path: Path) -> None:
    sources = tmp_path / "sources.yml"
    sources.write_text(SOURCES.format(timezone="UTC") + "   bad: [indent\n", encoding="utf-8")
    [failure, _] = _step_failures(sources)
    message = failure_message(failure.event_specific_data.error)  # type: ignore[union-attr]
    assert message == (
        f"SourceConfigError: {sources}, line 8, column 4: not valid YAML: expected <block end>, but found "
        "'<block mapping start>' (while parsing a block collection at line 2, column 3)"
    )
    assert "<unicode string>" not in message and "^" not in message


def test_a_foreign_error_keeps_its_innermost_cause() -> None:
    @dg.asset
    def raw__workload() -> None:
        try:
            Path("/no/such/file.csv").read_text()
        except OSError as exc:
            raise RuntimeError("could not read the workload export") from exc

    [failure] = dg.materialize([raw__workload], raise_on_error=False).get_step_failure_events()
    assert failure_message(failure.event_specific_data.error) == (  # type: ignore[union-attr]
        "RuntimeError: could not read the workload export (cause: FileNotFoundError: [Errno 2] "
        "No such file or directory: '/no/such/file.csv')"
    )


def test_an_error_every_step_shares_is_printed_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "sources.yml"
    sources.write_text(SOURCES.format(timezone="America/NewYork"), encoding="utf-8")
    failures = _step_failures(sources)
    logger = progress_logger.logger_fn(dg.build_init_logger_context())  # type: ignore[attr-defined]
    capsys.readouterr()
    for event in failures:
        logger.handle(logging.makeLogRecord({"dagster_event": event, "levelno": logging.ERROR}))
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(
        f"✗ raw__complaints: SourceConfigError: {sources}: source 'freshdesk_tickets': "
        "timezone 'America/NewYork' is not an IANA zone name"
    )
    assert lines[1].endswith("✗ raw__contacts: the same error as raw__complaints")

    # the next run starts afresh: its first failure is shown in full
    logger = progress_logger.logger_fn(dg.build_init_logger_context())  # type: ignore[attr-defined]
    logger.handle(logging.makeLogRecord({"dagster_event": failures[1], "levelno": logging.ERROR}))
    assert "is not an IANA zone name" in capsys.readouterr().err


def test_failure_lines_repeat_no_message() -> None:
    failures = FailureLines()
    assert failures.line("a", "boom") == "✗ a: boom"
    assert failures.line("b", "boom") == "✗ b: the same error as a"
    assert failures.line("c", "other") == "✗ c: other"


def test_a_resource_that_cannot_be_set_up_is_a_line_before_any_step(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The warehouse held open by another process fails the run while its resource is set up: no step
    fails, and the console said only FAILED."""

    class Held(dg.ConfigurableResource):
        @contextlib.contextmanager
        def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["Held"]:
            raise RuntimeError("the warehouse is held by python3 (PID 7): close that connection")
            yield self

    @dg.asset
    def needs_it(warehouse: Held) -> None:
        pass

    result = dg.materialize([needs_it], resources={"warehouse": Held()}, raise_on_error=False)
    assert not result.success and not result.get_step_failure_events()
    logger = progress_logger.logger_fn(dg.build_init_logger_context())  # type: ignore[attr-defined]
    capsys.readouterr()
    for event in result.all_events:
        logger.handle(logging.makeLogRecord({"dagster_event": event, "levelno": logging.ERROR}))
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith("✗ run: RuntimeError: the warehouse is held by python3 (PID 7): close that connection")
    )
