"""From an outbox row to deliveries: which rules match the event, who the audience is, on which channels, when.

Runs in the sender, outside the step's transaction. A batch of notices is claimed and expanded in one transaction: a
sender killed mid-way rolls its batch back, so the notices are expanded again, once, by the next run (and the unique
constraints on `Delivery` would refuse a second copy in any case).
"""

from __future__ import annotations

import datetime as dt
import functools

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.template import Context, Engine
from django.urls import reverse
from django.utils import timezone

from whistle.cases.models import Case, CaseEvent, State
from whistle.cases.models import Channel as CaseChannel
from whistle.core.links import public_url
from whistle.core.rules import int_param
from whistle.org.models import Membership, Role, Unit, UnitKind

from . import channels
from .models import (
    Audience,
    Channel,
    Condition,
    Delivery,
    Notice,
    NoticeProfile,
    NoticeRule,
    NoticeTemplate,
    Status,
    Timing,
    WebhookEndpoint,
)

BATCH = 500
STEP_LABELS = {("follow_up", State.REOPENED): "重办", ("follow_up", State.CLOSED): "办结"}
_engine = Engine(autoescape=False, builtins=["django.template.defaultfilters"])


def step_label(action: str, to_state: str = "") -> str:
    from whistle.cases.workflow import TRANSITIONS

    label = STEP_LABELS.get((action, to_state))
    if label:
        return label
    row = TRANSITIONS.get(action)
    return row.label if row else action


@functools.lru_cache(maxsize=256)
def _compiled(text: str):
    return _engine.from_string(text)


def render(text: str, context: dict) -> str:
    """A template's text rendered with `context`; the text compiled once per process (a sweep renders one template
    for thousands of messages)."""
    return _compiled(text).render(Context(context)).strip()


# ---- quiet hours --------------------------------------------------------------------------------------------------


def after_quiet_hours(now: dt.datetime) -> dt.datetime:
    """`now`, or the end of the quiet hours (Beijing time, `notices.quiet_start_hour`–`notices.quiet_end_hour`) when
    `now` falls inside them. Equal hours switch quiet hours off."""
    start, end = int_param("notices.quiet_start_hour"), int_param("notices.quiet_end_hour")
    local = timezone.localtime(now)
    hour = local.hour
    quiet = (start > end and (hour >= start or hour < end)) or (start < end and start <= hour < end)
    if not quiet:
        return now
    target = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if target <= local:
        target += dt.timedelta(days=1)
    return target


# ---- claiming -------------------------------------------------------------------------------------------------------


def claim_notices(now: dt.datetime, limit: int = BATCH) -> list[int]:
    """Mark up to `limit` unexpanded notices as expanded and return their ids: one conditional UPDATE, with the rows
    taken `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite runs one writer at a time). Call inside the transaction
    that writes their deliveries."""
    table = connection.ops.quote_name(Notice._meta.db_table)
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    moment = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET expanded_at = %s WHERE id IN (SELECT id FROM {table} WHERE expanded_at IS NULL "
            f"ORDER BY id LIMIT {int(limit)}{lock}) RETURNING id",
            [moment],
        )
        return [row[0] for row in cursor.fetchall()]


