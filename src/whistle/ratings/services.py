"""The one path by which a rating enters whistle (the public page now, a bulk import later): validation,
一事一评, rate limits, burst flagging, and the rectification case a poor rating opens."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import unicodedata

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from whistle.cases.models import Category, Channel, Kind, SlaProfile, internal_prefix
from whistle.cases.services import case_submit, system_transition
from whistle.core import inputs
from whistle.core.errors import Conflict, Invalid, NotFound, Problem
from whistle.core.hashing import keyed_hash
from whistle.core.rules import int_param
from whistle.org.models import Role, Unit
from whistle.org.scopes import Actor

from . import phones, rating_rollup, rating_write, selectors
from .models import (
    Appeal,
    AppealState,
    Cadre,
    ContactRead,
    Level,
    Rating,
    RatingChannel,
    RatingStatus,
    Tag,
    Window,
    grade,
    tags_for,
)

RECTIFICATION_CATEGORY = {
    "code": "rating-rectification",
    "name": "差评整改",
    "description": "扫码评价“不满意”“非常不满意”后的回访核实与整改",
}
COMMENT_MAX = 500
RATER_CONTACT_NAME = "评价人"
# Separators people type inside a 办件编号 (after NFKC: full-width forms are already ASCII).
_CASE_NUMBER_SEPARATORS = re.compile(r"[\s_/.·\u2010-\u2015-]+")
_CANONICAL_CASE_NUMBER = re.compile(r"[0-9A-Z]+(-[0-9A-Z]+)*")


class TooManyRatings(Problem):
    status = 429
    code = "rate_limited"
    title = "评价过于频繁"


def network_of(ip: str) -> str:
    """The network a client address belongs to: one household or office NAT shares an IPv4 /24 or IPv6 /64."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def clean_case_number(value) -> str:
    """一事一评 needs one spelling per 办件编号: NFKC (full-width letters and digits), upper case, each run of
    separators as one "-", none at the ends — `sx2026 0001`, `SX2026-0001-` and `ＳＸ２０２６－０００１` are one case.
    whistle's own case numbers (a city's prefix and digits) are refused: a public rating names a service of the card's unit, and a
    rectification is re-rated on its own signed link (rectification.rerate), so nobody can use its number to
    block the rater's re-rating."""
    text = unicodedata.normalize("NFKC", value or "").strip().upper()
    text = _CASE_NUMBER_SEPARATORS.sub("-", text).strip("-")
    if not text:
        return ""
    if len(text) > 40 or not _CANONICAL_CASE_NUMBER.fullmatch(text) or not text.isascii():
        raise Invalid("办件编号只能由字母、数字和“-”组成，最长40位", code="invalid_case_number", field="case_number")
    prefix = internal_prefix(text.replace("-", ""))  # whistle's own case numbers, however spelled
    if prefix is not None:
        raise Invalid(
            f"请填写政务服务办件编号；诉求工单号（{prefix}开头）不用填写",
            code="internal_case_number",
            field="case_number",
        )
    return text


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


# ---- the one validation of a rating's fields: the public form, the API and the bulk import (rating_import) ----------
# The import first turns a file's spellings (the Chinese names of levels, tags and channels) into these values; it
# keeps the source system's record, so `_check_reason` (what a new rating must say) applies to new ratings only.


def clean_level(value) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if value not in Level.values:
        raise Invalid("请选择评价等级", code="level_required", field="level")
    return int(value)


def clean_tags(values) -> list[str]:
    tags = list(values or [])
    if not all(t in Tag.values for t in tags):
        raise Invalid("评价标签不正确", code="invalid_tag", field="tags")
    return tags


def clean_comment(value) -> str:
    comment = (value or "").strip()
    if len(comment) > COMMENT_MAX:
        raise Invalid(f"评价意见不能超过{COMMENT_MAX}字", code="comment_too_long", field="comment")
    return comment


def clean_rater_phone(value) -> str:
    """Optional: the rater may leave no phone."""
    value = (value or "").strip()
    return inputs.phone(value, field="phone") if value else ""


def clean_channel(value) -> str:
    if value not in RatingChannel.values:
        raise Invalid("评价渠道不正确", code="invalid_channel", field="channel")
    return value


