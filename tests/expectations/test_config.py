"""checks.yml: the repository's file loads; every mistake in one is an error naming the file, the check
entry and the key, before any check runs."""

import re
from pathlib import Path

import pytest

from cx_unify.settings import DEFAULT_CHECKS
from expectations.config import ChecksConfigError, load_check_settings
from expectations.suites import all_checks


def _load(tmp_path: Path, text: str) -> dict:
    path = tmp_path / "checks.yml"
    path.write_text(text, encoding="utf-8")
    return load_check_settings(path, all_checks())


def test_the_repositorys_checks_yml_loads() -> None:
    settings = load_check_settings(DEFAULT_CHECKS, all_checks())
    assert settings["F8_validity__complaints"].blocking
    assert settings["F5_ownership__handoff_loops"].params == {"max_handoffs": 3}


def test_entries_apply_in_file_order(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        'checks:\n  "F8_quarantine__*":\n    severity: error\n    threshold: 2\n'
        '  "F8_quarantine__workload":\n    severity: WARN\n',
    )
    assert (
        settings["F8_quarantine__complaints"].severity,
        settings["F8_quarantine__complaints"].threshold,
    ) == (
        "ERROR",
        2.0,
    )
    assert settings["F8_quarantine__workload"].severity == "WARN"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (  # a misspelt key left the check at its default severity
            'checks:\n  "F8_quarantine__*":\n    severty: ERROR\n',
            "{path}: check 'F8_quarantine__*': unknown key 'severty' (did you mean 'severity'?); "
            "allowed keys: severity, threshold, params",
        ),
        (  # a misspelt pattern matched nothing
            'checks:\n  "F8_quarantne__*":\n    severity: ERROR\n',
            "{path}: check 'F8_quarantne__*' matches no check in the catalogue; did you mean F8_quarantine__*",
        ),
        (
            "checks:\n  F1_identity__linked_share:\n    threshold: half\n",
            "{path}: check 'F1_identity__linked_share': threshold must be a number (a row count or a share, "
            "e.g. 0 or 0.5), got 'half'",
        ),
        (
            "checks:\n  F8_validity__*:\n    severity: FATAL\n",
            "{path}: check 'F8_validity__*': severity must be WARN or ERROR, got 'FATAL'",
        ),
        (
            "checks:\n  F5_ownership__handoff_loops:\n    params: {max_handoffs: three}\n",
            "{path}: check 'F5_ownership__handoff_loops': params.max_handoffs must be a number like its "
            "default 3, got 'three'",
        ),
        (
            "checks:\n  F5_ownership__*:\n    params: {max_handoffs: 4}\n",
            "{path}: check 'F5_ownership__*': F5_ownership__unowned_complaints has no parameter(s) "
            "['max_handoffs']; it takes []",
        ),
        (
            'checks:\n  "F1_identity__linked_share":\n    threshold: 0.5\n  "F1_identity__*:\n    severity: WARN\n'
            '  "F2_coverage__complainants_never_surveyed":\n    threshold: 0.95\n',
            "{path}, line 6, column 4: not valid YAML: could not find expected ':' "
            "(while scanning a simple key at line 4, column 3)",
        ),
        ("chekcs:\n  F8_validity__*:\n    severity: WARN\n", "{path}: expected one key, checks, at the top"),
        (
            "checks:\n  F8_validity__*:\n    severity: WARN\n  F8_validity__*:\n    threshold: 1\n",
            "{path}, line 4, column 3: not valid YAML: key 'F8_validity__*' appears twice in one mapping "
            "(the first would be lost)",
        ),
    ],
)
def test_a_mistake_names_the_file_the_entry_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    expected = message.format(path=tmp_path / "checks.yml")
    with pytest.raises(ChecksConfigError, match="^" + re.escape(expected)):
        _load(tmp_path, text)


def test_a_checks_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "no_such_checks.yml"
    with pytest.raises(ChecksConfigError, match=f"^checks file not found: {re.escape(str(missing))}"):
        load_check_settings(missing, all_checks())


def test_the_definitions_load_reports_the_same_error(cx_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.quality.checks import build_checks

    path = cx_env.parent / "checks.yml"
    path.write_text('checks:\n  "F8_quarantine__*":\n    severty: ERROR\n', encoding="utf-8")
    monkeypatch.setenv("CX_CHECKS", str(path))
    with pytest.raises(ChecksConfigError, match=re.escape(f"{path}: check 'F8_quarantine__*': unknown key")):
        build_checks()
