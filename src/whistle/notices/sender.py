"""The sender: expand the outbox, claim due deliveries, deliver each at most once, retry with backoff.

A delivery moves queued → claimed → sending → sent, or failed (tried again after `retry_base_seconds`·2ⁿ⁻¹) and at
last given up. Each step is one conditional UPDATE committed on its own:

- *claim*: `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)` on PostgreSQL, the same conditional UPDATE on
  SQLite (one writer at a time), so two senders never take the same row;
- *sending* is written before the channel is called, by the claimer only: for a wave of up to
  `notices.sender_concurrency` rows at once (one UPDATE), which a pool of as many threads then hands to the channels
  side by side; the wave's outcomes are written together (one UPDATE for those sent, one per failure);
- a claimed row whose sender vanished (lease `notices.claim_lease_seconds` passed) goes back to the queue: it was never
  handed to a channel; a *sending* row whose sender vanished may or may not have reached the person, so it is given up
  with that reason and shown to the coordinators (who may send it again) — never sent twice on its own. A sender
  killed mid-wave leaves at most a wave's rows given up this way.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from whistle.core.rules import int_param

from . import channels, expand
from .models import Channel, Delivery, NoticeTemplate, Status

log = logging.getLogger("whistle.notices")
OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
BATCH = 50
MAX_BATCHES = 200  # per run: a backlog is worked off over several runs, the job's heartbeat stays fresh
INTERRUPTED = "发送过程中断（发送进程退出），无法确认是否送达；为避免重复发送不再自动重试，可核实后重新发送"


def recover(now: dt.datetime) -> dict[str, int]:
    """Free the rows of senders that vanished (killed, host lost)."""
    stale = now - dt.timedelta(seconds=int_param("notices.claim_lease_seconds"))
    requeued = Delivery.objects.filter(status=Status.CLAIMED, claimed_at__lt=stale).update(
        status=Status.QUEUED, claimed_by="", claimed_at=None
    )
    interrupted = Delivery.objects.filter(status=Status.SENDING, claimed_at__lt=stale).update(
        status=Status.GIVEN_UP, last_error=INTERRUPTED
    )
    return {"requeued": requeued, "interrupted": interrupted}


def claim(now: dt.datetime, limit: int = BATCH, owner: str = OWNER) -> list[int]:
    table = connection.ops.quote_name(Delivery._meta.db_table)
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    moment = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, claimed_by = %s, claimed_at = %s WHERE id IN (SELECT id FROM {table} "
            f"WHERE status IN ('queued', 'failed') AND next_attempt_at <= %s ORDER BY next_attempt_at, id "
            f"LIMIT {int(limit)}{lock}) RETURNING id",
            [Status.CLAIMED, owner, moment, moment],
        )
        return sorted(row[0] for row in cursor.fetchall())


def backoff(attempts: int) -> dt.timedelta:
    base = int_param("notices.retry_base_seconds")
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def _start_sending(ids: list[int], owner: str) -> set[int]:
    """Mark the claimed rows `ids` as being sent, in one UPDATE; returns those still ours (a row whose lease passed
    may have been taken back by another sender's `recover`)."""
    table = connection.ops.quote_name(Delivery._meta.db_table)
    moment = connection.ops.adapt_datetimefield_value(timezone.now())
    marks = ", ".join(["%s"] * len(ids))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, claimed_at = %s WHERE id IN ({marks}) AND status = %s "
            f"AND claimed_by = %s RETURNING id",
            [Status.SENDING, moment, *ids, Status.CLAIMED, owner],
        )
        return {row[0] for row in cursor.fetchall()}


def _failed(delivery: Delivery, error: Exception, owner: str) -> str:
    """Write one failed attempt: given up when permanent or the last, else tried again after the backoff."""
    ours = Delivery.objects.filter(pk=delivery.pk, status=Status.SENDING, claimed_by=owner)
    if isinstance(error, channels.Permanent):
        ours.update(status=Status.GIVEN_UP, attempts=F("attempts") + 1, last_error=str(error)[:300])
        log.warning("notice %s given up: %s", delivery.pk, error)
        return Status.GIVEN_UP
    attempts = delivery.attempts + 1
    reason = str(error)[:300] if isinstance(error, channels.Temporary) else f"{type(error).__name__}: {error}"[:300]
    if attempts >= int_param("notices.max_attempts"):
        ours.update(status=Status.GIVEN_UP, attempts=attempts, last_error=reason)
        log.warning("notice %s given up after %s attempts: %s", delivery.pk, attempts, reason)
        return Status.GIVEN_UP
    ours.update(
        status=Status.FAILED,
        attempts=attempts,
        last_error=reason,
        next_attempt_at=timezone.now() + backoff(attempts),
        claimed_by="",
    )
    return Status.FAILED


def _call(call):
    try:
        return call(), None
    except Exception as error:  # noqa: BLE001 — any failure of an outside system is written as the row's
        return None, error


