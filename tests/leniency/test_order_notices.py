"""The people who must act on an order to correct are told, through the notices app, each lapse once (issue 20):
the enterprise before its deadline, the inspector when the re-check falls due, the department's head when the
re-check is overdue."""

import datetime as dt

from django.utils import timezone

from tests.leniency.test_pages_api import ordered
from whistle.core import calendar
from whistle.core.rules import int_param
from whistle.leniency import jobs, services
from whistle.leniency.models import OrderNotice, OrderNoticeKind
from whistle.notices.models import Channel, Delivery


def on(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def told(result: dict) -> tuple[int, int, int]:
    return (
        result["told_correction_due"],
        result["told_recheck_due"],
        result["told_recheck_overdue"],
    )


def inbox(username: str) -> list[str]:
    return list(
        Delivery.objects.filter(recipient__username=username, channel=Channel.INAPP)
        .order_by("pk")
        .values_list("subject", flat=True)
    )


def test_each_lapse_of_an_order_is_told_once_never_twice_on_rerun(lists):
    order = ordered(lists).order
    before, within = int_param(jobs.REMIND_BEFORE), int_param(jobs.RECHECK_WITHIN)
    remind = calendar.working_days_before(order.due_on, before)
    assert told(jobs.correction_sweep(on(remind - dt.timedelta(days=1)))) == (0, 0, 0)
    assert told(jobs.correction_sweep(on(remind))) == (1, 0, 0)
    assert told(jobs.correction_sweep(on(remind, 15))) == (0, 0, 0)
    assert inbox("ent_cao") == inbox("ent_cao2") == [f"改正期限提醒：{order.due_on:%Y年%-m月%-d日}前完成改正"]

    due = calendar.overdue_from(order.due_on)  # no report by the deadline: the re-check falls due the day after
    assert told(jobs.correction_sweep(on(due - dt.timedelta(days=1)))) == (0, 0, 0)
    assert told(jobs.correction_sweep(on(due))) == (0, 1, 0)
    assert inbox("cao_inspector") == ["待复查：曹县木业有限公司"]

    late = calendar.overdue_from(calendar.working_days_after(due, within))
    assert told(jobs.correction_sweep(on(late - dt.timedelta(days=1)))) == (0, 0, 0)
    assert told(jobs.correction_sweep(on(late))) == (0, 0, 1)
    assert inbox("cao_scjg_admin") == ["复查逾期：曹县木业有限公司"]
    assert inbox("cao_office") == []  # the department has a head: the coordinators are not told

    count = Delivery.objects.count()
    for day in (late, late + dt.timedelta(days=1), late + dt.timedelta(days=30)):
        assert told(jobs.correction_sweep(on(day))) == (0, 0, 0)
    assert Delivery.objects.count() == count
    assert sorted(OrderNotice.objects.values_list("kind", "lapse_on")) == sorted(
        [
            (OrderNoticeKind.CORRECTION_DUE, order.due_on),
            (OrderNoticeKind.RECHECK_DUE, due),
            (OrderNoticeKind.RECHECK_OVERDUE, late),
        ]
    )


def test_a_reported_correction_makes_the_recheck_due_that_day_and_a_recheck_ends_the_notices(lists):
    finding = ordered(lists)
    reported = dt.date(2026, 3, 12)
    services.order_report(lists.actor("ent_cao"), finding.pk, report="已将营业执照悬挂于醒目位置", now=on(reported, 10))
    assert told(jobs.correction_sweep(on(reported, 11))) == (0, 1, 0)  # reported: no reminder of the deadline
    services.finding_recheck(lists.actor("cao_inspector"), finding.pk, corrected=True, now=on(dt.date(2026, 3, 13)))
    assert told(jobs.correction_sweep(on(dt.date(2026, 6, 1)))) == (0, 0, 0)  # rechecked: nothing is overdue
    assert inbox("cao_scjg_admin") == []


def test_an_overdue_recheck_goes_to_the_county_coordinators_when_the_department_has_no_head(lists):
    lists.users.cao_scjg_admin.is_active = False  # the department's only head has left
    lists.users.cao_scjg_admin.save()
    ordered(lists)
    assert told(jobs.correction_sweep(on(dt.date(2026, 6, 1)))) == (
        0,
        1,
        1,
    )  # the deadline long past: no reminder any more
    assert inbox("cao_office") == ["复查逾期：曹县木业有限公司"]
    assert inbox("cao_scjg_admin") == [] and inbox("shan_office") == [] and inbox("city_office") == []
