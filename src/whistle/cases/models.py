"""Cases (诉求工单), their append-only event chain, and the data the workflow reads:
the category catalogue, the dispatch catalogue and the SLA profiles."""

import datetime as dt
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from whistle.core.models import city_override
from whistle.core.tablecache import TableCache
from whistle.org.models import city_key

if TYPE_CHECKING:
    from whistle.org.models import Unit


class Category(models.Model):
    """Three-level catalogue of problem types."""

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=60)
    parent = models.ForeignKey(
        "self", verbose_name="上级分类", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.CharField("说明", max_length=200, blank=True)
    keywords = models.CharField("关键词", max_length=200, blank=True)
    sla_profile = models.ForeignKey(
        "SlaProfile", verbose_name="时限方案", null=True, blank=True, on_delete=models.PROTECT
    )
    is_active = models.BooleanField("启用", default=True)
    is_public = models.BooleanField(
        "公开可选",
        default=True,
        help_text="企业提交、Open311 服务列表中可选；差评整改等内部分类不公开，只由系统使用",
    )
    # Empty: the province's (the deployment's), offered in every city. A city government: that city's own category,
    # offered to and accepted from that city's enterprises and staff only (issue 21).
    city = city_override(help_text="留空：全省通用；选择某市：该市自有分类，只有该市的企业和工作人员可见可选")

    class Meta:
        verbose_name = "问题分类"
        verbose_name_plural = "问题分类"
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        parent = self.parent
        if parent is not None and parent.city_id is not None and parent.city_id != self.city_id:
            raise ValidationError({"city": "上级分类是某市自有分类，下级分类须属于同一市"})


# The one rule of which categories a city may use, in its two shapes: a filter for queries and a test for a category
# in hand. tests/cases/test_city_categories.py checks they agree.
def category_city_q(city_id: int | None, prefix: str = "") -> Q:
    """The categories a city may use: the province's, and its own (only the province's for no city)."""
    shared = Q(**{f"{prefix}city__isnull": True})
    return shared | Q(**{f"{prefix}city_id": city_id}) if city_id else shared


def category_in_city(category: Category, city_id: int | None) -> bool:
    """`category_city_q` for one category already read: the province's, or that city's own."""
    return category.city_id is None or (bool(city_id) and category.city_id == city_id)


class DispatchRule(models.Model):
    """派单目录: category × area → responsible unit. An empty area matches every county."""

    category = models.ForeignKey(
        Category, verbose_name="问题分类", on_delete=models.CASCADE, related_name="dispatch_rules"
    )
    area = models.ForeignKey(
        "org.Unit", verbose_name="属地县区", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name="承办单位", on_delete=models.PROTECT, related_name="dispatch_rules"
    )

    class Meta:
        verbose_name = "派单目录"
        verbose_name_plural = "派单目录"
        constraints = [
            models.UniqueConstraint(fields=["category", "area"], name="dispatch_rule_unique_area"),
            models.UniqueConstraint(
                fields=["category"], condition=Q(area__isnull=True), name="dispatch_rule_unique_default"
            ),
        ]

    def __str__(self):
        return f"{self.category} @ {self.area or '全市'} → {self.unit}"

    def clean(self):
        """A city's own category is routed inside that city: its area and unit are the city's (or the province's)."""
        super().clean()
        city = self.category.city_id if self.category_id else None
        if city is None:
            return
        for name in ("area", "unit"):
            unit = getattr(self, name)
            if unit is not None and unit.city_id not in (None, city):
                raise ValidationError({name: "该问题分类是某市自有分类，只能派往该市（或省级）的单位和县区"})


class Urgency(models.TextChoices):
    """rules.md §4, §8.1–8.2 (Beijing 12345 dispatch: 1 h emergencies, 2 h water/power/gas/heat and extreme weather,
    about 24 h the rest). The levels are fixed; what each means in time is its SLA profile (`SlaProfile.urgency`)."""

    ORDINARY = "ordinary", "一般"
    URGENT = "urgent", "加急"
    EMERGENCY = "emergency", "紧急"


# Urgent first: the desk and the dispatch queue sort by this rank.
URGENCY_RANK = {Urgency.EMERGENCY: 0, Urgency.URGENT: 1, Urgency.ORDINARY: 2}


class SlaProfile(models.Model):
    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=60)
    is_default = models.BooleanField("默认方案", default=False)
    urgency = models.CharField(
        "适用紧急程度",
        max_length=10,
        choices=[c for c in Urgency.choices if c[0] != Urgency.ORDINARY],
        blank=True,
        help_text="留空：一般诉求的方案（按问题分类或默认方案）；选择加急或紧急：该紧急程度的诉求一律按本方案计时",
    )
    enterprise_may_choose = models.BooleanField(
        "企业提交时可选", default=False, help_text="仅对加急、紧急方案有效：企业提交诉求时可自行选择该紧急程度"
    )
    # Empty: the deployment's profile. A city government: that city's own default or urgency profile, which its
    # cases run on in place of the deployment's (a province's cities share the rest; issue 21).
    city = city_override(help_text="留空：全部署适用；选择某市：该市的默认方案或紧急程度方案，替代全部署的")

    class Meta:
        verbose_name = "时限方案"
        verbose_name_plural = "时限方案"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True, city__isnull=True), name="one_default_sla_profile"
            ),
            models.UniqueConstraint(
                fields=["urgency"], condition=~Q(urgency="") & Q(city__isnull=True), name="one_sla_profile_per_urgency"
            ),
            models.UniqueConstraint(
                fields=["city"], condition=Q(is_default=True, city__isnull=False), name="one_default_sla_profile_city"
            ),
            models.UniqueConstraint(
                fields=["city", "urgency"],
                condition=~Q(urgency="") & Q(city__isnull=False),
                name="one_sla_profile_per_urgency_city",
            ),
        ]

    def __str__(self):
        return self.name