def send_wave(deliveries: list[Delivery], owner: str, pool: ThreadPoolExecutor) -> dict[str, int]:
    """Deliver claimed rows side by side: marked as being sent together, each prepared on this thread (what reads
    the database) and handed to the channel by a pool thread, the outcomes written together."""
    counts = {Status.SENT: 0, Status.FAILED: 0, Status.GIVEN_UP: 0}
    if not deliveries:
        return counts
    mine = _start_sending([d.pk for d in deliveries], owner)
    calls, failures = [], []
    for delivery in deliveries:
        if delivery.pk not in mine:
            continue
        try:
            calls.append((delivery, channels.prepare(delivery)))
        except Exception as error:  # noqa: BLE001 — a refusal (Permanent) or a failure reading what it needs
            failures.append((delivery, error))
    receipts = {}
    for (delivery, _), (receipt, error) in zip(calls, pool.map(_call, [call for _, call in calls])):
        if error is None:
            receipts[delivery.pk] = receipt or ""
        else:
            failures.append((delivery, error))
    if receipts:
        Delivery.objects.filter(pk__in=list(receipts), status=Status.SENDING, claimed_by=owner).update(
            status=Status.SENT,
            attempts=F("attempts") + 1,
            sent_at=timezone.now(),
            last_error="",
            external_id=Case(
                *[When(pk=pk, then=Value(receipt[:80])) for pk, receipt in receipts.items()], default=Value("")
            ),
        )
        counts[Status.SENT] += len(receipts)
    for delivery, error in failures:
        counts[_failed(delivery, error, owner)] += 1
    return counts


def deliver(now: dt.datetime | None = None, owner: str = OWNER, batch: int = BATCH) -> dict[str, int]:
    """One run: recover, expand the outbox, then claim and send until nothing is due, `notices.sender_concurrency`
    at a time."""
    now = now or timezone.now()
    counts = {"expanded": 0, Status.SENT: 0, Status.FAILED: 0, Status.GIVEN_UP: 0}
    counts.update(recover(timezone.now()))
    counts["expanded"] = expand.expand_pending(now)
    width = max(1, int_param("notices.sender_concurrency"))
    with channels.session(), ThreadPoolExecutor(width, thread_name_prefix="notices-send") as pool:
        for _ in range(MAX_BATCHES):
            ids = claim(timezone.now(), batch, owner)
            if not ids:
                break
            rows = list(
                Delivery.objects.filter(pk__in=ids)
                .select_related("endpoint")
                .annotate(speaks_for=Coalesce("case__city_id", "notice__city_id"))  # channels.city_of, once a batch
                .order_by("pk")
            )
            for start in range(0, len(rows), width):
                for status, n in send_wave(rows[start : start + width], owner, pool).items():
                    counts[status] += n
    return counts


def worker_job(now: dt.datetime) -> dict[str, int]:
    return deliver(now)


# ---- the daily digest ------------------------------------------------------------------------------------------------


def digest_moment(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=int_param("notices.digest_hour"), minute=0, second=0, microsecond=0)


def digest_job(now: dt.datetime) -> dict[str, int]:
    """Once the digest hour of the day has come, gather each person's batched notices (per channel) made before it
    into one message. A run before the hour, or a second run after it, finds nothing to gather."""
    moment = digest_moment(now)
    if now < moment:
        return {"digests": 0}
    template = NoticeTemplate.objects.filter(code="digest").first()
    waiting = (
        Delivery.objects.filter(status=Status.DIGEST, created_at__lt=moment)
        .exclude(channel=Channel.INAPP)
        .order_by("recipient_id", "channel", "address", "pk")
    )
    groups: dict[tuple, list[Delivery]] = {}
    for d in waiting:
        groups.setdefault((d.recipient_id, d.channel, d.address), []).append(d)
    made = 0
    for (recipient_id, channel, address), parts in groups.items():
        with transaction.atomic():
            taken = Delivery.objects.filter(pk__in=[p.pk for p in parts], status=Status.DIGEST)
            parts = list(taken.select_for_update())
            if not parts:
                continue
            lines = [f"{i}. {p.subject}" for i, p in enumerate(parts, 1)]
            context = {"count": len(parts), "lines": "\n".join(lines), "date": f"{timezone.localtime(now):%-m月%-d日}"}
            subject = expand.render(template.subject, context) if template else f"今日消息汇总（{len(parts)}条）"
            body = expand.render(template.body, context) if template else "\n".join(lines)
            payload = {}
            if channel == Channel.SMS:
                payload = {
                    "sms_template_code": template.sms_template_code if template else "",
                    "sms_params": {"count": str(len(parts))},
                }
            elif channel == Channel.WECHAT:
                payload = {
                    "wechat_template_id": template.wechat_template_id if template else "",
                    "wechat_data": {"first": {"value": subject}, "remark": {"value": body}},
                }
            digest = Delivery.objects.create(
                channel=channel,
                recipient_id=recipient_id,
                recipient_label=parts[0].recipient_label,
                address=address,
                subject=subject[:200],
                body=body,
                payload=payload,
                status=Status.QUEUED,
                next_attempt_at=expand.after_quiet_hours(now),
                created_at=now,
            )
            taken.update(status=Status.DIGESTED, digest=digest)
            made += 1
    return {"digests": made}
