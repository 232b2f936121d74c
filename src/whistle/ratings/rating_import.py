"""`whistle ratings import FILE`: ratings from other 好差评 systems (CSV, JSONL, .xlsx), streamed in batches.

Each batch is one transaction that inserts its new ratings and adds them to the rollups, so a killed import leaves
whole batches behind and a rerun skips what is already in (idempotent on `external_id`): nothing is counted twice and
nothing is lost. Rows that cannot go in are written to a rejects file (line number and a Chinese reason) while the
good rows go in. Format: docs/ratings-import.md.

Per-row checks (format, level, time, channel, tags, phone) run here in Python for both databases; the checks across
rows — the external id already imported or repeated in the file, the case number already rated (一事一评) — are the
database's unique indexes.

On PostgreSQL a batch is streamed, as it is read, by `COPY … FROM STDIN` straight into the ratings table, from a
writer thread, so reading and checking rows in Python (one core) overlaps with the server storing them (the other);
the batch's rollup deltas are counted on the way and upserted in one statement before the commit. That is the fast
path, and the common case: a fresh file. When the COPY hits a unique index (a rerun after a kill, the same file twice,
an external id repeated in the file, a case number already rated), the batch is rolled back and decided set-based
instead: its rows, kept as COPY text, go to a staging table, where the ones already in or repeated are skipped and the
case numbers already rated are refused, and the rest is inserted with `ON CONFLICT DO NOTHING` feeding the rollups in
the same statement. On SQLite the batch is looked up with `IN (…)` queries and inserted with executemany.

Imported ratings come from systems that already ran their own rate limits and handled their poor ratings, so they
are never flagged as a burst and a poor one opens no rectification case here (they count in the rollups and the
aggregates; the call-back and rectification rates cover the poor ratings rectified in whistle)."""

from __future__ import annotations

import array
import datetime as dt
import functools
import json
import os
import re
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction

from whistle.cases.models import prefixes_held
from whistle.core import inputs, sheets, tables
from whistle.core.errors import Invalid
from whistle.core.hashing import keyed_hash

from . import rating_rollup
from .models import Cadre, Level, Rating, RatingChannel, RatingKey, RollupKind, Tag, Window
from .services import (
    clean_case_number,
    clean_channel,
    clean_comment,
    clean_level,
    clean_rater_phone,
    clean_tags,
    mask_phone,
)

COLUMNS = ("external_id", "target", "level", "rated_at", "channel", "tags", "comment", "case_number", "phone")
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
EXTERNAL_ID_MAX = 64
DEFAULT_BATCH = 500_000  # good rows a transaction (PostgreSQL keeps the batch's COPY text, ~40 MB, for a retry)
SQLITE_BATCH = 20_000
# A file may spell levels, channels and tags by their Chinese names; the values are then checked by the ratings'
# one validation (services.clean_level …), the same as the public form's and the API's.
LEVEL_NAMES = {label: str(value) for value, label in Level.choices}
CHANNEL_NAMES = {label: value for value, label in RatingChannel.choices}
TAG_NAMES = {label: value for value, label in Tag.choices}
TAG_SPLIT = re.compile(r"[;；|、,，]")
RATINGS = Rating._meta.db_table
KEYS = RatingKey._meta.db_table
# What an imported rating sets; the other columns take their database defaults (counted, no device, no review).
INSERT_COLUMNS = (
    "cadre_id",
    "window_id",
    "unit_id",
    "city_id",
    "level",
    "tags",
    "comment",
    "case_number",
    "external_id",
    "rater_phone_hash",
    "rater_phone_masked",
    "channel",
    "created_at",
)
# COPY's text format: these four characters are escaped, NULL is \N.
COPY_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
CASE_TAKEN = "该办件已评价过（一事一评）"
NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
WHITESPACE = " \t\r\n\u3000"


class Reject(Exception):
    """A row that cannot go in; the message is the reason written to the rejects file."""


