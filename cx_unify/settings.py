"""Configuration by environment, with working defaults (README: Configuration).

One set of variables feeds the CLI, Dagster and dbt: `Settings.export()` writes the resolved,
absolute values back into the environment, so dbt's profiles.yml (`env_var('CX_WAREHOUSE')`) and
a Dagster code server started later see exactly what the CLI saw.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCES = REPO_ROOT / "sources.yml"
DEFAULT_CHECKS = REPO_ROOT / "checks.yml"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DAGSTER_YAML = REPO_ROOT / "dagster.yaml"
# leaves room for the Python processes (orchestrator, dbt's Python models) in a 4 GB budget at SF 10
DEFAULT_DUCKDB_MEMORY_LIMIT = "2500MB"
DEFAULT_RUN_HISTORY_DAYS = 90


class SettingsError(ValueError):
    """A setting that cannot work (a landing folder that does not exist); the message names it."""


@dataclass(frozen=True)
class Settings:
    home: Path
    landing: Path
    warehouse: Path
    published: Path
    sources: Path
    checks: Path
    pii_salt_given: str | None  # CX_PII_SALT; unset, the home's own (pii_salt)
    mask_pii: bool
    phone_region: str
    reporting_timezone: str
    duckdb_memory_limit: str
    duckdb_threads: int
    run_history_days: int = DEFAULT_RUN_HISTORY_DAYS

    @property
    def pii_salt(self) -> str:
        """The salt of the PII masking: CX_PII_SALT, else the home's own secret (made on first use, so
        after --home is applied)."""
        return self.pii_salt_given or _home_salt(self.home)

    @property
    def published_db(self) -> Path:
        return self.published / "cx.duckdb"

    @property
    def report_html(self) -> Path:
        return self.published / "report.html"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    def with_overrides(self, **values: object) -> Settings:
        """Settings with CLI flags applied; paths given are resolved against the cwd."""
        given = {k: v for k, v in values.items() if v is not None}
        for key, value in list(given.items()):
            if isinstance(value, (str, Path)) and key in _PATH_FIELDS:
                given[key] = Path(value).expanduser().resolve()
        updated = replace(self, **given)  # type: ignore[arg-type]
        if "home" in given:  # derived paths follow a new home unless also given
            for key, sub in (
                ("landing", "landing"),
                ("warehouse", "warehouse.duckdb"),
                ("published", "published"),
            ):
                if key not in given and _env(f"CX_{key.upper()}") is None:
                    updated = replace(updated, **{key: updated.home / sub})  # type: ignore[arg-type]
        return updated

    def check_landing(self) -> None:
        """SettingsError when the landing folder was set elsewhere than its default ($CX_HOME/landing, a
        new home's, which export() makes) and is not there: a typo (or a mount not up yet) must not read
        as an empty folder, a night that republishes yesterday's data. Runs call it before they start
        (cx-unify run) or ingest (a run the daemon launches: the step fails, the code location loads)."""
        if not self.landing.is_dir() and self.landing != self.home / "landing":
            raise SettingsError(
                f"landing folder not found: {self.landing} (--landing / CX_LANDING; "
                f"the default is $CX_HOME/landing)"
            )

    def check_paths(self) -> None:
        """check_landing, then the places a night writes: the home (Dagster's run records, logs, the run
        lock), the warehouse's folder and file, the published folder. SettingsError naming the setting
        when one is not a folder or cannot be written (a read-only mount, another user's folder, a
        warehouse path that is a folder): one line before anything runs, not a traceback from the step
        that first writes there, nor minutes of waiting on a warehouse DuckDB cannot open."""
        self.check_landing()
        for folder, setting in (
            (self.home, "--home / CX_HOME"),
            (self.warehouse.parent, "--warehouse / CX_WAREHOUSE, the warehouse's folder"),
            (self.published, "--published / CX_PUBLISHED"),
        ):
            _check_writable_folder(folder, setting)
        if self.warehouse.is_dir():
            raise SettingsError(
                f"the warehouse is a folder: {self.warehouse} (--warehouse / CX_WAREHOUSE names the "
                "DuckDB file, such as $CX_HOME/warehouse.duckdb)"
            )
        if self.warehouse.exists() and not os.access(self.warehouse, os.R_OK | os.W_OK):
            raise SettingsError(
                f"the warehouse cannot be read and written: {self.warehouse} (--warehouse / CX_WAREHOUSE; "
                "a run writes it: check its owner and permissions)"
            )

    def export(self) -> None:
        """Write the resolved values to os.environ (for dbt and Dagster) and make the folders cx-unify owns
        (the landing folder only where it is by default: see check_landing)."""
        os.environ.update(
            CX_HOME=str(self.home),
            CX_LANDING=str(self.landing),
            CX_WAREHOUSE=str(self.warehouse),
            CX_PUBLISHED=str(self.published),
            CX_SOURCES=str(self.sources),
            CX_CHECKS=str(self.checks),
            CX_PII_SALT=self.pii_salt,
            CX_MASK_PII="1" if self.mask_pii else "0",
            CX_PHONE_REGION=self.phone_region,
            CX_REPORTING_TIMEZONE=self.reporting_timezone,
            CX_DUCKDB_MEMORY_LIMIT=self.duckdb_memory_limit,
            CX_DUCKDB_THREADS=str(self.duckdb_threads),
            CX_RUN_HISTORY_DAYS=str(self.run_history_days),
            DAGSTER_HOME=str(self.dagster_home),
        )
        os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
        os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        for folder in (self.home, self.published, self.warehouse.parent):
            folder.mkdir(parents=True, exist_ok=True)
        if self.landing == self.home / "landing":
            self.landing.mkdir(parents=True, exist_ok=True)
        prepare_dagster_home(self.dagster_home)


_PATH_FIELDS = {"home", "landing", "warehouse", "published", "sources", "checks"}


def _check_writable_folder(folder: Path, setting: str) -> None:
    """Make the folder if missing and write a probe file in it: the only test a read-only mount, an ACL
    or a full quota answers truly (os.access says yes to root on a read-only mount's folders)."""
    try:
        if folder.exists() and not folder.is_dir():
            raise SettingsError(f"not a folder: {folder} ({setting})")
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".cx-write-probe-"):
            pass
    except OSError as exc:
        raise SettingsError(f"cannot write in {folder} ({setting}): {exc.strerror or exc}") from exc


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else None


def _path(name: str, default: Path) -> Path:
    value = _env(name)
    return Path(value).expanduser().resolve() if value else default.resolve()


def _time_zone(name: str, default: str) -> str:
    """A time zone name both Python and DuckDB know (Europe/London); SettingsError naming the variable
    otherwise."""
    value = (_env(name) or default).strip()
    try:
        ZoneInfo(value)
        duckdb.connect().execute("SELECT timezone(?, TIMESTAMP '2026-01-01')", [value])
    except (ZoneInfoNotFoundError, ValueError, duckdb.Error) as exc:
        raise SettingsError(
            f"{name}={value!r} is not a time zone name (IANA, such as Europe/London or UTC)"
        ) from exc
    return value


def _memory_limit(name: str, default: str) -> str:
    """A memory limit DuckDB reads (2500MB, 3GB, 80%); SettingsError naming the variable otherwise."""
    value = (_env(name) or default).strip()
    try:
        duckdb.connect().execute(f"SET memory_limit = '{value.replace(chr(39), '')}'")
    except duckdb.Error as exc:
        raise SettingsError(
            f"{name}={value!r} is not a memory limit (a number and a unit: 2500MB, 3GB)"
        ) from exc
    return value


def _flag(name: str, default: bool) -> bool:
    """1 / true / yes / on, or 0 / false / no / off (any case); SettingsError otherwise (a typo must not
    decide whether PII is published)."""
    value = _env(name)
    if value is None:
        return default
    if value.strip().lower() in ("1", "true", "yes", "y", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "n", "off"):
        return False
    raise SettingsError(f"{name}={value!r} is neither on (1, true, yes) nor off (0, false, no)")


def _threads(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    if not value.strip().isdigit() or int(value) < 1:
        raise SettingsError(f"{name}={value!r} is not a number of threads (a whole number from 1)")
    return int(value)


def _days(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    if not value.strip().isdigit():
        raise SettingsError(f"{name}={value!r} is not a number of days (a whole number; 0 keeps everything)")
    return int(value)


SALT_FILE = "pii_salt"


def _home_salt(home: Path) -> str:
    """The salt of the PII masking when CX_PII_SALT is not set: a random secret made once per home and kept
    in $CX_HOME/pii_salt (readable by its owner only), so masked values stay the same night after night
    and cannot be reversed by hashing a list of candidate emails with a salt everyone knows. Written
    whole under another name, then linked into place: two processes starting on a new home read one salt."""
    path = home / SALT_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        draft = home / f".{SALT_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:  # another process made it first: theirs is the home's
            pass
        finally:
            draft.unlink()
    salt = path.read_text().strip()
    if not salt:
        raise SettingsError(f"{path} is empty: set CX_PII_SALT, or delete the file (a new salt masks anew)")
    return salt


def load_settings() -> Settings:
    """Read CX_* variables; every one has a default (see .env.example)."""
    home = _path("CX_HOME", Path.cwd() / ".cx")
    return Settings(
        home=home,
        landing=_path("CX_LANDING", home / "landing"),
        warehouse=_path("CX_WAREHOUSE", home / "warehouse.duckdb"),
        published=_path("CX_PUBLISHED", home / "published"),
        sources=_path("CX_SOURCES", DEFAULT_SOURCES),
        checks=_path("CX_CHECKS", DEFAULT_CHECKS),
        pii_salt_given=_env("CX_PII_SALT"),
        mask_pii=_flag("CX_MASK_PII", default=True),
        phone_region=_env("CX_PHONE_REGION") or "GB",
        reporting_timezone=_time_zone("CX_REPORTING_TIMEZONE", "UTC"),
        duckdb_memory_limit=_memory_limit("CX_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT),
        duckdb_threads=_threads("CX_DUCKDB_THREADS", os.cpu_count() or 2),
        run_history_days=_days("CX_RUN_HISTORY_DAYS", DEFAULT_RUN_HISTORY_DAYS),
    )


def prepare_dagster_home(dagster_home: Path) -> None:
    """DAGSTER_HOME is a folder under CX_HOME whose dagster.yaml is the repository's own."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    link = dagster_home / "dagster.yaml"
    if link.is_symlink() and link.resolve() == DAGSTER_YAML.resolve():
        return
    if link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to(DAGSTER_YAML)
