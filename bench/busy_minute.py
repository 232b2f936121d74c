"""A busy minute for bench/worker_minute.py: about BUSY_EVENTS case events through the real workflow, spread over as
many lead units as have open cases — each dispatched case signed for (accept) and contacted by a member of its unit,
two events a case, the cases taken in a random order. Run inside whistle: `whistle shell < bench/busy_minute.py`."""

import os
import random
import time

from django.utils import timezone

from whistle.cases import workflow
from whistle.cases.models import Case, CaseEvent
from whistle.org.models import Membership
from whistle.org.scopes import UNIT_ROLES, Actor

wanted = int(os.environ.get("BUSY_EVENTS", "2000"))
rng = random.Random(21)
members = {}
for m in Membership.objects.filter(role__in=UNIT_ROLES, user__is_active=True).select_related("user", "unit"):
    members.setdefault(m.unit_id, m)
ids = list(Case.objects.filter(state="dispatched", lead_unit_id__in=list(members)).values_list("pk", "lead_unit_id"))
rng.shuffle(ids)
top = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
started, units, done = time.monotonic(), set(), 0
for pk, unit_id in ids:
    if CaseEvent.objects.filter(pk__gt=top).count() >= wanted:
        break
    member = members[unit_id]
    actor = Actor.of(member.user)
    case = Case.objects.get(pk=pk)
    try:
        workflow.apply(case.number, "accept", actor, {}, timezone.now())
        workflow.apply(case.number, "contact", actor, {"method": "phone", "note": "已电话联系"}, timezone.now())
    except Exception as refused:  # noqa: BLE001 — a case this actor may not act on is skipped
        print("skipped", case.number, refused)
        continue
    units.add(unit_id)
    done += 1
events = CaseEvent.objects.filter(pk__gt=top).count()
print(f"busy minute: {events} events on {done} cases of {len(units)} lead units in {time.monotonic() - started:.1f} s")