@dataclass
class Result:
    rows: int = 0
    inserted: int = 0
    skipped: int = 0
    rejected: int = 0
    rejects_path: str = ""


class Target:
    """A cadre or window rated in the file. Compared and hashed by identity: one object per card code."""

    __slots__ = ("kind", "id", "unit_id", "city_id", "copy_head")

    def __init__(self, kind: str, id: int, unit_id: int, city_id: int | None = None):
        self.kind, self.id, self.unit_id, self.city_id = kind, id, unit_id, city_id
        # cadre_id, window_id, unit_id and the unit's city_id as the start of a COPY text line
        city = "\\N" if city_id is None else city_id
        self.copy_head = (
            f"{id}\t\\N\t{unit_id}\t{city}\t" if kind == RollupKind.CADRE else f"\\N\t{id}\t{unit_id}\t{city}\t"
        )


# A checked row, as a plain tuple (millions of them): its fields by position. COPY_TEXT is the row as a line of COPY
# text in INSERT_COLUMNS order; MONTH is its rollup key (target, year, month).
(
    LINE,
    EXTERNAL_ID,
    TARGET,
    LEVEL,
    TAGS,
    COMMENT,
    CASE_NUMBER,
    PHONE_HASH,
    PHONE_MASKED,
    CHANNEL,
    MOMENT,
    COPY_TEXT,
    MONTH,
) = range(13)
QR = RatingChannel.QR.value


# ---- reading: each reader yields (line number, the COLUMNS as stripped text) --------------------------------------


def _read_table(path: str, progress) -> Iterator[tuple[int, tuple]]:
    """A CSV (UTF-8 or GB18030) or the first sheet of a workbook, through the one table reader (core.tables, whose
    `Unreadable` is a ValueError). CSV values come as the file has them (parse strips what it reads); a workbook's
    cells as their text."""
    table = tables.first(path, columns=COLUMNS, progress=progress)
    _check_header(table.header)
    if table.kind == "xlsx":
        return ((number, tuple(_text(v) for v in values)) for number, values in table.rows)
    return table.rows


def _read_jsonl(path: str, progress) -> Iterator[tuple[int, tuple | str]]:
    """A line that is not a JSON object yields the reason instead of the values."""
    with open(path, "rb") as raw:
        for number, line in enumerate(raw, start=1):
            if number % 20_000 == 0:
                progress(raw.tell())
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict):
                yield number, tuple(_text(record.get(name)) for name in COLUMNS)
            else:
                yield number, "此行不是 JSON 对象"
        progress(raw.tell())


def _check_header(names) -> None:
    missing = [c for c in ("external_id", "target", "level", "rated_at") if c not in (names or ())]
    if missing:
        raise ValueError("文件缺少列：" + "、".join(missing) + "（格式见 docs/ratings-import.md）")


READERS = {".csv": _read_table, ".jsonl": _read_jsonl, ".ndjson": _read_jsonl, ".xlsx": _read_table}


_text = inputs.cell_text


# ---- one row ----------------------------------------------------------------------------------------------------


def _when(text: str) -> dt.datetime:
    """A naive time is Beijing time (returned naive); one with an offset is returned in Beijing."""
    if not text:
        raise Reject("缺少评价时间")
    try:
        moment = dt.datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise Reject(f"评价时间格式不正确：{text[:40]}（应为 2026-11-03 10:00:00 或带时区的 ISO 8601）") from None
    return moment if moment.tzinfo is None else moment.astimezone(BEIJING)


def _checked(text: str, names: dict, clean: Callable, reason: str):
    """A value as the file spells it (its value or its Chinese name), through the ratings' one validation."""
    text = text.strip()
    try:
        return clean(names.get(text, text))
    except Invalid:
        raise Reject(f"{reason}：{text[:20]}") from None


