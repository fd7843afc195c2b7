"""dbt-duckdb plugin: registers the project's Python functions (cx_e164) on every dbt connection.

profiles.yml names this module under `plugins:`; nothing else in the repository imports it.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from connectors.normalise import register_functions


class Plugin(BasePlugin):
    def configure_connection(self, conn: Any) -> None:
        register_functions(conn)
