"""`cx-unify run`: settings that cannot work stop it at once with one line; its summary says whether the
analyst file and report are tonight's."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cx_unify.cli import _print_summary, app
from cx_unify.nightly import ANALYST_FILE_ASSET, REPORT_ASSET, RunSummary
from cx_unify.settings import load_settings


def test_run_with_a_landing_folder_that_is_not_there_fails_at_once(cx_env: Path) -> None:
    typo = cx_env / "landng"
    result = CliRunner().invoke(app, ["run", "--home", str(cx_env), "--landing", str(typo)])
    assert result.exit_code == 2, result.output
    assert f"landing folder not found: {typo}" in result.stderr
    assert not typo.exists()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "CX_REPORTING_TIMEZONE",
            "Europe/Londn",
            "CX_REPORTING_TIMEZONE='Europe/Londn' is not a time zone name",
        ),
        ("CX_DUCKDB_THREADS", "two", "CX_DUCKDB_THREADS='two' is not a number of threads"),
        ("CX_DUCKDB_MEMORY_LIMIT", "lots", "CX_DUCKDB_MEMORY_LIMIT='lots' is not a memory limit"),
        ("CX_MASK_PII", "nope", "CX_MASK_PII='nope' is neither on"),
    ],
)
def test_run_with_a_variable_that_cannot_work_fails_at_once(
    cx_env: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(app, ["run", "--home", str(cx_env)])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not (cx_env / "logs").exists()


def test_the_demo_leaves_a_landing_folder_of_ones_own_exports_alone(cx_env: Path) -> None:
    export = cx_env / "landing" / "zendesk" / "tickets_2026-05.csv"
    export.parent.mkdir(parents=True)
    export.write_text("id\n1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["demo", "--home", str(cx_env)])
    assert result.exit_code == 2, result.output
    assert "holds files the generator did not write" in result.stderr
    assert export.read_text(encoding="utf-8") == "id\n1\n"
    assert sorted(p.name for p in (cx_env / "landing").rglob("*") if p.is_file()) == ["tickets_2026-05.csv"]


def test_generating_again_keeps_an_export_added_beside_the_generated_ones(cx_env: Path) -> None:
    """A landing folder the generator made was wiped whole by the next `generate`, with the exports a user
    had added to it. Such a folder is refused (naming the file) unless --force; one holding only generated
    files is made again."""
    landing = cx_env / "landing"
    again = ["generate", "--home", str(cx_env), "--scale", "0.01", "--days", "5"]
    assert CliRunner().invoke(app, again).exit_code == 0
    added = landing / "freshdesk" / "my_export.csv"
    added.parent.mkdir()
    added.write_text("id\n1\n", encoding="utf-8")
    result = CliRunner().invoke(app, again)
    assert result.exit_code == 2, result.output
    assert "holds files the generator did not write (freshdesk/my_export.csv)" in result.stderr
    assert added.exists()
    added.unlink()
    assert CliRunner().invoke(app, again).exit_code == 0
    assert CliRunner().invoke(app, [*again[:-2], "--days", "6"]).exit_code == 0


def test_run_with_a_broken_checks_yml_fails_before_any_step(cx_env: Path, tmp_path: Path) -> None:
    checks = tmp_path / "checks.yml"
    checks.write_text('checks:\n  "F8_quarantine__*":\n    severty: ERROR\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["run", "--home", str(cx_env), "--checks", str(checks)])
    assert result.exit_code == 2, result.output
    # one line, the file, the entry and the key: no traceback, no step started
    [_, error] = result.stderr.strip().splitlines()
    assert error == (
        f"{checks}: check 'F8_quarantine__*': unknown key 'severty' (did you mean 'severity'?); "
        "allowed keys: severity, threshold, params"
    )
    assert not (cx_env / "logs").exists()


def test_run_with_a_checks_file_that_is_not_there_fails(cx_env: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--home", str(cx_env), "--checks", str(tmp_path / "nope.yml")])
    assert result.exit_code == 2
    assert f"checks file not found: {tmp_path / 'nope.yml'}" in result.stderr


def _summary(success: bool, materialized: set[str]) -> RunSummary:
    return RunSummary(
        "r1", success, 3.0, [] if success else ["raw__complaints"], [], materialized=materialized
    )


def _lines(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    err = capsys.readouterr().err
    return {m[0]: m[1] for m in re.findall(r"^(analyst file|report): +(.*)$", err, re.MULTILINE)}


def test_the_summary_says_whose_analyst_file_it_is(cx_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings()
    # a failed first night: nothing was ever published
    _print_summary(settings, _summary(False, set()))
    assert _lines(capsys) == {
        "analyst file": f"none: nothing published yet ({settings.published_db})",
        "report": f"none: nothing published yet ({settings.report_html})",
    }
    # a night that published
    settings.published.mkdir(parents=True)
    settings.published_db.write_bytes(b"")
    settings.report_html.write_text("<!doctype html>")
    _print_summary(settings, _summary(True, {ANALYST_FILE_ASSET, REPORT_ASSET}))
    assert _lines(capsys) == {"analyst file": str(settings.published_db), "report": str(settings.report_html)}
    # a failed night after it: the files are the earlier night's
    _print_summary(settings, _summary(False, {"raw/contacts"}))
    unchanged = "(unchanged: an earlier run's; this run did not publish)"
    assert _lines(capsys) == {
        "analyst file": f"{settings.published_db} {unchanged}",
        "report": f"{settings.report_html} {unchanged}",
    }


def test_a_full_disk_is_one_line_that_says_where_and_what_to_do(cx_env: Path) -> None:
    """A home on a full disk stopped the run with SQLite's error from Dagster's run records: a 400-line
    traceback, no summary. The error chain is searched for the full disk (an OSError ENOSPC, SQLite's
    "database or disk is full"), and the line names the folders and their free space."""
    import errno
    import sqlite3

    from cx_unify.cli import _disk_full, _disk_full_message

    try:
        with open("/dev/full", "w") as full:  # the kernel's always-full device: a real ENOSPC
            full.write("x")
    except OSError as exc:
        no_space = exc
    assert no_space.errno == errno.ENOSPC
    assert _disk_full(no_space) == str(no_space)
    try:
        try:
            raise sqlite3.OperationalError("database or disk is full")
        except sqlite3.OperationalError as inner:
            raise RuntimeError("Error executing step dbt_models") from inner
    except RuntimeError as outer:
        assert _disk_full(outer) == "database or disk is full"
    assert _disk_full(ValueError("a bad value")) is None
    settings = load_settings()
    settings.export()
    line = _disk_full_message(settings, "database or disk is full")
    assert line.startswith("run FAILED: a disk is full (database or disk is full). ")
    assert f"{settings.home}: " in line and " MB free" in line and str(settings.dagster_home) in line