def rating_submit(
    target: Cadre | Window,
    *,
    level,
    tags=(),
    comment: str = "",
    case_number: str = "",
    phone: str = "",
    device: str,
    ip: str,
    channel: str = RatingChannel.QR,
    now: dt.datetime | None = None,
    rectify: bool = True,
    rerate_of: Rating | None = None,
) -> Rating:
    """A rating, or — for a case number already rated — an unsaved one: the caller (anonymous) gets the same answer
    as for a fresh rating, so the page tells nobody which numbers were rated (一事一评 without an oracle)."""
    now = now or timezone.now()
    if not target.is_active:
        raise Invalid("该亮码已停用", code="card_inactive")
    level, tags, comment = clean_level(level), clean_tags(tags), clean_comment(comment)
    _check_reason(level, tags, comment, rerating=rerate_of is not None)
    case_number, phone, channel = clean_case_number(case_number), clean_rater_phone(phone), clean_channel(channel)
    device_hash, network_hash = keyed_hash(f"device:{device}"), keyed_hash(f"network:{network_of(ip)}")
    phone_hash = keyed_hash(phone) if phone else ""

    fields = {"cadre" if isinstance(target, Cadre) else "window": target}
    values = dict(
        **fields,
        unit=target.unit,
        city_id=target.unit.city_id,  # the distribution key, from the unit in hand
        level=level,
        tags=tags,
        comment=comment,
        case_number=case_number,
        rater_phone_hash=phone_hash,
        rater_phone_masked=mask_phone(phone) if phone else "",
        # Only a poor rating is called back (回访), so only its whole number is kept, encrypted.
        rater_phone_cipher=phones.encrypt(phone) if phone and grade(level) == "poor" else "",
        channel=channel,
        created_at=now,
        device_hash=device_hash,
        network_hash=network_hash,
        rerate_of=rerate_of,
    )
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                limits = _limits()
                counts, rating = rating_write.limited_insert(
                    target,
                    values,
                    now,
                    limits=limits,
                    burst_threshold=int_param("ratings.burst_threshold"),
                    burst_window=dt.timedelta(minutes=int_param("ratings.burst_window_minutes")),
                )
                refuse_over_limits(counts, limits)  # a limit reached: nothing was written
                if rating.pk is not None and rating.counted:
                    rating_rollup.forget_card_pages((), [target.card_code])  # its rollup moved in the same statement
            else:
                rating = _limited_insert(target, values, now)
            if rating.pk is None:
                return _already_rated(rating, rerate_of)
            # `rectify=False`: the rater's re-rating of a rectification already acts on that case (ratings.rectification).
            if rating.grade == "poor" and rating.counted and rectify:
                rating.rectification = _open_rectification(rating, now)
                _row(rating).update(rectification=rating.rectification)
    except rating_write.Taken:
        # PostgreSQL: the ratings' key table (RatingKey) refused the value in the one statement, which rolled back.
        return _already_rated(Rating(**values), rerate_of)
    return rating


def _row(rating: Rating):
    """The rating's own row, by its id and its moment: on PostgreSQL the ratings are partitioned by month on
    `created_at`, and an UPDATE by id alone is planned on every month's partition (about 9 ms at 16 partitions, 1M
    ratings; 0.1 ms with the moment: docs/benchmarks.md, "Issue 22 on partitioned ratings")."""
    return Rating.objects.filter(pk=rating.pk, created_at=rating.created_at)


def _already_rated(rating: Rating, rerate_of: Rating | None) -> Rating:
    if rerate_of is not None:  # the rater's own signed link: telling them is no oracle
        raise Conflict("本次整改已再评价过，一件事只能评价一次", code="case_already_rated") from None
    # 一事一评: the number was rated. Answer as for a fresh rating, store nothing, count nothing.
    return rating


def _limited_insert(target, values: dict, now: dt.datetime) -> Rating:
    """The rating within the limits, flagged in a burst, counted in its rollup — statement by statement (SQLite; on
    PostgreSQL `rating_write.limited_insert` does the same in one). An unsaved rating when its case number (or its
    rectification's re-rating) was taken already."""
    device_hash, network_hash, phone_hash = values["device_hash"], values["network_hash"], values["rater_phone_hash"]
    refuse_over_limits(
        lambda limits: _counts(target, device_hash, network_hash, phone_hash, now, limits), limits=_limits()
    )
    # A burst on one card is what bought or coached ratings look like: keep it, but a person decides — except
    # for a device or phone whose earlier rating counted before the burst began: a flood of new cookies must
    # not hold back the card's regular raters.
    threshold = int_param("ratings.burst_threshold")
    burst = _recent_on_target(target, now, threshold) >= threshold and not _seen_before(device_hash, phone_hash, now)
    values = {**values, "counted": not burst, "status": RatingStatus.FLAGGED if burst else RatingStatus.COUNTED}
    try:
        with transaction.atomic():
            rating = Rating.objects.create(**values)
    except IntegrityError:
        return Rating(**values)
    if rating.counted:
        rating_rollup.count(rating, +1)
    return rating


