"""The Heze demo (`whistle seed --if-empty`, as `make demo` runs it, at a small size of the same code), loaded once
for this whole package and rolled back after it: every demo test of every app runs inside it, in its own savepoint.
One load instead of one per app keeps the suite's time in bounds (a load takes minutes on a shared machine)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

HISTORY = 300  # a year of cases: enough for every ranking class to find its units
ENTERPRISES = 40


@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker):
    """What the seed printed."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            out = StringIO()
            with override_settings(DEMO=True):  # as `whistle demo` runs it (WHISTLE_DEMO=1)
                call_command(
                    "seed", "--if-empty", "--history", str(HISTORY), "--enterprises", str(ENTERPRISES), stdout=out
                )
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
