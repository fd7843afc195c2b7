"""Settings: export() makes the folders cx-unify owns; a landing folder set explicitly must exist
(check_landing, which runs call before they start or ingest)."""

import os
from pathlib import Path

import pytest

from cx_unify.settings import SettingsError, load_settings


def test_a_new_homes_default_landing_folder_is_made(cx_env: Path) -> None:
    settings = load_settings()
    settings.export()
    assert settings.landing == cx_env / "landing" and settings.landing.is_dir()
    assert settings.published.is_dir() and settings.dagster_home.is_dir()


def test_a_landing_folder_set_but_not_there_is_an_error(
    cx_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    typo = cx_env.parent / "landng"
    monkeypatch.setenv("CX_LANDING", str(typo))
    settings = load_settings()
    with pytest.raises(SettingsError, match=f"^landing folder not found: {typo} "):
        settings.check_landing()
    settings.export()  # the code location still loads (the schedule, the sensor), and runs fail
    assert not typo.exists()  # not made: a run would read an empty folder and republish yesterday's data


def test_a_landing_folder_given_as_a_flag_must_exist(cx_env: Path) -> None:
    typo = cx_env.parent / "landng"
    with pytest.raises(SettingsError, match="landing folder not found"):
        load_settings().with_overrides(landing=typo).check_landing()
    typo.mkdir()
    load_settings().with_overrides(landing=typo).check_landing()
    load_settings().with_overrides(landing=typo).export()
    assert os.environ["CX_LANDING"] == str(typo)


def test_env_example_sources_in_bash_and_lists_every_variable() -> None:
    """.env.example says: copy to .env and `set -a; source .env; set +a`."""
    import re
    import subprocess

    from cx_unify.settings import REPO_ROOT

    example = REPO_ROOT / ".env.example"
    shown = subprocess.run(
        ["bash", "-c", f'set -a; source {example}; set +a; echo "$CX_SCHEDULE_CRON|$CX_LANDING"'],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")},
        check=True,
    )
    # the paths inside CX_HOME stay unset: set, they would defeat --home (generate --home wiped ./.cx/landing)
    assert shown.stderr == "" and shown.stdout.strip() == "0 2 * * *|"
    listed = set(re.findall(r"^#? ?(CX_[A-Z_]+)=", example.read_text(encoding="utf-8"), re.M))
    read = set(
        re.findall(r"\"(CX_[A-Z_]+)\"", (REPO_ROOT / "cx_unify" / "settings.py").read_text(encoding="utf-8"))
    )
    assert read - {"CX_SCHEDULE_CRON", "CX_SCHEDULE_TIMEZONE"} <= listed


@pytest.mark.parametrize(
    ("value", "masked"), [("1", True), ("Off", False), ("FALSE", False), ("no", False), ("yes", True)]
)
def test_masking_reads_the_usual_spellings(
    cx_env: Path, monkeypatch: pytest.MonkeyPatch, value: str, masked: bool
) -> None:
    monkeypatch.setenv("CX_MASK_PII", value)
    assert load_settings().mask_pii is masked


def test_an_unset_salt_is_a_secret_of_the_home(cx_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The salt defaulted to a constant in the repository: anyone could hash a list of emails with it and
    read the masked ones. Unset, it is a random secret made once per home, readable by its owner only."""
    first = load_settings().pii_salt
    assert len(first) == 64 and first != "cx-unify-demo-salt"
    assert load_settings().pii_salt == first  # masked values stay the same night after night
    assert ((cx_env / "pii_salt").stat().st_mode & 0o777) == 0o600
    monkeypatch.setenv("CX_HOME", str(cx_env.parent / "other"))
    assert load_settings().pii_salt != first
    monkeypatch.setenv("CX_PII_SALT", "mine")
    assert load_settings().pii_salt == "mine"


def test_the_salt_is_the_home_given_on_the_command_line(
    cx_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """--home is applied after the variables are read: the salt was made in $PWD/.cx instead."""
    monkeypatch.delenv("CX_HOME")
    monkeypatch.chdir(tmp_path)
    other = tmp_path / "other"
    salt = load_settings().with_overrides(home=other).pii_salt
    assert (other / "pii_salt").read_text().strip() == salt
    assert not (tmp_path / ".cx" / "pii_salt").exists()


def test_folders_a_night_cannot_write_are_one_line_before_it_starts(cx_env: Path) -> None:
    """A warehouse path that is a folder waited minutes on DuckDB and ended in a traceback; a published
    folder or home that cannot be written failed with OSError from the step that first wrote there."""
    settings = load_settings()
    settings.check_paths()  # the defaults: made, and writable
    a_file = cx_env / "not-a-folder"
    a_file.write_text("x")
    with pytest.raises(SettingsError, match=r"^the warehouse is a folder: .*CX_WAREHOUSE"):
        settings.with_overrides(warehouse=cx_env).check_paths()
    with pytest.raises(SettingsError, match=r"^not a folder: .*not-a-folder \(--published / CX_PUBLISHED\)"):
        settings.with_overrides(published=a_file).check_paths()
    with pytest.raises(SettingsError, match=r"^cannot write in .*not-a-folder/home \(--home / CX_HOME\): "):
        settings.with_overrides(home=a_file / "home").check_paths()
    with pytest.raises(
        SettingsError,
        match=r"^not a folder: .*not-a-folder \(--warehouse / CX_WAREHOUSE, the warehouse.s folder\)",
    ):
        settings.with_overrides(warehouse=a_file / "w.duckdb").check_paths()
