"""A Python module run as a worker process of this one, talking in messages over its stdin and stdout.

A message is its length (8 bytes) and a pickle: the reader takes a whole message before unpickling it,
so one it cannot unpickle (a function of a module the worker cannot import) does not lose its place in
the pipe. Used by the phone normaliser's workers (connectors/normalise.py) and the Great Expectations
worker (expectations/gx_worker.py). Standard library only: a worker starts light.
"""

from __future__ import annotations

import contextlib
import pickle
import subprocess
import sys
from typing import Any, BinaryIO

CLOSE_SECONDS = 5.0


def write_message(pipe: BinaryIO, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(len(data).to_bytes(8, "little") + data)
    pipe.flush()


def read_message_bytes(pipe: BinaryIO) -> bytes:
    """One message, still pickled; EOFError when the pipe ends before it does."""
    header = pipe.read(8)
    if len(header) < 8:
        raise EOFError("the pipe ended")
    size = int.from_bytes(header, "little")
    data = pipe.read(size)
    if len(data) < size:
        raise EOFError("the pipe ended inside a message")
    return data


def read_message(pipe: BinaryIO) -> Any:
    return pickle.loads(read_message_bytes(pipe))


class WorkerProcess:
    """`python -m <module>` with pipes to its stdin and stdout (its stderr is this process's)."""

    def __init__(self, module: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )

    def send(self, message: object) -> None:
        """OSError when the worker has ended."""
        assert self.process.stdin is not None
        write_message(self.process.stdin, message)  # type: ignore[arg-type]

    def receive(self) -> Any:
        """EOFError, OSError or pickle.UnpicklingError when the worker has ended."""
        assert self.process.stdout is not None
        return read_message(self.process.stdout)  # type: ignore[arg-type]

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """Ends the worker at the end of its input; kills it if it does not end within CLOSE_SECONDS."""
        with contextlib.suppress(OSError):  # a broken pipe: it has ended already
            assert self.process.stdin is not None
            self.process.stdin.close()
        try:
            self.process.wait(CLOSE_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()
