"""Prove that no case history and no case was edited or deleted: `whistle audit verify`, and the signed
checkpoints the worker writes (`checkpoint_job`).

What verify checks, for every case, in one pass in case-number order (constant memory: three ordered streams,
cases, their events and the checkpoint entries, each read a page at a time by keyset on the case id — no server-side
cursor, so it runs behind pgbouncer's transaction pooling — and merged by case id; never a dict of all chain heads;
`--workers N` splits the case numbers into N spans verified by N processes in one exported snapshot, `--unit` keeps
to one unit's subtree):

- the event chain: seq 1, 2, 3 … without holes, each event's `prev_hash` is the hash before it, and each hash is
  the HMAC under the key the event names (core.hashing); a plain SHA-256 (legacy) event only up to the seq a
  signed checkpoint recorded for that case;
- the case row against its chain: `event_seq`, `last_event_hash` and `state` equal the last event's seq, hash
  and to-state; the content the case was submitted with (title, description, phone, enterprise, …) still hashes
  to the `content_hash` its submit event carries;
- the checkpoints: each is signed with the hash key and chained to the one before; every case a checkpoint
  recorded still exists with at least that seq, and its event at that seq still has that hash; every case number
  up to the newest checkpoint's highest one exists or was recorded missing by a checkpoint (numbers skipped by a
  rolled-back submission on PostgreSQL); a case number missing without such a record is a deleted case.

Checkpoints are incremental (docs/architecture.md, "Audit trail"): each stores entries only for the cases whose chain
moved since the one before, so the worker's cost follows the number of changed cases, not of all cases.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from types import SimpleNamespace

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from whistle.core.hashing import LEGACY, UnknownKey, canonical_json, chain_hash, key_id, signed

from .models import (
    CONTENT_FIELDS,
    AuditCheckpoint,
    AuditCheckpointEntry,
    Case,
    CaseEvent,
    content_record,
    iso_utc,
    number_for,
)

log = logging.getLogger("whistle.audit")

CHUNK = 2000  # rows per fetch from each stream
# Event ids are handed out before commit: an event committed after a checkpoint with an id at most this far below
# the checkpoint's watermark is still found by the next one.
LOOKBACK = 1000
ENTRY_BATCH = 5000
_LOCK = 0x77686973  # "whis": the PostgreSQL advisory lock that lets one worker at a time write a checkpoint

EVENT_VALUES = (
    "case_id",
    "seq",
    "action",
    "from_state",
    "to_state",
    "actor_id",
    "actor_label",
    "at",
    "payload",
    "prev_hash",
    "hash",
    "hash_key",
)
CASE_VALUES = ("pk", "state", "event_seq", "last_event_hash", *CONTENT_FIELDS)


@dataclass
class Broken:
    case_number: str
    seq: int
    reason: str


@dataclass
class Report:
    cases: int = 0
    events: int = 0
    checkpoints: int = 0
    known_gaps: int = 0
    unconfirmed_gaps: list[str] = field(
        default_factory=list
    )  # PostgreSQL only: numbers missing since the newest checkpoint
    broken: list[Broken] = field(default_factory=list)  # one per altered case (or missing number range), in order
    checkpoint_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken and not self.checkpoint_problems


# ---- checkpoints --------------------------------------------------------------------------------------------------


def statement(cp) -> dict:
    """What a checkpoint's signature covers (a function, not a method: migrations call it on historical models)."""
    return {
        "id": cp.pk,
        "created_at": iso_utc(cp.created_at),
        "previous": cp.previous_signature,
        "event_watermark": cp.event_watermark,
        "max_case_id": cp.max_case_id,
        "cases": cp.cases_count,
        "events": cp.events_count,
        "entries": cp.entries_count,
        "entries_digest": cp.entries_digest,
    }


def _entry_line(case_id: int, seq: int, head: str, gap_end: int | None) -> bytes:
    return f"{case_id}:{seq}:{head}:{gap_end or ''}\n".encode()


def _models(**given) -> SimpleNamespace:
    return SimpleNamespace(
        Case=given.get("Case", Case),
        CaseEvent=given.get("CaseEvent", CaseEvent),
        Checkpoint=given.get("Checkpoint", AuditCheckpoint),
        Entry=given.get("Entry", AuditCheckpointEntry),
    )


