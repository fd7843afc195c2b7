"""Resources shared by every domain: the settings (from CX_* variables) and the warehouse connection."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from connectors.normalise import register_functions
from cx_unify.runlock import run_lock
from cx_unify.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, Settings, load_settings
from cx_unify.warehouse_file import connect_waiting


def current_settings() -> Settings:
    """Settings as the environment says now, exported so dbt and a code server see the same values."""
    settings = load_settings()
    settings.export()
    return settings


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse DuckDB file. A step opens a connection when it works and closes it when done, error or
    not (DuckDB allows one writing process), waiting briefly if another process holds the lock. With
    `home`, a run holds $CX_HOME/run.lock (and `<warehouse>.lock`) while the resource is set up: for the whole run under the
    nightly's in-process executor, so a run the daemon or UI launches and `cx-unify run` never overlap
    (the second fails at once, RunInProgress)."""

    path: str
    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    threads: int = 2
    lock_wait_seconds: float = 30.0
    home: str | None = None

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["WarehouseResource"]:
        if self.home is None:
            yield self
            return
        with run_lock(Path(self.home), warehouse=Path(self.path)):
            if Path(self.path).exists():
                # a process keeping the warehouse open (an analyst's read-only session) fails the run here,
                # once, with WarehouseBusy, not every step in turn after its own wait
                connect_waiting(self.path, wait_seconds=self.lock_wait_seconds, config=self._config).close()
            yield self

    @property
    def _config(self) -> dict[str, object]:
        return {"memory_limit": self.memory_limit, "threads": self.threads}

    @contextmanager
    def get_connection(
        self, read_only: bool = False, checkpoint_on_close: bool = True
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """`checkpoint_on_close=False` for a step that writes a few rows: they stay in the WAL, which the
        next writer (or a reader) replays, instead of a checkpoint of the 2.4 GB file at SF 10 (~0.1 s)."""
        con = connect_waiting(
            self.path,
            read_only=read_only,
            wait_seconds=self.lock_wait_seconds,
            config=self._config,
        )
        try:
            if not checkpoint_on_close and not read_only:
                con.execute("PRAGMA disable_checkpoint_on_shutdown")
            con.execute("SET TimeZone = 'UTC'")
            register_functions(con)  # the functions dbt models have (cx_e164), for checks and ad-hoc SQL
            yield con
        finally:
            con.close()


def warehouse_resource(settings: Settings) -> WarehouseResource:
    return WarehouseResource(
        path=str(settings.warehouse),
        memory_limit=settings.duckdb_memory_limit,
        threads=settings.duckdb_threads,
        home=str(settings.home),
    )
