from django.db import models


class Enterprise(models.Model):
    """A registered enterprise. The USCC is validated (GB 32100-2015 check character) before it is stored."""

    class Size(models.TextChoices):
        LARGE = "large", "大型"
        MEDIUM = "medium", "中型"
        SMALL = "small", "小型"
        MICRO = "micro", "微型"

    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("企业名称", max_length=120)
    county = models.ForeignKey("org.Unit", verbose_name="所属县区", on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey(
        "org.Unit", verbose_name="所属乡镇街道", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    industry = models.CharField("行业", max_length=60, blank=True)
    size = models.CharField("规模", max_length=8, choices=Size.choices, default=Size.SMALL)
    above_scale = models.BooleanField("规上企业", default=False)
    is_key = models.BooleanField("重点企业", default=False)
    address = models.CharField("地址", max_length=200, blank=True)
    contact_name = models.CharField("联系人", max_length=40, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    registered_at = models.DateTimeField("注册时间", auto_now_add=True)

    class Meta:
        verbose_name = "企业"
        verbose_name_plural = "企业"
        ordering = ["name"]

    def __str__(self):
        return self.name
