"""The dbt plugin ends a dbt process whose parent (the nightly run) was killed outright: it would go on
writing the warehouse after the run's locks went with the run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from connectors.dbt_plugin import PARENT_POLL_SECONDS, _alive

# a middle process (the run) starts a child (dbt) that watches it, prints the child's pid, and waits
CHILD = "import time; from connectors.dbt_plugin import watch_parent; watch_parent(); time.sleep(60)"
MIDDLE = (
    "import os, subprocess, sys, time; "
    "os.environ['CX_DBT_PARENT_PID'] = str(os.getpid()); "
    f"child = subprocess.Popen([sys.executable, '-c', {CHILD!r}]); "
    "print(child.pid, flush=True); time.sleep(60)"
)


def test_dbt_ends_when_the_run_that_started_it_is_killed() -> None:
    """Killed at once: the child may not have started watching yet (dbt takes seconds to import), and finds
    its parent gone when it does."""
    middle = subprocess.Popen([sys.executable, "-c", MIDDLE], stdout=subprocess.PIPE, text=True)
    try:
        assert middle.stdout is not None
        child = int(middle.stdout.readline())
        middle.send_signal(signal.SIGKILL)
        middle.wait()
        deadline = time.monotonic() + 10 * PARENT_POLL_SECONDS + 5
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child), "the watched child outlived its killed parent"
    finally:
        middle.kill()


def test_a_living_parent_is_not_left() -> None:
    middle = subprocess.Popen([sys.executable, "-c", MIDDLE], stdout=subprocess.PIPE, text=True)
    try:
        assert middle.stdout is not None
        child = int(middle.stdout.readline())
        time.sleep(1.0 + 3 * PARENT_POLL_SECONDS)
        assert _alive(child)
    finally:
        middle.kill()
        middle.wait()
        os.kill(child, signal.SIGKILL)