def _with_gaps(rows, after: int):
    """The rows (case id, seq, head) ascending by id, each as an entry (…, None), with an entry (first, 0, "", last)
    before each run of case numbers missing above `after`: one row per run, however long."""
    expected = after + 1
    for row in rows:
        if row[0] > expected:
            yield expected, 0, "", row[0] - 1
        yield (*row, None)
        expected = row[0] + 1


def _heads_since(m, previous):
    """The entries of a new checkpoint, in case id order: the head of every case whose chain moved since
    `previous` (every case, for the first checkpoint) and every case number newly found missing."""
    heads = m.Case.objects.order_by("pk").values_list("pk", "event_seq", "last_event_hash")
    if previous is None:
        yield from _with_gaps(heads.iterator(chunk_size=CHUNK), 0)
        return
    moved = set(
        m.CaseEvent.objects.filter(pk__gt=previous.event_watermark - LOOKBACK)
        .values_list("case_id", flat=True)
        .distinct()
    )
    found = {}
    ids = sorted(moved)
    for start in range(0, len(ids), 500):  # SQLite allows a few hundred parameters
        chunk = ids[start : start + 500]
        recorded = dict(
            m.Entry.objects.filter(case_id__in=chunk)
            .values("case_id")
            .annotate(top=Max("seq"))
            .values_list("case_id", "top")
        )
        for pk, seq, head in heads.filter(pk__in=chunk):
            # The look-back finds cases the previous checkpoint already recorded at this seq: leave them out.
            if seq > recorded.get(pk, -1):
                found[pk] = (pk, seq, head, None)
    new_ids = m.Case.objects.filter(pk__gt=previous.max_case_id).order_by("pk").values_list("pk", "pk", "pk")
    for entry in _with_gaps(new_ids.iterator(chunk_size=CHUNK), previous.max_case_id):
        if entry[1] == 0:
            # Never two entries for one id in a checkpoint: the gap starts at a number no case has.
            found[entry[0]] = entry
            log.warning(
                "audit checkpoint: case numbers %s–%s are missing (rolled-back submissions, or deleted cases)",
                number_for(entry[0]),
                number_for(entry[3]),
            )
    for pk in sorted(found):
        yield found[pk]


def write_checkpoint(now=None, **models) -> AuditCheckpoint | None:
    """Write a signed checkpoint of the chain heads that moved since the last one; None when nothing moved."""
    m = _models(**models)
    now = now or timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
        previous = m.Checkpoint.objects.order_by("-pk").first()
        top_event = m.CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        max_case = m.Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        if top_event == 0 and max_case == 0:
            return None
        if previous is not None and (top_event, max_case) == (previous.event_watermark, previous.max_case_id):
            return None
        kid = key_id()
        cp = m.Checkpoint.objects.create(
            created_at=now,
            previous_signature=previous.signature if previous else "",
            event_watermark=top_event,
            max_case_id=max_case,
            cases_count=m.Case.objects.count(),
            events_count=m.CaseEvent.objects.count(),
            entries_count=0,
            entries_digest="",
            hash_key=kid,
            signature="",
        )
        digest, count, batch = hashlib.sha256(), 0, []
        for pk, seq, head, gap_end in _heads_since(m, previous):
            digest.update(_entry_line(pk, seq, head, gap_end))
            batch.append(m.Entry(checkpoint_id=cp.pk, case_id=pk, seq=seq, hash=head, gap_end=gap_end))
            count += 1
            if len(batch) >= ENTRY_BATCH:
                m.Entry.objects.bulk_create(batch)
                batch.clear()
        m.Entry.objects.bulk_create(batch)
        cp.entries_count, cp.entries_digest = count, digest.hexdigest()
        cp.signature = signed(kid, canonical_json(statement(cp)))
        cp.save(update_fields=["entries_count", "entries_digest", "signature"])
    return cp