def _check_reason(level: int, tags: list[str], comment: str, *, rerating: bool) -> None:
    """The tags must fit the level (models.TAG_GRADES), and a poor rating says what went wrong — a problem tag or a
    comment — since it opens a rectification case that the unit must verify (rules.md §3, §8.3). A re-rating of a
    rectification names no tags and the case already holds the reason."""
    wrong = [t for t in tags if t not in tags_for(level)]
    if wrong:
        names = "、".join(f"“{Tag(t).label}”" for t in wrong)
        raise Invalid(
            f"{names}与“{Level(level).label}”不符，请重新勾选评价标签", code="tag_level_mismatch", field="tags"
        )
    if grade(level) == "poor" and not rerating and not tags and not comment:
        raise Invalid(
            f"选择“{Level(level).label}”时，请勾选遇到的问题或填写评价意见", code="reason_required", field="comment"
        )


# The limits in the order they are checked (rule parameters ratings.*): per device, per network (IPv4 /24, IPv6 /64),
# per network on one card, and per phone — a fresh cookie per rating passes the device limit, so the network and the
# phone bound what one person can add to one card. Each: what is counted, its parameter, the refusal.
LIMITS = (
    ("device", "ratings.max_per_device_per_day", "本设备今天的评价次数已达上限，请明天再评", "device_limit", None),
    ("network", "ratings.max_per_network_per_hour", "当前网络评价过于频繁，请稍后再试", "network_limit", None),
    (
        "network_card",
        "ratings.max_per_network_per_card_per_hour",
        "当前网络对该亮码的评价过于频繁，请稍后再试",
        "network_card_limit",
        None,
    ),
    ("phone", "ratings.max_per_phone_per_day", "该手机号今天的评价次数已达上限，请明天再评", "phone_limit", "phone"),
    (
        "phone_card",
        "ratings.max_per_phone_per_card_per_day",
        "该手机号今天已评价过这张亮码，请明天再评",
        "phone_card_limit",
        "phone",
    ),
)


def _limits() -> dict[str, int]:
    """Each limit's name → its value (rule parameters)."""
    return {name: int_param(parameter) for name, parameter, *_ in LIMITS}


def refuse_over_limits(counts, limits: dict[str, int] | None = None) -> None:
    """Refuse the first limit reached; `counts` is the name → count of what each limit counts (0 for the phone's when
    no phone was given; a count may stop at its limit), or a function of the limits giving them."""
    limits = limits or _limits()
    counts = counts(limits) if callable(counts) else counts
    for name, _parameter, detail, code, field in LIMITS:
        if counts[name] >= limits[name]:
            raise TooManyRatings(detail, code=code, field=field)


def _counts(
    target, device_hash: str, network_hash: str, phone_hash: str, now: dt.datetime, limits: dict[str, int]
) -> dict[str, int]:
    """What each limit counts, each stopping at its limit (whether it was reached is all that matters)."""
    day, hour = now - dt.timedelta(days=1), now - dt.timedelta(hours=1)
    live, on_card = Rating.objects.filter(external_id=""), target.ratings.filter(external_id="")
    counts = {
        "device": live.filter(device_hash=device_hash, created_at__gt=day)[: limits["device"]].count(),
        "network": live.filter(network_hash=network_hash, created_at__gt=hour)[: limits["network"]].count(),
        "network_card": on_card.filter(network_hash=network_hash, created_at__gt=hour)[
            : limits["network_card"]
        ].count(),
        "phone": 0,
        "phone_card": 0,
    }
    if phone_hash:
        counts["phone"] = live.filter(rater_phone_hash=phone_hash, created_at__gt=day)[: limits["phone"]].count()
        counts["phone_card"] = on_card.filter(rater_phone_hash=phone_hash, created_at__gt=day)[
            : limits["phone_card"]
        ].count()
    return counts


def _seen_before(device_hash: str, phone_hash: str, now: dt.datetime) -> bool:
    """A device or phone with a counted rating older than the burst window: a regular rater, not part of the burst."""
    since = now - dt.timedelta(minutes=int_param("ratings.burst_window_minutes"))
    who = Q(device_hash=device_hash) | (Q(rater_phone_hash=phone_hash) if phone_hash else Q(pk__in=[]))
    return Rating.objects.filter(who, external_id="", status=RatingStatus.COUNTED, created_at__lte=since).exists()


