"""Reads compiled once: a statement of fixed shape run with new values, without Django compiling its SQL again.

Django compiles a queryset's SQL afresh each time it is evaluated. For the reads every request makes — who is
asking (a token joined to its user, membership, unit, parent, enterprise and county), the submission's category —
that compilation is about a millisecond of Python, more than PostgreSQL takes to answer (issue 22). The shape of
those reads never changes; only the values do. `Compiled` builds the queryset once per database connection with
markers in place of the values, keeps the SQL, where each marker landed among the parameters, and what Django needs to
turn a row into model instances (the compiler's select list, converters and related populators), and from then on
sends the kept SQL with the values put where the markers were.

What it keeps is the statement, not the answer: every call reads the database, so a revoked token or an edited rule
is seen at the next request, exactly as with the plain queryset. The builder must not branch on its arguments (a
caller with several shapes keeps one `Compiled` per shape) and must pass each argument to a lookup unchanged
(`field=value`, not `field=value.lower()`); a marker missing from the compiled parameters is refused at compile time.
The result is the same objects as `list(queryset)` gives, with `select_related` rows and annotations filled in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, NamedTuple, TypeVar, cast

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery

M = TypeVar("M", bound=Model)

# Markers stand for the arguments while the statement is compiled; they are values no real argument takes.
_INT_MARK = -7_301_245_000_000


def _marker(kind: type, position: int) -> Any:
    if kind is str:
        return f"\x00compiled-argument-{position}\x00"
    return _INT_MARK - position


class _Shape(NamedTuple):
    sql: str
    slots: tuple[int | None, ...]  # for each parameter: the argument it takes, or None for a constant
    constants: tuple
    compiler: Any
    converters: dict
    init_list: list[str]
    start: int
    end: int
    populators: list
    annotations: dict[str, int]


class Compiled(Generic[M]):
    """`Compiled(lambda key: Token.objects.select_related("user").filter(key_hash=key), str)`, then
    `.rows(value)` or `.first(value)` as often as wanted."""

    def __init__(self, build: Callable[..., QuerySet[M]], *kinds: type):
        for kind in kinds:
            if kind not in (str, int):
                raise TypeError(f"Compiled arguments are str or int, not {kind!r}")
        self.build = build
        self.kinds = kinds
        self._model: type[Model] | None = None
        self._for_write = False

    def _alias(self) -> str:
        if self._model is None:
            probe = self.build(*(_marker(kind, i) for i, kind in enumerate(self.kinds)))
            self._model, self._for_write = probe.model, bool(getattr(probe, "_for_write", False))
        if self._for_write:
            return router.db_for_write(self._model)
        return router.db_for_read(self._model)

    def _compile(self, alias: str) -> _Shape:
        markers = [_marker(kind, i) for i, kind in enumerate(self.kinds)]
        queryset = self.build(*markers)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots: list[int | None] = []
        found = set()
        for param in params:
            slot = next((i for i, m in enumerate(markers) if type(param) is type(m) and param == m), None)
            slots.append(slot)
            found.add(slot)
        missing = [i for i in range(len(markers)) if i not in found]
        if missing:
            raise ValueError(f"Compiled: argument(s) {missing} did not reach the statement's parameters")
        info = compiler.klass_info
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        return _Shape(
            sql=sql,
            slots=tuple(slots),
            constants=tuple(params),
            compiler=compiler,
            converters=compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]]),
            init_list=[column[0].target.attname for column in compiler.select[start:end]],
            start=start,
            end=end,
            populators=get_related_populators(info, compiler.select, alias),  # type: ignore[call-arg]  # Django 5.2's three
            annotations=dict(compiler.annotation_col_map or {}),
        )

    def rows(self, *values) -> list[M]:
        if len(values) != len(self.kinds):
            raise TypeError(f"Compiled: {len(self.kinds)} argument(s) expected, {len(values)} given")
        alias = self._alias()
        connection = connections[alias]
        shapes = connection.__dict__.setdefault("_whistle_compiled", {})
        shape = shapes.get(self)
        if shape is None:
            shape = shapes[self] = self._compile(alias)
        params = [
            values[slot] if slot is not None else constant for slot, constant in zip(shape.slots, shape.constants)
        ]
        with connection.cursor() as cursor:
            cursor.execute(shape.sql, params)
            fetched = cursor.fetchall()
        compiler = shape.compiler
        if compiler.has_extra_select:
            fetched = [row[: compiler.col_count] for row in fetched]
        objects: list[M] = []
        if shape.converters:
            fetched = compiler.apply_converters(fetched, shape.converters)
        for row in fetched:
            obj = cast(M, self._model.from_db(alias, shape.init_list, row[shape.start : shape.end]))  # type: ignore[union-attr]
            for populator in shape.populators:
                populator.populate(row, obj)
            for name, position in shape.annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects

    def first(self, *values) -> M | None:
        """The first row's object, or None. The builder limits the rows (`[:1]`) where more than one could match."""
        found = self.rows(*values)
        return found[0] if found else None


def insert_statement(model: type[Model], fields: list, objs: list, connection) -> tuple[str, tuple]:
    """The one INSERT of `objs` as Django's compiler writes it, its SQL kept per connection and (model, fields, number
    of rows): the values are prepared as Django prepares them (`pre_save`, `get_db_prep_save`) every time; only the
    assembling of the statement's text is skipped after the first (issue 22). A row holding an expression is compiled
    afresh."""
    query = InsertQuery(model)
    query.insert_values(fields, objs)
    compiler = query.get_compiler(connection=connection)
    kept = connection.__dict__.setdefault("_whistle_inserts", {})
    key = (model, tuple(fields), len(objs))
    if key in kept:
        rows = [[compiler.prepare_value(f, compiler.pre_save_val(f, obj)) for f in fields] for obj in objs]
        if not any(hasattr(value, "as_sql") for row in rows for value in row):
            sql, by_column = kept[key]
            if by_column:  # PostgreSQL's UNNEST form for several rows: one array per column
                return sql, tuple(list(column) for column in zip(*rows))
            return sql, tuple(value for row in rows for value in row)
    [(sql, params)] = compiler.as_sql()
    if not any(hasattr(getattr(obj, f.attname, None), "as_sql") for obj in objs for f in fields):
        kept[key] = (sql, "UNNEST(" in sql)
    return sql, params
