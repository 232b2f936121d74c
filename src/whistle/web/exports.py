"""The ledger export (台账导出): small ones inside the request, large ones as a job the worker runs.

One writer serves both: `write_ledger` streams the requester's ledger rows (the same selector and the same filter
form as the ledger page, so the file holds exactly what the page lists) into an .xlsx through core.sheets (past the
sheet limit it continues on 台账-1, 台账-2 …, never cuts) or into a CSV in GB18030, which Excel opens with Chinese
intact. Exports with more rows than the rule parameter `web.ledger_export_immediate_max` become a `LedgerExport`
row; the worker job `run_pending_exports` writes the file into settings.STORAGES (any web host can serve it) and
moves the row's progress as it goes; the page polls it. Only the requester, and coordinators whose subtree holds
the requester's unit, can see or download an export; anyone else gets the answer for a missing one.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import tempfile
import uuid

from django.conf import settings
from django.core.files import File
from django.db.models import OuterRef, Subquery
from django.db.models.fields.json import KT
from django.http import QueryDict
from django.utils import timezone

from whistle.cases.models import (
    Card,
    CaseEvent,
    EscalationLevel,
    Kind,
    Resolution,
    Satisfaction,
    State,
    Urgency,
    number_for,
)
from whistle.core import sheets
from whistle.core.errors import Invalid, NotFound
from whistle.core.rules import int_param
from whistle.org.models import Role
from whistle.org.scopes import Actor
from whistle.org.selectors import counties_for, units_for

from . import selectors as pages
from .forms import LedgerFilterForm
from .models import ExportFormat, ExportState, LedgerExport

log = logging.getLogger("whistle.exports")

IMMEDIATE_MAX_PARAM = "web.ledger_export_immediate_max"
PROGRESS_EVERY = 1000  # rows between two progress writes: a few per second, not one per row
STALE_AFTER = dt.timedelta(minutes=15)  # a running export silent this long lost its worker: it is queued again
SHEET_NAME = "台账"
UNIT_ROLES = (Role.HANDLER, Role.UNIT_ADMIN)

EXPORT_COLUMNS = [
    ("工单编号", "pk"),
    ("标题", "title"),
    ("诉求内容", "description"),
    ("诉求类型", "kind"),
    ("问题分类", "category__name"),
    ("企业", "enterprise__name"),
    ("联系人", "contact_name"),
    ("联系电话", "contact_phone"),
    ("属地县区", "county__name"),
    ("主办单位", "lead_unit__name"),
    ("状态", "state"),
    ("办理层级", "level"),
    ("紧急程度", "urgency"),
    ("预警", "card"),
    ("受理时间", "submitted_at"),
    ("当前环节截止", "next_due_at"),
    ("办结截止", "resolve_due_at"),
    ("是否超期", "is_open"),
    ("督办次数", "supervision_count"),
    ("退单次数", "returns_count"),
    ("重办次数", "reopen_count"),
    ("办理结果", "reply_content"),
    ("解决情况", "resolution"),
    ("满意度", "satisfaction"),
    ("回访时间", "followed_up_at"),
    ("关闭时间", "closed_at"),
]
LABELS = {
    "kind": dict(Kind.choices),
    "state": dict(State.choices),
    "level": dict(EscalationLevel.choices),
    "urgency": dict(Urgency.choices),
    "card": dict(Card.choices),
    "resolution": dict(Resolution.choices),
    "satisfaction": dict(Satisfaction.choices),
}
FIELDS = [f for _, f in EXPORT_COLUMNS]


# ---- the filters, as the ledger page reads them -------------------------------------------------------------


def ledger_views(actor: Actor):
    """A unit dispatches nothing and decides no extension: its ledger has the lists that concern it."""
    if actor.role in UNIT_ROLES:
        return [v for v in pages.LEDGER_VIEWS if v.key in ("overdue", "supervised", "open", "all")]
    return pages.LEDGER_VIEWS


def ledger_form(actor: Actor, data) -> LedgerFilterForm:
    return LedgerFilterForm(
        data, views=ledger_views(actor), counties=counties_for(actor), units=units_for(actor), city_id=actor.city_id
    )


def _query(filters: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, values in filters.items():
        query.setlist(name, values)
    return query


def ledger_rows(actor: Actor, filters: dict, now: dt.datetime):
    """The cleaned filters' rows of the actor's ledger, as value lists (the last two values are city_id and next_due_at)."""
    return (
        pages.ledger(actor, filters, now)
        .annotate(reply_content=_reply_content())
        .order_by("pk")
        .values_list(*FIELDS, "city_id", "next_due_at")
    )


def _reply_content():
    """办理结果: the lead unit's reply is the `content` of the case's reply event (the case row keeps only when it
    was replied); after a redo the latest reply is the result."""
    replies = CaseEvent.objects.filter(case=OuterRef("pk"), action="reply").order_by("-seq")
    return Subquery(replies.annotate(content=KT("payload__content")).values("content")[:1])


def immediate_max() -> int:
    return int_param(IMMEDIATE_MAX_PARAM)


# ---- writing ------------------------------------------------------------------------------------------------


def _cells(row: tuple, now: dt.datetime) -> list:
    out = []
    for field, value in zip(FIELDS, row):
        if field == "pk":
            out.append(number_for(value, row[-2]))  # the case's city's prefix
        elif field == "is_open":  # 是否超期: open and past the deadline of its current step (the row's last value)
            out.append("是" if value and row[-1] and row[-1] < now else "否")
        elif field in LABELS:
            out.append(LABELS[field].get(value, ""))
        else:
            out.append(value)
    return out


def write_ledger(
    rows, total: int, out, fmt: str, now: dt.datetime, *, max_rows: int | None = None, progress=None
) -> int:
    """Write `rows` (from `ledger_rows`) to the binary file `out`; `progress(done)` is called every PROGRESS_EVERY
    rows. Returns the number of rows written."""
    header = [title for title, _ in EXPORT_COLUMNS]
    done = 0
    if fmt == ExportFormat.CSV:
        # GB18030 covers every character (unlike GBK) and is what a Chinese Excel reads a CSV as by default.
        text = io.TextIOWrapper(out, encoding="gb18030", newline="", errors="strict")
        writer = sheets.csv_writer(text)
        writer.writerow(header)
        for row in rows:
            writer.writerow(_cells(row, now))
            done += 1
            if progress and done % PROGRESS_EVERY == 0:
                progress(done)
        text.flush()
        text.detach()
        return done
    book = sheets.Book(
        out,
        constant_memory=True,
        max_rows=max_rows or getattr(settings, "WHISTLE_SHEET_MAX_ROWS", sheets.EXCEL_MAX_ROWS),
    )
    sheet = book.sheet(SHEET_NAME, header, rows=total)
    for row in rows:
        sheet.row(_cells(row, now))
        done += 1
        if progress and done % PROGRESS_EVERY == 0:
            progress(done)
    book.close()
    return done


def filename(fmt: str, now: dt.datetime) -> str:
    return f"台账-{timezone.localtime(now):%Y%m%d-%H%M}.{fmt}"


def content_type(fmt: str) -> str:
    return sheets.XLSX if fmt == ExportFormat.XLSX else "text/csv; charset=gb18030"


# ---- the background export ----------------------------------------------------------------------------------


def export_start(actor: Actor, filters: dict[str, list[str]], fmt: str, total: int) -> LedgerExport:
    """Queue an export of the actor's ledger with these (already validated) filters."""
    if fmt not in ExportFormat.values:
        raise Invalid("导出格式只能是 xlsx 或 csv", code="invalid_format", field="format")
    return LedgerExport.objects.create(requester=actor.user, filters=filters, format=fmt, rows_total=total)