@functools.lru_cache(maxsize=256)
def _level(text: str) -> int:
    """A file has few distinct spellings of a level or a channel: each is checked once (a Reject is not cached)."""
    return _checked(text, LEVEL_NAMES, clean_level, "评价等级须为1–5或“非常满意”等五级名称")


@functools.lru_cache(maxsize=256)
def _channel(text: str) -> str:
    return _checked(text, CHANNEL_NAMES, clean_channel, "评价渠道不正确") if text.strip() else QR


@functools.lru_cache(maxsize=10_000)
def _tags(text: str) -> str:
    """The tags as JSON (a file has few distinct tag texts, so each is checked once; a Reject is not cached)."""
    tags = []
    for tag in TAG_SPLIT.split(text):
        tag = tag.strip()
        if tag:
            tags += _checked(tag, TAG_NAMES, lambda value: clean_tags([value]), "评价标签不正确")
    return json.dumps(tags)


def parse(line: int, values: tuple | str, targets: dict[str, Target]) -> tuple:
    """One row's checks; returns the row (fields at LINE … MOMENT) or raises Reject with the reason."""
    if isinstance(values, str):
        raise Reject(values)
    external_id, code, level_text, rated_at, channel_text, tags_text, comment, case_number, phone = values
    if external_id[-1:] in WHITESPACE or external_id[:1] in WHITESPACE:
        external_id = external_id.strip()
    if not external_id:
        raise Reject("缺少外部评价编号")
    if len(external_id) > EXTERNAL_ID_MAX:
        raise Reject(f"外部评价编号超过{EXTERNAL_ID_MAX}位")
    target = targets.get(code) or targets.get(code.strip())
    if target is None:
        code = code.strip()
        raise Reject(f"亮码编号不存在或已停用：{code[:40]}" if code else "缺少被评干部或窗口的亮码编号")
    level = _level(level_text)
    moment = _when(rated_at.strip())
    channel = _channel(channel_text) if channel_text else QR
    tags = _tags(tags_text) if tags_text else "[]"
    try:  # the ratings' one validation; a case number has one spelling, as on the card (一事一评)
        if comment:
            comment = clean_comment(comment)
        if case_number:
            case_number = clean_case_number(case_number)
    except Invalid as problem:
        raise Reject(problem.detail) from None
    phone_hash = phone_masked = ""
    if phone:
        try:
            phone = clean_rater_phone(phone)
        except Invalid:
            raise Reject("评价人电话不正确（11位手机号或区号-号码）") from None
        phone_hash, phone_masked = keyed_hash(phone), mask_phone(phone)
    if moment.tzinfo is not None:
        created = moment.isoformat(" ")
    elif len(rated_at) == 19 and rated_at[10] == " " and rated_at[4] == "-":
        created = rated_at + "+08:00"  # already "YYYY-MM-DD HH:MM:SS", and a valid time (fromisoformat took it)
    else:
        created = moment.isoformat(" ") + "+08:00"
    escaped = external_id.translate(COPY_ESCAPE) if NEEDS_ESCAPE.search(external_id) else external_id
    text = comment.translate(COPY_ESCAPE) if comment and NEEDS_ESCAPE.search(comment) else comment
    copy_text = (
        f"{target.copy_head}{level}\t{tags}\t{text}\t{case_number}\t{escaped}\t{phone_hash}\t{phone_masked}\t"
        f"{channel}\t{created}\n"
    )
    return (
        line,
        external_id,
        target,
        level,
        tags,
        comment,
        case_number,
        phone_hash,
        phone_masked,
        channel,
        moment,
        copy_text,
        (target, moment.year, moment.month),
    )


def active_targets() -> dict[str, Target]:
    """card code → target of every active cadre and window (thousands, not millions)."""
    found = {}
    for model, kind in ((Window, RollupKind.WINDOW.value), (Cadre, RollupKind.CADRE.value)):
        rows = model.objects.filter(is_active=True).values_list("card_code", "pk", "unit_id", "unit__city_id")
        for code, pk, unit_id, city_id in rows:
            found[code] = Target(kind, pk, unit_id, city_id)
    return found