def expand_pending(now: dt.datetime | None = None) -> int:
    """Expand every waiting notice into deliveries, a batch per transaction. Returns how many notices."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            ids = claim_notices(now)
            if not ids:
                return total
            Delivery.objects.bulk_create(deliveries_for(Notice.objects.filter(pk__in=ids).order_by("pk"), now))
        total += len(ids)


# ---- who, what, where -------------------------------------------------------------------------------------------------


def deliveries_for(notices, now: dt.datetime) -> list[Delivery]:
    """The deliveries of a batch of notices, read in a few queries for the whole batch (issue 21): the cases, their
    events, and each audience (a unit's staff, an enterprise's users, an office's coordinators) and its people's
    settings once per batch, however many of its notices name it."""
    notices = list(notices)
    if not notices:
        return []
    rules = list(NoticeRule.objects.filter(is_active=True).select_related("template"))
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True).select_related("unit"))
    cases = Case.objects.select_related("lead_unit", "county", "enterprise", "green_channel_leader").in_bulk(
        {n.case_id for n in notices}
    )
    batch = _Batch(notices)
    batch.prefetch(list(cases.values()), {rule.audience for rule in rules})
    available = channels.configured()
    out: list[Delivery] = []
    for notice in notices:
        case = cases.get(notice.case_id)
        if case is None:
            continue
        event = batch.event(notice)
        for rule in rules:
            if (
                rule.action == notice.action
                and rule.to_state in ("", notice.to_state)
                and _holds(rule, case, notice, batch)
            ):
                out.extend(_for_rule(rule, notice, case, event, available, now, batch))
        for endpoint in endpoints:
            if (not endpoint.actions or notice.action in endpoint.actions) and _in_scope(endpoint, case):
                out.append(_webhook(endpoint, notice, case, event, now))
    return out


class _Batch:
    """What the notices of one batch share, each read once: their events (with every dispatch of their cases, for
    the waiting-dispatch condition), the people of each audience, and those people's notice settings."""

    def __init__(self, notices: list[Notice]):
        events = CaseEvent.objects.filter(case_id__in={n.case_id for n in notices})
        submitted = [n.case_submitted_at for n in notices if n.case_submitted_at]
        if len(submitted) == len(notices):  # lets PostgreSQL skip the months' partitions none of them is in
            events = events.filter(case_submitted_at__gte=min(submitted), case_submitted_at__lte=max(submitted))
        wanted = {(n.case_id, n.seq) for n in notices}
        self.events: dict[tuple[int, int], CaseEvent] = {}
        self.dispatches: dict[int, list[tuple[int, dt.datetime]]] = {}
        for e in events.only("case_id", "seq", "action", "actor_label", "at"):
            if (e.case_id, e.seq) in wanted:
                self.events[(e.case_id, e.seq)] = e
            if e.action == "dispatch":
                self.dispatches.setdefault(e.case_id, []).append((e.seq, e.at))
        self.audiences: dict[tuple, list] = {}
        self.profiles: dict[int, NoticeProfile | None] = {}

    def prefetch(self, cases: list[Case], kinds: set[str]) -> None:
        """The people of the audiences most notices name — the lead units' staff, the enterprises' users (or the
        submitter, when an enterprise has none) — for every case of the batch, and their settings: four queries."""
        User = get_user_model()
        found: dict[tuple, list] = {}
        if Audience.UNIT in kinds:
            units = {c.lead_unit_id for c in cases if c.lead_unit_id is not None}
            for unit in units:
                found[(Audience.UNIT, unit)] = []
            staff = User.objects.filter(
                is_active=True, membership__unit_id__in=units, membership__role__in=[Role.HANDLER, Role.UNIT_ADMIN]
            )
            for user in staff.select_related("membership").order_by("pk"):
                found[(Audience.UNIT, user.membership.unit_id)].append(user)
        if Audience.ENTERPRISE in kinds:
            firms: dict[int, list] = {c.enterprise_id: [] for c in cases if c.enterprise_id}
            people = User.objects.filter(
                is_active=True, membership__enterprise_id__in=list(firms), membership__role=Role.ENTERPRISE
            )
            for user in people.select_related("membership").order_by("pk"):
                firms[user.membership.enterprise_id].append(user)
            alone = {c.requester_id for c in cases if c.requester_id and not firms.get(c.enterprise_id)}
            requesters = User.objects.filter(pk__in=alone, is_active=True).select_related("membership").in_bulk()
            for c in cases:
                users = firms.get(c.enterprise_id) or []
                if not users and c.requester_id:
                    users = [requesters[c.requester_id]] if c.requester_id in requesters else []
                found[_audience_key(Audience.ENTERPRISE, c)] = users
        everyone = {u.pk for users in found.values() for u in users} - set(self.profiles)
        if everyone:
            profiles = NoticeProfile.objects.in_bulk(list(everyone), field_name="user_id")
            self.profiles.update({pk: profiles.get(pk) for pk in everyone})
        self.audiences.update(found)

    def event(self, notice: Notice):
        return self.events.get((notice.case_id, notice.seq))

    def dispatched_in_step(self, notice: Notice) -> bool:
        """Whether the catalogue routed the case in the step of `notice` (a dispatch after it, at the same moment)."""
        return any(seq > notice.seq and at == notice.at for seq, at in self.dispatches.get(notice.case_id, ()))

    def audience(self, kind: str, case: Case) -> list:
        key = _audience_key(kind, case)
        if key not in self.audiences:
            users = audience(kind, case)
            missing = [u.pk for u in users if u.pk not in self.profiles]
            if missing:
                found = NoticeProfile.objects.in_bulk(missing, field_name="user_id")
                self.profiles.update({pk: found.get(pk) for pk in missing})
            self.audiences[key] = users
        return self.audiences[key]


def _audience_key(kind: str, case: Case) -> tuple:
    """What `audience(kind, case)` depends on: cases with the same key have the same people."""
    if kind == Audience.UNIT:
        return (kind, case.lead_unit_id)
    if kind == Audience.ENTERPRISE:
        return (kind, case.enterprise_id, case.requester_id)
    if kind == Audience.OFFICE:
        if case.level == "county" and case.county_id:
            return (kind, "county", case.county_id)
        return (kind, "city", case.city_id) if case.city_id else (kind, "root")
    if kind == Audience.LEADER:
        return (kind, case.green_channel_leader_id)
    return (kind, "case", case.pk)


def _holds(rule: NoticeRule, case: Case, notice: Notice, batch: _Batch | None = None) -> bool:
    """The rule's condition, as the case stood at the event (the case may have moved on since)."""
    condition = rule.condition
    if condition == Condition.WAITING_DISPATCH:
        # Waiting at the event: in a state that waits, and not routed by the catalogue in the same step.
        if notice.to_state not in ("", State.SUBMITTED, State.RETURNED):
            return False
        if batch is not None:
            return not batch.dispatched_in_step(notice)
        return not CaseEvent.objects.filter(
            case_id=case.pk, action="dispatch", seq__gt=notice.seq, at=notice.at
        ).exists()
    if condition == Condition.RATING_CASE:
        return case.channel == CaseChannel.RATING
    if condition == Condition.NOT_RATING_CASE:
        return case.channel != CaseChannel.RATING
    if condition == Condition.VISIT_CASE:
        return case.channel == CaseChannel.VISIT
    return True


def _in_scope(endpoint: WebhookEndpoint, case: Case) -> bool:
    if endpoint.unit is None:
        return True
    units = [u for u in (case.lead_unit, case.county) if u is not None]
    return any(u.path.startswith(endpoint.unit.path) for u in units)


def audience(kind: str, case: Case) -> list:
    """The users an audience names for a case, as it stands when the notice is expanded."""
    User = get_user_model()
    if kind == Audience.UNIT:
        if case.lead_unit_id is None:
            return []
        ids = Membership.objects.filter(unit_id=case.lead_unit_id, role__in=[Role.HANDLER, Role.UNIT_ADMIN])
        return list(User.objects.filter(is_active=True, membership__in=ids).select_related("membership").order_by("pk"))
    if kind == Audience.ENTERPRISE:
        found = []
        if case.enterprise_id:
            found = list(
                User.objects.filter(
                    is_active=True, membership__enterprise_id=case.enterprise_id, membership__role=Role.ENTERPRISE
                )
                .select_related("membership")
                .order_by("pk")
            )
        if not found and case.requester_id:
            found = list(User.objects.filter(pk=case.requester_id, is_active=True).select_related("membership"))
        return found
    if kind == Audience.OFFICE:
        offices = Unit.objects.filter(kind=UnitKind.COORDINATION_OFFICE, is_active=True)
        if case.level == "county" and case.county_id:
            offices = offices.filter(parent_id=case.county_id)
        elif case.city_id:  # the office of the case's own city
            offices = offices.filter(parent_id=case.city_id)
        else:
            offices = offices.filter(parent__parent__isnull=True)
        return list(
            User.objects.filter(is_active=True, membership__unit__in=offices, membership__role=Role.COORDINATOR)
            .select_related("membership")
            .order_by("pk")
        )
    if kind == Audience.LEADER:
        leader = case.green_channel_leader
        return [leader] if leader is not None and leader.is_active else []
    if kind == Audience.PATRON:
        from whistle.patronage.models import VisitProblem

        problem = VisitProblem.objects.filter(case_id=case.pk).select_related("visit__patronage__leader").first()
        leader = problem.visit.patronage.leader if problem else None
        return [leader] if leader is not None and leader.is_active else []
    return []


def _addresses(user, profile: NoticeProfile | None) -> dict[str, str]:
    """Where a person can be reached, by their own choices: in-app always; SMS only to a verified phone."""
    found = {Channel.INAPP: str(user.pk)}
    if profile is None:
        profile = NoticeProfile(user=user)
    if profile.sms and profile.phone and profile.phone_verified_at:
        found[Channel.SMS] = profile.phone
    if profile.wechat and profile.wechat_openid:
        found[Channel.WECHAT] = profile.wechat_openid
    if profile.email and user.email:
        found[Channel.EMAIL] = user.email
    return found


def _label(user) -> str:
    membership = getattr(user, "membership", None)
    name = (membership.display_name if membership else "") or user.get_username()
    return name[:120]


def _context(notice: Notice, case: Case, event, link: str) -> dict:
    deadline = case.next_due_at if case.is_open else None
    return {
        "number": case.number,
        "title": case.title,
        "step": step_label(notice.action, notice.to_state),
        "state": case.get_state_display(),
        "unit": case.lead_unit.name if case.lead_unit_id else "",
        "deadline": timezone.localtime(deadline).strftime("%-m月%-d日 %H:%M") if deadline else "",
        "level": case.get_level_display(),
        "actor": event.actor_label if event else "",
        "link": link,
    }


def _base(rule, notice, case, now) -> dict:
    return {"notice": notice, "case_id": case.pk, "rule": rule, "created_at": now}


def _for_rule(rule, notice, case, event, available, now, batch: _Batch | None = None) -> list[Delivery]:
    wanted = [c for c in rule.channels if c in available]
    if rule.audience == Audience.RATER:
        return _for_rater(rule, notice, case, event, wanted, now)
    if batch is None:
        batch = _Batch([notice])
    users = batch.audience(rule.audience, case)
    if not users:
        return []
    link = public_url(reverse("web:case", args=[case.number]))
    context = _context(notice, case, event, link)
    subject, body = render(rule.template.subject, context), render(rule.template.body, context)
    out = []
    for user in users:
        reachable = _addresses(user, batch.profiles.get(user.pk))
        for channel in wanted:
            if channel in reachable:
                out.append(
                    _delivery(rule, channel, user, _label(user), reachable[channel], subject, body, link, context, now)
                    | _base(rule, notice, case, now)
                )
    return [Delivery(**fields) for fields in out]


def _for_rater(rule, notice, case, event, wanted, now) -> list[Delivery]:
    """The rater of a poor rating is no user: SMS to the phone kept encrypted with the rating, and the re-rate link."""
    from whistle.ratings.models import Rating
    from whistle.ratings.rectification import rerate_token

    rating = Rating.objects.filter(rectification_id=case.pk).first()
    if rating is None or not rating.rater_phone_cipher or Channel.SMS not in wanted:
        return []
    link = public_url(reverse("ratings:rerate", args=[rerate_token(rating)]))
    context = _context(notice, case, event, link)
    subject, body = render(rule.template.subject, context), render(rule.template.body, context)
    fields = _delivery(rule, Channel.SMS, None, "评价人", f"rating:{rating.pk}", subject, body, link, context, now)
    return [Delivery(**(fields | _base(rule, notice, case, now)))]


def _delivery(rule, channel, user, label, address, subject, body, link, context, now) -> dict:
    return _fields(rule.template, rule.timing, channel, user, label, address, subject, body, link, context, now)


def _fields(template, timing, channel, user, label, address, subject, body, link, context, now) -> dict:
    urgent = timing == Timing.URGENT
    fields = {
        "channel": channel,
        "recipient": user,
        "recipient_label": label,
        "address": address[:300],
        "subject": subject[:200],
        "body": body,
        "link": link,
        "urgent": urgent,
        "payload": {},
    }
    if channel == Channel.SMS:
        fields["payload"] = {
            "sms_template_code": template.sms_template_code,
            "sms_params": {
                "number": context.get("number", ""),
                "step": context.get("step", ""),
                "deadline": context.get("deadline", ""),
                "link": context.get("link", ""),
            },
        }
    elif channel == Channel.WECHAT:
        fields["payload"] = {
            "wechat_template_id": template.wechat_template_id,
            "wechat_data": {
                "first": {"value": subject},
                "keyword1": {"value": context.get("number", "")},
                "keyword2": {"value": context.get("title", "")},
                "keyword3": {"value": context.get("step", "")},
                "keyword4": {"value": context.get("deadline") or timezone.localtime(now).strftime("%-m月%-d日 %H:%M")},
                "remark": {"value": body},
            },
        }
    if channel == Channel.INAPP:
        fields.update(status=Status.SENT, sent_at=now, next_attempt_at=now)
    elif timing == Timing.DIGEST:
        fields.update(status=Status.DIGEST, next_attempt_at=now)
    else:
        fields.update(status=Status.QUEUED, next_attempt_at=now if urgent else after_quiet_hours(now))
    return fields


# ---- messages tied to no case ------------------------------------------------------------------------------------------


def to_people(
    template: NoticeTemplate,
    users,
    context: dict,
    link: str,
    now: dt.datetime,
    timing: str = Timing.NORMAL,
    profiles: dict | None = None,
) -> list[Delivery]:
    """Deliveries (not saved) of one message to each of `users` on every channel they can be reached on (in-app
    always; SMS, WeChat, e-mail by their own settings, when configured): for the apps whose messages are about no
    case (the leniency module's correction deadlines and re-checks). `context` gives the template's variables
    (`number`, `title`, `step`, `deadline`, `link` also fill the SMS and WeChat parameters); `profiles`, the users'
    `NoticeProfile`s by user id when the caller read them for many messages at once. The caller writes them (in
    bulk) and keeps its own record that a lapse was told, so nothing is sent twice."""
    users = [u for u in users if u is not None and u.is_active]
    if not users:
        return []
    if profiles is None:
        profiles = NoticeProfile.objects.in_bulk([u.pk for u in users], field_name="user_id")
    available = channels.configured() | {Channel.INAPP}
    context = {**context, "link": link}
    subject, body = render(template.subject, context), render(template.body, context)
    out = []
    for user in users:
        for channel, address in _addresses(user, profiles.get(user.pk)).items():
            if channel in available:
                fields = _fields(
                    template, timing, channel, user, _label(user), address, subject, body, link, context, now
                )
                out.append(Delivery(created_at=now, **fields))
    return out


def webhook_payload(notice: Notice, case: Case, event) -> dict:
    """What an integrator receives for one case event (docs/api.md "推送接口")."""
    return {
        "id": f"{case.number}-{notice.seq}",
        "event": notice.action,
        "label": step_label(notice.action, notice.to_state),
        "at": (event.at if event else notice.at).isoformat(),
        "case": {
            "number": case.number,
            "title": case.title,
            "state": notice.to_state or case.state,  # the state the event left the case in
            "level": case.level,
            "lead_unit": case.lead_unit.code if case.lead_unit_id else None,
            "county": case.county.code if case.county_id else None,
            "external_ref": case.external_ref,
            "next_due_at": case.next_due_at.isoformat() if case.next_due_at else None,
        },
        "seq": notice.seq,
    }


def _webhook(endpoint, notice, case, event, now) -> Delivery:
    payload = webhook_payload(notice, case, event)
    return Delivery(
        notice=notice,
        case_id=case.pk,
        endpoint=endpoint,
        channel=Channel.WEBHOOK,
        recipient_label=endpoint.name[:120],
        address=endpoint.url,
        subject=f"{case.number} {payload['label']}"[:200],
        body=channels.canonical_json(payload).decode("utf-8"),
        payload={"event": notice.action},
        urgent=True,
        status=Status.QUEUED,
        next_attempt_at=now,
        created_at=now,
    )
