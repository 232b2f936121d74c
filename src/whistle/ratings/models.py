"""三亮 cards (cadres and windows) and the ratings citizens give them by scanning a card's QR code."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from whistle.org.models import city_key


def new_card_code() -> str:
    # Printed on paper and public: unguessable, so nobody can enumerate the cards or rate a card never shown to them.
    return secrets.token_urlsafe(12)


class CardHolder(models.Model):
    """What a cadre and a window both show: who they are (亮身份), their duties (亮职责) and a public QR code."""

    name = models.CharField("名称", max_length=60)
    unit = models.ForeignKey("org.Unit", verbose_name="所属单位", on_delete=models.PROTECT, related_name="+")
    duties = models.TextField("职责", blank=True)
    supervision_phone = models.CharField("监督电话", max_length=20)
    card_code = models.SlugField("亮码编号", max_length=24, unique=True, default=new_card_code, editable=False)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name

    def clean(self):
        from whistle.core.errors import Invalid
        from whistle.core.inputs import phone as clean_phone

        try:
            self.supervision_phone = clean_phone(self.supervision_phone, field="supervision_phone")
        except Invalid as problem:
            raise ValidationError({"supervision_phone": problem.detail}) from None


class Cadre(CardHolder):
    post = models.CharField("职务", max_length=60)
    photo = models.FileField("照片", upload_to="cadres/", blank=True)
    is_party_member = models.BooleanField("党员", default=False)
    service_items = models.TextField("服务事项及时限", blank=True, help_text="每行一项，如：营业执照办理 1个工作日")

    class Meta:
        verbose_name = "干部"
        verbose_name_plural = "干部"
        ordering = ["unit", "name"]


class Window(CardHolder):
    hall = models.CharField("所在大厅", max_length=80)

    class Meta:
        verbose_name = "窗口"
        verbose_name_plural = "窗口"
        ordering = ["unit", "name"]


class Level(models.IntegerChoices):
    """The national five-level scale (国办发〔2019〕51号)."""

    VERY_SATISFIED = 5, "非常满意"
    SATISFIED = 4, "满意"
    BASICALLY_SATISFIED = 3, "基本满意"
    UNSATISFIED = 2, "不满意"
    VERY_UNSATISFIED = 1, "非常不满意"


def grade(level: int) -> str:
    """好评 5–4, 中评 3, 差评 2–1."""
    return "good" if level >= 4 else "neutral" if level == 3 else "poor"


class Tag(models.TextChoices):
    FRIENDLY = "friendly", "态度热情"
    FAST = "fast", "办事高效"
    ONE_VISIT = "one_visit", "一次办好"
    CLEAR = "clear", "一次性告知"
    RUDE = "rude", "态度生硬"
    SLOW = "slow", "办事拖沓"
    RUNAROUND = "runaround", "多次跑腿"
    ABSENT = "absent", "窗口无人"


# Which tags go with which grade (好评 5–4, 中评 3, 差评 2–1): praise only with a good rating, problems only with a
# middling or poor one, so a 非常不满意 cannot carry 态度热情 into its rectification case. 基本满意 may name either.
TAG_GRADES = {
    Tag.FRIENDLY: ("good", "neutral"),
    Tag.FAST: ("good", "neutral"),
    Tag.ONE_VISIT: ("good", "neutral"),
    Tag.CLEAR: ("good", "neutral"),
    Tag.RUDE: ("neutral", "poor"),
    Tag.SLOW: ("neutral", "poor"),
    Tag.RUNAROUND: ("neutral", "poor"),
    Tag.ABSENT: ("neutral", "poor"),
}


def tags_for(level: int) -> list[str]:
    """The tags a rater may tick with this level, in the order of the scale."""
    return [tag.value for tag in Tag if grade(level) in TAG_GRADES[tag]]


class RatingChannel(models.TextChoices):
    """The channels of 好差评 (rules.md §3): the card's QR code here; the others arrive by import."""

    QR = "qr", "扫码评价"
    DEVICE = "device", "窗口评价器"
    WEB = "web", "网上评价"
    APP = "app", "移动端评价"
    SMS = "sms", "短信评价"
    HOTLINE = "hotline", "热线评价"


class RatingStatus(models.TextChoices):
    COUNTED = "counted", "有效"
    FLAGGED = "flagged", "待复核"
    VOIDED = "voided", "已作废"


