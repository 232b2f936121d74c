"""The ledger export job against the plain writer it replaced, on the current database (issue 11, item 7).

    WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_export .venv/bin/python bench/export_bench.py [--rounds 3]

The database needs cases (`whistle seed` then `whistle seed --cases N`). Each round, in this order:
- baseline: the old in-request writer — the same query (`values_list` of the export's columns, iterated in chunks of
  2,000) written with xlsxwriter's generic `write()` into one constant-memory sheet, no progress, no storage;
- xlsx: a queued `LedgerExport` of the city coordinator's whole ledger, run by `run_pending_exports` (the worker
  job: rows through core.sheets, progress every 1,000 rows, the file saved into STORAGES);
- csv: the same as CSV in GB18030.
Prints one JSON object: rows, and for each way the median seconds, rows/s, and the ratio to the baseline; the
process's peak RSS after all rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
import django  # noqa: E402

django.setup()

import xlsxwriter  # noqa: E402
from django.utils import timezone  # noqa: E402

from whistle.org.models import Membership, Role  # noqa: E402
from whistle.org.scopes import Actor  # noqa: E402
from whistle.web import exports  # noqa: E402
from whistle.web.models import LedgerExport  # noqa: E402


def coordinator():
    """A city-wide coordinator of the seeded organisation (the widest ledger)."""
    for m in Membership.objects.filter(role=Role.COORDINATOR).select_related("user", "unit", "unit__parent"):
        actor = Actor.of(m.user)
        if actor.sees_all:
            return actor
    raise SystemExit("no city-wide coordinator: run `whistle seed` first")


def baseline(actor, now) -> int:
    form = exports.ledger_form(actor, {"view": "all"})
    assert form.is_valid()
    rows = exports.ledger_rows(actor, form.cleaned_data, now)
    with tempfile.TemporaryFile() as out:
        book = xlsxwriter.Workbook(out, {"constant_memory": True, "remove_timezone": True})
        sheet = book.add_worksheet("台账")
        n = 0
        for r, row in enumerate(rows.iterator(chunk_size=2000), start=1):
            for c, value in enumerate(row[:-1]):
                if value is not None:
                    if hasattr(value, "tzinfo"):
                        value = timezone.localtime(value).replace(tzinfo=None)
                    sheet.write(r, c, value)
            n += 1
        book.close()
    return n


def job(actor, fmt, now) -> int:
    LedgerExport.objects.create(requester=actor.user, filters={"view": ["all"]}, format=fmt)
    result = exports.run_pending_exports(now)
    assert result == {"exports_done": 1, "exports_failed": 0}, result
    export = LedgerExport.objects.order_by("-pk").first()
    export.file.delete(save=False)
    return export.rows_done


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    actor, now = coordinator(), timezone.now()
    times: dict[str, list[float]] = {"baseline": [], "xlsx": [], "csv": []}
    rows = {}
    with tempfile.TemporaryDirectory() as media:
        from django.conf import settings

        settings.MEDIA_ROOT = media  # the bench's files never land in var/
        for _ in range(args.rounds):
            for name, run in (
                ("baseline", lambda: baseline(actor, now)),
                ("xlsx", lambda: job(actor, "xlsx", now)),
                ("csv", lambda: job(actor, "csv", now)),
            ):
                started = time.perf_counter()
                rows[name] = run()
                times[name].append(time.perf_counter() - started)
    LedgerExport.objects.filter(requester=actor.user).delete()
    base = statistics.median(times["baseline"])
    out = {"rows": rows, "rounds": args.rounds}
    for name, values in times.items():
        median = statistics.median(values)
        out[name] = {
            "median_s": round(median, 2),
            "rows_per_s": round(rows[name] / median),
            "ratio_to_baseline": round(median / base, 2),
        }
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
