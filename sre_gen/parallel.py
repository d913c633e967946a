"""Run independent pieces of work on several CPU cores, with results in their original order.

``ordered_map(fn, items, jobs)`` yields ``fn(item)`` for each item, in order, like ``map``. With
``jobs > 1`` (and ``os.fork``) the items are dealt out by position: the calling process computes
items ``0, jobs, 2*jobs, ...`` itself, and ``jobs - 1`` forked workers the others. A fork shares
everything already loaded (the validated model, imported modules, compiled templates), so nothing
is sent to a worker; each result comes back pickled through a pipe. The output does not depend on
``jobs``: the same items, the same function, the same order (tests/test_parallel.py).

The first failing item (in order) raises its exception in the caller, as ``map`` would: a worker
sends the exception back (with its traceback as a note). Workers are stopped and reaped when the
caller finishes, fails or stops early (also on Ctrl-C). Memory stays bounded: a reader thread
keeps at most ``_AHEAD`` finished results per worker; a worker waits when they are not taken.

``jobs``: ``SRE_GEN_JOBS`` (a whole number >= 1) else the CPUs this process may use. Small work
is not worth a fork: callers pass ``jobs=1`` then.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

ENV_JOBS = "SRE_GEN_JOBS"
_AHEAD = 2
_HEADER = struct.Struct("!Q")


def default_jobs() -> int:
    """``SRE_GEN_JOBS`` when set (a bad value is ignored), else the usable CPU count."""
    raw = os.environ.get(ENV_JOBS, "").strip()
    if raw.isdigit() and int(raw) >= 1:
        return int(raw)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "win32"


def ordered_map(fn: Callable[[T], R], items: Iterable[T], jobs: int) -> Iterator[R]:
    work = list(items)
    jobs = max(1, min(jobs, len(work)))
    if jobs == 1 or not can_fork():
        for item in work:
            yield fn(item)
        return
    yield from _Pool(fn, work, jobs).run()


class _Pool:
    def __init__(self, fn: Callable[[Any], Any], work: list[Any], jobs: int):
        self.fn, self.work, self.jobs = fn, work, jobs
        self.pids: list[int] = []
        self.readers: list[Any] = []

    def run(self) -> Iterator[Any]:
        try:
            self._start()
            for i, item in enumerate(self.work):
                k = i % self.jobs
                if k == 0:
                    yield self.fn(item)
                    continue
                status, value = self.readers[k - 1].take()
                if status == "error":
                    raise value
                yield value
        finally:
            self._stop()

    def _start(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        fds = []
        for k in range(1, self.jobs):
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: never returns
                os.close(read_fd)
                for fd in fds:
                    os.close(fd)
                _worker(self.fn, self.work[k::self.jobs], write_fd)
            os.close(write_fd)
            fds.append(read_fd)
            self.pids.append(pid)
        self.readers = [_Reader(fd) for fd in fds]  # threads only after every fork

    def _stop(self) -> None:
        import signal

        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGKILL)  # a finished worker has exited; a busy one is not needed
            except ProcessLookupError:
                pass
        for reader in self.readers:
            reader.close()
        for pid in self.pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        self.pids = []


def _worker(fn: Callable[[Any], Any], items: list[Any], fd: int) -> None:
    import signal

    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller handles Ctrl-C and stops us
        with os.fdopen(fd, "wb", buffering=1 << 16) as pipe:
            for item in items:
                try:
                    message = ("ok", fn(item))
                except BaseException as exc:  # noqa: BLE001 - sent to the caller, who raises it
                    message = ("error", _portable(exc))
                data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
                pipe.write(_HEADER.pack(len(data)))
                pipe.write(data)
                pipe.flush()
                if message[0] == "error":
                    break
    except BrokenPipeError:  # the caller stopped early
        code = 1
    except BaseException:  # noqa: BLE001 - never run the caller's code after a fork
        code = 1
    finally:
        os._exit(code)


def _portable(exc: BaseException) -> BaseException:
    """``exc`` with its traceback as a note, or a RuntimeError saying what it was when it does
    not survive pickling."""
    import traceback

    text = "".join(traceback.format_exception(exc))
    try:
        exc.add_note(f"(in a worker process)\n{text}")
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return RuntimeError(f"a worker process failed:\n{text}")


class _Reader:
    """Drains one worker's pipe on a thread (os.read releases the GIL), keeping a few results."""

    def __init__(self, fd: int):
        import queue
        import threading

        self.fd = fd
        self.results: queue.Queue = queue.Queue(maxsize=_AHEAD)
        self.closed = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _read(self, n: int) -> bytes | None:
        chunks, left = [], n
        while left:
            chunk = os.read(self.fd, min(left, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _loop(self) -> None:
        import queue

        while not self.closed:
            try:
                head = self._read(_HEADER.size)
                data = None if head is None else self._read(_HEADER.unpack(head)[0])
            except OSError:
                data = None
            message = ("error", RuntimeError("a worker process ended without its result")) \
                if data is None else pickle.loads(data)
            while not self.closed:
                try:
                    self.results.put(message, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if data is None or message[0] == "error":
                return

    def take(self) -> tuple[str, Any]:
        return self.results.get()

    def close(self) -> None:
        self.closed = True
        self.thread.join()
        try:
            os.close(self.fd)
        except OSError:
            pass