def export_get(actor: Actor, pk: int) -> LedgerExport:
    """An export the actor may see: their own, or (for a coordinator) one asked by someone of their subtree."""
    found = LedgerExport.objects.select_related("requester").filter(pk=pk).first()
    if found is not None and actor.user is not None:
        if found.requester_id == actor.user.pk:
            return found
        if actor.role == Role.COORDINATOR:
            other = Actor.of(found.requester)
            if other.unit is not None and actor.covers(other.unit):
                return found
    raise NotFound("该导出不存在", code="export_not_found")


def _run(export: LedgerExport, now: dt.datetime) -> None:
    actor = Actor.of(export.requester)
    if actor.role is None:
        raise Invalid("申请人已无角色，不能导出", code="no_role")
    form = ledger_form(actor, _query(export.filters))
    if not form.is_valid():
        raise Invalid(
            "筛选条件已失效：" + "；".join(str(e) for errs in form.errors.values() for e in errs),
            code="invalid_filters",
        )
    rows = ledger_rows(actor, form.cleaned_data, now)
    total = rows.count()
    LedgerExport.objects.filter(pk=export.pk).update(rows_total=total, rows_done=0, updated_at=timezone.now())

    def progress(done):
        LedgerExport.objects.filter(pk=export.pk).update(
            rows_done=done, rows_total=max(total, done), updated_at=timezone.now()
        )

    with tempfile.TemporaryFile() as out:
        done = write_ledger(rows.iterator(chunk_size=2000), total, out, export.format, now, progress=progress)
        out.seek(0)
        export.file.save(f"ledger-{export.pk}-{uuid.uuid4().hex[:12]}.{export.format}", File(out), save=False)
    LedgerExport.objects.filter(pk=export.pk).update(
        file=export.file.name, state=ExportState.DONE, rows_done=done, rows_total=done, finished_at=timezone.now()
    )


def run_pending_exports(now: dt.datetime) -> dict:
    """Worker job: write every queued ledger export. A row is claimed by a conditional UPDATE, so two workers never
    write the same export; one that fails is marked failed with its reason and the others go on."""
    LedgerExport.objects.filter(state=ExportState.RUNNING, updated_at__lt=now - STALE_AFTER).update(
        state=ExportState.QUEUED
    )
    done = failed = 0
    for pk in list(LedgerExport.objects.filter(state=ExportState.QUEUED).order_by("pk").values_list("pk", flat=True)):
        if not LedgerExport.objects.filter(pk=pk, state=ExportState.QUEUED).update(
            state=ExportState.RUNNING, started_at=timezone.now(), updated_at=timezone.now()
        ):
            continue  # another worker took it
        export = LedgerExport.objects.select_related("requester").get(pk=pk)
        try:
            _run(export, now)
            done += 1
        except Exception as exc:  # noqa: BLE001 — one bad export must not stop the others
            log.exception("ledger export %s failed", pk)
            reason = exc.detail if isinstance(exc, Invalid) else "导出失败，请重试或联系管理员"
            LedgerExport.objects.filter(pk=pk).update(
                state=ExportState.FAILED, error=reason[:500], finished_at=timezone.now()
            )
            failed += 1
    return {"exports_done": done, "exports_failed": failed}
