"""红黄绿灯 from working-day dates, and the sweep that turns them on and issues 提醒, 预警函 and 督办函.

Every write to a task calls `schedule`, which stores three dates (Beijing calendar days) on the task:
- `yellow_on`: `reforms.yellow_within_working_days` working days before the next milestone or the due date;
- `red_on`: the working day after the last day of that date (a date on a day off runs to the next working day,
  as statutory time limits do), so a task due on the last day before the National Day holiday is red on the first
  working day after it;
- `report_missing_on`: the working day after the grace (`reforms.report_grace_working_days`) that follows the end of
  the first reporting period (`report_every_months`) not yet reported.

The sweep compares those dates with today: three UPDATEs set the lights, and the notices owed are computed for the
tasks whose `notice_on` has come (the earliest of those dates; the sweep moves it to the next one, so a sweep with
nothing due reads no rows) and inserted with the unique (task, kind, lapse) guard, so running it again — or two
workers at once — issues nothing twice. A task red for `reforms.letter_repeat_working_days` more working days gets
a further 督办函 (a new lapse); a task with `threshold` 督办函 within the accountability rule's `months` raises a
proposal (约谈) through the accountability app.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from whistle.core import calendar
from whistle.core.months import add_months
from whistle.core.rules import int_param

from .models import Kind, Light, NoticeKind, State, Task, TaskNotice

YELLOW_WITHIN = "reforms.yellow_within_working_days"
REPORT_GRACE = "reforms.report_grace_working_days"
LETTER_REPEAT = "reforms.letter_repeat_working_days"
REPEATED_RED_RULE = "reform-repeated-red"


def period_of(task: Task, day: dt.date) -> dt.date:
    """The first day of the reporting period `day` falls in (periods of `report_every_months` from the start)."""
    start = task.starts_on.replace(day=1)
    months = (day.year - start.year) * 12 + day.month - start.month
    return add_months(start, max(0, months) // task.report_every_months * task.report_every_months)


def period_end(task: Task, period: dt.date) -> dt.date:
    return add_months(period, task.report_every_months) - dt.timedelta(days=1)


def report_missing_from(task: Task, period: dt.date) -> dt.date:
    """The day a period's report is missing: the working day after the grace that follows its end."""
    return calendar.working_days_after(period_end(task, period), int_param(REPORT_GRACE) + 1)


def next_unreported(task: Task) -> dt.date:
    if task.reported_through is None:
        return period_of(task, task.starts_on)
    return add_months(task.reported_through, task.report_every_months)


def report_period(task: Task, day: dt.date) -> dt.date:
    """Which period a report filed on `day` covers: the period before, while its grace runs and it is unreported;
    else the period `day` falls in."""
    current = period_of(task, day)
    previous = add_months(current, -task.report_every_months)
    start = period_of(task, task.starts_on)
    unreported = task.reported_through is None or task.reported_through < previous
    if previous >= start and unreported and day < report_missing_from(task, previous):
        return previous
    return current


def light_on(task: Task, today: dt.date) -> str:
    if task.state != State.OPEN or task.kind == Kind.SHEET:
        return task.light
    if task.red_on and today >= task.red_on:
        return Light.RED
    if (task.yellow_on and today >= task.yellow_on) or (task.report_missing_on and today >= task.report_missing_on):
        return Light.YELLOW
    return Light.GREEN


def schedule(task: Task, today: dt.date, milestones=None) -> None:
    """Recompute the sweep columns and the light of one task (not saved). `milestones`: its milestones, if loaded."""
    if task.kind == Kind.SHEET or task.state != State.OPEN:
        task.next_due_on = task.yellow_on = task.red_on = task.report_missing_on = task.notice_on = None
        if task.kind == Kind.SHEET:
            task.light = Light.NONE
        elif task.state == State.SUBMITTED:
            # Waiting for acceptance: the office's move. Submitted late keeps its red; on time is green.
            task.light = (
                Light.RED
                if task.submitted_on and task.submitted_on >= calendar.overdue_from(task.due_on)
                else Light.GREEN
            )
        else:
            task.light = Light.NONE
        return
    if milestones is None:
        milestones = list(task.milestones.all()) if task.pk else []
    pending = [m.due_on for m in milestones if m.done_on is None]
    task.next_due_on = min([task.due_on, *pending])
    task.yellow_on = calendar.working_days_before(task.next_due_on, int_param(YELLOW_WITHIN))
    task.red_on = calendar.overdue_from(task.next_due_on)
    task.report_missing_on = report_missing_from(task, next_unreported(task))
    task.notice_on = min(task.yellow_on, task.report_missing_on)
    task.light = light_on(task, today)


# ---- the sweep ---------------------------------------------------------------------------------------------------


def _live():
    return Task.objects.filter(state=State.OPEN).exclude(kind=Kind.SHEET)


def set_lights(today: dt.date) -> int:
    red = Q(red_on__lte=today)
    yellow = Q(yellow_on__lte=today) | Q(report_missing_on__lte=today)
    changed = _live().filter(red).exclude(light=Light.RED).update(light=Light.RED)
    changed += _live().filter(yellow).exclude(red).exclude(light=Light.YELLOW).update(light=Light.YELLOW)
    changed += _live().exclude(red).exclude(yellow).exclude(light=Light.GREEN).update(light=Light.GREEN)
    return changed


