"""One strip runner: the row strips of a job run through an executor, here in threads or on a Dask cluster.

A job is cut into strips (first row, row count). A *strip task* is a module-level function
``task(*args, yoff, nrows)`` that opens the rasters itself, reads its window and returns a small
result; a *consume* callback gets the results in strip order on the caller's side (writes a
block, adds counts). The executor decides only where the tasks run:

- :class:`LocalExecutor`: this process, a few strips at a time in threads, and the kernels of a
  strip over pixel chunks on all cores (:func:`chunk_map`); two strips in memory at once, as the
  in-process engine always had (one computing, one read ahead or being written);
- :class:`DaskExecutor`: a ``distributed.Client``; at most two strips per worker thread in flight;
- :class:`SerialExecutor`: this process, one strip after the other, no threads (debugging, and
  the ``client=None`` of the older :mod:`.scaleout` functions).

The same task and consume functions run under all three, so their outputs are the same bits.
Dask is imported only by :class:`DaskExecutor`.
"""

from __future__ import annotations

import collections
import itertools
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from ..io import raster_io

Window = tuple[int, int]
T = TypeVar("T")
R = TypeVar("R")

INSTALL_HINT = "pip install dask distributed"

#: Strip results in flight per worker thread: one computing, one travelling or waiting to be written.
IN_FLIGHT_PER_THREAD = 2

#: Strips of a LocalExecutor in memory at once: one computing, one read ahead or waiting to be written.
LOCAL_STRIPS_IN_FLIGHT = 2

#: Seconds between two looks at cancel while the cluster computes.
POLL_SECONDS = 0.5

#: glibc's mmap threshold on the workers (bytes). Dask's nannies start workers with MALLOC_TRIM_THRESHOLD_ set,
#: which freezes glibc's threshold at 128 kB: every temporary of the kernels (a few MB per pixel chunk) is then a
#: fresh mmap whose pages fault in, +50 % CPU for the trend (measured, README: Scaling). Set once per worker.
WORKER_MMAP_THRESHOLD = 32 << 20

_M_MMAP_THRESHOLD = -3  # mallopt parameter of glibc's malloc.h
_allocator = {"tuned": False}


class ScaleoutError(RuntimeError):
    """The cluster could not run the job: no answer, no worker, workers dying, dask missing."""


class DaskMissing(ScaleoutError):
    """dask or distributed is not installed where the client runs."""


def require_dask():
    """Import distributed; :class:`DaskMissing` with the install command when it is not there."""
    try:
        import dask  # noqa: F401
        import distributed
    except ImportError as err:
        raise DaskMissing(
            f"dask and distributed are needed to run on a cluster but cannot be imported here "
            f"({err}); install them in the Python that runs MineLand: {INSTALL_HINT}"
        ) from None
    return distributed


def worker_count() -> int:
    return max(1, os.cpu_count() or 1)


class Executor(Protocol):
    """Runs ``task(*args, yoff, nrows)`` for every window and gives the results to ``consume`` in window order.

    Cancel (``monitor``) is checked between strips; progress is reported after each consumed strip.
    Returns the number of strips.
    """

    def run(
        self,
        task: Callable[..., R],
        windows: Sequence[Window],
        args: Sequence[Any],
        consume: Callable[[R], Any],
        monitor: raster_io.Monitor | None = None,
        name: str = "strip",
    ) -> int: ...


# ------------------------------------------------------------------ pixel chunks inside a strip

#: The chunk pool of the LocalExecutor whose strip runs in this thread (none on Dask workers).
_STRIP_THREAD = threading.local()


def chunk_pool() -> ThreadPoolExecutor | None:
    """The thread pool for the pixel chunks of the strip running in this thread, or None (run them here)."""
    return getattr(_STRIP_THREAD, "pool", None)