class Rating(models.Model):
    """One rating. Stored for good: a flagged or voided rating stays here, it only stops counting (`counted`)."""

    # The table holds millions of imported ratings (Heze: 11 million) besides those given here. Every index and every
    # foreign-key trigger is paid on each imported row, so: the secondary indexes serve the live path (rate limits,
    # bursts, rectification, review) and are partial on live ratings (`external_id = ''`); imported history is read
    # through the rollups (RatingRollup) and found by its external id. The targets and the unit are protected by the
    # ORM (PROTECT) but carry no database foreign key: cadres, windows and units are deactivated, never deleted, and a
    # per-row RI trigger would cost the import more than the rows themselves (docs/benchmarks.md, "Ratings at scale").
    cadre = models.ForeignKey(
        Cadre,
        verbose_name="干部",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
        db_index=False,
        db_constraint=False,
    )
    window = models.ForeignKey(
        Window,
        verbose_name="窗口",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
        db_index=False,
        db_constraint=False,
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name="被评单位",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    level = models.PositiveSmallIntegerField("评价等级", choices=Level.choices)
    tags = models.JSONField("标签", default=list, blank=True)
    comment = models.CharField("评价意见", max_length=500, blank=True)
    case_number = models.CharField("办件编号", max_length=40, blank=True)
    # The rating's id in the system it was imported from (blank for ratings given here): imports are idempotent on it.
    # On PostgreSQL this column and case_number have collation "C" (migration 0009): compared byte-wise, the cheapest
    # unique indexes to keep on millions of rows. SQLite compares bytes anyway.
    external_id = models.CharField("外部评价编号", max_length=64, blank=True, editable=False)
    rater_phone_hash = models.CharField("评价人电话标识", max_length=64, blank=True, editable=False)
    rater_phone_masked = models.CharField("评价人电话", max_length=20, blank=True)
    # The whole number for the call-back, AES-GCM under WHISTLE_PHONE_KEY (ratings/phones.py); read only through
    # services.rater_contact (logged), erased after `ratings.phone_retention_days`.
    rater_phone_cipher = models.CharField(
        "评价人电话（加密）", max_length=120, blank=True, editable=False, default="", db_default=""
    )
    phone_erased_at = models.DateTimeField("电话删除时间", null=True, blank=True, editable=False)
    channel = models.CharField("渠道", max_length=12, choices=RatingChannel.choices, default=RatingChannel.QR)
    created_at = models.DateTimeField("评价时间")
    # The columns an imported rating never sets have database defaults too, so the import's COPY leaves them out.
    device_hash = models.CharField("设备标识", max_length=64, editable=False, default="", db_default="")
    network_hash = models.CharField("网络标识", max_length=64, editable=False, default="", db_default="")
    counted = models.BooleanField("计入统计", default=True, db_default=True)
    status = models.CharField(
        "状态",
        max_length=10,
        choices=RatingStatus.choices,
        default=RatingStatus.COUNTED,
        db_default=RatingStatus.COUNTED,
    )
    # Null on every imported rating: no database foreign key (its trigger would fire on each row), the ORM protects.
    rectification = models.OneToOneField(
        "cases.Case",
        verbose_name="差评整改工单",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rating",
        db_constraint=False,
    )
    # A re-rating (再评价) of a rectification is recorded on the poor rating that opened it, once (一事一评); it used to
    # carry the rectification's case number, which anyone could take first on any card.
    rerate_of = models.OneToOneField(
        "self",
        verbose_name="再评价的差评",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rerating",
        db_constraint=False,
        editable=False,
    )
    # A flagged rating's review: a person decides whether it counts.
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="复核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    review_reason = models.CharField("复核意见", max_length=500, blank=True, default="", db_default="")
    reviewed_at = models.DateTimeField("复核时间", null=True, blank=True)
    # The rated unit's city (`org.Unit.city`), from the unit the writer holds: the key a Citus deployment distributes
    # ratings by (docs/architecture.md, "Partitioning and distribution"). No index, no database foreign key.
    city = city_key(verbose_name="被评单位所属市", editable=False)

    class Meta:
        verbose_name = "评价"
        verbose_name_plural = "评价"
        indexes = [
            # Imported ratings have no device or network: the rate limits never look them up.
            models.Index(fields=["device_hash", "created_at"], name="rating_device_live", condition=~Q(device_hash="")),
            models.Index(
                fields=["network_hash", "created_at"], name="rating_network_live", condition=~Q(network_hash="")
            ),
            # The per-phone limits read a phone's recent live ratings.
            models.Index(
                fields=["rater_phone_hash", "created_at"],
                name="rating_phone_live",
                condition=~Q(rater_phone_hash="") & Q(external_id=""),
            ),
            # The live path: a target's recent ratings (bursts), a unit's, the latest (review, admin). Queries that use
            # them filter `external_id=""`, so the planner can take the partial index. A target's poor ratings, imported
            # too, are what accountability reads (`level__lte=2`: a few percent of the rows).
            models.Index(
                fields=["cadre", "created_at"],
                name="rating_cadre_live_poor",
                condition=Q(cadre__isnull=False) & (Q(external_id="") | Q(level__lte=2)),
            ),
            models.Index(
                fields=["window", "created_at"],
                name="rating_window_live_poor",
                condition=Q(window__isnull=False) & (Q(external_id="") | Q(level__lte=2)),
            ),
            models.Index(fields=["unit", "created_at"], name="rating_live_unit", condition=Q(external_id="")),
            models.Index(fields=["created_at"], name="rating_live_created", condition=Q(external_id="")),
        ]
        constraints = [
            models.CheckConstraint(name="rating_level_1_to_5", condition=Q(level__gte=1, level__lte=5)),
            models.CheckConstraint(
                name="rating_one_target",
                condition=Q(cadre__isnull=False, window__isnull=True) | Q(cadre__isnull=True, window__isnull=False),
            ),
            models.CheckConstraint(
                name="rating_counted_matches_status",
                condition=Q(counted=True, status="counted") | Q(counted=False, status__in=["flagged", "voided"]),
            ),
            # 一事一评: one rating per case number, whoever gives it.
            models.UniqueConstraint(
                fields=["case_number"], condition=~Q(case_number=""), name="rating_one_per_case_number"
            ),
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="rating_one_per_external_id"
            ),
        ]

    def __str__(self):
        # Shown in the admin's titles and links: which card, which level, when (never who rated).
        when = f"，{timezone.localtime(self.created_at):%Y-%m-%d %H:%M}" if self.created_at else ""
        return f"{self.target or '—'}的评价（{self.get_level_display()}{when}）"

    @property
    def target(self):
        return self.cadre or self.window

    @property
    def grade(self) -> str:
        return grade(self.level)