# ---- a batch ----------------------------------------------------------------------------------------------------


class Batches:
    """Reads the file and hands the good rows to the database a batch at a time, bad rows to the rejects file."""

    def __init__(self, records: Iterator, targets: dict[str, Target], size: int, result: Result, reject: Callable):
        self.records, self.targets, self.size, self.result, self.reject = records, targets, size, result, reject
        self.exhausted = False

    def rows(self) -> Iterator[tuple]:
        """The next batch's good rows, as they are read."""
        taken = 0
        for line, values in self.records:
            self.result.rows += 1
            try:
                row = parse(line, values, self.targets)
            except Reject as reason:
                self.reject(line, values[0] if isinstance(values, tuple) else "", str(reason))
                continue
            yield row
            taken += 1
            if taken >= self.size:
                return
        self.exhausted = True


class _Conflict(Exception):
    """The fast path met a unique index: decide the batch row by row instead."""


COPY_CHUNK = 2000  # rows a write to the COPY stream


def _pg_batch(rows: Iterator[tuple]) -> tuple[int, int, list[tuple[int, str, str]]]:
    """Returns (inserted, skipped, rejects)."""
    import psycopg
    from psycopg.copy import QueuedLibpqWriter

    text: list[bytes] = []  # the batch as COPY text, chunk by chunk, kept for the careful path
    lines = array.array("q")  # the file line of each row, in order
    deltas: dict[tuple, list[int]] = {}  # (target, year, month) → [n1..n5], counted as rows are read
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                raw = cursor.cursor
                with raw.copy(
                    f"COPY {RATINGS} ({', '.join(INSERT_COLUMNS)}) FROM STDIN", writer=QueuedLibpqWriter(raw)
                ) as copy:
                    chunk = []
                    get = deltas.get  # the loop runs millions of times: rating_rollup.delta_of's counting, inlined
                    for row in rows:
                        chunk.append(row[COPY_TEXT])
                        lines.append(row[LINE])
                        counts = get(row[MONTH])
                        if counts is None:
                            counts = deltas[row[MONTH]] = [0, 0, 0, 0, 0]
                        counts[row[LEVEL] - 1] += 1
                        if len(chunk) >= COPY_CHUNK:
                            text.append("".join(chunk).encode())
                            copy.write(text[-1])
                            chunk = []
                    if chunk:
                        text.append("".join(chunk).encode())
                        copy.write(text[-1])
                if not lines:
                    return 0, 0, []
                _pg_upsert_rollups(cursor, deltas)
    except psycopg.errors.UniqueViolation:
        pass
    else:
        return len(lines), 0, []
    with transaction.atomic():
        return _pg_careful(text, lines)


DELTAS = "rating_import_deltas"


def _pg_upsert_rollups(cursor, deltas: dict[tuple, list[int]]) -> None:
    """The batch's deltas COPied into a scratch table (a few tens of thousands of keys), then one upsert."""
    cursor.execute(f"""CREATE TEMP TABLE IF NOT EXISTS {DELTAS} (kind text, target_id int, unit_id bigint, month date,
        n1 int, n2 int, n3 int, n4 int, n5 int) ON COMMIT DELETE ROWS""")
    cursor.execute(f"TRUNCATE {DELTAS}")
    with cursor.cursor.copy(f"COPY {DELTAS} FROM STDIN") as copy:
        copy.write(
            "".join(
                f"{t.kind}\t{t.id}\t{t.unit_id}\t{year}-{month}-01\t{n[0]}\t{n[1]}\t{n[2]}\t{n[3]}\t{n[4]}\n"
                for (t, year, month), n in deltas.items()
            )
        )
    cursor.execute(f"{rating_rollup.INSERT} SELECT * FROM {DELTAS} {rating_rollup.ADD_ON_CONFLICT}")


STAGE = "rating_import_stage"


