"""dbt-duckdb plugin: registers the project's Python functions (cx_e164) on every dbt connection, and ends
the dbt process when the process that started it dies.

profiles.yml names this module under `plugins:`; pipelines/transform/assets.py reads its variable's name.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from connectors.normalise import register_functions

PARENT_POLL_SECONDS = 0.2
PARENT_PID_VARIABLE = (
    "CX_DBT_PARENT_PID"  # set by the process that starts dbt (pipelines/transform/assets.py)
)


def _end_with_parent(parent: int) -> None:
    """A nightly run killed outright (kill -9, the OOM killer) releases its locks with its process, but
    its `dbt build` child went on writing the warehouse, beside the next run that the free locks let in.
    When the parent is gone (this process was handed to init or a subreaper), dbt ends the same way."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os.kill(os.getpid(), signal.SIGKILL)


_watching = threading.Lock()  # one watcher a process (dbt makes a plugin per connection)


def watch_parent() -> None:
    """Starts _end_with_parent once in this process. The parent is the process that says it started dbt
    (PARENT_PID_VARIABLE): when this process's parent is another one now, that one is gone (it died before
    dbt got here, and its pid may be reused). Without the variable, the parent now, unless that is init.
    dbt run inside the process that set the variable watches nothing."""
    said = os.environ.get(PARENT_PID_VARIABLE, "")
    if said.isdigit() and int(said) == os.getpid():
        return
    parent = int(said) if said.isdigit() else os.getppid()
    if parent > 1 and _watching.acquire(blocking=False):
        threading.Thread(target=_end_with_parent, args=(parent,), daemon=True, name="cx-parent").start()


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie, killed but not yet reaped by its parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(") ", 1)[1][:1] != "Z"
    except OSError:  # no /proc (not Linux)
        return True


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        watch_parent()  # as soon as dbt sets its adapter up

    def configure_connection(self, conn: Any) -> None:
        watch_parent()  # a connection is opened: dbt is about to write the warehouse
        register_functions(conn)
