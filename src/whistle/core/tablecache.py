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
        self._holds = 0

    def get(self) -> T:
        # An empty table (read before its migration ran) is read again at the next call, not held.
        if self._holds and self._value:
            return self._value
        if not self._value or time.monotonic() - self._loaded_at > self._ttl:
            self._value = self._load()
            self._loaded_at = time.monotonic()
        return self._value

    @contextmanager
    def held(self) -> Iterator[None]:
        """Read now and not again until the block ends: for a caller whose connection cannot answer a query in the
        block (a COPY stream in progress, as the ratings import's)."""
        self.get()
        self._holds += 1
        try:
            yield
        finally:
            self._holds -= 1

    def clear(self, **kwargs) -> None:
        self._value = None