class SlaStage(models.Model):
    class Stage(models.TextChoices):
        DISPATCH = "dispatch", "派单"
        RETURN_WINDOW = "return_window", "退单时限"
        CONTACT = "contact", "联系/到场"
        OPINION = "opinion", "答复意见"
        RESOLVE = "resolve", "办结"
        RESOLVE_COMPLEX = "resolve_complex", "复杂事项办结"
        EXTENSION = "extension", "延期"
        REOPEN = "reopen", "重办"
        # How long before a deadline the yellow card, and after it the red card (default 1 working day each).
        YELLOW_CARD = "yellow_card", "黄牌提前量"
        RED_CARD = "red_card", "红牌延后量"

    class TimeUnit(models.TextChoices):
        HOURS = "hours", "自然小时"
        WORKING_DAYS = "working_days", "工作日"

    profile = models.ForeignKey(SlaProfile, on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField("环节", max_length=20, choices=Stage.choices)
    amount = models.PositiveIntegerField("时限")
    unit = models.CharField("单位", max_length=14, choices=TimeUnit.choices)

    class Meta:
        verbose_name = "时限"
        verbose_name_plural = "时限"
        constraints = [models.UniqueConstraint(fields=["profile", "stage"], name="sla_stage_unique")]

    def __str__(self):
        return f"{self.get_stage_display()} {self.amount}{self.get_unit_display()}"


class State(models.TextChoices):
    SUBMITTED = "submitted", "已受理"
    DISPATCHED = "dispatched", "已派单"
    RETURNED = "returned", "已退单"
    ACCEPTED = "accepted", "已签收"
    CONTACTED = "contacted", "已联系"
    IN_PROGRESS = "in_progress", "办理中"
    REPLIED = "replied", "已答复"
    REOPENED = "reopened", "重办中"
    CLOSED = "closed", "已办结"


class Kind(models.TextChoices):
    CONSULT = "consult", "咨询"
    HELP = "help", "求助"
    COMPLAINT = "complaint", "投诉"
    REPORT = "report", "举报"
    SUGGESTION = "suggestion", "建议"


class Channel(models.TextChoices):
    WEB = "web", "网站"
    APP = "app", "移动端"
    API = "api", "接口"
    HOTLINE = "hotline", "值班电话"
    H12345 = "12345", "12345热线"
    PROVINCIAL = "provincial", "省接诉即办平台"
    VISIT = "visit", "走访"
    OPEN311 = "open311", "Open311"
    RATING = "rating", "好差评"


class EscalationLevel(models.TextChoices):
    COUNTY = "county", "县级办理"
    CITY = "city", "市级协调"
    GREEN_CHANNEL = "green_channel", "绿色通道"


class Card(models.TextChoices):
    NONE = "none", "无"
    YELLOW = "yellow", "黄牌"
    RED = "red", "红牌"


class Resolution(models.TextChoices):
    RESOLVED = "resolved", "已解决"
    PARTLY = "partly", "部分解决"
    UNRESOLVED = "unresolved", "未解决"
    UNREACHABLE = "unreachable", "无法联系"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basically_satisfied", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class ExtensionState(models.TextChoices):
    NONE = "none", "未申请"
    REQUESTED = "requested", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"


OPEN_STATES = [s for s in State.values if s != State.CLOSED]


class Case(models.Model):
    """One request, tracked to the end. State changes only through `cases.workflow.apply`.

    Deadline columns are stored so the sweeper is an indexed range query. The four `*_at` sweep
    columns (yellow_at, red_at, supervise_at, escalate_at) are set when a clock starts and cleared
    when the sweeper has acted or the clock stops, which is what makes a second sweep write nothing.

    Every index is paid for on each sweep write-back (a sweep column changes, so no update is HOT): foreign keys
    that a composite index already leads with, or that no query looks cases up by, have no index of their own.
    """

    kind = models.CharField("诉求类型", max_length=12, choices=Kind.choices)
    channel = models.CharField("渠道", max_length=12, choices=Channel.choices, default=Channel.WEB)
    category = models.ForeignKey(Category, verbose_name="问题分类", on_delete=models.PROTECT, related_name="cases")
    title = models.CharField("标题", max_length=100)
    description = models.TextField("诉求内容")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )  # case_enterprise leads with it
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="诉求人账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )  # no query looks cases up by it
    contact_name = models.CharField("联系人", max_length=40)
    contact_phone = models.CharField("联系电话", max_length=20)
    address = models.CharField("地点", max_length=200, blank=True)
    lat = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    county = models.ForeignKey(
        "org.Unit", verbose_name="属地县区", on_delete=models.PROTECT, related_name="+", db_index=False
    )  # case_county_state
    # The county's city (`org.Unit.city`), set at submission: the city a province's staff are scoped by, the prefix
    # of the case's number, and the leading key a distributed (Citus) deployment would shard by (architecture.md).
    city = models.ForeignKey(
        "org.Unit", verbose_name="所属市", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cross_county = models.BooleanField("跨县区", default=False)
    external_ref = models.CharField("外部编号", max_length=60, blank=True)

    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.SUBMITTED)
    is_open = models.BooleanField(default=True, editable=False)
    lead_unit = models.ForeignKey(
        "org.Unit", verbose_name="主办单位", null=True, blank=True, on_delete=models.PROTECT, related_name="led_cases"
    )
    assisting_units = models.ManyToManyField(
        "org.Unit", verbose_name="协办单位", blank=True, related_name="assisted_cases"
    )
    sla_profile = models.ForeignKey(
        SlaProfile, verbose_name="时限方案", on_delete=models.PROTECT, db_index=False
    )  # a handful of profiles
    is_complex = models.BooleanField("复杂事项", default=False)
    # Chosen at submission, changed only by the `set_urgency` row; its SLA profile overrides `sla_profile`.
    urgency = models.CharField("紧急程度", max_length=10, choices=Urgency.choices, default=Urgency.ORDINARY)
    level = models.CharField("办理层级", max_length=14, choices=EscalationLevel.choices, default=EscalationLevel.COUNTY)
    green_channel_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="绿色通道领导",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )  # no query looks cases up by it

    card = models.CharField("预警", max_length=6, choices=Card.choices, default=Card.NONE)
    supervision_count = models.PositiveIntegerField("督办次数", default=0)
    returns_count = models.PositiveIntegerField("退单次数", default=0)
    reopen_count = models.PositiveIntegerField("重办次数", default=0)
    extension_state = models.CharField(
        "延期", max_length=10, choices=ExtensionState.choices, default=ExtensionState.NONE
    )
    extensions_count = models.PositiveIntegerField("延期申请次数", default=0)
    resolution = models.CharField("解决情况", max_length=12, choices=Resolution.choices, blank=True)
    satisfaction = models.CharField("满意度", max_length=20, choices=Satisfaction.choices, blank=True)
    # rules.md §8.5: a follow-up whose 解决 and 满意 answers contradict each other (`AnswerPattern`); kept once set.
    answers_contradict = models.BooleanField("回访答复矛盾", default=False)

    submitted_at = models.DateTimeField("受理时间", db_index=True)
    dispatched_at = models.DateTimeField("派单时间", null=True, blank=True)
    accepted_at = models.DateTimeField("签收时间", null=True, blank=True)
    contacted_at = models.DateTimeField("联系时间", null=True, blank=True)
    opinion_at = models.DateTimeField("答复意见时间", null=True, blank=True)
    replied_at = models.DateTimeField("办结回复时间", null=True, blank=True)
    followed_up_at = models.DateTimeField("回访时间", null=True, blank=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    escalated_at = models.DateTimeField("升级时间", null=True, blank=True)
    supervised_at = models.DateTimeField("最近督办时间", null=True, blank=True)

    dispatch_due_at = models.DateTimeField("派单截止", null=True, blank=True)
    return_due_at = models.DateTimeField("退单截止", null=True, blank=True)
    contact_due_at = models.DateTimeField("联系截止", null=True, blank=True)
    opinion_due_at = models.DateTimeField("答复意见截止", null=True, blank=True)
    resolve_due_at = models.DateTimeField("办结截止", null=True, blank=True)
    next_due_at = models.DateTimeField("当前环节截止", null=True, blank=True)
    yellow_at = models.DateTimeField(null=True, blank=True, editable=False)
    red_at = models.DateTimeField(null=True, blank=True, editable=False)
    supervise_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalate_at = models.DateTimeField(null=True, blank=True, editable=False)

    event_seq = models.PositiveIntegerField(default=0, editable=False)
    last_event_hash = models.CharField(max_length=64, default="", editable=False)

    class Meta:
        verbose_name = "诉求工单"
        verbose_name_plural = "诉求工单"
        indexes = [
            models.Index(fields=["lead_unit", "next_due_at"], condition=Q(is_open=True), name="case_inbox"),
            models.Index(fields=["county", "state"], name="case_county_state"),
            models.Index(fields=["enterprise", "submitted_at"], name="case_enterprise"),
            models.Index(fields=["yellow_at"], condition=Q(yellow_at__isnull=False), name="case_sweep_yellow"),
            models.Index(fields=["red_at"], condition=Q(red_at__isnull=False), name="case_sweep_red"),
            models.Index(fields=["supervise_at"], condition=Q(supervise_at__isnull=False), name="case_sweep_supervise"),
            models.Index(fields=["escalate_at"], condition=Q(escalate_at__isnull=False), name="case_sweep_escalate"),
        ]
        constraints = [
            models.CheckConstraint(
                name="case_open_matches_state",
                condition=Q(is_open=False, state="closed") | (Q(is_open=True) & ~Q(state="closed")),
            ),
            # A case withdrawn before any unit took it closes without one.
            models.CheckConstraint(
                name="case_lead_unit_after_dispatch",
                condition=Q(state__in=["submitted", "returned", "closed"]) | Q(lead_unit__isnull=False),
            ),
        ]

    # Not columns. The events `workflow.apply_steps` wrote, in order, left on the case it returns. What the locking
    # read (`selectors.case_get(for_update=True)`) brings along, so that neither planning nor the answer reads it
    # again: the assisting units' ids (the effects that change them keep them current, with the units themselves in
    # `assisting_known`) and whether the case has attachments.
    written_events: "list[CaseEvent]"
    assisting_ids: set[int]
    assisting_known: "list[Unit]"
    has_attachments: bool

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return number_for(self.pk, self.city_id)

    @property
    def state_label(self) -> str:
        """The state as people read it: a case closed without a reply was withdrawn (or, a rectification, ended by a
        voided rating), not 已办结 — the same split as the rollup's `closed` and `withdrawn` facts."""
        if self.state == State.CLOSED and self.replied_at is None:
            return "已终止" if self.channel == Channel.RATING else "已撤回"
        return self.get_state_display()


# A case number is its city's prefix (`org.Unit.case_prefix`, set on each city government) and its id, zero-padded:
# ids are unique across the deployment, so the prefix only says which city a number belongs to.
FALLBACK_PREFIX = "WS"


def _prefixes() -> tuple[dict[int, str], str]:
    """City id → prefix, and the prefix of a case with no city: the first city's (a one-city deployment's own)."""
    from whistle.org.models import Unit

    rows = list(Unit.objects.exclude(case_prefix="").order_by("path").values_list("pk", "case_prefix"))
    return dict(rows), (rows[0][1] if rows else FALLBACK_PREFIX)


_prefix_table = TableCache(_prefixes, ttl=60.0)
clear_prefixes = _prefix_table.clear
# `with prefixes_held():` — the prefixes fixed for a loop that must not query midway (a rating import's COPY).
prefixes_held = _prefix_table.held


def city_prefixes() -> dict[int, str]:
    """City government id → its case prefix: the cities of the deployment (only a city government has a prefix)."""
    return _prefix_table.get()[0]


def number_for(pk: int, city_id: int | None = None) -> str:
    by_city, default = _prefix_table.get()
    return f"{by_city.get(city_id, default) if city_id is not None else default}{pk:08d}"


_NUMBER = re.compile(r"([A-Z]{2,4})(\d{8,18})", re.ASCII)
_NUMBER_LIKE = re.compile(r"([A-Z]{2,4})\d+", re.ASCII)


def _known_prefix(prefix: str) -> bool:
    by_city, default = _prefix_table.get()
    return prefix == default or prefix in by_city.values()


def pk_from_number(number: str) -> int | None:
    """The id behind a case number; None unless the number is spelled as `number_for` spells some city's numbers.
    Whether the prefix is this case's city's is for the caller that read the case (`number_matches`)."""
    match = _NUMBER.fullmatch(number) if isinstance(number, str) else None
    if match is None or not _known_prefix(match.group(1)):
        return None
    pk = int(match.group(2))
    return pk if f"{pk:08d}" == match.group(2) else None


def internal_prefix(text: str) -> str | None:
    """The city prefix of something spelled like one of whistle's case numbers (a known prefix and digits, however
    many), or None: a public rating's 办件编号 may not be one (ratings.services.clean_case_number)."""
    match = _NUMBER_LIKE.fullmatch(text)
    return match.group(1) if match is not None and _known_prefix(match.group(1)) else None


def number_matches(case: "Case", number: str | int) -> bool:
    """A number read from outside names this case: its own city's prefix (an id given as an int always does)."""
    return not isinstance(number, str) or case.number == number


class HashedEvent(Protocol):
    """What `CaseEvent.record` reads: an event's columns, on a model instance or a row of them."""

    @property
    def case_id(self) -> int: ...
    @property
    def seq(self) -> int: ...
    @property
    def action(self) -> str: ...
    @property
    def from_state(self) -> str: ...
    @property
    def to_state(self) -> str: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def actor_label(self) -> str: ...
    @property
    def at(self) -> dt.datetime: ...
    @property
    def payload(self) -> dict: ...


class CaseEvent(models.Model):
    """Append-only and hash-chained per case. Never updated, never deleted (see `whistle audit verify`)."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="events", db_index=False
    )  # case_event_seq_unique leads with it
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=24)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=80, help_text="who acted, as shown in the timeline; 系统 for the worker")
    at = models.DateTimeField()
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # The id of the key `hash` was made with (core.hashing.key_id); "" for the plain SHA-256 of events written
    # before the chain was keyed, accepted only where a signed checkpoint anchors them.
    hash_key = models.CharField(max_length=16, blank=True, default="")
    # Copied from the case when the event is written (the writer holds the case): on PostgreSQL the table is
    # partitioned by month on `case_submitted_at`, so a case's whole chain is in one partition and the unique
    # (case, seq) holds with the partition column added; `city` is the key a Citus deployment distributes by
    # (docs/architecture.md, "Partitioning and distribution"). No database foreign key: a per-row RI check.
    case_submitted_at = models.DateTimeField()
    city = city_key()

    class Meta:
        verbose_name = "工单记录"
        verbose_name_plural = "工单记录"
        ordering = ["case_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq_unique")]

    def __str__(self):
        return f"工单{number_for(self.case_id)}第{self.seq}条记录"

    def record(self: HashedEvent) -> dict:
        """The fields the hash covers (of an event, or of the sweep's `EventRow` with the same attributes)."""
        return {
            "case": self.case_id,
            "seq": self.seq,
            "action": self.action,
            "from": self.from_state,
            "to": self.to_state,
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "at": iso_utc(self.at),
            "payload": self.payload,
        }


def iso_utc(moment) -> str:
    """One spelling of a moment, whatever zone it was read in: the hash must survive a database round trip."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


# The columns a case is submitted with and that nothing changes afterwards: the submit event carries a keyed hash
# of them (`content_record`), so an edited description, phone or enterprise shows in `whistle audit verify`.
# Not the requester: deleting a user account sets it to NULL.
CONTENT_FIELDS = (
    "kind",
    "channel",
    "category_id",
    "title",
    "description",
    "enterprise_id",
    "contact_name",
    "contact_phone",
    "address",
    "lat",
    "lng",
    "county_id",
    "cross_county",
    "external_ref",
    "sla_profile_id",
    "submitted_at",
)


def content_record(values) -> dict:
    """The case content the submit event's hash covers, from anything with the CONTENT_FIELDS as attributes (a case,
    or a row about to be written), spelled so it survives a database round trip."""
    record = {name: getattr(values, name) for name in CONTENT_FIELDS}
    for name in ("lat", "lng"):
        if record[name] is not None:
            record[name] = format(Decimal(str(record[name])), ".6f")
    record["cross_county"] = bool(record["cross_county"])
    record["submitted_at"] = iso_utc(record["submitted_at"])
    return record


def attachment_path(instance, filename):
    return f"cases/{instance.case_id}/{filename}"


class CaseAttachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    name = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=80)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"

    def __str__(self):
        return self.name


class IdempotencyRecord(models.Model):
    """A POST that created a case under an Idempotency-Key; a retry gets the same case back."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_key")]


