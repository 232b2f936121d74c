"""Monthly range partitions of the tables that grow (PostgreSQL only; docs/architecture.md, "Partitioning and
distribution"; docs/operations.md, 归档旧分区).

Apps declare their partitioned tables on their AppConfig: `partitioned_tables = {db_table: {"column": the
partition column, "open_cases": True when a row's month is its case's submission month}}`. A partition holds one
calendar month in the deployment's time zone and is named `<table>_pYYYYMM`.

- `convert` (migrations): builds the partitioned table beside the old one, creates the months that cover its rows
  plus the next ones, copies the rows, swaps the names, recreates the indexes, foreign keys out of the table and the
  primary key as (id, partition column), and resets the id sequence. Triggers are the caller's (the migration).
- `create_ahead` (worker job `partitions_ahead`, `whistle partitions create`): the months from this one to N ahead,
  creating only those missing, so a rerun creates nothing.
- A default partition `<table>_pdefault` takes rows of months not made (history older than the first month, a
  clock set wrong) instead of failing the write; it is never detached.
- `detach` (`whistle partitions detach --before YYYY-MM`): detaches, never drops; the table stays in the database
  under its own name for pg_dump, and the command prints how.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zoneinfo
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from .errors import Conflict

log = logging.getLogger("whistle.partitions")

MONTHS_AHEAD_PARAMETER = "core.partitions_months_ahead"
_NAME = re.compile(r"_p(\d{4})(\d{2})$")
_BOUNDS = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")


@dataclass(frozen=True)
class Spec:
    table: str
    column: str
    open_cases: bool  # rows are filed under their case's submission month: a month with open cases stays attached


@dataclass(frozen=True)
class Partition:
    table: str  # the partitioned table
    name: str
    month: dt.date | None  # None: the default partition
    attached: bool
    rows: int  # the planner's estimate (reltuples), -1 before the first ANALYZE


def declared() -> list[Spec]:
    found = []
    for config in apps.get_app_configs():
        for table, spec in getattr(config, "partitioned_tables", {}).items():
            found.append(Spec(table, spec["column"], bool(spec.get("open_cases"))))
    return found


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_of(moment: dt.datetime) -> dt.date:
    local = timezone.localtime(moment, zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return dt.date(local.year, local.month, 1)


def month_start(month: dt.date) -> dt.datetime:
    """The month's first moment in the deployment's time zone."""
    return dt.datetime(month.year, month.month, 1, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y%m}"


def _create_sql(table: str, month: dt.date, connection) -> str:
    """The statement that makes the month's partition, its bounds written in (DDL takes no bound value, and values are
    bound on the server: settings.py)."""
    return connection.ops.compose_sql(
        f'CREATE TABLE IF NOT EXISTS "{partition_name(table, month)}" PARTITION OF "{table}" '
        "FOR VALUES FROM (%s) TO (%s)",
        [month_start(month), month_start(add_months(month, 1))],
    )


def is_partitioned(table: str, using: str = DEFAULT_DB_ALIAS) -> bool:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return bool(row and row[0])


def partitions(table: str, using: str = DEFAULT_DB_ALIAS) -> list[Partition]:
    """The table's partitions, attached and detached (a detached one keeps its name), by month."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    found: dict[str, Partition] = {}
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
            [table],
        )
        for name, bound, rows in cursor.fetchall():
            match = _BOUNDS.search(bound)
            if match is None:  # FOR VALUES … DEFAULT
                found[name] = Partition(table, name, None, True, rows)
                continue
            start = dt.datetime.fromisoformat(match.group(1)).astimezone(zone)
            found[name] = Partition(table, name, dt.date(start.year, start.month, 1), True, rows)
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relkind = 'r' AND relname LIKE %s "
            "AND NOT relispartition AND relnamespace = 'public'::regnamespace",
            [table.replace("_", r"\_") + r"\_p______"],
        )
        for name, rows in cursor.fetchall():
            match = _NAME.search(name)
            if match and name not in found:
                found[name] = Partition(table, name, dt.date(int(match[1]), int(match[2]), 1), False, rows)
    return sorted(found.values(), key=lambda p: (p.month or dt.date.min, p.name))


