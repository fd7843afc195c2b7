"""Great Expectations in a process of its own, for the nightly run.

GX's import costs ~2.5-5 s of Python. In the run's own process it either delays the first check or,
imported from a thread, shares the GIL with Dagster's start and costs as much there. A worker
started as the night begins (`start()`) imports it on the other core while Dagster starts; the raw
layer's checks then send it their frames (pickled, small: SQL aggregates them) and get back plain
results. The dbt step ends it (`stop()`) before dbt's peak memory, and the run's own process, idle
while dbt works, imports GX for the checks after dbt (expectations/runner.warm_up_in_background). Nothing
runs in this process that would not run without it: when no worker runs, the worker ended, or an
expectation cannot be pickled (a lambda), `validate` returns None and the caller validates in its
own process (expectations/runner.validate_here).

Protocol (messages of cx_unify/worker_process.py): a request (frame, check name, expectations
callable, threshold) goes to the worker's stdin; its reply, ("ok", (success, details, unexpected rows)),
("error", text) when the validation raised, or ("unreadable", text) when the request could not be
unpickled there (a function of a module the worker cannot import), comes back on the pipe that was
its stdout. The worker's own stdout goes to its stderr, so nothing GX prints can corrupt a reply.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from cx_unify.worker_process import WorkerProcess, read_message_bytes, write_message

log = logging.getLogger(__name__)

_lock = threading.Lock()
_worker: WorkerProcess | None = None


class WorkerError(RuntimeError):
    """The worker answered with an error (its GX validation raised)."""


def start() -> None:
    """Starts the worker (once); it imports GX at once."""
    global _worker
    with _lock:
        if _worker is None or not _worker.alive():
            _worker = WorkerProcess("expectations.gx_worker")


def stop() -> None:
    """Ends the worker (WorkerProcess.close)."""
    global _worker
    with _lock:
        worker, _worker = _worker, None
    if worker is not None:
        worker.close()


@contextlib.contextmanager
def running_worker() -> Iterator[None]:
    """A worker for the duration of the block."""
    start()
    try:
        yield
    finally:
        stop()


def running() -> bool:
    return _worker is not None and _worker.alive()


def validate(
    frame: Any, name: str, expectations: Callable[[float], list[Any]], threshold: float
) -> tuple[bool, list[dict[str, Any]], list[int]] | None:
    """The worker's validation of a frame (expectations/runner.validate_here there), or None when no
    worker can answer: no worker, it ended, or the request cannot be pickled here or unpickled there.
    An error raised by the validation itself is raised here (WorkerError), as it would be in this
    process."""
    global _worker
    with _lock:
        worker = _worker
        if worker is None or not worker.alive():
            return None
        try:
            worker.send((frame, name, expectations, threshold))
        except (pickle.PicklingError, AttributeError, TypeError):
            return None  # e.g. a lambda (nothing was written): validated in this process
        except OSError as exc:
            return _lost(worker, exc)
        try:
            status, answer = worker.receive()
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            return _lost(worker, exc)
    if status == "unreadable":
        return None
    if status != "ok":
        raise WorkerError(answer)
    return answer  # type: ignore[no-any-return]


def _lost(worker: WorkerProcess, exc: BaseException) -> None:
    """Lets an ended worker go (under _lock): the checks validate in this process from now on."""
    global _worker
    log.warning("the Great Expectations worker ended (%s): checks validate in this process", exc)
    worker.kill()
    _worker = None


def _serve(requests: BinaryIO, replies: BinaryIO) -> None:
    from expectations.runner import validate_here, warm_up

    warm_up()
    while True:
        try:
            message = read_message_bytes(requests)
        except EOFError:
            return
        reply: tuple[str, Any]
        try:
            frame, name, expectations, threshold = pickle.loads(message)
        except Exception as exc:  # the parent validates this one itself
            reply = ("unreadable", f"{type(exc).__name__}: {exc}")
        else:
            try:
                reply = ("ok", validate_here(frame, name, expectations, threshold))
            except Exception as exc:  # the parent raises it as its own validation would
                reply = ("error", f"{type(exc).__name__}: {exc}")
        write_message(replies, reply)


if __name__ == "__main__":
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # what GX prints goes to stderr, not into a reply
    _serve(sys.stdin.buffer, replies)
    # every reply is flushed: skip the interpreter's teardown of GX's modules (~0.7 s the parent waits)
    os._exit(0)
