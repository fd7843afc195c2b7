"""Nightly operations for real: the Dagster UI serves everything, runs never meet, a killed night recovers.

Every test drives `cx-unify` (or the webserver) as a separate process, as the scheduler would.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.fixtures.homes import REPO, cli_env, run_cli

pytestmark = pytest.mark.slow


def _start_run(home: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cx_unify.cli", "run"],
        cwd=REPO,
        env=cli_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for(proc: subprocess.Popen, marker: str, timeout: float = 600) -> str:
    seen = []
    deadline = time.monotonic() + timeout
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            raise AssertionError(f"run ended before {marker!r}:\n{''.join(seen[-30:])}")
        seen.append(line)
        if marker in line:
            return line
    raise AssertionError(f"no {marker!r} within {timeout} s")


def _kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: the nightly and its dbt child
    proc.wait(timeout=60)


def _assert_published_file_whole(home: Path) -> None:
    published = home / "published" / "cx.duckdb"
    if published.exists():
        con = duckdb.connect(str(published), read_only=True)
        try:
            assert con.execute("SELECT count(*) FROM marts.customer_journey").fetchall()[0][0] > 0
        finally:
            con.close()


def test_killed_nights_recover_to_the_same_marts(
    tmp_path: Path,
    faulted_landing: Path,
    faulted_night: Path,
    read_marts: Callable[..., dict[str, list]],
) -> None:
    killed, reference = tmp_path / "killed", faulted_night  # the reference: one whole night, never killed
    shutil.copytree(faulted_landing, killed / "landing")
    # kill the night at each stage in turn; each rerun resumes from whatever the last one left
    for marker, delay in (
        ("▶ raw__complaints", 0.5),
        ("▶ dbt_models", 4.0),
        ("▶ marts__complaint_ownership_checks", 0.0),
        ("▶ published__analyst_file", 0.0),
    ):
        proc = _start_run(killed)
        _wait_for(proc, marker)
        time.sleep(delay)
        _kill(proc)
        _assert_published_file_whole(killed)
        assert not list((killed / "published").glob("*.wal")) if (killed / "published").exists() else True
    final = run_cli(killed)
    assert final.returncode == 0, final.stderr[-3000:]
    _assert_published_file_whole(killed)
    assert [p.name for p in (killed / "published").iterdir() if p.name.startswith(".")] == []
    recovered, expected = read_marts(killed / "warehouse.duckdb"), read_marts(reference / "warehouse.duckdb")
    assert recovered.keys() == expected.keys()
    differ = {
        t: [r for r in recovered[t] if r not in set(expected[t])][:3]
        for t in expected
        if recovered[t] != expected[t]
    }
    assert not differ, differ


def test_a_second_run_is_refused_and_readers_are_never_blocked(
    tmp_path: Path, copy_of_faulted_night: Callable[[Path], Path]
) -> None:
    home = copy_of_faulted_night(tmp_path / "home")  # a night done: its published file is there
    reader = duckdb.connect(str(home / "published" / "cx.duckdb"), read_only=True)  # an analyst, all night
    try:
        before = reader.execute("SELECT count(*) FROM marts.customer_journey").fetchall()
        first = _start_run(home)
        _wait_for(first, "▶ raw__")
        second = run_cli(home)
        assert second.returncode == 75
        assert "another cx-unify run holds" in second.stderr
        assert first.stderr is not None
        rest = first.stderr.read()
        assert first.wait(timeout=900) == 0, rest[-3000:]
        assert reader.execute("SELECT count(*) FROM marts.customer_journey").fetchall() == before
    finally:
        reader.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_dagster_ui_serves_assets_checks_job_schedule_and_sensor(tmp_path: Path) -> None:
    port = _free_port()
    webserver = Path(sys.executable).parent / "dagster-webserver"
    proc = subprocess.Popen(
        [str(webserver), "-h", "127.0.0.1", "-p", str(port), "-m", "pipelines.definitions"],
        cwd=REPO,
        env=cli_env(tmp_path / "cx"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("webserver did not come up") from None
                time.sleep(1)
        data = _graphql(
            port,
            """{ repositoriesOrError { ... on RepositoryConnection { nodes {
            jobs { name } schedules { name cronSchedule executionTimezone } sensors { name }
            assetNodes { assetKey { path } assetChecksOrError { ... on AssetChecks { checks { name } } } } } } } }""",
        )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    repository = data["data"]["repositoriesOrError"]["nodes"][0]
    assert "nightly" in [j["name"] for j in repository["jobs"]]
    assert [(s["name"], s["cronSchedule"]) for s in repository["schedules"]] == [
        ("nightly_at_0200", "0 2 * * *")
    ]
    assert [s["name"] for s in repository["sensors"]] == ["landing_sensor"]
    assets = {"/".join(a["assetKey"]["path"]): a for a in repository["assetNodes"]}
    for key in (
        "raw/complaints",
        "marts/customer_journey",
        "marts/team_view_reconciliation",
        "published/analyst_file",
        "published/diagnostic_report",
    ):
        assert key in assets, key
    checks = {c["name"] for a in assets.values() for c in (a["assetChecksOrError"].get("checks") or [])}
    for name in (
        "F3_kpi_agreement__dashboard_vs_data",
        "F5_ownership__handoff_loops",
        "F8_validity__complaints",
    ):
        assert name in checks, name