def create_ahead(
    months: int, now: dt.datetime | None = None, using: str = DEFAULT_DB_ALIAS, since: dt.date | None = None
) -> list[str]:
    """Create the months from this one (or `since`) to `months` ahead that each partitioned table lacks; returns
    their names. Idempotent: a rerun finds them and creates nothing. A month whose rows already sit in the default
    partition is left to the operator (logged; `whistle partitions list` shows the default's rows)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    this = month_of(now or timezone.now())
    first = min(since, this) if since else this
    months += (this.year - first.year) * 12 + this.month - first.month
    this = first
    created = []
    for spec in declared():
        if not is_partitioned(spec.table, using):
            continue
        have = {p.month for p in partitions(spec.table, using)}
        with transaction.atomic(using=using), connection.cursor() as cursor:
            for n in range(months + 1):
                month = add_months(this, n)
                if month in have:
                    continue
                cursor.execute(
                    f'SELECT EXISTS (SELECT 1 FROM "{spec.table}_pdefault" WHERE "{spec.column}" >= %s '
                    f'AND "{spec.column}" < %s)',
                    [month_start(month), month_start(add_months(month, 1))],
                )
                if cursor.fetchone()[0]:
                    log.warning("partition %s not created: its rows are in the default partition", month)
                    continue
                cursor.execute(_create_sql(spec.table, month, connection))
                created.append(partition_name(spec.table, month))
    return created


def ahead_job(now: dt.datetime) -> dict[str, int]:
    """Worker job `partitions_ahead`: the next `core.partitions_months_ahead` months of every partitioned table."""
    from .rules import int_param

    return {"created": len(create_ahead(int_param(MONTHS_AHEAD_PARAMETER), now))}


def _open_cases_before(month: dt.date, using: str) -> int:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case WHERE is_open AND submitted_at < %s", [month_start(month)])
        return cursor.fetchone()[0]


def detach(before: dt.date, using: str = DEFAULT_DB_ALIAS) -> list[Partition]:
    """Detach every attached partition of a month before `before` (never the current month, never a month whose cases
    are still open for a table filed by case month). Returns what was detached; nothing is dropped."""
    connection = connections[using]
    this = month_of(timezone.now())
    if before > this:
        raise Conflict(f"不能分离本月（{this:%Y-%m}）及以后的分区", code="partition_current_month")
    done = []
    with transaction.atomic(using=using):
        for spec in declared():
            if not is_partitioned(spec.table, using):
                continue
            chosen = [p for p in partitions(spec.table, using) if p.attached and p.month and p.month < before]
            if chosen and spec.open_cases:
                still_open = _open_cases_before(add_months(max(p.month for p in chosen if p.month), 1), using)
                if still_open:
                    raise Conflict(
                        f"{spec.table} 的分区按工单受理月份存放，{before:%Y-%m} 之前受理的工单仍有 {still_open} 件未办结，"
                        "不能分离",
                        code="partition_open_cases",
                    )
            with connection.cursor() as cursor:
                for p in chosen:
                    cursor.execute(f'ALTER TABLE "{spec.table}" DETACH PARTITION "{p.name}"')
                    done.append(Partition(p.table, p.name, p.month, False, p.rows))
    return done


# --- migrations ----------------------------------------------------------------------------------------------------


def convert(
    schema_editor,
    table: str,
    column: str,
    *,
    fill: dict[str, str] | None = None,
    extend_unique: tuple[str, ...] = (),
    plain_unique: tuple[str, ...] = (),
    months_ahead: int = 3,
) -> None:
    """Turn `table` into a table partitioned by month on `column`, keeping its rows (PostgreSQL; a no-op elsewhere).

    `fill`: column → SQL expression over the old row (alias `o`) for columns the copy computes (new columns).
    Unique constraints or indexes named in `extend_unique` get the partition column added (sound when it is a
    function of their columns); those in `plain_unique` become plain indexes (the caller keeps the rule another
    way, e.g. a key table); any other unique index not holding the partition column is refused."""
    _rebuild(schema_editor, table, column, True, fill or {}, extend_unique, plain_unique, months_ahead)


def revert(
    schema_editor, table: str, column: str, *, extend_unique: tuple[str, ...] = (), plain_unique: tuple[str, ...] = ()
) -> None:
    """`convert` backwards: one plain table again, primary key (id), the unique rules as they were."""
    _rebuild(schema_editor, table, column, False, {}, extend_unique, plain_unique, 0)


def _rebuild(schema_editor, table, column, partition, fill, extend_unique, plain_unique, months_ahead) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    new = f"{table}__new"
    run = schema_editor.execute
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = %s::regclass AND a.attnum > 0 "
            "AND NOT a.attisdropped ORDER BY a.attnum",
            [table],
        )
        columns = [name for (name,) in cursor.fetchall()]
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid), x.indisunique, x.indisprimary, c.conname, "
            "pg_get_constraintdef(c.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid "
            "WHERE x.indrelid = %s::regclass",
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        foreign = cursor.fetchall()
        cursor.execute(f'SELECT min("{column}"), max("{column}") FROM "{table}"')
        low, high = cursor.fetchone()
    if partition:
        for name, _, unique, primary, _, _ in indexes:
            if unique and not primary and name not in extend_unique + plain_unique:
                raise ValueError(f"{table}: unique index {name} lacks the partition column {column}")

    by = f' PARTITION BY RANGE ("{column}")' if partition else ""
    run(
        f'CREATE TABLE "{new}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY '
        f"INCLUDING STORAGE){by}"
    )
    if partition:
        this = month_of(timezone.now())
        first = min(month_of(low), this) if low is not None else this
        last = max(month_of(high), add_months(this, months_ahead)) if high is not None else this
        last = max(last, add_months(this, months_ahead))
        month = first
        while month <= last:
            sql = _create_sql(new, month, schema_editor.connection)
            run(sql.replace(f'"{partition_name(new, month)}"', f'"{partition_name(table, month)}"'), None)
            month = add_months(month, 1)
        # Rows outside every month made (a clock set wrong, history older than the first month) land here rather
        # than fail; `whistle partitions list` shows how many.
        run(f'CREATE TABLE "{table}_pdefault" PARTITION OF "{new}" DEFAULT')
    column_list = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(fill.get(c, f'o."{c}"') for c in columns)
    run(f'INSERT INTO "{new}" ({column_list}) OVERRIDING SYSTEM VALUE SELECT {values} FROM "{table}" o')
    run(f'DROP TABLE "{table}"')
    run(f'ALTER TABLE "{new}" RENAME TO "{table}"')
    run(f'ALTER SEQUENCE "{new}_id_seq" RENAME TO "{table}_id_seq"')
    run(f'SELECT setval(\'"{table}_id_seq"\', coalesce((SELECT max(id) FROM "{table}"), 0) + 1, false)')
    key = f'id, "{column}"' if partition else "id"
    run(f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY ({key})')
    narrow = re.compile(rf',\s*"?{column}"?(?=\))')
    for name, definition, _unique, primary, constraint, constraint_def in indexes:
        if primary:
            continue
        definition = definition.replace(" ON ONLY ", " ON ", 1)
        if name in extend_unique and constraint:
            changed = constraint_def.rstrip(")") + f', "{column}")' if partition else narrow.sub("", constraint_def)
            run(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {changed}')
        elif name in extend_unique:
            if partition:
                run(re.sub(r"\(([^()]*)\)", rf'(\1, "{column}")', definition, count=1))
            else:
                run(narrow.sub("", definition, count=1))
        elif name in plain_unique:
            if partition:
                run(definition.replace("CREATE UNIQUE INDEX", "CREATE INDEX", 1))
            else:
                run(definition.replace("CREATE INDEX", "CREATE UNIQUE INDEX", 1))
        else:
            run(definition)
    for name, definition in foreign:
        run(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    run(f'ANALYZE "{table}"')