def _recent_on_target(target, now: dt.datetime, threshold: int) -> int:
    """The card's live ratings in the burst window, counted up to the threshold (reaching it is all that matters)."""
    since = now - dt.timedelta(minutes=int_param("ratings.burst_window_minutes"))
    # Live ratings only (imported ones are history): the rating_cadre_live_poor / rating_window_live_poor indexes.
    return target.ratings.filter(external_id="", created_at__gt=since)[:threshold].count()


def _open_rectification(rating: Rating, now: dt.datetime):
    """差评整改: a complaint case in the one case engine, dispatched straight to the rated unit."""
    target, unit = rating.target, rating.unit
    kind = "干部" if isinstance(target, Cadre) else "窗口"
    lines = [f"扫码评价“{rating.get_level_display()}”：{unit.name} {kind} {target.name}。"]
    if rating.tags:
        lines.append("标签：" + "、".join(Tag(t).label for t in rating.tags))
    if rating.comment:
        lines.append("评价意见：" + rating.comment)
    if rating.case_number:
        lines.append("办件编号：" + rating.case_number)
    lines.append("请回访核实、整改并向评价人反馈。")
    # No rater contact on the case, not even masked: staff read it only through services.rater_contact, which logs
    # every read (评价人信息保护). The case carries a neutral name and the card's supervision phone.
    _rectification_category()
    # Dispatched straight to the rated unit (the unit in hand, not read again by its id), written with its submission.
    case, _ = case_submit(
        Actor.system(),
        kind=Kind.COMPLAINT,
        category=RECTIFICATION_CATEGORY["code"],
        title=f"差评整改：{kind}{target.name}"[:100],
        description="\n".join(lines),
        contact_name=RATER_CONTACT_NAME,
        contact_phone=target.supervision_phone,
        channel=Channel.RATING,
        external_ref=f"rating-{rating.pk}",
        county=_county_of(unit),
        cross_county=unit.county_id is None,
        now=now,
        then=[("dispatch", {"unit": unit})],
    )
    return case


def _rectification_category() -> None:
    """Made at the first poor rating, not by migration: every active category is also offered to the public
    (Open311 services, the case form), and a deployment without ratings should not show 差评整改 there."""
    code, defaults = RECTIFICATION_CATEGORY["code"], {k: v for k, v in RECTIFICATION_CATEGORY.items() if k != "code"}
    if Category.objects.filter(code=code).exists():
        return  # made already: no look-up of its SLA profile (the defaults are evaluated before get_or_create looks)
    Category.objects.get_or_create(
        code=code,
        defaults={
            **defaults,
            "is_public": False,
            "sla_profile": SlaProfile.objects.get(code="rectification"),
        },
    )


def _county_of(unit: Unit) -> Unit:
    """A county unit's own county; a city unit has none, so its case is filed under its city's government itself (in
    a one-city deployment the root of the tree; in a province the city's, not the province's): no county's
    coordinators or leader see it, act on it or count it (cross_county: city level). Filing it under some county put
    it in that county's inbox and figures. A province's own unit has no city either: its case is the province
    government's (the root). The county and the city come with the card (`selectors.card_get`)."""
    if unit.county_id:
        return unit.county
    if unit.city_id:
        return unit.city
    return Unit.objects.get(path=unit.path.split("/")[0] + "/")


APPELLANT_ROLES = {Role.HANDLER, Role.UNIT_ADMIN}
_reason = inputs.reason


def rater_contact(
    actor: Actor, rating_id: int, purpose: str, now: dt.datetime | None = None, staff_phone: str = ""
) -> str:
    """The rater's phone, for the call-back (回访核实). The only read of rater contact data for staff, and a write:
    each read is logged with who, when, which rating and why (评价人信息保护, rules.md §8.5); outside scope: not
    found. The whole number is decrypted here (ratings/phones.py); with a privacy-number relay the reader gets a
    temporary number bound to their own phone instead (ratings/callbacks.py). A rating from before phones were kept
    encrypted, or whose phone was erased after the retention period, has only its masked display."""
    from . import callbacks

    rating = selectors.contact_rating_get(actor, rating_id)
    purpose = _reason(purpose, "purpose")[:200]
    now = now or timezone.now()
    shown, relay = rating.rater_phone_masked, None
    if rating.rater_phone_cipher:
        shown = phones.decrypt(rating.rater_phone_cipher)
        if callbacks.relay_enabled():
            staff_phone = (staff_phone or (actor.membership.phone if actor.membership else "") or "").strip()
            if not staff_phone:
                raise Invalid("使用隐私号回访，请先填写本人手机号", code="staff_phone_required", field="staff_phone")
            relay = callbacks.relay_bind(inputs.phone(staff_phone, field="staff_phone"), shown, now)
            shown = relay.number
    ContactRead.objects.create(
        rating=rating,
        user=actor.user,
        actor_label=actor.label[:120],
        purpose=purpose,
        at=now,
        relay_number=relay.number if relay else "",
        relay_binding=relay.binding if relay else "",
    )
    return shown


