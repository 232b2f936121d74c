from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The Heze demo at a small size (the same code as the full one), loaded once per module and rolled back
    after it: each test runs inside it in its own savepoint."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            out = StringIO()
            with override_settings(DEMO=True):  # as `whistle demo` runs it (WHISTLE_DEMO=1)
                call_command("seed", "--history", "150", "--enterprises", "40", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
