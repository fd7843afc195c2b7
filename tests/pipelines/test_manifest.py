"""The dbt manifest a night loads: parsed with the night's profile, so each dbt step only partial-parses."""

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from cx_unify.settings import DBT_PROJECT_DIR, load_settings
from pipelines.transform import resources
from pipelines.transform.resources import DBT_EXECUTABLE, PARTIAL_PARSE, ensure_manifest


def _dbt_parse(env: dict[str, str], target: Path | None = None) -> list[str]:
    """`dbt parse` in the project with `env`; its log messages. With `target`, dbt reads and writes its
    state there, from a copy of the project's, as dagster-dbt runs every dbt step."""
    extra = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(PARTIAL_PARSE, target / PARTIAL_PARSE.name)
        extra.update(DBT_TARGET_PATH=str(target), DBT_LOG_PATH=str(target))
    done = subprocess.run(
        [
            DBT_EXECUTABLE,
            "parse",
            "--log-format",
            "json",
            "--log-level",
            "debug",
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ],
        cwd=DBT_PROJECT_DIR,
        env={**env, **extra},
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line)["info"]["msg"] for line in done.stdout.splitlines() if line.startswith("{")]


def test_a_parse_with_other_profile_variables_is_replaced_before_the_night(
    cx_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_settings().export()  # tonight's profile variables: this home's warehouse
    tonight = dict(os.environ)
    ensure_manifest()

    # `make manifest` (or a test, another home) parses with other variables: the state on disk changes
    # while the project does not
    elsewhere = {k: v for k, v in tonight.items() if not k.startswith("CX_")}
    _dbt_parse(elsewhere)

    ensure_manifest()
    messages = _dbt_parse(tonight, target=tmp_path / "step-target")
    assert not [m for m in messages if "Unable to do partial parsing" in m], messages
    assert any("Partial parsing enabled" in m for m in messages), messages

    # and when nothing happened in between, the night does not run dbt parse again
    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"dbt parse ran again: {args}")

    monkeypatch.setattr(resources.subprocess, "run", no_parse)
    ensure_manifest()


def test_a_dbt_command_run_by_hand_from_the_checkout_does_not_break_the_nights(cx_env: Path) -> None:
    """`dbt build --full-refresh --project-dir dbt_project` from the checkout's root left dbt's partial-parse
    state with the project's path as given (relative), and every night after failed in dbt ("No files
    found that match the pattern dbt_project/seeds/..."). The night parses such state from scratch."""
    load_settings().export()
    ensure_manifest()
    subprocess.run(
        [
            DBT_EXECUTABLE,
            "parse",
            "--quiet",
            "--project-dir",
            DBT_PROJECT_DIR.name,
            "--profiles-dir",
            DBT_PROJECT_DIR.name,
            "--no-partial-parse",  # as in a fresh checkout: the hand-run command parses first
        ],
        cwd=DBT_PROJECT_DIR.parent,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        check=True,
    )
    manifest = resources.MANIFEST

    def seed_root() -> str:
        return str(json.loads(manifest.read_text())["nodes"]["seed.cx_unify.category_mapping"]["root_path"])

    assert seed_root() == DBT_PROJECT_DIR.name  # what the hand-run command left
    ensure_manifest()
    assert seed_root() == str(DBT_PROJECT_DIR)


def test_a_process_loading_the_manifest_while_another_parses_reads_a_whole_file(cx_env: Path) -> None:
    """A night of another home (or the UI's code server, or a test) parses the project while this one loads
    the manifest: dbt wrote the file in place, and the reader failed on half of it (JSONDecodeError at
    import). Each parse's files are swapped in whole."""
    load_settings().export()
    ensure_manifest()
    manifest = resources.MANIFEST
    reads: list[str] = []
    parsing = threading.Event()
    parsing.set()

    def read_while_parsing() -> None:
        while parsing.is_set():
            try:
                json.loads(manifest.read_text())
                reads.append("whole")
            except (json.JSONDecodeError, FileNotFoundError) as error:
                reads.append(f"{type(error).__name__}: {error}")

    reader = threading.Thread(target=read_while_parsing)
    reader.start()
    try:
        resources.PARSE_STAMP.unlink()  # as if another home's variables had parsed last
        ensure_manifest()
    finally:
        parsing.clear()
        reader.join()
    assert reads.count("whole") > 50  # the reader ran throughout
    assert [r for r in reads if r != "whole"] == []


def test_a_parse_killed_half_way_leaves_no_scratch_folder_for_good(cx_env: Path) -> None:
    """A parse killed in its scratch folder (target/.parse-*) left the folder, and every such kill one more.
    The next parse removes those older than an hour; one a parse in another process works in stays."""
    load_settings().export()
    ensure_manifest()
    target = resources.MANIFEST.parent
    killed = target / f"{resources.SCRATCH_PREFIX}killed"
    working = target / f"{resources.SCRATCH_PREFIX}working"
    for folder in (killed, working):
        folder.mkdir()
        (folder / "manifest.json").write_text("{")
    an_hour_and_more = resources.time.time() - resources.STALE_SCRATCH_SECONDS - 60
    os.utime(killed, (an_hour_and_more, an_hour_and_more))
    try:
        resources.PARSE_STAMP.unlink()  # as if another home's variables had parsed last
        ensure_manifest()
        assert not killed.exists()
        assert working.exists()
    finally:
        shutil.rmtree(killed, ignore_errors=True)
        shutil.rmtree(working, ignore_errors=True)