class RatingKey(models.Model):
    """The ratings' unique values across all months (PostgreSQL, where `ratings_rating` is partitioned by month and a
    unique index can only hold within a partition unless it holds `created_at`): 一事一评 (a case number), the
    imported external id, the rectification case and the re-rated poor rating. Written by statement triggers on the
    ratings table in the statement that inserts or changes the rating (ratings 0014), so every writer — the public
    form's one statement, the import's COPY, the ORM — keeps the rules with no statement of its own; a value taken
    raises the unique violation the old index raised. Empty on SQLite, where the ratings' own unique indexes hold."""

    KINDS = {"case_number": "c", "external_id": "e", "rectification_id": "r", "rerate_of_id": "o"}

    pk = models.CompositePrimaryKey("kind", "value")
    kind = models.CharField(max_length=1)
    value = models.CharField(max_length=64)
    rating_id = models.BigIntegerField()

    class Meta:
        verbose_name = "评价唯一键"
        verbose_name_plural = "评价唯一键"


class RatingRater(models.Model):
    """The devices and phones with a counted live rating, each with its earliest (PostgreSQL): what the burst rule asks
    — "has this device or phone a counted rating older than the burst window?" — in one primary-key probe, instead of
    a look-up with no lower time bound through every month's partition of `ratings_rating`. Kept by statement
    triggers on the ratings table (ratings 0015) in the statement that inserts, reviews, voids or deletes a rating, so
    it always says what the ratings say: a rating counted adds (or moves back) its device's and phone's first moment; a
    rating that stops counting has them recomputed from the ratings. A partition detached for archive (no trigger
    fires) leaves its raters here: a device seen in an archived month stays a regular rater. Empty on SQLite, where
    the rule reads the ratings themselves."""

    KINDS = {"device_hash": "d", "rater_phone_hash": "p"}

    pk = models.CompositePrimaryKey("kind", "value")
    kind = models.CharField(max_length=1)
    value = models.CharField(max_length=64)
    first_counted_at = models.DateTimeField()

    class Meta:
        verbose_name = "评价人首次有效评价"
        verbose_name_plural = "评价人首次有效评价"


class AppealState(models.TextChoices):
    PENDING = "pending", "待复核"
    UPHELD = "upheld", "维持评价"
    VOIDED = "voided", "评价作废"