def _pg_careful(text: list[bytes], lines: array.array) -> tuple[int, int, list[tuple[int, str, str]]]:
    """The batch decided set-based in a staging table: repeated or already imported external ids are skipped (the
    same rating), case numbers repeated or already rated are refused (一事一评), the rest goes in."""
    with connection.cursor() as cursor:
        cursor.execute(f"""CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
            cadre_id bigint, window_id bigint, unit_id bigint, city_id bigint, level smallint, tags jsonb, comment text,
            case_number text COLLATE "C", external_id text COLLATE "C", rater_phone_hash text, rater_phone_masked text,
            channel text, created_at timestamptz, ord bigint GENERATED ALWAYS AS IDENTITY, verdict text)
            ON COMMIT DELETE ROWS""")
        cursor.execute(f"TRUNCATE {STAGE} RESTART IDENTITY")  # also inside an outer transaction (tests, callers)
        with cursor.cursor.copy(f"COPY {STAGE} ({', '.join(INSERT_COLUMNS)}) FROM STDIN") as copy:
            for chunk in text:
                copy.write(chunk)
        cursor.execute(f"ANALYZE {STAGE}")
        # Repeated in the batch: the first occurrence stands for the rating, a repeated case number is refused.
        repeated = (
            f"UPDATE {STAGE} s SET verdict = %s FROM (SELECT ord, row_number() OVER (PARTITION BY {{0}} ORDER BY ord) AS n "
            f"FROM {STAGE} WHERE verdict IS NULL AND {{0}} <> '') d WHERE d.ord = s.ord AND d.n > 1"
        )
        already = (
            f"UPDATE {STAGE} s SET verdict = %s WHERE verdict IS NULL AND s.{{0}} <> '' "
            f"AND EXISTS (SELECT 1 FROM {KEYS} k WHERE k.kind = %s AND k.value = s.{{0}})"
        )
        # The ratings table is partitioned by month: its one index over all months for these is the key table.
        cursor.execute(repeated.format("external_id"), ["skip"])
        cursor.execute(already.format("external_id"), ["skip", RatingKey.KINDS["external_id"]])
        cursor.execute(repeated.format("case_number"), ["case"])
        cursor.execute(already.format("case_number"), ["case", RatingKey.KINDS["case_number"]])
        cursor.execute(f"""
            WITH ins AS (
              INSERT INTO {RATINGS} ({", ".join(INSERT_COLUMNS)})
              SELECT {", ".join(INSERT_COLUMNS)} FROM {STAGE} WHERE verdict IS NULL ORDER BY ord
              ON CONFLICT DO NOTHING
              RETURNING cadre_id, window_id, unit_id, level, created_at),
            up AS ({rating_rollup.INSERT} {rating_rollup.recompute_sql("ins")} {rating_rollup.ADD_ON_CONFLICT})
            SELECT count(*) FROM ins""")
        inserted = cursor.fetchone()[0]
        cursor.execute(f"SELECT ord, external_id FROM {STAGE} WHERE verdict = 'case' ORDER BY ord")
        taken = [(lines[ord - 1], external_id, CASE_TAKEN) for ord, external_id in cursor.fetchall()]
    # A row lost to a live submission's case number between the check and the insert is neither in nor refused:
    # it counts as skipped, so the totals always add up.
    return inserted, len(lines) - inserted - len(taken), taken


def _sqlite_batch(rows: Iterator[tuple]) -> tuple[int, int, list[tuple[int, str, str]]]:
    """Returns (inserted, skipped, rejects). One transaction: the ratings and their rollups."""
    rows = list(rows)
    with transaction.atomic():
        return _sqlite_insert(rows)