def checkpoint_job(now) -> dict:
    """The worker job: a checkpoint every WHISTLE_AUDIT_CHECKPOINT_MINUTES (if anything moved)."""
    last = AuditCheckpoint.objects.order_by("-pk").values_list("created_at", flat=True).first()
    minutes = settings.WHISTLE_AUDIT_CHECKPOINT_MINUTES
    if last is not None and (now - last).total_seconds() < minutes * 60:
        return {"audit_checkpoints": 0}
    cp = write_checkpoint(now)
    if cp is not None:
        log.info("audit checkpoint %s: %s cases changed, signature %s", cp.pk, cp.entries_count, cp.signature)
    return {"audit_checkpoints": int(cp is not None)}


# ---- verify -------------------------------------------------------------------------------------------------------


def _check_checkpoints(report: Report) -> AuditCheckpoint | None:
    """Each checkpoint's signature, its entries' digest and its link to the one before; returns the newest."""
    previous = None
    for cp in AuditCheckpoint.objects.order_by("pk").iterator(chunk_size=100):
        report.checkpoints += 1
        digest, count = hashlib.sha256(), 0
        entries = (
            AuditCheckpointEntry.objects.filter(checkpoint_id=cp.pk)
            .order_by("case_id")
            .values_list("case_id", "seq", "hash", "gap_end")
        )
        for row in _pages(entries, "case_id", 0, None, CHUNK):  # one entry per case id in a checkpoint
            digest.update(_entry_line(*row))
            count += 1
        try:
            good = signed(cp.hash_key, canonical_json(statement(cp))) == cp.signature
        except UnknownKey:
            report.checkpoint_problems.append(f"检查点#{cp.pk}：签名密钥（{cp.hash_key}）未配置，无法验证")
            good = True
        if not good:
            report.checkpoint_problems.append(f"检查点#{cp.pk}：签名不符，检查点被改动")
        if (count, digest.hexdigest()) != (cp.entries_count, cp.entries_digest):
            report.checkpoint_problems.append(f"检查点#{cp.pk}：所记工单链头被改动或删除")
        if cp.previous_signature != (previous.signature if previous else ""):
            report.checkpoint_problems.append(f"检查点#{cp.pk}：与上一检查点不衔接，中间的检查点被删除")
        previous = cp
    return previous


def _grouped(rows):
    """(case id, [rows]) from rows ordered by case id, then a sentinel that sorts after every id."""
    for pk, group in groupby(rows, key=itemgetter(0)):
        yield pk, list(group)
    yield float("inf"), []


def _check_chain(case, events: list[tuple], anchored: int) -> list[tuple[int, str]]:
    """The event chain of one case; `anchored` is the highest seq a checkpoint recorded for it (0: none)."""
    problems = []
    previous_hash = ""
    for expected, event in enumerate(events, start=1):
        _, seq, action, from_state, to_state, actor_id, actor_label, at, payload, prev_hash, event_hash, kid = event
        if seq != expected:
            return [(seq, f"序号不连续（应为{expected}）：记录被删除")]
        if prev_hash != previous_hash:
            return [(seq, "前序哈希不符：前一条记录被改动或删除")]
        record = {
            "case": case[0],
            "seq": seq,
            "action": action,
            "from": from_state,
            "to": to_state,
            "actor": actor_id,
            "actor_label": actor_label,
            "at": iso_utc(at),
            "payload": payload,
        }
        if kid == LEGACY and seq > anchored:
            return [(seq, "未经密钥签名的记录，且不在任何检查点之内：记录被改写")]
        try:
            if chain_hash(previous_hash, record, kid) != event_hash:
                return [(seq, "哈希不符：该条记录内容被改动")]
        except UnknownKey:
            return [(seq, f"哈希密钥（{kid}）未配置：无法验证，或记录被伪造")]
        if seq == 1 and kid != LEGACY:
            content = SimpleNamespace(**dict(zip(CONTENT_FIELDS, case[4:])))
            if not isinstance(payload, dict) or action != "submit" or "content_hash" not in payload:
                problems.append((1, "提交记录缺少内容哈希"))
            elif signed(kid, canonical_json(content_record(content))) != payload["content_hash"]:
                problems.append((0, "工单内容（标题、诉求内容、联系人、电话、企业、分类等）与提交时不符：工单被改动"))
        previous_hash = event_hash
    return problems


