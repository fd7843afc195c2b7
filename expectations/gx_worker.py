"""Great Expectations in a process of its own, for the nightly run.

GX's import costs ~2.5-5 s of Python. In the run's own process it either delays the first check or,
imported from a thread, shares the GIL with Dagster's start and costs as much there. A worker
started as the night begins (`start()`) imports it on the other core while Dagster starts; the checks
then send it their frames (pickled, small: SQL aggregates them) and get back plain results. Nothing
runs in this process that would not run without it: when no worker runs, the worker ended, or an
expectation cannot be pickled (a lambda), `validate` returns None and the caller validates in its
own process (expectations/runner.validate_here).

Protocol: each message is its length (8 bytes) and a pickle. A request (frame, check name, expectations
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
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

log = logging.getLogger(__name__)

CLOSE_SECONDS = 5.0

_lock = threading.Lock()
_process: subprocess.Popen[bytes] | None = None


class WorkerError(RuntimeError):
    """The worker answered with an error (its GX validation raised)."""


def start() -> None:
    """Starts the worker (once); it imports GX at once."""
    global _process
    with _lock:
        if _process is None or _process.poll() is not None:
            _process = subprocess.Popen(
                [sys.executable, "-m", "expectations.gx_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )


def stop() -> None:
    """Ends the worker at the end of its input; kills it if it does not end within CLOSE_SECONDS."""
    global _process
    with _lock:
        process, _process = _process, None
    if process is None:
        return
    with contextlib.suppress(OSError):
        assert process.stdin is not None
        process.stdin.close()
    try:
        process.wait(CLOSE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


@contextlib.contextmanager
def running_worker() -> Iterator[None]:
    """A worker for the duration of the block."""
    start()
    try:
        yield
    finally:
        stop()


def running() -> bool:
    return _process is not None and _process.poll() is None


def validate(
    frame: Any, name: str, expectations: Callable[[float], list[Any]], threshold: float
) -> tuple[bool, list[dict[str, Any]], list[int]] | None:
    """The worker's validation of a frame (expectations/runner.validate_here there), or None when no
    worker can answer: no worker, it ended, or the request cannot be pickled. An error raised by the
    validation itself is raised here (WorkerError), as it would be in this process."""
    global _process
    try:
        request = pickle.dumps((frame, name, expectations, threshold), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError):
        return None  # e.g. a lambda: validated in this process
    with _lock:
        process = _process
        if process is None or process.poll() is not None:
            return None
        assert process.stdin is not None and process.stdout is not None
        try:
            _send(process.stdin, request)
            status, answer = pickle.loads(_receive(process.stdout))
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            log.warning("the Great Expectations worker ended (%s): checks validate in this process", exc)
            process.kill()
            _process = None
            return None
    if status == "unreadable":
        return None
    if status != "ok":
        raise WorkerError(answer)
    return answer  # type: ignore[no-any-return]


def _send(pipe: BinaryIO, message: bytes) -> None:
    pipe.write(len(message).to_bytes(8, "little") + message)
    pipe.flush()


def _receive(pipe: BinaryIO) -> bytes:
    """One message; EOFError when the pipe ends before it does."""
    header = pipe.read(8)
    if len(header) < 8:
        raise EOFError("the pipe ended")
    size = int.from_bytes(header, "little")
    message = pipe.read(size)
    if len(message) < size:
        raise EOFError("the pipe ended inside a message")
    return message


def _serve(requests: BinaryIO, replies: BinaryIO) -> None:
    from expectations.runner import validate_here, warm_up

    warm_up()
    while True:
        try:
            message = _receive(requests)
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
        _send(replies, pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # what GX prints goes to stderr, not into a reply
    _serve(sys.stdin.buffer, replies)
    # every reply is flushed: skip the interpreter's teardown of GX's modules (~0.7 s the parent waits)
    os._exit(0)
