"""Settings.export(): the folders cx-unify owns are made; a landing folder set explicitly must exist."""

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
    with pytest.raises(SettingsError, match=f"^landing folder not found: {typo} "):
        load_settings().export()
    assert not typo.exists()  # not made: a run would read an empty folder and republish yesterday's data
    assert os.environ.get("CX_WAREHOUSE") is None  # nothing exported either


def test_a_landing_folder_given_as_a_flag_must_exist(cx_env: Path) -> None:
    typo = cx_env.parent / "landng"
    with pytest.raises(SettingsError, match="landing folder not found"):
        load_settings().with_overrides(landing=typo).export()
    typo.mkdir()
    load_settings().with_overrides(landing=typo).export()
    assert os.environ["CX_LANDING"] == str(typo)