def _check_case(case, events: list[tuple], entry: tuple | None) -> list[tuple[int, str]]:
    pk, state, event_seq, last_hash = case[:4]
    anchored = entry[1] if entry else 0
    if not events:
        return [(0, "工单没有任何记录：记录被删除")]
    problems = _check_chain(case, events, anchored)
    last = events[-1]
    if (event_seq, last_hash) != (last[1], last[10]):
        problems.insert(
            0, (0, f"工单链头（第{event_seq}条）与最后一条记录（第{last[1]}条）不符：记录被删除或追加，或链头被改动")
        )
    elif state != last[4]:
        problems.append((0, f"工单状态“{state}”与最后一条记录的状态“{last[4]}”不符：工单状态被改动"))
    if entry and entry[1] > 0:
        if entry[1] > len(events) or events[entry[1] - 1][1] != entry[1]:
            problems.append((entry[1], f"检查点记录本工单已有第{entry[1]}条，现已不存在：记录被删除"))
        elif events[entry[1] - 1][10] != entry[2]:
            problems.append((entry[1], "与检查点记录的哈希不符：记录被改写"))
    return problems


def _broken(pk: int, problems: list[tuple[int, str]]) -> Broken:
    return Broken(number_for(pk), problems[0][0], "；".join(reason for _, reason in problems))


class _Gaps:
    """Which missing case numbers the checkpoints explain, walked in ascending order with the cases."""

    def __init__(self, report: Report):
        self.report, self.explained_until = report, 0

    def entry(self, gap_end: int | None) -> None:
        if gap_end:
            self.report.known_gaps += 1
            self.explained_until = max(self.explained_until, gap_end)

    def missing(self, start: int, stop: int) -> None:
        """Case numbers start..stop-1 do not exist and have no entry of their own."""
        start = max(start, self.explained_until + 1)
        if start < stop:
            _gap(self.report, start, stop)


def _entry_groups(rows):
    """(case id, newest head entry or None, end of a missing run starting there or None) by ascending case id, then a
    sentinel after every id."""
    for pk, group in _grouped(rows):
        if pk == float("inf"):
            break
        heads = [row for row in group if row[1] > 0]
        yield pk, heads[-1] if heads else None, max((row[3] or 0 for row in group), default=0) or None
    yield float("inf"), None, None


def _gap(report: Report, start: int, stop: int) -> None:
    span = number_for(start) if stop - start == 1 else f"{number_for(start)}–{number_for(stop - 1)}"
    if connection.vendor == "postgresql":
        # A rolled-back submission leaves its number unused on PostgreSQL (a sequence does not roll back), and a case
        # cannot be deleted with its events there (the append-only trigger): a number missing since the newest
        # checkpoint is reported, not failed; the next checkpoint records it and the worker logs it.
        report.unconfirmed_gaps.append(span)
    else:
        # SQLite takes back the number of a rolled-back insert: a missing number is a deleted case.
        report.broken.append(Broken(span, 0, "缺号：工单不存在，且没有检查点记录其缺失：工单被删除"))


def _pages(qs, key: str, low: int, high: int | None, chunk: int):
    """Rows of `qs` (values_list with `key` first, ordered by `key` then seq) for `key` in [low, high], read a page
    of `chunk` rows at a time by keyset (`key` > the last one read), never by a server-side cursor (pgbouncer's
    transaction pooling has none), and never splitting one key's rows between pages: memory follows `chunk`."""
    after = low - 1
    bounded = qs.filter(**{f"{key}__lte": high}) if high is not None else qs
    while True:
        page = list(bounded.filter(**{f"{key}__gt": after})[:chunk])
        if len(page) < chunk:
            yield from page
            return
        last = page[-1][0]
        if page[0][0] == last:  # one key with more rows than a page: read that key whole
            yield from bounded.filter(**{key: last})
            after = last
            continue
        complete = [row for row in page if row[0] != last]
        yield from complete
        after = complete[-1][0]


@dataclass(frozen=True)
class Span:
    """What one verifying process reads: case numbers [low, high] (high None: to the end), the numbers the newest
    checkpoint vouches for (`top_recorded`), and optionally only one unit's subtree (by the case's county)."""

    low: int = 1
    high: int | None = None
    top_recorded: int = 0
    unit_path: str | None = None


