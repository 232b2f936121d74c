"""Time `whistle.cases.sweeper.sweep` twice on the current database and count what each sweep wrote.

    WHISTLE_DATABASE_URL=... .venv/bin/python bench/sweep_bench.py [--now 2026-12-01T09:00+08:00] [--explain]

Prints one JSON object: open cases, due rows per sweep column, for each sweep its seconds, events per rule, rows
inserted/updated (from PostgreSQL's table statistics, or SQLite's changes counter), statements and time spent in SQL.
On PostgreSQL the sweep sends its writes in pipeline mode (the server writes a chunk while Python plans the next), so
an UPDATE or INSERT is timed only while it is sent; `wait_seconds` (wall time less the process's CPU) is the share
spent waiting for the server.
With --profile, the sweep runs once under pyinstrument (PYTHONPATH=bench/.tools) inside a rolled-back transaction
and the profile goes to bench/out/profile-sweep.txt. With --explain, instead of timing it runs the sweep once inside a transaction that is rolled back, and prints
EXPLAIN (ANALYZE, BUFFERS) of the first batch query of each rule, exactly as the sweeper sent it, with the state
it saw (so only run it on a throwaway copy: the rolled-back writes leave dead rows).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from whistle.cases.models import Case, CaseEvent  # noqa: E402
from whistle.cases.sweeper import RULES, sweep  # noqa: E402

WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|WITH\b.*\)\s*(INSERT|UPDATE|DELETE))\b", re.I | re.S)


class Statements:
    """Counts the statements a block sends and the time they take (execute_wrapper)."""

    def __init__(self, explain: bool = False):
        self.count = self.seconds = 0.0
        self.by_kind: dict[str, float] = {}
        self.writes = 0
        self.explain = explain
        self.plans: list[tuple[str, str]] = []
        self.explained: set[str] = set()

    def __call__(self, execute, sql, params, many, context):
        if self.explain:
            column = (
                next((c for _, c in RULES if f'"cases_case"."{c}" <=' in sql), None) if "FOR UPDATE" in sql else None
            )
            write = WRITE.match(sql)
            # The first batch query of each rule, and the first write of each kind (run twice: EXPLAIN ANALYZE executes).
            key = column or (write and (write.group(2) or write.group(1)).upper())
            if key and key not in self.explained:
                self.explained.add(key)
                # In a savepoint rolled back at once: EXPLAIN ANALYZE executes the statement, which then runs for real.
                # A cursor that binds on the server, as the sweeper's: its writes send arrays in binary (%b).
                with transaction.atomic(), psycopg.Cursor(context["connection"].connection) as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                    shown = sql.replace("%b", "%s") % tuple(f"'{p}'" for p in params) if params else sql
                    if len(shown) > 4000:
                        shown = shown[:1500] + f" … ({len(params)} parameters) … " + shown[-700:]
                    self.plans.append((key, shown))
                    self.plans[-1] += ("\n".join(row[0] for row in cursor.fetchall()),)
                    transaction.set_rollback(True)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - started
            self.count += 1
            self.seconds += seconds
            kind = WRITE.match(sql)
            kind = (kind.group(2) or kind.group(1)).upper() if kind else sql.lstrip().split(" ", 1)[0].upper()
            self.by_kind[kind] = self.by_kind.get(kind, 0) + seconds
            self.writes += bool(WRITE.match(sql))


def table_writes() -> int:
    """Rows inserted, updated or deleted in every table so far (PostgreSQL statistics; SQLite: this connection)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables")
        else:
            cursor.execute("SELECT total_changes()")
        return int(cursor.fetchone()[0])


def wal_position() -> int | None:
    """Bytes of WAL written so far (PostgreSQL); None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn() - '0/0'")
        return int(cursor.fetchone()[0])


def timed_sweep(now: dt.datetime) -> dict:
    events_before, writes_before, wal_before = CaseEvent.objects.count(), table_writes(), wal_position()
    statements = Statements()
    with connection.execute_wrapper(statements):
        started, cpu = time.perf_counter(), time.process_time()
        counts = sweep(now)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    writes = table_writes() - writes_before
    wal = wal_position()
    return {
        "seconds": round(seconds, 3),
        "python_cpu_seconds": round(cpu, 3),
        "wait_seconds": round(seconds - cpu, 3),
        "events_by_rule": counts,
        "events_written": CaseEvent.objects.count() - events_before,
        "rows_written": writes,
        "write_statements": int(statements.writes),
        "statements": int(statements.count),
        "sql_seconds": round(statements.seconds, 3),
        "wal_mb": round((wal - wal_before) / 2**20, 1) if wal is not None else None,
        "sql_seconds_by_kind": {k: round(v, 3) for k, v in statements.by_kind.items()},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--now", help="the sweep's moment (ISO 8601); default: the clock")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    now = dt.datetime.fromisoformat(args.now) if args.now else timezone.now()
    if timezone.is_naive(now):
        now = timezone.make_aware(now)
    report = {
        "vendor": connection.vendor,
        "now": now.isoformat(),
        "cases": Case.objects.count(),
        "open_cases": Case.objects.filter(is_open=True).count(),
        "events": CaseEvent.objects.count(),
        "due": {column: Case.objects.filter(**{f"{column}__lte": now}).count() for _, column in RULES},
        "armed": {column: Case.objects.filter(**{f"{column}__isnull": False}).count() for _, column in RULES},
    }
    if args.profile:
        from pathlib import Path

        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        with transaction.atomic():
            profiler.start()
            report["events_by_rule"] = sweep(now)
            profiler.stop()
            transaction.set_rollback(True)
        out = Path(__file__).parent / "out" / "profile-sweep.txt"
        out.write_text(
            json.dumps(report, ensure_ascii=False)
            + "\n"
            + profiler.output_text(unicode=True)
            + "\n\n"
            + profiler.output_text(unicode=True, flat=True)
        )
        print(f"profile in {out}")
        return
    if args.explain:
        statements = Statements(explain=True)
        with transaction.atomic(), connection.execute_wrapper(statements):
            report["events_by_rule"] = sweep(now)
            transaction.set_rollback(True)
        print(json.dumps(report, ensure_ascii=False))
        for column, sql, plan in statements.plans:
            print(
                f"\n-- {column}: {'first batch query of its rule' if column.endswith('_at') else 'first statement of this kind'}\n{sql}\n{plan}"
            )
        return
    report["first"] = timed_sweep(now)
    report["second"] = timed_sweep(now)
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
