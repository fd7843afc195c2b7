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