class AuditCheckpoint(models.Model):
    """A signed statement of every case's chain head at a moment (`whistle.cases.audit.write_checkpoint`).

    Incremental: a checkpoint stores entries only for the cases whose chain moved since the one before (and for
    case numbers found missing, as seq 0), plus the counts; each signs the digest of its entries and the signature of
    the one before, so together they state the head of every case. Written by the worker, never changed."""

    created_at = models.DateTimeField()
    previous_signature = models.CharField(max_length=64, blank=True)
    event_watermark = models.BigIntegerField(help_text="the highest event id seen")
    max_case_id = models.BigIntegerField()
    cases_count = models.BigIntegerField()
    events_count = models.BigIntegerField()
    entries_count = models.BigIntegerField()
    entries_digest = models.CharField(max_length=64)
    hash_key = models.CharField(max_length=16)
    signature = models.CharField(max_length=64)

    class Meta:
        verbose_name = "审计检查点"
        verbose_name_plural = "审计检查点"

    def statement(self) -> dict:
        """What the signature covers."""
        return {
            "id": self.pk,
            "created_at": iso_utc(self.created_at),
            "previous": self.previous_signature,
            "event_watermark": self.event_watermark,
            "max_case_id": self.max_case_id,
            "cases": self.cases_count,
            "events": self.events_count,
            "entries": self.entries_count,
            "entries_digest": self.entries_digest,
        }