class Appeal(models.Model):
    """申诉复核: the rated unit contests a mistaken or malicious rating; a coordinator upholds it or voids it."""

    # No database foreign key (on PostgreSQL ratings are partitioned, primary key (id, created_at)): the ORM's
    # PROTECT and ratings never being deleted keep it whole, as for ContactRead and CallBack.
    rating = models.OneToOneField(
        Rating, verbose_name="评价", on_delete=models.PROTECT, related_name="appeal", db_constraint=False
    )
    reason = models.CharField("申诉理由", max_length=500)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申诉人", on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField("申诉时间")
    state = models.CharField("状态", max_length=10, choices=AppealState.choices, default=AppealState.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="复核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_reason = models.CharField("复核意见", max_length=500, blank=True)
    reviewed_at = models.DateTimeField("复核时间", null=True, blank=True)

    class Meta:
        verbose_name = "评价申诉"
        verbose_name_plural = "评价申诉"
        constraints = [
            models.CheckConstraint(
                name="appeal_review_complete",
                condition=Q(state="pending", reviewed_at__isnull=True)
                | (
                    ~Q(state="pending") & Q(reviewed_at__isnull=False, reviewed_by__isnull=False) & ~Q(review_reason="")
                ),
            ),
        ]

    def __str__(self):
        return f"对{self.rating}的申诉（{self.get_state_display()}）"


class RollupKind(models.TextChoices):
    CADRE = "c", "干部"
    WINDOW = "w", "窗口"


class RatingRollup(models.Model):
    """Counted ratings per target (cadre or window) × rated unit × Beijing calendar month, one column per level.

    Written in the same transaction as the ratings it sums (`rating_rollup.bump`), rebuilt from scratch by
    `whistle ratings rebuild-rollups` and checked by `whistle ratings verify-rollups`. The pages read these rows,
    never the 11 million ratings."""

    kind = models.CharField("对象类型", max_length=1, choices=RollupKind.choices)
    target_id = models.PositiveIntegerField("干部或窗口编号")
    unit = models.ForeignKey("org.Unit", verbose_name="被评单位", on_delete=models.PROTECT, related_name="+")
    month = models.DateField("月份")
    # signed: a decrement is upserted as a negative delta
    n1 = models.IntegerField("非常不满意", default=0)
    n2 = models.IntegerField("不满意", default=0)
    n3 = models.IntegerField("基本满意", default=0)
    n4 = models.IntegerField("满意", default=0)
    n5 = models.IntegerField("非常满意", default=0)

    class Meta:
        verbose_name = "评价月汇总"
        verbose_name_plural = "评价月汇总"
        constraints = [models.UniqueConstraint(fields=["kind", "target_id", "unit", "month"], name="rollup_key")]
        indexes = [models.Index(fields=["month", "unit"], name="rollup_month_unit")]

    def __str__(self):
        return f"{self.get_kind_display()}{self.target_id} · {self.unit} · {self.month:%Y年%m月}"


class ContactRead(models.Model):
    """评价人信息保护 (rules.md §3, §8.5): every time staff are shown a rater's (masked) contact, who, when, which
    rating and why."""

    rating = models.ForeignKey(
        Rating, verbose_name="评价", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )  # see Appeal.rating
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="查看人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField("查看人", max_length=120)
    purpose = models.CharField("查看事由", max_length=200)
    at = models.DateTimeField("查看时间", db_index=True)
    # With a privacy-number relay the reader was given a temporary number, not the rater's (ratings/callbacks.py).
    relay_number = models.CharField("隐私号", max_length=20, blank=True, default="")
    relay_binding = models.CharField("隐私号绑定编号", max_length=64, blank=True, default="")

    class Meta:
        verbose_name = "评价人信息查看记录"
        verbose_name_plural = "评价人信息查看记录"
        ordering = ["-at"]

    def __str__(self):
        return f"{self.actor_label}查看评价人电话（{timezone.localtime(self.at):%Y-%m-%d %H:%M}）"


class CallOutcome(models.TextChoices):
    REACHED = "reached", "已联系上评价人"
    UNREACHABLE = "unreachable", "无法联系"
    REFUSED = "refused", "评价人拒绝回访"


class CallBack(models.Model):
    """回访记录: the outcome of a call to a poor rater (rules.md §3, §8.3). 差评回访率 counts ratings with one."""

    rating = models.ForeignKey(
        Rating, verbose_name="评价", on_delete=models.PROTECT, related_name="callbacks", db_constraint=False
    )  # see Appeal.rating
    outcome = models.CharField("回访结果", max_length=12, choices=CallOutcome.choices)
    note = models.CharField("回访情况", max_length=500, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="回访人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField("回访人", max_length=120)
    at = models.DateTimeField("回访时间")

    class Meta:
        verbose_name = "差评回访记录"
        verbose_name_plural = "差评回访记录"
        ordering = ["-at"]

    def __str__(self):
        return f"{self.actor_label}回访（{self.get_outcome_display()}）"
