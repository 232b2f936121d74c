"""A project's lights from its stage's working-day deadline, by the reform tasks' warning rules, and the sweep that
turns them on and issues 提醒 (yellow) and 督办 (red) to the responsible unit.

Every write that moves a project calls `schedule`: the stage's limit (`Stage.limit_working_days`, counted in
working days on the national calendar with its 调休, `core.calendar`) from the day the project entered the stage
gives `due_on`; `yellow_on` is `chains.yellow_within_working_days` working days before it (the chains' own rule,
which started at the reform tasks' value: migration 0003), and `red_on` is the working day after the last day of
the limit (a limit that ends on a day off runs to the next working day). The last stage has no limit and no light.

The sweep is set-based: three UPDATEs set the lights, and one `INSERT … SELECT` per kind issues the notices owed —
a 督办 for each project whose `red_on` has come, a 提醒 for each whose `yellow_on` has come and `red_on` has not —
keyed by the lapse (that date), so the unique (project, kind, lapse) constraint with `ON CONFLICT DO NOTHING`
issues each once however often the sweep runs, and two workers at once cannot issue one twice. A project that
moves on gets new dates, hence a new lapse. The notices new in a sweep (`RETURNING` their ids) are told in the same
transaction through the notices app (`tell`): the responsible unit's people and the chain's office, on the channels
each chose, in the words of the `chains_reminder` and `chains_letter` templates (data, migration 0008).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from whistle.core import calendar
from whistle.core.links import public_url
from whistle.core.rules import int_param
from whistle.notices.expand import to_people
from whistle.notices.models import Delivery, NoticeProfile, NoticeTemplate, Timing
from whistle.org.models import Role

from .models import Light, Officer, Project, ProjectNotice

YELLOW_WITHIN = "chains.yellow_within_working_days"


def light_on(project: Project, today: dt.date) -> str:
    if project.red_on is None:
        return Light.NONE
    if today >= project.red_on:
        return Light.RED
    if project.yellow_on and today >= project.yellow_on:
        return Light.YELLOW
    return Light.GREEN


def schedule(project: Project, today: dt.date) -> None:
    """Recompute the deadline, the sweep dates and the light of one project (not saved)."""
    limit = project.stage.limit_working_days
    if limit is None:
        project.due_on = project.yellow_on = project.red_on = None
        project.light = Light.NONE
        return
    project.due_on = calendar.working_days_after(project.stage_since, limit)
    project.yellow_on = calendar.working_days_before(project.due_on, int_param(YELLOW_WITHIN))
    project.red_on = calendar.overdue_from(project.due_on)
    project.light = light_on(project, today)


def set_lights(today: dt.date) -> int:
    live = Project.objects.filter(red_on__isnull=False)
    red = Q(red_on__lte=today)
    yellow = Q(yellow_on__lte=today)
    changed = live.filter(red).exclude(light=Light.RED).update(light=Light.RED)
    changed += live.filter(yellow).exclude(red).exclude(light=Light.YELLOW).update(light=Light.YELLOW)
    changed += live.exclude(red).exclude(yellow).exclude(light=Light.GREEN).update(light=Light.GREEN)
    return changed


# (kind, the lapse's date column, the condition on the project beyond "lapse <= today")
_NOTICES = (
    (ProjectNotice.Kind.LETTER, "red_on", ""),
    (ProjectNotice.Kind.REMINDER, "yellow_on", " AND p.{red_on} > %(today)s"),
)


def issue_notices(today: dt.date, now: dt.datetime) -> dict[str, list[int]]:
    """The notices owed today, one statement per kind; returns the ids of the new ones of each kind."""
    quote = connection.ops.quote_name
    notice, project = ProjectNotice._meta, Project._meta
    col = {f: quote(project.get_field(f).column) for f in ("id", "responsible_unit", "red_on", "yellow_on")}
    into = ", ".join(
        quote(notice.get_field(f).column) for f in ("project", "kind", "lapse_on", "unit", "issued_at", "recipients")
    )
    key = ", ".join(quote(notice.get_field(f).column) for f in ("project", "kind", "lapse_on"))
    params = {
        "today": connection.ops.adapt_datefield_value(today),
        "now": connection.ops.adapt_datetimefield_value(now),
    }
    issued = {}
    with connection.cursor() as cursor:
        for kind, lapse, extra in _NOTICES:
            cursor.execute(
                f"INSERT INTO {quote(notice.db_table)} ({into}) "
                f"SELECT p.{col['id']}, %(kind)s, p.{col[lapse]}, p.{col['responsible_unit']}, %(now)s, 0 "
                f"FROM {quote(project.db_table)} p WHERE p.{col[lapse]} <= %(today)s{extra.format(**col)} "
                f"ON CONFLICT ({key}) DO NOTHING RETURNING {quote(notice.pk.column)}",
                {**params, "kind": kind.value},
            )
            issued[kind.value] = [row[0] for row in cursor.fetchall()]
    return issued


# ---- telling people ------------------------------------------------------------------------------------------------

TEMPLATES = {ProjectNotice.Kind.REMINDER: "chains_reminder", ProjectNotice.Kind.LETTER: "chains_letter"}
UNIT_ROLES = (Role.HANDLER, Role.UNIT_ADMIN)


def _recipients(notices: list[ProjectNotice]) -> dict[int, list]:
    """Who is told of each notice, read in one query per audience: the people of the project's responsible unit who
    act on its work (承办人员, 单位管理员) and the chain's office (`Officer`), each person once."""
    User = get_user_model()
    active = User.objects.filter(is_active=True).select_related("membership").order_by("pk")
    by_unit: dict[int, list] = defaultdict(list)
    for user in active.filter(membership__unit_id__in={n.unit_id for n in notices}, membership__role__in=UNIT_ROLES):
        by_unit[user.membership.unit_id].append(user)
    by_chain: dict[int, list] = defaultdict(list)
    for officer in (
        Officer.objects.filter(chain_id__in={n.project.chain_id for n in notices}, user__is_active=True)
        .select_related("user__membership")
        .order_by("user_id")
    ):
        by_chain[officer.chain_id].append(officer.user)
    out = {}
    for n in notices:
        people = {u.pk: u for u in by_unit[n.unit_id] + by_chain[n.project.chain_id]}
        out[n.pk] = list(people.values())
    return out