def _verify_span(span: Span, chunk: int, bar=None) -> Report:
    """The per-case checks over one span, three keyset-paged streams merged by case id (see the module docstring)."""
    report = Report()
    cases_qs = Case.objects.order_by("pk").values_list(*CASE_VALUES)
    events_qs = CaseEvent.objects.order_by("case_id", "seq").values_list(*EVENT_VALUES)
    entries_qs = AuditCheckpointEntry.objects.order_by("case_id", "seq").values_list(
        "case_id", "seq", "hash", "gap_end"
    )
    whole = span.unit_path is None
    if span.unit_path is not None:
        path = span.unit_path
        cases_qs = cases_qs.filter(county__path__startswith=path)
        events_qs = events_qs.filter(case__county__path__startswith=path)
        entries_qs = entries_qs.filter(case_id__in=Case.objects.filter(county__path__startswith=path).values("pk"))
    cases = _pages(cases_qs, "pk", span.low, span.high, chunk)
    events = _grouped(_pages(events_qs, "case_id", span.low, span.high, chunk))
    # The newest entry of each case: entries ordered by seq within a case, the last one wins.
    entries = _entry_groups(_pages(entries_qs, "case_id", span.low, span.high, chunk))
    ev_pk, ev_rows = next(events)
    en_pk, en_head, en_gap = next(entries)
    gaps = _Gaps(report) if whole else _NoGaps(report)
    if span.low > 1:  # a run of missing numbers recorded below this span may reach into it
        gaps.explained_until = (
            AuditCheckpointEntry.objects.filter(case_id__lt=span.low, gap_end__isnull=False).aggregate(
                top=Max("gap_end")
            )["top"]
            or 0
        )
    expected = span.low
    for case in cases:
        pk = case[0]
        while ev_pk < pk:  # events of a case that no longer exists
            report.events += len(ev_rows)
            report.broken.append(Broken(number_for(ev_pk), 0, "记录所属工单不存在：工单被删除"))
            ev_pk, ev_rows = next(events)
        while en_pk < pk:  # entries of case numbers that do not exist (now)
            gaps.missing(expected, en_pk)
            if en_head is not None:
                report.broken.append(
                    Broken(
                        number_for(en_pk), en_head[1], f"工单不存在，检查点记录其已有第{en_head[1]}条记录：工单被删除"
                    )
                )
            gaps.entry(en_gap)
            expected = en_pk + 1
            en_pk, en_head, en_gap = next(entries)
        gaps.missing(expected, pk)
        case_events, entry = [], None
        if ev_pk == pk:
            case_events = ev_rows
            ev_pk, ev_rows = next(events)
        if en_pk == pk:
            entry = en_head
            gaps.entry(en_gap)
            en_pk, en_head, en_gap = next(entries)
        report.cases += 1
        report.events += len(case_events)
        problems = _check_case(case, case_events, entry)
        if problems:
            report.broken.append(_broken(pk, problems))
        expected = pk + 1
        if bar is not None and report.cases % 1000 == 0:
            bar.update(1000)
    while ev_pk != float("inf"):
        report.events += len(ev_rows)
        report.broken.append(Broken(number_for(ev_pk), 0, "记录所属工单不存在：工单被删除"))
        ev_pk, ev_rows = next(events)
    while en_pk != float("inf"):
        gaps.missing(expected, en_pk)
        if en_head is not None:
            report.broken.append(
                Broken(number_for(en_pk), en_head[1], f"工单不存在，检查点记录其已有第{en_head[1]}条记录：工单被删除")
            )
        gaps.entry(en_gap)
        expected = en_pk + 1
        en_pk, en_head, en_gap = next(entries)
    # Numbers up to the newest checkpoint's highest existed or were recorded missing then; a span that ends below the
    # last case ends just before a case (see `_spans`), so every number up to its end should exist too.
    gaps.missing(expected, (span.top_recorded if span.high is None else span.high) + 1)
    if bar is not None:
        bar.update(report.cases % 1000)
    return report


class _NoGaps(_Gaps):
    """A unit's subtree has no run of numbers of its own: missing numbers are the whole run's to find."""

    def entry(self, gap_end: int | None) -> None:
        return None

    def missing(self, start: int, stop: int) -> None:
        return None