class AuditCheckpointEntry(models.Model):
    """One case's chain head at a checkpoint: (case id, seq, hash of the event at seq); or, with seq 0, no hash and
    `gap_end`, a run of case numbers (case_id … gap_end) that did not exist then. The case is a plain number, not a foreign key: the entry must outlive a
    deleted case to name it."""

    checkpoint = models.ForeignKey(AuditCheckpoint, on_delete=models.PROTECT, related_name="entries", db_index=False)
    case_id = models.BigIntegerField()
    seq = models.PositiveIntegerField()
    hash = models.CharField(max_length=64, blank=True)
    gap_end = models.BigIntegerField(
        null=True, blank=True, help_text="a run of missing case numbers: case_id … gap_end"
    )

    class Meta:
        verbose_name = "检查点记录"
        verbose_name_plural = "检查点记录"
        indexes = [
            models.Index(fields=["checkpoint", "case_id"], name="audit_entry_checkpoint"),
            models.Index(fields=["case_id", "seq"], name="audit_entry_case"),
        ]


class AnswerPattern(models.Model):
    """A pair of follow-up answers that contradict each other (rules.md §8.5: flag "解决/满意" answers that are
    internally contradictory): by default 未解决 yet 满意; a city adds or switches on others (已解决 yet 不满意)."""

    resolution = models.CharField("解决情况", max_length=12, choices=Resolution.choices)
    satisfaction = models.CharField("满意度", max_length=20, choices=Satisfaction.choices)
    is_active = models.BooleanField("启用", default=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "矛盾答复组合"
        verbose_name_plural = "矛盾答复组合"
        constraints = [models.UniqueConstraint(fields=["resolution", "satisfaction"], name="answer_pattern_unique")]

    def __str__(self):
        return f"{self.get_resolution_display()}却{self.get_satisfaction_display()}"


class CallbackDraw(models.Model):
    """One month's random draw for the independent call-back sample (回访抽查, rules.md §8.5), made by the worker:
    what was eligible and what was drawn, so the share the city set can be checked afterwards."""

    month = models.DateField("抽查月份", unique=True, help_text="办结月份（该月1日）")
    drawn_at = models.DateTimeField("抽取时间")
    eligible = models.PositiveIntegerField("可抽件数")
    drawn = models.PositiveIntegerField("抽取件数")
    share_pct = models.DecimalField("抽取比例（%）", max_digits=6, decimal_places=2)
    min_per_county = models.PositiveIntegerField("每县区最少件数")

    class Meta:
        verbose_name = "回访抽查批次"
        verbose_name_plural = "回访抽查批次"
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month:%Y年%m月}回访抽查"


