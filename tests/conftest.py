"""Shared fixtures: generations at the test size (SF 0.01) and temporary CX_HOMEs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cx_unify.generate import generate

TEST_SCALE = 0.01
CX_VARS = ("CX_HOME", "CX_LANDING", "CX_WAREHOUSE", "CX_PUBLISHED", "CX_SOURCES", "CX_CHECKS", "DAGSTER_HOME")


@pytest.fixture(scope="session")
def faulted_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing_faulted")
    generate(out, scale=TEST_SCALE, seed=7)
    return out


@pytest.fixture(scope="session")
def clean_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing_clean")
    generate(out, scale=TEST_SCALE, seed=7, clean=True)
    return out


@pytest.fixture
def cx_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh CX_HOME for one test; the process environment is restored afterwards."""
    saved = {k: os.environ.get(k) for k in CX_VARS}
    for key in CX_VARS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CX_HOME", str(tmp_path / "cx"))
    yield tmp_path / "cx"
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
