"""The Dagster instance's storage (dagster.yaml `storage: custom:`): Dagster's own SQLite storage, same
files (runs in $DAGSTER_HOME/history/runs.db, each run's events in history/runs/<run id>.db), with the
event log's SQLite connections kept open between events.

Dagster's SqliteEventLogStorage creates an SQLAlchemy engine, opens the database file, writes and
closes it again for every event it stores, twice for an asset event (the run's database and the
index), and a night stores ~600 events. Here each database's engine is made once and keeps a pooled
connection. The engines of the most recently used databases stay open (a long-lived process, the
daemon or the UI, reads many runs' databases); the others are disposed of.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster import Field
from dagster._config import StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

# Databases whose engines stay open: the index, the running run's and a few a reader looks at.
OPEN_DATABASES = 8


def _commit_without_sync_in_wal_mode(dbapi_connection: Any, _record: Any) -> None:
    """synchronous=NORMAL on a database in WAL mode (Dagster puts its event logs in it): a commit no
    longer waits for the disk. The database stays consistent; a crash of the process loses nothing, a
    crash of the machine or a power cut may lose the last events written before it. Nothing here reads
    the event log to decide anything (the warehouse keeps its own state), and a run cut short that way
    is failed as abandoned at the next run. A database in another mode keeps synchronous=FULL."""
    (mode,) = dbapi_connection.execute("PRAGMA journal_mode").fetchone()
    if str(mode).lower() == "wal":
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class KeptOpenSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage whose databases' engines (one pooled connection each) outlive an event."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        self._tables_found: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    def _engine(self, shard: str) -> Engine:
        """The shard's engine, made on first use (the least recently used one beyond OPEN_DATABASES is
        disposed of); _connect initialises its database."""
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is None:
                engine = self._engines[shard] = create_engine(
                    self.conn_string_for_shard(shard),
                    poolclass=QueuePool,
                    pool_size=1,
                    max_overflow=4,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                )
                event.listen(engine, "connect", _commit_without_sync_in_wal_mode)
            else:
                self._engines.move_to_end(shard)
            while len(self._engines) > OPEN_DATABASES:
                _, evicted = self._engines.popitem(last=False)
                evicted.dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
                engine.dispose()  # a new database is in WAL mode now: connect again (synchronous)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        """Whether the index has the table (Dagster asks before every asset and check event); a table
        found stays (migrations add tables)."""
        if table_name in self._tables_found:
            return True
        with self._engine(INDEX_SHARD_NAME).connect() as conn:
            found = bool(conn.dialect.has_table(conn, table_name))
        if found:
            self._tables_found.add(table_name)
        return found

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            engines, self._engines = list(self._engines.values()), OrderedDict()
        for engine in engines:
            engine.dispose()

    def wipe(self) -> None:
        self._dispose_engines()  # before the runs' database files go
        self._tables_found = set()
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()


class RunHistoryStorage(DagsterSqliteStorage):
    """DagsterSqliteStorage (runs, schedules and event logs under `base_dir`) with the kept-open event log.

    `base_dir` defaults to $DAGSTER_HOME, where Dagster's default storage keeps them. Without
    DAGSTER_HOME (`dg check defs`, `dagster dev` without it), Dagster keeps its instance in a temporary
    folder that it removes at exit; the storage then goes to a temporary folder too, removed at exit."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data=inst_data)
        # Dagster's event log storage has only made sure its index exists (the same check follows)
        self._event_log_storage.dispose()
        self._event_log_storage = KeptOpenSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def config_type(cls) -> Any:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: ConfigurableClassData, config_value: Any
    ) -> RunHistoryStorage:
        base_dir = config_value.get("base_dir") or os.environ.get("DAGSTER_HOME") or _temporary_folder()
        return cls.from_local(base_dir, inst_data=inst_data)


def _temporary_folder() -> str:
    folder = tempfile.mkdtemp(prefix="cx-unify-dagster-storage-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder
