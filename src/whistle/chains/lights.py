"""A project's lights from its stage's working-day deadline, by the reform tasks' warning rules, and the sweep that
turns them on and issues 提醒 (yellow) and 督办 (red) to the responsible unit.

Every write that moves a project calls `schedule`: the stage's limit (`Stage.limit_working_days`, counted in
working days on the national calendar with its 调休, `core.calendar`) from the day the project entered the stage
gives `due_on`; `yellow_on` is `reforms.yellow_within_working_days` working days before it — the same parameter
the reform tasks read, so the city sets one warning rule for both — and `red_on` is the working day after the last
day of the limit (a limit that ends on a day off runs to the next working day). The last stage has no limit and
no light. The sweep compares those dates with today in three UPDATEs, and issues each notice once per lapse (the
unique (project, kind, lapse) guard), however often it runs.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from whistle.core import calendar
from whistle.core.rules import int_param

from .models import Light, Project, ProjectNotice

YELLOW_WITHIN = "reforms.yellow_within_working_days"


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


def owed_notices(today: dt.date, now: dt.datetime) -> list[ProjectNotice]:
    """A 督办 for each red project and a 提醒 for each yellow one, keyed by the lapse (its red_on or yellow_on), less
    those already issued."""
    rows = list(
        Project.objects.filter(yellow_on__lte=today).values_list("pk", "responsible_unit_id", "yellow_on", "red_on")
    )
    wanted = {}
    for pk, unit, yellow_on, red_on in rows:
        if red_on <= today:
            wanted[(pk, ProjectNotice.Kind.LETTER, red_on)] = unit
        else:
            wanted[(pk, ProjectNotice.Kind.REMINDER, yellow_on)] = unit
    have = set()
    ids = [r[0] for r in rows]
    for i in range(0, len(ids), 500):
        have.update(
            ProjectNotice.objects.filter(project_id__in=ids[i : i + 500]).values_list("project_id", "kind", "lapse_on")
        )
    return [
        ProjectNotice(project_id=pk, kind=kind, lapse_on=lapse, unit_id=unit, issued_at=now)
        for (pk, kind, lapse), unit in wanted.items()
        if (pk, kind, lapse) not in have
    ]


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """The worker job: lights, then the notices owed. Running it twice changes nothing."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    changed = set_lights(today)
    owed = owed_notices(today, now)
    with transaction.atomic():
        ProjectNotice.objects.bulk_create(owed, ignore_conflicts=True, batch_size=1000)
    return {
        "chain_lights_changed": changed,
        "chain_notices": len(owed),
        "chain_letters": sum(1 for n in owed if n.kind == ProjectNotice.Kind.LETTER),
    }
