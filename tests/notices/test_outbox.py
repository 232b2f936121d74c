"""Issue 12 item 1–2: the outbox is written with the event that causes it, set-based for the sweep, and expanded by
the rules (data) into deliveries for the right people on their channels, respecting quiet hours and the digest."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.cases.flow import MONDAY, act, case_in, submit
from tests.conftest import at
from whistle.cases.sweeper import sweep
from whistle.core import rules
from whistle.core.models import RuleParameter
from whistle.notices import expand, sender
from whistle.notices.models import Delivery, Notice, NoticeProfile, NoticeRule, NoticeTemplate, Status


def told(case, channel="inapp"):
    return sorted(
        (d.recipient.username if d.recipient else d.recipient_label, d.subject)
        for d in Delivery.objects.filter(case_id=case.pk, channel=channel).select_related("recipient")
    )


def test_issue_12_1_a_notice_is_written_in_the_same_transaction_as_its_event(heze):
    case = submit(heze)  # routed by the catalogue to 曹县住建局: submit, route and dispatch events
    notices = list(Notice.objects.filter(case_id=case.pk).order_by("seq").values_list("action", flat=True))
    assert notices == ["submit", "dispatch"]  # the actions some rule watches; `route` is watched by none


def test_issue_12_1_no_notice_for_a_step_that_rolled_back(heze):
    case = case_in(heze, "dispatched")
    before = Notice.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        act(heze, case, "accept", "cao_zjj", {}, at(2026, 11, 2, 10, 30))
        assert Notice.objects.count() == before + 1  # written with the step …
        raise RuntimeError("the request failed after the step")
    assert Notice.objects.count() == before  # … and gone with it


def test_issue_12_2_the_units_handlers_are_told_of_a_dispatch_and_the_enterprise_of_the_acceptance(heze):
    case = case_in(heze, "accepted")
    expand.expand_pending(MONDAY)
    assert told(case) == [
        ("cao_zjj", f"新派单：{case.number}"),
        ("ent_cao", f"您的诉求已签收：{case.number}"),
        ("ent_cao2", f"您的诉求已签收：{case.number}"),
    ]
    message = Delivery.objects.get(case_id=case.pk, recipient__username="ent_cao")
    assert message.body == f"您的诉求 {case.number}「{case.title}」已由曹县住房和城乡建设局签收，将尽快与您联系。"
    assert message.link.endswith(f"/cases/{case.number}") and message.status == Status.SENT


def test_issue_12_2_the_office_is_told_of_a_case_waiting_for_dispatch_and_of_a_return(heze):
    waiting = submit(heze, category="other", county=heze.cao.pk)  # no catalogue entry: waits for the office
    routed = case_in(heze, "dispatched")
    act(
        heze,
        routed,
        "return",
        "cao_zjj",
        {"reason": "不属于本单位职责", "suggested_unit": "caoxian-scjg"},
        at(2026, 11, 2, 11),
    )
    expand.expand_pending()
    assert told(waiting) == [("cao_office", f"待派单：{waiting.number}")]
    assert ("cao_office", f"退单待重新派单：{routed.number}") in told(routed)
    assert ("cao_office", f"待派单：{routed.number}") not in told(routed)  # it was routed at once


def test_issue_12_2_who_is_told_what_is_data_edited_in_the_admin(heze):
    NoticeRule.objects.filter(action="dispatch").update(is_active=False)
    NoticeTemplate.objects.filter(code="accepted").update(subject="已受理：{{ number }}（{{ unit }}）")
    case = case_in(heze, "accepted")
    expand.expand_pending()
    assert told(case) == [
        ("ent_cao", f"已受理：{case.number}（曹县住房和城乡建设局）"),
        ("ent_cao2", f"已受理：{case.number}（曹县住房和城乡建设局）"),
    ]


def test_issue_12_2_yellow_and_red_cards_and_supervision_tell_the_unit(heze):
    case = case_in(heze, "in_progress")
    sweep(at(2026, 11, 24, 10))  # red card (no stale yellow), then supervision
    expand.expand_pending()
    subjects = [s for who, s in told(case) if who == "cao_zjj"]
    assert f"红牌警示：{case.number}" in subjects and f"督办：{case.number}" in subjects


def test_issue_12_1_the_sweep_writes_its_outbox_set_based_one_insert_per_chunk(heze):
    cases = [case_in(heze, "in_progress") for _ in range(5)]
    with CaptureQueriesContext(connection) as queries:
        counts = sweep(at(2026, 11, 24, 10))
    inserts = [q["sql"] for q in queries.captured_queries if 'INTO "notices_notice"' in q["sql"]]
    assert len(inserts) == 1  # five cases, ten events: one statement
    assert counts["red_card"] == 5 and counts["supervise"] == 5
    assert Notice.objects.filter(case_id__in=[c.pk for c in cases], action__in=["red_card", "supervise"]).count() == 10


def test_issue_12_2_a_green_channel_case_tells_the_leader(heze):
    case = case_in(heze, "in_progress")
    act(heze, case, "escalate", "cao_office", {"reason": "跨部门协调困难"}, at(2026, 11, 3, 10))
    act(heze, case, "green_channel", "city_office", {"reason": "重点项目"}, at(2026, 11, 3, 11))
    expand.expand_pending()
    assert ("city_office", f"提级至市级协调：{case.number}") in told(case)
    leader = case.__class__.objects.get(pk=case.pk).green_channel_leader
    assert (leader.username, f"绿色通道：{case.number}") in told(case)


def _quiet(start, end):
    RuleParameter.objects.filter(key="notices.quiet_start_hour").update(value=start)
    RuleParameter.objects.filter(key="notices.quiet_end_hour").update(value=end)
    rules.clear_cache()


def test_issue_12_2_urgent_notices_go_at_once_others_after_quiet_hours(heze, smtp):
    _quiet(22, 7)
    for name in ("cao_zjj", "ent_cao"):
        user = getattr(heze.users, name)
        user.email = f"{name}@example.cn"
        user.save()
    case = case_in(heze, "accepted")
    night = at(2026, 11, 2, 23, 30)
    expand.expand_pending(night)
    dispatch = Delivery.objects.get(case_id=case.pk, channel="email", recipient__username="cao_zjj")
    accepted = Delivery.objects.get(case_id=case.pk, channel="email", recipient__username="ent_cao")
    assert dispatch.urgent and dispatch.next_attempt_at == night  # 2-hour contact limit: wakes the handler
    assert not accepted.urgent and accepted.next_attempt_at == at(2026, 11, 3, 7, 0)


def test_issue_12_2_batched_notices_go_out_as_one_daily_digest(heze, smtp):
    heze.users.ent_cao.email = "ent_cao@example.cn"
    heze.users.ent_cao.save()
    NoticeRule.objects.filter(action="accept").update(timing="digest")
    NoticeRule.objects.filter(action="contact").update(timing="digest")
    case = case_in(heze, "contacted")
    expand.expand_pending(at(2026, 11, 2, 12))
    waiting = Delivery.objects.filter(case_id=case.pk, channel="email", recipient__username="ent_cao")
    assert {d.status for d in waiting} == {Status.DIGEST}
    assert sender.digest_job(at(2026, 11, 3, 7, 59)) == {"digests": 0}  # before the digest hour (8:00)
    assert sender.digest_job(at(2026, 11, 3, 8, 0)) == {"digests": 1}
    assert sender.digest_job(at(2026, 11, 3, 8, 10)) == {"digests": 0}
    digest = Delivery.objects.get(recipient__username="ent_cao", channel="email", case__isnull=True)
    assert digest.subject == "11月3日消息汇总（2条）"
    assert digest.body == f"1. 您的诉求已签收：{case.number}\n2. 承办单位已联系：{case.number}"
    sender.deliver()
    assert len(smtp.messages) == 1 and {d.status for d in waiting.all()} == {Status.DIGESTED}
    # the in-app messages came at once, one by one
    assert Delivery.objects.filter(case_id=case.pk, channel="inapp", recipient__username="ent_cao").count() == 2


def test_issue_12_3_per_user_channel_choices_are_respected(heze, smtp):
    heze.users.cao_zjj.email = "cao_zjj@example.cn"
    heze.users.cao_zjj.save()
    NoticeProfile.objects.create(user=heze.users.cao_zjj, email=False)
    case = case_in(heze, "dispatched")
    expand.expand_pending()
    assert told(case, "email") == []
    assert told(case, "inapp") == [("cao_zjj", f"新派单：{case.number}")]


def test_issue_12_1_expanding_twice_tells_nobody_twice(heze):
    case = case_in(heze, "dispatched")
    assert expand.expand_pending() == 2
    assert expand.expand_pending() == 0
    Notice.objects.filter(case_id=case.pk).update(expanded_at=None)  # as if a sender died after its commit
    with pytest.raises(IntegrityError), transaction.atomic():
        expand.expand_pending()
    assert Delivery.objects.filter(case_id=case.pk).count() == 1


def test_issue_12_1_backoff_doubles(heze):
    assert [sender.backoff(n) for n in (1, 2, 3)] == [dt.timedelta(seconds=s) for s in (60, 120, 240)]
