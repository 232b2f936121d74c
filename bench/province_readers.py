"""Readers for the read-only pages of a province database: a leader of the province and of each city, each with a
signed-in session, and a wrk target list (bench/get_rotate.lua) of the pages the replica router sends to a replica
(`core.replicas.READ_PATHS`): the cockpit, the rankings and the ledger. Used by `bench/province_run.sh replica`.

    WHISTLE_DATABASE_URL=... .venv/bin/python bench/province_readers.py OUT.tsv
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from whistle.org.models import Level, Role, Unit, UnitKind  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from prepare_whistle import member, session_for  # noqa: E402

PAGES = ("/dashboard", "/dashboard/rankings", "/ledger")


def main(out: str) -> None:
    root = Unit.objects.get(parent__isnull=True)
    units = [root, *Unit.objects.filter(parent=root, level=Level.CITY, kind=UnitKind.GOVERNMENT).order_by("code")]
    lines = []
    for unit in units:
        user = member(f"bench_reader_{unit.code}"[:150], Role.LEADER, unit=unit)
        cookie = f"Cookie: {settings.SESSION_COOKIE_NAME}={session_for(user)}"
        lines += [f"{page}\t{cookie}" for page in PAGES]
    Path(out).write_text("\n".join(lines) + "\n")
    print(f"{len(units)} leaders × {len(PAGES)} pages: {out}")


if __name__ == "__main__":
    main(sys.argv[1])
