"""The one table of the pages layer: a ledger export (台账导出) that runs in the worker.

It lives here because the ledger it exports does: its filter form and its selector are the pages' (web.forms,
web.selectors); see docs/architecture.md.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ExportState(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", "Excel (.xlsx)"
    CSV = "csv", "CSV（GB18030，Excel 可直接打开）"


def export_path(instance, filename):
    # ASCII names in storage (an S3 key, a file name on any file system); the Chinese name is given at download.
    return f"exports/{instance.requester_id}/{filename}"


class LedgerExport(models.Model):
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="申请人"
    )
    # The ledger's query string as submitted (lists of values by name): the worker validates it again with the
    # requester's own filter form, so the file holds exactly what the requester's ledger page lists.
    filters = models.JSONField("筛选条件", default=dict)
    format = models.CharField("格式", max_length=8, choices=ExportFormat.choices, default=ExportFormat.XLSX)
    state = models.CharField(
        "状态", max_length=10, choices=ExportState.choices, default=ExportState.QUEUED, db_index=True
    )
    rows_total = models.PositiveIntegerField("总行数", default=0)
    rows_done = models.PositiveIntegerField("已写行数", default=0)
    file = models.FileField("文件", upload_to=export_path, blank=True)
    error = models.CharField("错误", max_length=500, blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    # Moved on every progress step: a running export whose worker died is found by its silence.
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "台账导出"
        verbose_name_plural = "台账导出"
        ordering = ["-pk"]

    def __str__(self):
        return f"台账导出 {self.pk}（{self.get_state_display()}）"

    @property
    def finished(self) -> bool:
        return self.state in (ExportState.DONE, ExportState.FAILED)

    @property
    def percent(self) -> int:
        return (
            100
            if self.state == ExportState.DONE
            else (100 * self.rows_done // self.rows_total if self.rows_total else 0)
        )

    @property
    def download_name(self) -> str:
        return f"台账-{timezone.localtime(self.created_at):%Y%m%d-%H%M}-{self.pk}.{self.format}"
