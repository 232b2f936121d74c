"""What the Open311 façade adds to cases: who may post (integrations), which jurisdiction it answers for,
the extra questions a service asks (its definition), and what came with each request beyond the case itself.

Services are the case categories; a request is a case with channel "open311". Nothing here duplicates a case.
"""

from django.db import models
from django.db.models import Q

from whistle.cases.models import Kind
from whistle.core.models import city_override


class Jurisdiction(models.Model):
    """A `jurisdiction_id` the endpoint answers to, and what discovery tells integrators about it.

    A request naming another jurisdiction gets 404; one naming none is served, as the spec allows for an
    endpoint of a single jurisdiction. `changed_at` is discovery's changeset: it moves whenever a category or a
    service definition changes, so clients know to refresh their cached services.
    """

    class EndpointType(models.TextChoices):
        PRODUCTION = "production", "正式"
        TEST = "test", "测试"

    code = models.CharField(
        "jurisdiction_id", max_length=100, unique=True, help_text="通常为城市的域名，例如 heze.gov.cn"
    )
    name = models.CharField("名称", max_length=60)
    contact = models.CharField("联系方式", max_length=200)
    key_service = models.CharField("申请 api_key 的办法", max_length=300)
    endpoint_type = models.CharField(
        "接口类型", max_length=10, choices=EndpointType.choices, default=EndpointType.PRODUCTION
    )
    changed_at = models.DateTimeField("服务目录更新时间", auto_now=True)
    # Empty: the whole deployment (every city's requests, the province's services). A city government: that city's
    # requests only, and the province's services with the city's own (issue 21).
    city = city_override(help_text="留空：整个部署；选择某市：只含该市的服务和请求")

    class Meta:
        verbose_name = "Open311 辖区"
        verbose_name_plural = "Open311 辖区"
        ordering = ["pk"]

    def __str__(self):
        return f"{self.name}（{self.code}）"


class Integration(models.Model):
    """A system allowed to raise cases through Open311 (a city app, a hotline, a dashboard).

    Only the keyed hash of its `api_key` is stored; the key is shown once, when the integration is created.
    Cases it raises fall in its county unless a request names another (`attribute[county]`).
    """

    name = models.CharField("接入方名称", max_length=60)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField("密钥前缀", max_length=8, editable=False)
    county = models.ForeignKey(
        "org.Unit",
        verbose_name="默认属地县区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "county", "kind__in": ["government", "zone"]},
        help_text="为空时每个请求须以 attribute[county] 指明县区编码",
    )
    kind = models.CharField("默认诉求类型", max_length=12, choices=Kind.choices, default=Kind.HELP)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "Open311 接入方"
        verbose_name_plural = "Open311 接入方"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name}（{self.prefix}…）"


class ServiceAttribute(models.Model):
    """One extra question of a service (a case category), published in its service definition."""

    class Datatype(models.TextChoices):
        STRING = "string", "单行文字"
        NUMBER = "number", "数字"
        DATETIME = "datetime", "日期时间"
        TEXT = "text", "多行文字"
        SINGLEVALUELIST = "singlevaluelist", "单选"
        MULTIVALUELIST = "multivaluelist", "多选"

    category = models.ForeignKey(
        "cases.Category", verbose_name="服务（问题分类）", on_delete=models.CASCADE, related_name="open311_attributes"
    )
    code = models.SlugField("编码", max_length=40)
    order = models.PositiveIntegerField("顺序", help_text="从 1 开始，同一服务内不重复")
    variable = models.BooleanField("需要填写", default=True, help_text="不勾选时只是展示给用户的说明文字")
    datatype = models.CharField("类型", max_length=16, choices=Datatype.choices, default=Datatype.STRING)
    required = models.BooleanField("必填", default=False)
    description = models.CharField("问题", max_length=200, help_text="展示给用户的问题或说明")
    datatype_description = models.CharField("填写提示", max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Open311 服务附加项"
        verbose_name_plural = "Open311 服务附加项"
        ordering = ["category", "order"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="open311_attribute_code_unique"),
            models.UniqueConstraint(fields=["category", "order"], name="open311_attribute_order_unique"),
            models.CheckConstraint(condition=Q(order__gte=1), name="open311_attribute_order_positive"),
            models.CheckConstraint(
                condition=Q(variable=True) | Q(required=False), name="open311_attribute_text_not_required"
            ),
        ]

    def __str__(self):
        return f"{self.category.code}/{self.code}"

    @property
    def is_list(self) -> bool:
        return self.datatype in (self.Datatype.SINGLEVALUELIST, self.Datatype.MULTIVALUELIST)


class AttributeValue(models.Model):
    """One choice of a single- or multi-value list."""

    attribute = models.ForeignKey(ServiceAttribute, on_delete=models.CASCADE, related_name="values")
    key = models.SlugField("取值编码", max_length=40)
    name = models.CharField("显示名称", max_length=100)
    order = models.PositiveIntegerField("顺序", default=1)

    class Meta:
        verbose_name = "选项"
        verbose_name_plural = "选项"
        ordering = ["attribute", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["attribute", "key"], name="open311_value_key_unique")]

    def __str__(self):
        return self.name


class ServiceRequest(models.Model):
    """What an Open311 POST brought besides the case: the integration, the answers, the location id, the media.

    Contact details live on the case (for the unit that calls back) and are never published; email is not kept.
    """

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="open311")
    integration = models.ForeignKey(
        Integration, verbose_name="接入方", on_delete=models.PROTECT, related_name="requests"
    )
    attributes = models.JSONField("附加项", default=dict, blank=True)
    address_id = models.CharField("地址编号", max_length=60, blank=True)
    media_url = models.URLField("媒体链接", max_length=500, blank=True)
    attachment = models.ForeignKey(
        "cases.CaseAttachment",
        verbose_name="上传的媒体",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    account_id = models.CharField(max_length=60, blank=True)
    device_id = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Open311 请求"
        verbose_name_plural = "Open311 请求"

    def __str__(self):
        return self.case.number