def _context(n: ProjectNotice) -> dict:
    project = n.project
    return {
        "number": f"项目{project.pk}",
        "title": project.name,
        "chain": project.chain.name,
        "step": project.stage.name,
        "kind": n.get_kind_display(),
        "unit": n.unit.name,
        "deadline": f"{project.due_on:%Y年%-m月%-d日}" if project.due_on else "",
    }


def tell(ids: list[int], now: dt.datetime) -> int:
    """The 提醒 and 督办 just issued (`ids`), told through the notices app (templates as data, each person on the
    channels they chose, `notices.expand.to_people`), written with the notices in the sweep's transaction: a notice
    is issued once per lapse, so it is told once. Returns how many deliveries."""
    if not ids:
        return 0
    notices = list(
        ProjectNotice.objects.filter(pk__in=ids)
        .select_related("unit", "project__chain", "project__stage")
        .order_by("pk")
    )
    templates = NoticeTemplate.objects.in_bulk(list(TEMPLATES.values()), field_name="code")
    people = _recipients(notices)
    profiles = NoticeProfile.objects.in_bulk(
        list({u.pk for users in people.values() for u in users}), field_name="user_id"
    )
    deliveries, told = [], []
    for n in notices:
        template = templates.get(TEMPLATES[ProjectNotice.Kind(n.kind)])
        users = people[n.pk]
        if template is not None and users:
            link = public_url(reverse("chains:project", args=[n.project_id]))
            timing = Timing.URGENT if n.kind == ProjectNotice.Kind.LETTER else Timing.NORMAL
            deliveries += to_people(template, users, _context(n), link, now, timing=timing, profiles=profiles)
        n.recipients = len(users)
        told.append(n)
    Delivery.objects.bulk_create(deliveries, batch_size=1000)
    ProjectNotice.objects.bulk_update(told, ["recipients"], batch_size=1000)
    return len(deliveries)


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """The worker job: lights, then the notices owed and their messages. Running it twice changes nothing."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    with transaction.atomic():
        changed = set_lights(today)
        issued = issue_notices(today, now)
        messages = tell([pk for ids in issued.values() for pk in ids], now)
    return {
        "chain_lights_changed": changed,
        "chain_notices": sum(len(ids) for ids in issued.values()),
        "chain_letters": len(issued[ProjectNotice.Kind.LETTER]),
        "chain_messages": messages,
    }
