"""The dbt project, built once: manifest prepared when missing or stale, dbt found beside this Python."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from cx_unify.settings import DBT_PROJECT_DIR

DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def _newest_source_mtime() -> float:
    newest = 0.0
    for folder in ("models", "macros", "seeds", "tests"):
        for path in (DBT_PROJECT_DIR / folder).rglob("*"):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    for name in ("dbt_project.yml", "profiles.yml"):
        newest = max(newest, (DBT_PROJECT_DIR / name).stat().st_mtime)
    return newest


PARSE_STAMP = DBT_PROJECT_DIR / "target" / ".cx_parse_stamp"
PARTIAL_PARSE = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
PROFILE_VARIABLES = ("CX_WAREHOUSE", "CX_DUCKDB_MEMORY_LIMIT", "CX_DUCKDB_THREADS", "CX_PHONE_REGION")


def _parse_stamp() -> str:
    """The profile variables of tonight's dbt steps, and which partial-parse state is on disk (its mtime and
    size): a `dbt parse` run since with other variables (`make manifest`, a test) replaced that state,
    and dbt would then parse the whole project again in every step, finding the profile changed."""
    state = PARTIAL_PARSE.stat() if PARTIAL_PARSE.exists() else None
    lines = [f"{name}={os.environ.get(name, '')}" for name in PROFILE_VARIABLES]
    lines.append(f"partial_parse={state.st_mtime_ns}:{state.st_size}" if state else "partial_parse=")
    return "\n".join(lines)


def _partial_parse_state_is_ours() -> bool:
    """Whether dbt's partial-parse state is the one the last parse here left (the stamp records it). A
    dbt command run by hand (`dbt build --project-dir dbt_project` from the checkout) rewrites it with the
    paths it was given, relative ones included, and a partial parse keeps them: every night after failed
    in dbt (its seeds "not found") until target/ was deleted. Such state is parsed again from scratch."""
    if not PARTIAL_PARSE.exists():
        return True
    recorded = PARSE_STAMP.read_text().splitlines() if PARSE_STAMP.exists() else []
    return _parse_stamp().splitlines()[-1] in recorded


SCRATCH_PREFIX = ".parse-"
STALE_SCRATCH_SECONDS = 3600  # a parse takes seconds: a scratch folder this old was left by a killed one


def _remove_stale_scratch() -> None:
    """Removes the scratch folders of parses that were killed (their `with` never cleaned up). One that
    another process is parsing in right now is younger than STALE_SCRATCH_SECONDS and stays."""
    for scratch in MANIFEST.parent.glob(f"{SCRATCH_PREFIX}*"):
        try:
            if scratch.is_dir() and time.time() - scratch.stat().st_mtime > STALE_SCRATCH_SECONDS:
                shutil.rmtree(scratch, ignore_errors=True)
        except FileNotFoundError:  # another process removed it meanwhile
            continue


def ensure_manifest() -> Path:
    """`dbt parse` when target/manifest.json is missing or older than the project (what `make manifest`
    does), or when dbt's partial-parse state was not parsed with tonight's profile variables: dbt keeps
    that state only while the rendered profile is unchanged, so parsing once with tonight's variables
    keeps every dbt step's start short (a whole parse costs ~3 s more than a partial one)."""
    if (
        MANIFEST.exists()
        and MANIFEST.stat().st_mtime >= _newest_source_mtime()
        and PARSE_STAMP.exists()
        and PARSE_STAMP.read_text() == _parse_stamp()
    ):
        return MANIFEST
    MANIFEST.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_scratch()
    partial = _partial_parse_state_is_ours()
    # dbt writes its files in place: another process of this checkout (a night of another home, the UI's
    # code server, a test) loading the manifest meanwhile read half a file and failed. So dbt parses in a
    # scratch folder beside them, from a copy of the partial-parse state, and each file is swapped in whole.
    with tempfile.TemporaryDirectory(dir=MANIFEST.parent, prefix=SCRATCH_PREFIX) as scratch_name:
        scratch = Path(scratch_name)
        if partial and PARTIAL_PARSE.exists():
            shutil.copy2(PARTIAL_PARSE, scratch / PARTIAL_PARSE.name)
        env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_TARGET_PATH": str(scratch)}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        done = subprocess.run(
            [
                DBT_EXECUTABLE,
                "parse",
                "--quiet",
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                *([] if partial else ["--no-partial-parse"]),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"dbt parse failed:\n{done.stdout}\n{done.stderr}")
        for made in sorted(scratch.iterdir(), key=lambda path: path.name != MANIFEST.name):  # manifest first
            if made.is_file():
                os.replace(made, MANIFEST.parent / made.name)
    PARSE_STAMP.write_text(_parse_stamp())
    return MANIFEST


dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class NightlyDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without its in-process dbt adapter and its `dbt --version` subprocess.
    dagster-dbt opens an adapter before every command (dbt imported, project and profile loaded: ~1.5 s,
    ~4 s while Great Expectations imports beside it) only to fetch row counts and column metadata, which
    the nightly never asks for; without it dagster-dbt goes on as it does when the adapter cannot be made."""

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None

    @cached_property
    def _cli_version(self) -> version.Version:
        # dagster-dbt runs `dbt --version` (~2 s) to learn this; the dbt beside this Python is this package
        return version.parse(importlib.metadata.version("dbt-core"))


def dbt_resource() -> DbtCliResource:
    # DbtCliResource's own __init__ takes a DbtProject; the signature mypy derives for the subclass does not
    return NightlyDbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)  # type: ignore[arg-type]
