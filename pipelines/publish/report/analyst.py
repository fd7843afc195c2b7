"""Read-only access to the published analyst file, tolerant of older files that lack a table."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb


class AnalystFile:
    """The published DuckDB file, opened read-only; `has` tells which tables this version carries."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._con = duckdb.connect(str(path), read_only=True)
        found = self._con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables"
        ).fetchall()
        self._tables = {name for (name,) in found}

    def __enter__(self) -> AnalystFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._con.close()

    def has(self, table: str) -> bool:
        return table in self._tables

    def columns(self, table: str) -> set[str]:
        schema, name = table.split(".", 1)
        found = self._con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
            [schema, name],
        ).fetchall()
        return {c for (c,) in found}

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self._con.execute(sql, params or []).fetchall()

    def one(self, sql: str, params: list[Any] | None = None) -> tuple[Any, ...]:
        found = self.rows(sql, params)
        if not found:
            raise LookupError(f"no row from {sql.split()[0:6]}")
        return found[0]

    def count(self, table: str) -> int:
        return int(self.one(f"SELECT count(*) FROM {table}")[0])
