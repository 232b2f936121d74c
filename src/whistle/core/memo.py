"""Answers held for the length of one set-based job.

A request reads the rules it needs each time (they are data a city edits in the admin). A job that applies the same
rules to hundreds of thousands of rows in one transaction, while nobody edits them (the bulk seed), runs inside
`held()`: there `remembered(key, compute)` computes each key once and hands the same answer back after. Outside
`held()` it always computes afresh, so a caller behaves as before unless the job asked for it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_held: ContextVar[dict | None] = ContextVar("whistle_held_answers", default=None)


@contextmanager
def held() -> Iterator[None]:
    """Within this block, `remembered` computes each key once."""
    token = _held.set({})
    try:
        yield
    finally:
        _held.reset(token)


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or inside `held()` the answer it gave for `key` the first time."""
    answers = _held.get()
    if answers is None:
        return compute()
    if key not in answers:
        answers[key] = compute()
    return answers[key]