def _sqlite_insert(rows: list[tuple]) -> tuple[int, int, list[tuple[int, str, str]]]:
    def existing(column, values):
        values, found = list(values), set()
        with connection.cursor() as cursor:
            for i in range(0, len(values), 500):
                chunk = values[i : i + 500]
                cursor.execute(
                    f"SELECT {column} FROM {RATINGS} WHERE {column} IN ({', '.join(['%s'] * len(chunk))})", chunk
                )
                found.update(v for (v,) in cursor.fetchall())
        return found

    seen = existing("external_id", {r[EXTERNAL_ID] for r in rows})
    taken = existing("case_number", {r[CASE_NUMBER] for r in rows if r[CASE_NUMBER]})
    fresh, rejects, skipped = [], [], 0
    for row in rows:
        if row[EXTERNAL_ID] in seen:
            skipped += 1
            continue
        seen.add(row[EXTERNAL_ID])
        if row[CASE_NUMBER]:
            if row[CASE_NUMBER] in taken:
                rejects.append((row[LINE], row[EXTERNAL_ID], CASE_TAKEN))
                continue
            taken.add(row[CASE_NUMBER])
        fresh.append(row)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        params = []
        for r in fresh:
            target, moment = r[TARGET], r[MOMENT]
            params.append(
                (
                    target.id if target.kind == RollupKind.CADRE else None,
                    target.id if target.kind == RollupKind.WINDOW else None,
                    target.unit_id,
                    target.city_id,
                    r[LEVEL],
                    r[TAGS],
                    r[COMMENT],
                    r[CASE_NUMBER],
                    r[EXTERNAL_ID],
                    r[PHONE_HASH],
                    r[PHONE_MASKED],
                    r[CHANNEL],
                    adapt(moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)),
                )
            )
        cursor.executemany(
            f"INSERT INTO {RATINGS} ({', '.join(INSERT_COLUMNS)}) VALUES ({', '.join(['%s'] * len(INSERT_COLUMNS))})",
            params,
        )
    rating_rollup.bump(
        rating_rollup.delta_of(
            (r[TARGET].kind, r[TARGET].id, r[TARGET].unit_id, dt.date(*r[MONTH][1:], 1), r[LEVEL]) for r in fresh
        )
    )
    return len(fresh), skipped, rejects


# ---- the import -------------------------------------------------------------------------------------------------


def import_file(
    path: str, *, rejects_path: str | None = None, batch_size: int | None = None, progress: bool = True
) -> Result:
    suffix = os.path.splitext(path)[1].lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise ValueError("只支持 .csv、.jsonl、.xlsx 文件")
    if not os.path.exists(path):
        raise ValueError(f"文件不存在：{path}")
    postgres = connection.vendor == "postgresql"
    apply = _pg_batch if postgres else _sqlite_batch
    batch_size = batch_size or (DEFAULT_BATCH if postgres else SQLITE_BATCH)
    result = Result(rejects_path=rejects_path or path + ".rejects.csv")
    targets = active_targets()

    from tqdm import tqdm

    if suffix == ".xlsx":
        bar = tqdm(unit="行", desc="导入评价", disable=not progress)
    else:
        bar = tqdm(total=os.path.getsize(path), unit="B", unit_scale=True, desc="导入评价", disable=not progress)

    def advance(position):
        bar.update(position - bar.n)

    with open(result.rejects_path, "w", encoding="utf-8-sig", newline="") as rejects_file:
        rejects = sheets.csv_writer(rejects_file)  # external ids and reasons quote the file: never formulas
        rejects.writerow(["行号", "外部评价编号", "原因"])

        def reject(line, external_id, reason):
            result.rejected += 1
            rejects.writerow([line, external_id, reason])

        batches = Batches(reader(path, advance), targets, batch_size, result, reject)
        # A batch is parsed while its COPY runs on the connection: the case-number prefixes a case number is checked
        # against (clean_case_number) must not be read from the database midway.
        with prefixes_held():
            while not batches.exhausted:
                inserted, skipped, refused = apply(batches.rows())
                result.inserted += inserted
                result.skipped += skipped
                for line, external_id, reason in refused:
                    reject(line, external_id, reason)
                rejects_file.flush()
    bar.close()
    return result