def appeal_file(actor: Actor, rating_id: int, reason: str, now: dt.datetime | None = None) -> Appeal:
    """The rated unit contests a rating it holds to be mistaken or malicious (申诉)."""
    rating = Rating.objects.select_related("unit").filter(pk=rating_id).first()
    # A rating of another unit is not there for this actor at all.
    if rating is None or actor.role not in APPELLANT_ROLES or not actor.covers(rating.unit):
        raise NotFound("评价不存在", code="rating_not_found")
    reason = _reason(reason, "reason")
    if rating.status == RatingStatus.VOIDED:
        raise Conflict("该评价已作废", code="rating_voided")
    try:
        with transaction.atomic():
            return Appeal.objects.create(
                rating=rating, reason=reason, filed_by=actor.user, filed_at=now or timezone.now()
            )
    except IntegrityError:
        raise Conflict("该评价已申诉过，每条评价只能申诉一次", code="already_appealed") from None


def appeal_review(actor: Actor, appeal_id: int, decision: str, reason: str, now: dt.datetime | None = None) -> Appeal:
    """A coordinator over the rated unit upholds the rating or voids it; a voided rating stays stored but stops counting."""
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().select_related("rating__unit").filter(pk=appeal_id).first()
        if appeal is None or actor.role != Role.COORDINATOR or not actor.covers(appeal.rating.unit):
            raise NotFound("申诉不存在", code="appeal_not_found")
        if decision not in (AppealState.UPHELD, AppealState.VOIDED):
            raise Invalid("复核结论须为维持评价或评价作废", code="invalid_decision", field="decision")
        reason = _reason(reason, "review_reason")
        if appeal.state != AppealState.PENDING:
            raise Conflict("该申诉已复核", code="appeal_already_reviewed")
        appeal.state, appeal.reviewed_by, appeal.review_reason = decision, actor.user, reason
        appeal.reviewed_at = now or timezone.now()
        appeal.save()
        if decision == AppealState.VOIDED:
            rating = Rating.objects.select_for_update().get(pk=appeal.rating_id)
            if rating.counted:
                rating_rollup.count(rating, -1)
            _row(rating).update(status=RatingStatus.VOIDED, counted=False)
            _close_rectification(rating, f"评价经申诉复核作废：{reason}", appeal.reviewed_at)
    return appeal


VOID_ACTION = "rating_voided"


def _close_rectification(rating: Rating, reason: str, now: dt.datetime) -> None:
    """A voided rating's open rectification case is closed through the workflow (the system's `rating_voided`
    transition, reason recorded in the case's event chain), in the transaction that voids the rating."""
    if rating.rectification_id is None:
        return
    from whistle.cases.models import Case

    case = Case.objects.select_for_update().get(pk=rating.rectification_id)
    if case.is_open:
        system_transition(case, VOID_ACTION, {"reason": reason[:500]}, now)


def rating_review(actor: Actor, rating_id: int, decision: str, reason: str, now: dt.datetime | None = None) -> Rating:
    """A coordinator over the rated unit decides a flagged (burst) rating: it counts — a poor one then opens its
    rectification — or it is voided. Either way it stays stored."""
    now = now or timezone.now()
    with transaction.atomic():
        rating = Rating.objects.select_for_update().select_related("unit").filter(pk=rating_id).first()
        if rating is None or actor.role != Role.COORDINATOR or not actor.covers(rating.unit):
            raise NotFound("评价不存在", code="rating_not_found")
        if decision not in (RatingStatus.COUNTED, RatingStatus.VOIDED):
            raise Invalid("复核结论须为计入统计或评价作废", code="invalid_decision", field="decision")
        reason = _reason(reason, "review_reason")
        if rating.status != RatingStatus.FLAGGED:
            raise Conflict("该评价不在待复核状态", code="rating_not_flagged")
        rating.status, rating.counted = decision, decision == RatingStatus.COUNTED
        rating.reviewed_by, rating.review_reason, rating.reviewed_at = actor.user, reason, now
        if rating.counted and rating.grade == "poor":
            rating.rectification = _open_rectification(rating, now)
        _row(rating).update(
            status=rating.status,
            counted=rating.counted,
            reviewed_by=rating.reviewed_by,
            review_reason=rating.review_reason,
            reviewed_at=rating.reviewed_at,
            rectification=rating.rectification,
        )
        if rating.counted:
            rating_rollup.count(rating, +1)
    return rating
