"""A small table a city edits in the admin (rule parameters, its wording), held per process.

`TableCache(load, ttl)`: `get()` returns what `load()` returned, read again once `ttl` seconds have passed, so other
processes (the worker, other web workers) see an edit within that time; `clear()` — connected to the model's save
and delete signals — makes this process read it again at once."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class TableCache(Generic[T]):
    def __init__(self, load: Callable[[], T], ttl: float = 30.0):
        self._load = load
        self._ttl = ttl
        self._value: T | None = None
        self._loaded_at = 0.0
        self._held: list[T] = []

    def get(self) -> T:
        if self._held:
            return self._held[-1]
        # An empty table (read before its migration ran) is read again at the next call, not held.
        if not self._value or time.monotonic() - self._loaded_at > self._ttl:
            self._value = self._load()
            self._loaded_at = time.monotonic()
        return self._value

    def clear(self, **kwargs) -> None:
        self._value = None

    @contextmanager
    def held(self) -> Iterator[T]:
        """The table as read now, not read again until the block ends: for a loop that must not query its
        connection midway (a COPY in progress holds it: a reload there would wait forever)."""
        value = self.get()
        self._held.append(value)
        try:
            yield value
        finally:
            self._held.pop()
