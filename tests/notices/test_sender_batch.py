"""Issue 21 item 5 (a worker that keeps up): the sender expands a batch of notices in a few queries and hands the
messages to the channels side by side (`notices.sender_concurrency` threads, kept-alive connections), against real
local servers — and still delivers each message exactly once, to the same people as one notice at a time would."""

import email
import email.policy

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.cases.flow import case_in, submit
from whistle.core import rules
from whistle.core.models import RuleParameter
from whistle.notices import expand, sender
from whistle.notices.models import Channel, Delivery, Notice, NoticeProfile, NoticeTemplate, Status, WebhookEndpoint


def _reachable(heze):
    """Every handler and enterprise user of the fixture with an e-mail address and a verified phone."""
    for user in (heze.users.cao_zjj, heze.users.ent_cao, heze.users.ent_cao2):
        user.email = f"{user.username}@example.cn"
        user.save()
        NoticeProfile.objects.update_or_create(
            user=user, defaults={"phone": f"1390530{user.pk:04d}", "phone_verified_at": timezone.now()}
        )
    NoticeTemplate.objects.update(sms_template_code="SMS_900001")


def _fingerprint(deliveries) -> list[tuple]:
    return sorted(
        tuple(str(v) for v in (d.notice_id, d.rule_id, d.recipient_id, d.endpoint_id, d.channel, d.address))
        + (d.subject, d.body, d.status)
        for d in deliveries
    )


def test_issue_21_5_a_batch_of_notices_is_expanded_as_one_notice_at_a_time_would(heze):
    _reachable(heze)
    cases = [case_in(heze, "accepted") for _ in range(3)]
    waiting = submit(heze, category="other", county=heze.cao.pk)  # the office is told: no catalogue entry
    cases.append(waiting)
    WebhookEndpoint.objects.create(name="热线", url="http://127.0.0.1:9/hook", secret="k")
    notices = list(Notice.objects.filter(case_id__in=[c.pk for c in cases]).order_by("pk"))
    now = timezone.now()
    one_by_one = [d for n in notices for d in expand.deliveries_for([n], now)]
    batched = expand.deliveries_for(notices, now)
    assert _fingerprint(batched) == _fingerprint(one_by_one)
    channels_told = {d.channel for d in batched}
    assert {Channel.INAPP, Channel.WEBHOOK} <= channels_told
    assert any(d.rule and d.rule.audience == "office" and d.notice.case_id == waiting.pk for d in batched)
    # the routed cases' submit notices tell no office (routed in the same step)
    assert not any(d.rule and d.rule.audience == "office" and d.notice.case_id != waiting.pk for d in batched)


def test_issue_21_5_expansion_reads_an_audience_once_per_batch_not_once_per_notice(heze):
    _reachable(heze)
    few = [case_in(heze, "accepted") for _ in range(2)]
    with CaptureQueriesContext(connection) as two:
        expand.deliveries_for(Notice.objects.filter(case_id__in=[c.pk for c in few]), timezone.now())
    many = few + [case_in(heze, "accepted") for _ in range(6)]
    with CaptureQueriesContext(connection) as eight:
        made = expand.deliveries_for(Notice.objects.filter(case_id__in=[c.pk for c in many]), timezone.now())
    assert len(made) > 8
    assert len(eight) == len(two)  # four times the notices, the same queries


def test_issue_21_5_a_mixed_batch_reaches_smtp_sms_and_webhook_servers_each_message_exactly_once(
    heze, smtp, sms_gateway, http_receiver
):
    _reachable(heze)
    hook = http_receiver()
    WebhookEndpoint.objects.create(name="热线", url=hook.url + "/hook", secret="k")
    RuleParameter.objects.filter(key="notices.sender_concurrency").update(value=4)
    rules.clear_cache()
    for _ in range(6):
        case_in(heze, "accepted")
    counts = sender.deliver(batch=7)  # batches and waves that do not divide each other
    pushed = Delivery.objects.exclude(channel=Channel.INAPP)
    assert counts["sent"] == pushed.count() > 30
    assert set(pushed.values_list("status", flat=True)) == {Status.SENT}
    mails = [email.message_from_bytes(m["data"], policy=email.policy.default)["Message-ID"] for m in smtp.messages]
    assert sorted(mails) == sorted(d.external_id for d in pushed.filter(channel=Channel.EMAIL))
    assert len(mails) == len(set(mails)) == pushed.filter(channel=Channel.EMAIL).count()
    out_ids = [r.form["OutId"] for r in sms_gateway.requests]
    assert sorted(out_ids) == sorted(
        f"whistle-{pk}" for pk in pushed.filter(channel=Channel.SMS).values_list("pk", flat=True)
    )
    for d in pushed.filter(channel=Channel.SMS):
        assert d.external_id == f"biz-whistle-{d.pk}"  # each row got its own receipt
    hooks = [int(r.headers["X-Whistle-Delivery"]) for r in hook.requests]
    assert sorted(hooks) == sorted(pushed.filter(channel=Channel.WEBHOOK).values_list("pk", flat=True))
    assert sender.deliver()["sent"] == 0  # nothing left, nothing again


def test_issue_21_5_one_failure_in_a_wave_loses_none_of_the_others(heze, http_receiver):
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.create(name="热线", url="http://127.0.0.1:9/hook", secret="k")
    rows = Delivery.objects.bulk_create(
        Delivery(
            endpoint=endpoint,
            channel=Channel.WEBHOOK,
            recipient_label="热线",
            address="",
            subject=f"第{i}条",
            body=f'{{"n":{i}}}',
            payload={"event": "dispatch"},
            urgent=True,
            status=Status.QUEUED,
            next_attempt_at=now,
            created_at=now,
        )
        for i in range(12)
    )
    ids = sorted(d.pk for d in Delivery.objects.all())
    busy, refused = ids[2], ids[5]

    def respond(got):
        pk = int(got.headers["X-Whistle-Delivery"])
        return (503, b"{}") if pk == busy else (410, b"{}") if pk == refused else (200, b"{}")

    receiver = http_receiver(respond)
    Delivery.objects.update(address=receiver.url + "/hook")
    RuleParameter.objects.filter(key="notices.sender_concurrency").update(value=8)
    rules.clear_cache()
    assert rows
    counts = sender.deliver()
    assert (counts["sent"], counts["failed"], counts["given_up"]) == (10, 1, 1)
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses.pop(busy) == Status.FAILED and statuses.pop(refused) == Status.GIVEN_UP
    assert set(statuses.values()) == {Status.SENT}
    failed = Delivery.objects.get(pk=busy)
    assert failed.attempts == 1 and failed.last_error == "HTTP 503" and failed.next_attempt_at > now
    assert Delivery.objects.get(pk=refused).last_error == "HTTP 410"
    received = [int(r.headers["X-Whistle-Delivery"]) for r in receiver.requests]
    assert sorted(received) == ids  # each tried once in this run