def letter_lapse(red_on: dt.date, today: dt.date, repeat: int, memo: dict) -> dt.date:
    """The lapse a red task's current 督办函 is for: its red_on, then every `repeat` working days it stays red."""
    key = red_on
    if key not in memo:
        lapses, day = [red_on], red_on
        while repeat > 0:
            day = calendar.working_days_after(day, repeat)
            if day > today:
                break
            lapses.append(day)
        memo[key] = lapses
    return memo[key]


def owed_notices(today: dt.date) -> tuple[list[TaskNotice], dict[dt.date | None, list[int]]]:
    """The notices owed today by the tasks whose `notice_on` has come, less those already issued; and each such
    task's next `notice_on` (the next of its dates after today, or its next 督办函 while red), grouped by date."""
    rows = list(
        _live()
        .filter(notice_on__lte=today)
        .values_list("pk", "kind", "lead_unit_id", "yellow_on", "red_on", "report_missing_on")
    )
    if not rows:
        return [], {}
    repeat = int_param(LETTER_REPEAT)
    memo: dict = {}
    wanted: dict[tuple, tuple] = {}
    following: dict[dt.date | None, list[int]] = defaultdict(list)
    for pk, kind, unit, yellow_on, red_on, missing_on in rows:
        later = [d for d in (yellow_on, red_on, missing_on) if d and d > today]
        if red_on and red_on <= today:
            lapse = letter_lapse(red_on, today, repeat, memo)[-1]  # a sweep missed for days sends one, not several
            wanted[(pk, NoticeKind.LETTER, lapse)] = (unit, "逾期未完成")
            if repeat > 0:
                later.append(calendar.working_days_after(lapse, repeat))
        elif yellow_on and yellow_on <= today:
            notice = NoticeKind.WARNING if kind == Kind.ITEM else NoticeKind.REMINDER
            wanted[(pk, notice, yellow_on)] = (unit, "临近完成时限")
        if missing_on and missing_on <= today:
            notice = NoticeKind.WARNING if kind == Kind.ITEM else NoticeKind.REMINDER
            wanted[(pk, notice, missing_on)] = (unit, "未按期报送进展")
        following[min(later) if later else None].append(pk)
    ids = [r[0] for r in rows]
    have = set()
    for i in range(0, len(ids), 500):
        have.update(TaskNotice.objects.filter(task_id__in=ids[i : i + 500]).values_list("task_id", "kind", "lapse_on"))
    now = timezone.now()
    owed = [
        TaskNotice(task_id=pk, kind=kind, lapse_on=lapse, unit_id=unit, reason=reason, issued_at=now)
        for (pk, kind, lapse), (unit, reason) in wanted.items()
        if (pk, kind, lapse) not in have
    ]
    return owed, following


def repeated_red(new_letters: list[TaskNotice], now: dt.datetime) -> int:
    """Tasks whose 督办函 within the rule's months reach its threshold: a proposal (约谈) on the lead unit, with the
    task and its letters as evidence. Keyed by the task and how many thresholds it has passed, so the same letters
    never propose twice and a task that keeps lapsing proposes again."""
    from whistle.accountability.services import proposals_raise, rule_numbers

    if not new_letters:
        return 0
    numbers = rule_numbers(REPEATED_RED_RULE)
    if numbers is None:
        return 0
    months, threshold = numbers
    since = timezone.localtime(now).date() - dt.timedelta(days=31 * months)
    letters = defaultdict(list)
    for task_id, lapse_on, issued_at in (
        TaskNotice.objects.filter(
            task_id__in={n.task_id for n in new_letters}, kind=NoticeKind.LETTER, lapse_on__gte=since
        )
        .order_by("task_id", "lapse_on")
        .values_list("task_id", "lapse_on", "issued_at")
    ):
        letters[task_id].append((lapse_on, issued_at))
    proposals = []
    tasks = Task.objects.select_related("lead_unit").in_bulk(list(letters))
    for task_id, found in letters.items():
        if len(found) < max(threshold, 1):
            continue
        task = tasks[task_id]
        rounds = len(found) // max(threshold, 1)
        evidence = {
            "task": {"id": task.pk, "code": task.code, "title": task.title, "due_on": task.due_on.isoformat()},
            "letters": [{"lapse_on": d.isoformat(), "issued_at": t.isoformat()} for d, t in found],
            "months": months,
            "threshold": threshold,
        }
        summary = f"改革任务“{task.title}”{months}个月内{len(found)}次亮红灯并收到督办函（阈值{threshold}次）"
        proposals.append(
            {
                "unit": task.lead_unit,
                "summary": summary,
                "evidence": evidence,
                "evidence_key": f"reform-task-{task.pk}-{rounds}",
            }
        )
    # One INSERT for the run's proposals (after a backlog, thousands), under the same rule: one per evidence key.
    return proposals_raise(REPEATED_RED_RULE, proposals, now)


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """The worker job: lights, then notices, then repeated red lights → accountability proposals."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    changed = set_lights(today)
    owed, following = owed_notices(today)
    for notice in owed:
        notice.issued_at = now
    with transaction.atomic():
        TaskNotice.objects.bulk_create(owed, ignore_conflicts=True, batch_size=1000)
        for day, ids in following.items():  # a few distinct dates: one UPDATE per date and 500 ids
            for i in range(0, len(ids), 500):
                Task.objects.filter(pk__in=ids[i : i + 500], state=State.OPEN).update(notice_on=day)
    letters = [n for n in owed if n.kind == NoticeKind.LETTER]
    proposals = repeated_red(letters, now)
    return {
        "reform_lights_changed": changed,
        "reform_notices": len(owed),
        "reform_letters": len(letters),
        "reform_proposals": proposals,
    }