class CallbackState(models.TextChoices):
    PENDING = "pending", "待回访"
    DONE = "done", "已回访"
    UNREACHABLE = "unreachable", "无法联系"


class CallbackCheck(models.Model):
    """One closed case drawn for an independent call-back: the answers the requester gave themselves (copied at
    the draw), and what a coordinator's own call heard. A different 解决 or 满意 answer is a mismatch."""

    draw = models.ForeignKey(CallbackDraw, on_delete=models.PROTECT, related_name="checks")
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="callback_check")
    unit = models.ForeignKey(
        "org.Unit", verbose_name="承办单位", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    recorded_resolution = models.CharField("企业回访·解决情况", max_length=12, choices=Resolution.choices)
    recorded_satisfaction = models.CharField("企业回访·满意度", max_length=20, choices=Satisfaction.choices)
    state = models.CharField("状态", max_length=12, choices=CallbackState.choices, default=CallbackState.PENDING)
    resolution = models.CharField("抽查·解决情况", max_length=12, choices=Resolution.choices, blank=True)
    satisfaction = models.CharField("抽查·满意度", max_length=20, choices=Satisfaction.choices, blank=True)
    mismatch = models.BooleanField("与企业回访不一致", null=True)
    note = models.CharField("回访记录", max_length=500, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField("回访时间", null=True, blank=True)

    class Meta:
        verbose_name = "回访抽查"
        verbose_name_plural = "回访抽查"
        indexes = [models.Index(fields=["unit", "draw"], name="callback_unit_draw")]
        constraints = [
            models.CheckConstraint(
                name="callback_result_complete",
                condition=Q(state="pending", mismatch__isnull=True, checked_at__isnull=True)
                | Q(state="unreachable", mismatch__isnull=True, checked_at__isnull=False)
                | Q(state="done", mismatch__isnull=False, checked_at__isnull=False),
            )
        ]

    def __str__(self):
        return f"{number_for(self.case_id)}回访抽查"