def _snapshot(cursor, shared: str | None = None) -> None:
    """REPEATABLE READ, READ ONLY; with `shared`, the snapshot another transaction exported (so every process of a
    parallel verify reads the same moment)."""
    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    if shared:
        # SET takes no bound parameter (values are bound on the server, settings.py): the id pg_export_snapshot()
        # gave, checked to be one, is written into the statement.
        if not re.fullmatch(r"[0-9A-Fa-f-]+", shared):
            raise ValueError(f"not a snapshot id: {shared!r}")
        cursor.execute(f"SET TRANSACTION SNAPSHOT '{shared}'")


def _verify_part(span: Span, chunk: int, shared: str | None) -> Report:
    """One process of a parallel verify (a fresh interpreter, set up by `django.setup`): its span in the shared
    snapshot. On SQLite a part reads outside a transaction: whistle opens SQLite transactions IMMEDIATE (they take the
    write lock), the verifying parent holds that lock for the whole run, so no writer changes anything meanwhile and
    a part's own transaction would only wait for the parent (and time out)."""
    if connection.vendor != "postgresql":
        return _verify_span(span, chunk)
    with transaction.atomic():
        with connection.cursor() as cursor:
            _snapshot(cursor, shared)
        return _verify_span(span, chunk)


def _spans(workers: int, top_recorded: int, unit_path: str | None) -> list[Span]:
    """`workers` disjoint spans of case numbers, of about as many cases each (the last one open-ended)."""
    ids = Case.objects.order_by("pk").values_list("pk", flat=True)
    total = ids.count()
    cuts: list[int] = []
    for n in range(1, workers):
        pk = ids[total * n // workers] if total else None
        if pk is not None and (not cuts or pk > cuts[-1]):
            cuts.append(pk)
    lows = [1, *cuts]
    highs = [c - 1 for c in cuts] + [None]
    return [Span(low, high, top_recorded, unit_path) for low, high in zip(lows, highs)]


def verify(progress: bool = False, chunk: int = CHUNK, *, workers: int = 1, unit=None) -> Report:
    """Check every case, its chain and the checkpoints (see the module docstring). On PostgreSQL in one
    REPEATABLE READ, READ ONLY transaction, so cases, events and checkpoints are read as of one moment.

    `workers` > 1: that many processes verify disjoint spans of case numbers, each in the snapshot this transaction
    exports (PostgreSQL), and their reports are merged. `unit`: only the cases of that unit's subtree (by county: a
    city, once the province level lands); the checkpoints and the missing numbers, which belong to the whole run,
    are then left to a whole verify."""
    report = Report()
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    unit_path = unit.path if unit is not None else None
    with transaction.atomic():
        shared = None
        if snapshot:
            with connection.cursor() as cursor:
                _snapshot(cursor)
                if workers > 1:
                    cursor.execute("SELECT pg_export_snapshot()")
                    shared = cursor.fetchone()[0]
        newest = _check_checkpoints(report) if unit is None else None
        top_recorded = newest.max_case_id if newest else 0
        if workers > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            import django

            spans = _spans(workers, top_recorded, unit_path)
            spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no database connection inherited
            with ProcessPoolExecutor(len(spans), mp_context=spawn, initializer=django.setup) as pool:
                parts = list(pool.map(_verify_part, spans, [chunk] * len(spans), [shared] * len(spans)))
        else:
            bar = _bar(Case.objects.count()) if progress else None
            parts = [_verify_span(Span(1, None, top_recorded, unit_path), chunk, bar)]
            if bar is not None:
                bar.close()
    for part in parts:
        report.cases += part.cases
        report.events += part.events
        report.known_gaps += part.known_gaps
        report.unconfirmed_gaps += part.unconfirmed_gaps
        report.broken += part.broken
    report.broken.sort(key=lambda b: b.case_number)
    return report


def _bar(total: int | None):
    from tqdm import tqdm

    return tqdm(
        total=total, unit="件", desc="核验工单", file=sys.stderr, disable=not sys.stderr.isatty(), mininterval=0.5
    )


def verify_chains(chunk: int = CHUNK) -> tuple[int, list[Broken]]:
    """(events checked, altered cases): `verify` for callers that only need the verdict."""
    report = verify(chunk=chunk)
    return report.events, report.broken
