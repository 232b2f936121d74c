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
moves on gets new dates, hence a new lapse.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from whistle.core import calendar
from whistle.core.rules import int_param

from .models import Light, Project, ProjectNotice

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


def issue_notices(today: dt.date, now: dt.datetime) -> dict[str, int]:
    """The notices owed today, one statement per kind; returns how many of each were new."""
    quote = connection.ops.quote_name
    notice, project = ProjectNotice._meta, Project._meta
    col = {f: quote(project.get_field(f).column) for f in ("id", "responsible_unit", "red_on", "yellow_on")}
    into = ", ".join(quote(notice.get_field(f).column) for f in ("project", "kind", "lapse_on", "unit", "issued_at"))
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
                f"SELECT p.{col['id']}, %(kind)s, p.{col[lapse]}, p.{col['responsible_unit']}, %(now)s "
                f"FROM {quote(project.db_table)} p WHERE p.{col[lapse]} <= %(today)s{extra.format(**col)} "
                f"ON CONFLICT ({key}) DO NOTHING",
                {**params, "kind": kind.value},
            )
            issued[kind.value] = max(cursor.rowcount, 0)
    return issued


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """The worker job: lights, then the notices owed. Running it twice changes nothing."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    with transaction.atomic():
        changed = set_lights(today)
        issued = issue_notices(today, now)
    return {
        "chain_lights_changed": changed,
        "chain_notices": sum(issued.values()),
        "chain_letters": issued[ProjectNotice.Kind.LETTER],
    }
