"""`whistle ratings import FILE`: ratings from other 好差评 systems (CSV, JSONL, .xlsx), streamed in batches.

Each batch is one transaction that inserts its new ratings and adds them to the rollups, so a killed import leaves
whole batches behind and a rerun skips what is already in (idempotent on `external_id`): nothing is counted twice and
nothing is lost. Rows that cannot go in are written to a rejects file (line number and a Chinese reason) while the
good rows go in. Format: docs/ratings-import.md.

Per-row checks (format, level, time, channel, tags, phone) run here in Python for both databases. The checks across
rows — the external id already imported or repeated in the file, the case number already rated (一事一评) — are set
based: on PostgreSQL the batch is COPied into a staging table and decided with a few statements
(`INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`, feeding the rollup increment in the same statement); on SQLite
the batch is looked up with `IN (…)` queries and inserted with executemany.

Imported ratings come from systems that already ran their own rate limits and handled their poor ratings, so they
are never flagged as a burst and a poor one opens no rectification case here (they count in the rollups and the
aggregates; the call-back and rectification rates cover the poor ratings rectified in whistle)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import zoneinfo
from dataclasses import dataclass, field
from typing import Iterator

from django.db import connection, transaction

from whistle.cases.services import PHONE_RE
from whistle.core.hashing import keyed_hash

from . import rollups
from .models import Cadre, Level, Rating, RatingChannel, RollupKind, Tag, Window
from .services import CASE_NUMBER_RE, COMMENT_MAX, mask_phone

COLUMNS = ("external_id", "target", "level", "rated_at", "channel", "tags", "comment", "case_number", "phone")
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
EXTERNAL_ID_MAX = 64
DEFAULT_BATCH = 100_000  # rows a transaction; the rollup upsert per batch touches at most targets × months rows
LEVEL_NAMES = {label: value for value, label in Level.choices}
CHANNEL_NAMES = {label: value for value, label in RatingChannel.choices}
TAG_NAMES = {label: value for value, label in Tag.choices}
TAG_SPLIT = re.compile(r"[;；|、,，]")
RATINGS = Rating._meta.db_table
INSERT_COLUMNS = ("cadre_id", "window_id", "unit_id", "level", "tags", "comment", "case_number", "external_id",
                  "rater_phone_hash", "rater_phone_masked", "channel", "created_at", "device_hash", "network_hash",
                  "counted", "status", "review_reason")


class Reject(Exception):
    """A row that cannot go in; the message is the reason written to the rejects file."""


@dataclass
class Result:
    rows: int = 0
    inserted: int = 0
    skipped: int = 0
    rejected: int = 0
    rejects_path: str = ""


@dataclass
class Row:
    line: int
    external_id: str
    kind: str
    target_id: int
    unit_id: int
    level: int
    tags: str  # JSON
    comment: str
    case_number: str
    phone_hash: str
    phone_masked: str
    channel: str
    created_at: dt.datetime  # aware, Beijing
    month: dt.date = field(init=False)

    def __post_init__(self):
        self.month = self.created_at.date().replace(day=1)

    @property
    def key(self):
        return (self.kind, self.target_id, self.unit_id, self.month)


# ---- reading --------------------------------------------------------------------------------------------------

def _read_csv(path: str, progress) -> Iterator[tuple[int, dict]]:
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        _check_header(reader.fieldnames)
        last = 0
        for record in reader:
            yield reader.line_num, record
            if reader.line_num - last >= 5000:
                progress(raw.tell())
                last = reader.line_num
        progress(raw.tell())


def _read_jsonl(path: str, progress) -> Iterator[tuple[int, dict]]:
    with open(path, "rb") as raw:
        for number, line in enumerate(raw, start=1):
            if number % 5000 == 0:
                progress(raw.tell())
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            yield number, record if isinstance(record, dict) else {"__invalid__": "此行不是 JSON 对象"}
        progress(raw.tell())


def _read_xlsx(path: str, progress) -> Iterator[tuple[int, dict]]:
    """The first sheet of a workbook. calamine holds one sheet in memory while rows are handed out; a sheet is bounded
    (1,048,576 rows), so the 11 million arrive as CSV or JSONL, which are streamed."""
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(path).get_sheet_by_index(0)
    except Exception:  # calamine raises its own error types for anything that is not a workbook
        raise ValueError("无法读取工作簿，请使用 .xlsx 格式") from None
    rows = sheet.iter_rows()
    header = [_text({"v": h}, "v") for h in next(rows, ())]
    _check_header(header)
    number = 1
    for number, values in enumerate(rows, start=2):
        if number % 5000 == 0:
            progress(number)
        if all(v in (None, "") for v in values):
            continue
        yield number, dict(zip(header, values))
    progress(number)


def _check_header(names) -> None:
    missing = [c for c in ("external_id", "target", "level", "rated_at") if c not in (names or ())]
    if missing:
        raise ValueError("文件缺少列：" + "、".join(missing) + "（格式见 docs/ratings-import.md）")


READERS = {".csv": _read_csv, ".jsonl": _read_jsonl, ".ndjson": _read_jsonl, ".xlsx": _read_xlsx}


# ---- one row ----------------------------------------------------------------------------------------------------

def _text(record: dict, name: str) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _when(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = str(value or "").strip()
        if not text:
            raise Reject("缺少评价时间")
        try:
            moment = dt.datetime.fromisoformat(text.replace("/", "-"))
        except ValueError:
            raise Reject(f"评价时间格式不正确：{text[:40]}（应为 2026-11-03 10:00:00 或带时区的 ISO 8601）") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=BEIJING)
    return moment.astimezone(BEIJING)


def parse(line: int, record: dict, targets: dict) -> Row:
    if "__invalid__" in record:
        raise Reject(record["__invalid__"])
    external_id = _text(record, "external_id")
    if not external_id:
        raise Reject("缺少外部评价编号")
    if len(external_id) > EXTERNAL_ID_MAX:
        raise Reject(f"外部评价编号超过{EXTERNAL_ID_MAX}位")
    code = _text(record, "target")
    found = targets.get(code)
    if found is None:
        raise Reject(f"亮码编号不存在或已停用：{code[:40]}" if code else "缺少被评干部或窗口的亮码编号")
    level_text = _text(record, "level")
    level = LEVEL_NAMES.get(level_text) or (int(level_text) if level_text.isdigit() else 0)
    if level not in (1, 2, 3, 4, 5):
        raise Reject(f"评价等级须为1–5或“非常满意”等五级名称：{level_text[:20]}")
    created_at = _when(record.get("rated_at"))
    channel_text = _text(record, "channel") or RatingChannel.QR
    channel = CHANNEL_NAMES.get(channel_text, channel_text)
    if channel not in RatingChannel.values:
        raise Reject(f"评价渠道不正确：{channel_text[:20]}")
    tags = []
    for tag in TAG_SPLIT.split(_text(record, "tags")):
        tag = tag.strip()
        if tag:
            tag = TAG_NAMES.get(tag, tag)
            if tag not in Tag.values:
                raise Reject(f"评价标签不正确：{tag[:20]}")
            tags.append(tag)
    comment = _text(record, "comment")
    if len(comment) > COMMENT_MAX:
        raise Reject(f"评价意见不能超过{COMMENT_MAX}字")
    case_number = _text(record, "case_number")
    if case_number and not CASE_NUMBER_RE.match(case_number):
        raise Reject("办件编号只能由字母、数字和“-”组成，最长40位")
    phone = _text(record, "phone").replace(" ", "")
    if phone and not PHONE_RE.match(phone):
        raise Reject("评价人电话不正确（11位手机号或区号-号码）")
    kind, target_id, unit_id = found
    return Row(line, external_id, kind, target_id, unit_id, level, json.dumps(tags), comment, case_number,
               keyed_hash(phone) if phone else "", mask_phone(phone) if phone else "", channel, created_at)


def active_targets() -> dict[str, tuple[str, int, int]]:
    """card code → (kind, id, unit id) of every active cadre and window (thousands, not millions)."""
    found = {}
    for model, kind in ((Window, RollupKind.WINDOW.value), (Cadre, RollupKind.CADRE.value)):
        for code, pk, unit_id in model.objects.filter(is_active=True).values_list("card_code", "pk", "unit_id"):
            found[code] = (kind, pk, unit_id)
    return found


# ---- one batch --------------------------------------------------------------------------------------------------

CASE_TAKEN = "该办件已评价过（一事一评）"


def _sqlite_batch(rows: list[Row]) -> tuple[int, int, list[tuple[int, str, str]]]:
    """Returns (inserted, skipped, rejects)."""
    def existing(column, values):
        values, found = list(values), set()
        with connection.cursor() as cursor:
            for i in range(0, len(values), 500):
                chunk = values[i:i + 500]
                cursor.execute(f"SELECT {column} FROM {RATINGS} WHERE {column} IN ({', '.join(['%s'] * len(chunk))})", chunk)
                found.update(v for (v,) in cursor.fetchall())
        return found

    rows, in_batch_skipped, in_batch_rejects = _in_batch(rows)
    seen = existing("external_id", {r.external_id for r in rows})
    taken = existing("case_number", {r.case_number for r in rows if r.case_number})
    fresh, rejects, skipped = [], list(in_batch_rejects), in_batch_skipped
    for row in rows:
        if row.external_id in seen:
            skipped += 1
        elif row.case_number in taken:
            rejects.append((row.line, row.external_id, CASE_TAKEN))
        else:
            fresh.append(row)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {RATINGS} ({', '.join(INSERT_COLUMNS)}) VALUES ({', '.join(['%s'] * len(INSERT_COLUMNS))})",
            [(r.target_id if r.kind == "c" else None, r.target_id if r.kind == "w" else None, r.unit_id, r.level, r.tags,
              r.comment, r.case_number, r.external_id, r.phone_hash, r.phone_masked, r.channel, adapt(r.created_at),
              "", "", True, "counted", "") for r in fresh])
    rollups.bump(rollups.delta_of((r.kind, r.target_id, r.unit_id, r.month, r.level) for r in fresh))
    return len(fresh), skipped, sorted(rejects)


STAGE = "rating_import_stage"
STAGE_COLUMNS = ("line", "external_id", "kind", "target_id", "unit_id", "level", "tags", "comment", "case_number",
                 "phone_hash", "phone_masked", "channel", "created_at")


def _pg_stage(cursor) -> None:
    cursor.execute(f"""CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
        line bigint, external_id text, kind char(1), target_id int, unit_id bigint, level smallint, tags jsonb,
        comment text, case_number text, phone_hash text, phone_masked text, channel text, created_at timestamptz,
        verdict text) ON COMMIT DELETE ROWS""")
    cursor.execute(f"TRUNCATE {STAGE}")  # also when the import runs inside an outer transaction (tests, callers)


def _in_batch(rows: list[Row]) -> tuple[list[Row], int, list[tuple[int, str, str]]]:
    """Within one batch: a repeated external id is the same rating (skipped), a repeated case number is refused."""
    ids, cases, kept, skipped, rejects = set(), set(), [], 0, []
    for row in rows:
        if row.external_id in ids:
            skipped += 1
            continue
        ids.add(row.external_id)
        if row.case_number:
            if row.case_number in cases:
                rejects.append((row.line, row.external_id, CASE_TAKEN))
                continue
            cases.add(row.case_number)
        kept.append(row)
    return kept, skipped, rejects


def _pg_batch(rows: list[Row]) -> tuple[int, int, list[tuple[int, str, str]]]:
    rows, skipped, rejects = _in_batch(rows)
    with connection.cursor() as cursor:
        _pg_stage(cursor)
        with cursor.cursor.copy(f"COPY {STAGE} ({', '.join(STAGE_COLUMNS)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row((r.line, r.external_id, r.kind, r.target_id, r.unit_id, r.level, r.tags, r.comment,
                                r.case_number, r.phone_hash, r.phone_masked, r.channel, r.created_at))
        # Set-based against the ratings already stored (one index probe a row): imported before → skipped (the same
        # rating); its case number rated before → refused (一事一评).
        cursor.execute(f"""UPDATE {STAGE} s SET verdict = 'skip'
            WHERE EXISTS (SELECT 1 FROM {RATINGS} r WHERE r.external_id = s.external_id AND r.external_id <> '')""")
        already = cursor.rowcount
        cursor.execute(f"""UPDATE {STAGE} s SET verdict = 'case' WHERE verdict IS NULL AND s.case_number <> ''
            AND EXISTS (SELECT 1 FROM {RATINGS} r WHERE r.case_number = s.case_number AND r.case_number <> '')""")
        month = "(date_trunc('month', created_at AT TIME ZONE 'Asia/Shanghai'))::date"
        cursor.execute(f"""
            WITH ins AS (
              INSERT INTO {RATINGS} ({', '.join(INSERT_COLUMNS)})
              SELECT CASE WHEN kind = 'c' THEN target_id END, CASE WHEN kind = 'w' THEN target_id END, unit_id, level,
                     tags, comment, case_number, external_id, phone_hash, phone_masked, channel, created_at, '', '',
                     true, 'counted', ''
              FROM {STAGE} WHERE verdict IS NULL ORDER BY line
              ON CONFLICT DO NOTHING
              RETURNING cadre_id, window_id, unit_id, level, created_at),
            up AS (
              INSERT INTO {rollups.TABLE} (kind, target_id, unit_id, month, n1, n2, n3, n4, n5)
              SELECT CASE WHEN cadre_id IS NOT NULL THEN 'c' ELSE 'w' END, COALESCE(cadre_id, window_id), unit_id, {month},
                     {', '.join(f'count(*) FILTER (WHERE level = {n})' for n in rollups.LEVELS)}
              FROM ins GROUP BY 1, 2, 3, 4
              ON CONFLICT (kind, target_id, unit_id, month) DO UPDATE SET
                {', '.join(f'n{n} = {rollups.TABLE}.n{n} + excluded.n{n}' for n in rollups.LEVELS)})
            SELECT count(*) FROM ins""")
        inserted = cursor.fetchone()[0]
        cursor.execute(f"SELECT line, external_id FROM {STAGE} WHERE verdict = 'case' ORDER BY line")
        taken = [(line, external_id, CASE_TAKEN) for line, external_id in cursor.fetchall()]
    # A row lost to a live submission's case number between the check and the insert is neither in nor refused:
    # it counts as skipped, so the totals always add up.
    lost = len(rows) - already - len(taken) - inserted
    return inserted, skipped + already + lost, sorted(rejects + taken)


# ---- the import -------------------------------------------------------------------------------------------------

def import_file(path: str, *, rejects_path: str | None = None, batch_size: int | None = None, progress: bool = True) -> Result:
    suffix = os.path.splitext(path)[1].lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise ValueError("只支持 .csv、.jsonl、.xlsx 文件")
    if not os.path.exists(path):
        raise ValueError(f"文件不存在：{path}")
    batch_size = batch_size or DEFAULT_BATCH
    result = Result(rejects_path=rejects_path or path + ".rejects.csv")
    apply = _pg_batch if connection.vendor == "postgresql" else _sqlite_batch
    targets = active_targets()

    from tqdm import tqdm

    if suffix == ".xlsx":
        bar = tqdm(unit="行", desc="导入评价", disable=not progress)
        total = None
    else:
        total = os.path.getsize(path)
        bar = tqdm(total=total, unit="B", unit_scale=True, desc="导入评价", disable=not progress)

    def advance(position):
        bar.update(position - bar.n)

    with open(result.rejects_path, "w", encoding="utf-8-sig", newline="") as rejects_file:
        rejects = csv.writer(rejects_file)
        rejects.writerow(["行号", "外部评价编号", "原因"])
        batch: list[Row] = []

        def flush():
            with transaction.atomic():
                inserted, skipped, refused = apply(batch)
            result.inserted += inserted
            result.skipped += skipped
            result.rejected += len(refused)
            rejects.writerows(refused)
            batch.clear()

        for line, record in reader(path, advance):
            result.rows += 1
            try:
                batch.append(parse(line, record, targets))
            except Reject as reason:
                result.rejected += 1
                rejects.writerow([line, _text(record, "external_id") if isinstance(record, dict) else "", str(reason)])
            if len(batch) >= batch_size:
                flush()
                rejects_file.flush()
        if batch:
            flush()
    bar.close()
    return result
