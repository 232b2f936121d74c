"""Issue 12 item 1 with real processes: two senders side by side deliver every notice exactly once; a sender killed
mid-batch loses none and sends none twice (the ones it was sending — one wave of `notices.sender_concurrency`, issue
21 — are given up as interrupted, for a person to check)."""

import subprocess
import threading
import time

import pytest
from django.utils import timezone

from tests.hosts import BIN, environment
from whistle.core.models import RuleParameter
from whistle.notices.models import Channel, Delivery, Status, WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
N = 60


def _queue(url: str, n: int = N) -> list[int]:
    endpoint = WebhookEndpoint.objects.create(name="热线", url=url, secret="k")
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(
            endpoint=endpoint,
            channel=Channel.WEBHOOK,
            recipient_label="热线",
            address=url,
            subject=f"第{i}条",
            body=f'{{"n":{i}}}',
            payload={"event": "dispatch"},
            urgent=True,
            status=Status.QUEUED,
            next_attempt_at=now,
            created_at=now,
        )
        for i in range(n)
    )
    return list(Delivery.objects.order_by("pk").values_list("pk", flat=True))


def _sender(tmp_path, name, batch=5):
    return subprocess.Popen(
        [str(BIN / "whistle"), "notices", "send", "--batch", str(batch)],
        env=environment(tmp_path / name),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _received_ids(receiver) -> list[int]:
    return [int(r.headers["X-Whistle-Delivery"]) for r in receiver.requests]


def test_issue_12_1_two_senders_deliver_each_notice_exactly_once(tmp_path, http_receiver):
    receiver = http_receiver()
    ids = _queue(receiver.url + "/hook")
    one, two = _sender(tmp_path, "a"), _sender(tmp_path, "b")
    out = [p.communicate(timeout=300)[0] for p in (one, two)]
    assert one.returncode == 0 and two.returncode == 0, out
    received = _received_ids(receiver)
    assert sorted(received) == ids  # every one, none twice
    assert set(Delivery.objects.values_list("status", flat=True)) == {Status.SENT}


@pytest.mark.parametrize("width", [1, 8])
def test_issue_12_1_a_sender_killed_mid_batch_loses_nothing_and_sends_nothing_twice(tmp_path, http_receiver, width):
    RuleParameter.objects.filter(key="notices.sender_concurrency").update(value=width)
    release = threading.Event()

    def respond(got):
        if len(receiver.requests) == 15:
            release.wait(120)  # hold the 15th request (mid-batch): the sender is inside its send when it is killed
        return 200, b"{}"

    receiver = http_receiver(respond)
    ids = _queue(receiver.url + "/hook")
    doomed = _sender(tmp_path, "doomed", batch=10)
    for _ in range(1200):
        if len(receiver.requests) >= 15:
            break
        time.sleep(0.05)
    doomed.kill()
    doomed.wait(timeout=30)
    release.set()
    in_flight = Delivery.objects.filter(status=Status.SENDING).values_list("pk", flat=True)
    assert 1 <= len(in_flight) <= width  # the wave it was sending: one row when it sends one at a time
    if width == 1:
        assert len(in_flight) == 1
    assert Delivery.objects.filter(status=Status.CLAIMED).exists()  # the rest of its batch, never handed over

    # The next sender frees what the dead one held once its lease has passed (here: at once).
    RuleParameter.objects.filter(key="notices.claim_lease_seconds").update(value=0)
    survivor = _sender(tmp_path, "survivor")
    output = survivor.communicate(timeout=300)[0]
    assert survivor.returncode == 0, output

    received = _received_ids(receiver)
    assert len(received) == len(set(received))  # nothing sent twice
    assert sorted(received) == ids  # nothing lost: the interrupted one had reached the receiver
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    interrupted = sorted(pk for pk, status in statuses.items() if status == Status.GIVEN_UP)
    assert interrupted == sorted(in_flight)
    assert all(d.last_error.startswith("发送过程中断") for d in Delivery.objects.filter(pk__in=interrupted))
    assert all(status == Status.SENT for pk, status in statuses.items() if pk not in interrupted)
