"""The unit tree, who belongs where, and the credentials they use."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

CASE_PREFIX = re.compile(r"[A-Z]{2,4}", re.ASCII)


class Level(models.TextChoices):
    # A province above its cities (issue 21): its units see every city; a deployment of one city has none.
    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    COUNTY = "county", "县区级"
    TOWNSHIP = "township", "乡镇街道"


class UnitKind(models.TextChoices):
    GOVERNMENT = "government", "人民政府"
    ZONE = "zone", "功能区"
    DEPARTMENT = "department", "职能部门"
    COORDINATION_OFFICE = "coordination_office", "吹哨办"
    TOWNSHIP = "township", "乡镇街道"
    STATIONED = "stationed", "中央省驻菏单位"
    REFORM_OFFICE = "reform_office", "改革办"


def city_key(on_delete=models.PROTECT, **options) -> models.ForeignKey:
    """A big table's city government (`Unit.city` of what the row belongs to), filled by its writer from what it holds:
    the key a Citus deployment distributes by (docs/architecture.md, "Partitioning and distribution"). No index and
    no database foreign key: a per-row check on tables of millions, for a value copied from a row that has one."""
    return models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=on_delete,
        related_name="+",
        db_index=False,
        db_constraint=False,
        **options,
    )


class Unit(models.Model):
    """Any organisation in the tree. `path` is the chain of ids from the root, so a subtree is a prefix."""

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=80)
    short_name = models.CharField("简称", max_length=30, blank=True)
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    kind = models.CharField("类型", max_length=24, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    county = models.ForeignKey(
        "self",
        verbose_name="所属县区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="县区级及以下单位所属的县区政府；市级单位为空",
    )
    # The city government this unit belongs to (itself, for a city government), kept by `unit_save` from the tree;
    # empty for a province's own units. Cities are subtrees, so a city's staff see only their city.
    city = models.ForeignKey(
        "self",
        verbose_name="所属市",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    case_prefix = models.CharField(
        "工单编号前缀",
        max_length=4,
        blank=True,
        help_text="市人民政府填写：本市工单编号的字母前缀（如 HZ），2–4位大写字母，各市互不相同",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="分管领导/主要负责人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_units",
        help_text="绿色通道分签时承接的领导",
    )
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["case_prefix"], condition=~models.Q(case_prefix=""), name="unit_case_prefix_unique"
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if (
            self.pk
            and self.parent is not None
            and (self.parent_id == self.pk or self.parent.path.startswith(self.path))
        ):
            raise ValidationError({"parent": "上级单位不能是本单位或其下级单位"})
        if self.case_prefix and not CASE_PREFIX.fullmatch(self.case_prefix):
            raise ValidationError({"case_prefix": "工单编号前缀须为2–4位大写字母"})
        if self.case_prefix and not self.is_city_government:
            raise ValidationError({"case_prefix": "只有市人民政府设置工单编号前缀"})

    def save(self, *args, **kwargs):
        """Every save (the admin, the seed, `objects.create`) goes through the one writer of units."""
        from .services import unit_save

        unit_save(self, *args, **kwargs)

    @property
    def display_name(self):
        return self.short_name or self.name

    @property
    def is_city_government(self) -> bool:
        """A city's own government: the root of that city's subtree (and of the whole tree in a one-city deployment)."""
        return self.level == Level.CITY and self.kind == UnitKind.GOVERNMENT


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", "企业用户"
    HANDLER = "handler", "承办人员"
    UNIT_ADMIN = "unit_admin", "单位管理员"
    COORDINATOR = "coordinator", "吹哨办协调员"
    LEADER = "leader", "领导"
    # Reviews the indicator figures the units in its government's subtree report (indicators app).
    DATA_REVIEWER = "data_reviewer", "数据审核员"
    AUDITOR = "auditor", "审计员"
    REFORM_OFFICE = "reform_office", "改革办"
    SYSADMIN = "sysadmin", "系统管理员"
    # 执法人员: records inspections (行政检查) for their department; sees no cases (leniency/).
    INSPECTOR = "inspector", "执法人员"
    # 产业链推进办公室: keeps the maps, lists and investment pipeline of the chains it is named on (chains/).
    CHAIN_OFFICE = "chain_office", "产业链办公室"


class Membership(models.Model):
    """A user's role and scope: a unit subtree, or one enterprise."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    unit = models.ForeignKey(
        Unit, verbose_name="单位", null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    display_name = models.CharField("姓名", max_length=40, blank=True)
    phone = models.CharField("手机", max_length=20, blank=True)
    must_change_password = models.BooleanField(
        "须修改密码",
        default=False,
        help_text="下次登录时须先修改密码（管理员新建、批量导入的账号，以及仍使用演示密码的账号）",
    )

    class Meta:
        verbose_name = "用户角色"
        verbose_name_plural = "用户角色"
        constraints = [
            models.CheckConstraint(
                name="membership_scope_matches_role",
                condition=(
                    models.Q(role="enterprise", enterprise__isnull=False, unit__isnull=True)
                    | models.Q(
                        role__in=[
                            "handler",
                            "unit_admin",
                            "coordinator",
                            "leader",
                            "data_reviewer",
                            "reform_office",
                            "inspector",
                            "chain_office",
                        ],
                        unit__isnull=False,
                        enterprise__isnull=True,
                    )
                    | models.Q(role__in=["auditor", "sysadmin"], enterprise__isnull=True)
                ),
            )
        ]

    def __str__(self):
        return f"{self.display_name or self.user.username}（{self.get_role_display()}）"


class ThrottleScope(models.TextChoices):
    ACCOUNT = "account", "账号"
    ADDRESS = "address", "地址"


class LoginThrottle(models.Model):
    """Failed sign-ins counted per account name and per client address (an IPv6 /64); past a free number of
    failures each further attempt waits twice as long as the last, up to a cap (`org.throttle`).

    Keyed by a keyed hash, so a password typed into the username box is never kept; unknown account names
    are counted exactly like known ones, so the answers do not tell which accounts exist.
    """

    scope = models.CharField("类型", max_length=8, choices=ThrottleScope.choices)
    key_hash = models.CharField(max_length=64, editable=False)
    label = models.CharField("对象", max_length=80, blank=True, help_text="存在的账号显示用户名；地址显示网段")
    failures = models.PositiveIntegerField("失败次数", default=0)
    last_failure_at = models.DateTimeField("最近失败时间")
    blocked_until = models.DateTimeField("须等待至", null=True, blank=True)

    class Meta:
        verbose_name = "登录限速"
        verbose_name_plural = "登录限速"
        constraints = [models.UniqueConstraint(fields=["scope", "key_hash"], name="login_throttle_key_unique")]

    def __str__(self):
        return f"{self.get_scope_display()} {self.label}"


class ApiToken(models.Model):
    """A bearer token. Only its keyed hash is stored; the token itself is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=60, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API令牌"
        verbose_name_plural = "API令牌"

    def __str__(self):
        return f"{self.prefix}… ({self.user})"