def chunk_map(function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[function(item) for item in items]``, on the local chunk pool when the strip runs under a LocalExecutor.

    The results are in item order either way; per-pixel kernels give the same bits on any thread.
    """
    pool = chunk_pool()
    if pool is None:
        return [function(item) for item in items]
    return [future.result() for future in [pool.submit(function, item) for item in items]]


def _strip_in_thread(pool: ThreadPoolExecutor, task: Callable[..., R], args: Sequence[Any], window: Window) -> R:
    _STRIP_THREAD.pool = pool
    try:
        return task(*args, *window)
    finally:
        _STRIP_THREAD.pool = None


# ------------------------------------------------------------------ executors


class SerialExecutor:
    """The strips here, one after the other, without threads."""

    def run(
        self,
        task: Callable[..., R],
        windows: Sequence[Window],
        args: Sequence[Any],
        consume: Callable[[R], Any],
        monitor: raster_io.Monitor | None = None,
        name: str = "strip",
    ) -> int:
        monitor = monitor or raster_io.Monitor()
        total = len(windows)
        for index, (yoff, nrows) in enumerate(windows):
            monitor.check()
            consume(task(*args, yoff, nrows))
            monitor.report((index + 1) / total)
        return total


class LocalExecutor:
    """The strips in this process: ``strips_in_flight`` strips at a time in threads, their pixel chunks on
    ``workers`` threads (default: all cores). Memory: ``strips_in_flight`` strips (numpy and GDAL release
    the GIL in the heavy calls, so reading the next strip overlaps the kernels of this one)."""

    def __init__(self, workers: int | None = None, strips_in_flight: int = LOCAL_STRIPS_IN_FLIGHT) -> None:
        self.workers = workers or worker_count()
        self.strips_in_flight = max(1, int(strips_in_flight))

    def run(
        self,
        task: Callable[..., R],
        windows: Sequence[Window],
        args: Sequence[Any],
        consume: Callable[[R], Any],
        monitor: raster_io.Monitor | None = None,
        name: str = "strip",
    ) -> int:
        monitor = monitor or raster_io.Monitor()
        total = len(windows)
        queue = iter(windows)
        pending: collections.deque[Future] = collections.deque()
        with ThreadPoolExecutor(self.workers) as chunks, ThreadPoolExecutor(self.strips_in_flight) as strips:

            def submit() -> None:
                for window in itertools.islice(queue, self.strips_in_flight - len(pending)):
                    monitor.check()
                    pending.append(strips.submit(_strip_in_thread, chunks, task, args, window))

            try:
                submit()
                done = 0
                while pending:
                    consume(pending.popleft().result())
                    done += 1
                    monitor.report(done / total)
                    submit()
            finally:
                for future in pending:
                    future.cancel()
        return total


def tune_allocator() -> None:
    """Raise glibc's mmap threshold to WORKER_MMAP_THRESHOLD in this process, once (no-op without glibc)."""
    if _allocator["tuned"]:
        return
    _allocator["tuned"] = True
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(_M_MMAP_THRESHOLD, WORKER_MMAP_THRESHOLD)
    except (OSError, AttributeError):
        pass


def on_worker(task: Callable[..., R], *args: Any) -> R:
    """Run a strip task on a worker, with the worker's allocator tuned first."""
    tune_allocator()
    return task(*args)


class DaskExecutor:
    """The strips on a Dask cluster through ``client`` (a ``distributed.Client``).

    At most IN_FLIGHT_PER_THREAD strips per worker thread are computing or waiting here for their
    turn, which bounds the client's memory. Cancel is checked every POLL_SECONDS; on any error or
    cancel the strips in flight are cancelled. A strip that killed its workers more often than the
    scheduler allows raises :class:`ScaleoutError`.
    """

    def __init__(self, client: Any) -> None:
        self.client = client

    def run(
        self,
        task: Callable[..., R],
        windows: Sequence[Window],
        args: Sequence[Any],
        consume: Callable[[R], Any],
        monitor: raster_io.Monitor | None = None,
        name: str = "strip",
    ) -> int:
        monitor = monitor or raster_io.Monitor()
        client = self.client
        total = len(windows)
        distributed = require_dask()
        threads = max(1, sum(client.nthreads().values()))
        limit = max(2, IN_FLIGHT_PER_THREAD * threads)
        token = uuid.uuid4().hex[:12]
        queue = iter(enumerate(windows))
        live, finished = {}, {}  # strip index → future in flight; strip index → result waiting for its turn
        written = 0

        def submit() -> None:
            for index, (yoff, nrows) in itertools.islice(queue, max(0, limit - len(live) - len(finished))):
                live[index] = client.submit(
                    on_worker, task, *args, yoff, nrows, key=f"mineland-{name}-{token}-{index}", pure=False
                )

        try:
            submit()
            while live:
                monitor.check()
                try:  # wake up now and then, so that a cancel is seen while strips compute
                    done, _ = distributed.wait(list(live.values()), timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    continue
                for index in sorted(i for i, future in live.items() if future in done):
                    future = live.pop(index)
                    try:
                        finished[index] = future.result()
                    except distributed.KilledWorker as err:
                        yoff, nrows = windows[index]
                        raise ScaleoutError(
                            f"workers died while computing rows {yoff}–{yoff + nrows - 1} (the "
                            f"scheduler gave up after its allowed failures: {err}); no output was "
                            "written. Give the workers more memory, or check their logs"
                        ) from None
                    future.release()
                while written in finished:
                    consume(finished.pop(written))
                    written += 1
                    monitor.report(written / total)
                submit()
            return total
        finally:
            if live:
                client.cancel(list(live.values()), force=True)


def executor_of(client: Any = None) -> Executor:
    """The executor of the older ``client`` arguments of :mod:`.scaleout`: a Client → DaskExecutor, None →
    SerialExecutor (their documented "strip by strip here"), an executor as it is."""
    if client is None:
        return SerialExecutor()
    if isinstance(client, (SerialExecutor, LocalExecutor, DaskExecutor)):
        return client
    return DaskExecutor(client)
