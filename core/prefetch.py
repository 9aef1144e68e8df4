"""Run an iterator in a worker thread, a few items ahead of the code that consumes it.

The pipeline chains three of these on a GPU (reading -> model -> blending; the calling thread
writes), so each stage works while the others do: GDAL's reads and writes, numpy's large
operations and the CUDA calls all release the GIL.
"""
from __future__ import annotations

import queue
import threading
from typing import Generic, Iterable, Iterator, TypeVar

T = TypeVar("T")
_END = object()


class RunAhead(Generic[T]):
    """Iterate ``items`` in a thread of its own, at most ``depth`` items ahead of the consumer.

    An exception raised by ``items`` is raised in the consumer, at the item where it happened.
    Use it as a context manager: leaving the block early (an error, a cancel) stops the worker,
    closes ``items`` in the worker's thread (so its ``finally`` and ``with`` blocks run there),
    and waits for it, so nothing is still running once the block is left.
    """

    def __init__(self, items: Iterable[T], depth: int, name: str):
        if depth < 1:
            raise ValueError(f"depth must be at least 1, not {depth}")
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._fill, args=(iter(items),), name=name, daemon=True)
        self._thread.start()

    def _fill(self, items: Iterator[T]) -> None:
        try:
            for item in items:
                if not self._put((True, item)):
                    return
            self._put((True, _END))
        except BaseException as exc:  # handed to the consumer, raised there
            self._put((False, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    def _put(self, entry) -> bool:
        """Queue an entry, waiting for room unless told to stop; False when stopped."""
        while not self._stop.is_set():
            try:
                self._queue.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> "RunAhead[T]":
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        ok, value = self._queue.get()
        if ok and value is _END:
            self._done = True
            raise StopIteration
        if not ok:
            self._done = True
            raise value
        return value

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> "RunAhead[T]":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
