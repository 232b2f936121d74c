"""Make the peer ready to be measured: one queue, one admin user with a DRF token, N existing tickets.

Run with the peer's own Python:  PYTHONPATH=bench bench/.peer/bin/python bench/peer/prepare.py [--tickets N]
Prints the token on the last line.
"""

import argparse
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from helpdesk.models import Queue, Ticket  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--tickets", type=int, default=0, help="existing tickets before the run (bulk-inserted)")
args = parser.parse_args()

call_command("migrate", verbosity=0, interactive=False)
queue, _ = Queue.objects.get_or_create(slug="bench", defaults={"title": "Bench", "allow_public_submission": False})
User = get_user_model()
admin = User.objects.filter(username="bench_admin").first()
if admin is None:
    admin = User.objects.create_superuser("bench_admin", "bench@example.com", "bench-admin-password")
token, _ = Token.objects.get_or_create(user=admin)
missing = args.tickets - Ticket.objects.count()
if missing > 0:
    Ticket.objects.bulk_create(
        [
            Ticket(
                queue=queue, title=f"existing {i}", description="seeded", submitter_email="s@example.com", priority=3
            )
            for i in range(missing)
        ],
        batch_size=2000,
    )
print(f"queue={queue.pk} tickets={Ticket.objects.count()}")
print(token.key)
