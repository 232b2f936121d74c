"""The audit trail proves no history and no case was edited or deleted (DESIGN.md "The case workflow";
`whistle audit verify`; issue 11 item 8, issue 13 item 4).

Tampering is done as someone with write access to the database would do it. On PostgreSQL the append-only trigger
refuses UPDATE and DELETE of events first (tested); an owner of the table can go around it
(`session_replication_role = replica`), and the tests do, to show the chain still names the case."""

import datetime as dt
import hashlib
import io
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from tests.cases.flow import act, case_in, submit
from whistle.cases.audit import checkpoint_job, verify, verify_chains, write_checkpoint
from whistle.cases.models import AuditCheckpoint, AuditCheckpointEntry, Case, CaseEvent
from whistle.core.hashing import LEGACY, canonical_json, key_id

on_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'")


def audit_verify():
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except CommandError as failed:
        return failed.returncode, out.getvalue(), err.getvalue() + str(failed)
    return 0, out.getvalue(), err.getvalue()


@contextmanager
def around_the_trigger():
    """Write to case events as the table's owner can on PostgreSQL: with row triggers switched off for the session."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


def named(report, case) -> str:
    return " ".join(f"{b.case_number} {b.seq} {b.reason}" for b in report.broken if b.case_number == case.number)


def rewrite_with_plain_sha(case, from_seq: int, change: dict) -> None:
    """Edit one event and recompute the chain after it the way the old, unkeyed chain was made: SHA-256 of the
    previous hash and the canonical record; then move the case's head to the new last hash."""
    previous = CaseEvent.objects.get(case_id=case.pk, seq=from_seq - 1).hash if from_seq > 1 else ""
    with around_the_trigger():
        for event in CaseEvent.objects.filter(case_id=case.pk, seq__gte=from_seq).order_by("seq"):
            if event.seq == from_seq:
                for name, value in change.items():
                    setattr(event, name, value)
            event.prev_hash = previous
            event.hash = hashlib.sha256((previous + canonical_json(event.record())).encode()).hexdigest()
            event.hash_key = LEGACY
            CaseEvent.objects.filter(pk=event.pk).update(
                prev_hash=event.prev_hash, hash=event.hash, hash_key=LEGACY, **{k: getattr(event, k) for k in change}
            )
            previous = event.hash
    Case.objects.filter(pk=case.pk).update(last_event_hash=previous)


def test_audit_verify_passes_on_untouched_history(heze):
    case_in(heze, "replied")
    submit(heze)
    code, out, _ = audit_verify()
    assert code == 0 and "OK：10 条记录，哈希链完整；2 件工单" in out


def test_event_hashes_are_keyed_with_the_hash_key_and_name_it(heze):
    case = submit(heze)
    event = CaseEvent.objects.get(case_id=case.pk, seq=1)
    assert event.hash_key == key_id() and len(event.hash_key) == 8
    plain = hashlib.sha256((event.prev_hash + canonical_json(event.record())).encode()).hexdigest()
    assert event.hash != plain
    assert "content_hash" in event.payload


@pytest.mark.parametrize(
    "change",
    [
        {"payload": {"content": "改过的办理结果", "on_time": True}},
        {"actor_label": "冒名顶替"},
        {"to_state": "closed"},
    ],
)
def test_audit_verify_fails_naming_the_case_when_an_event_row_is_altered(heze, change):
    case, untouched = case_in(heze, "replied"), case_in(heze, "replied")
    with around_the_trigger():
        CaseEvent.objects.filter(case_id=case.pk, action="reply").update(**change)
    code, _, err = audit_verify()
    assert code == 1
    assert f"{case.number} 第7条：哈希不符：该条记录内容被改动" in err and untouched.number not in err


def test_an_edited_event_with_its_plain_sha_chain_recomputed_is_named(heze):
    case, untouched = case_in(heze, "replied"), case_in(heze, "replied")
    rewrite_with_plain_sha(case, 7, {"payload": {"content": "改过的办理结果", "on_time": True}})
    report = verify()
    assert "未经密钥签名的记录，且不在任何检查点之内" in named(report, case)
    assert [b.case_number for b in report.broken] == [case.number] and untouched.number not in named(report, untouched)


def test_an_edited_event_with_its_chain_recomputed_under_a_wrong_key_is_named(heze):
    case = case_in(heze, "replied")
    with override_settings(WHISTLE_HASH_KEY="a key someone guessed"):
        forged = key_id()
    with around_the_trigger():
        CaseEvent.objects.filter(case_id=case.pk, seq=7).update(hash_key=forged)
    assert "哈希密钥" in named(verify(), case)


@pytest.mark.parametrize(
    "column, value",
    [
        ("description", "改过的诉求内容"),
        ("contact_phone", "13900000000"),
        ("title", "改过的标题"),
        ("enterprise_id", None),
    ],
)
def test_a_changed_case_row_content_is_named(heze, column, value):
    case, untouched = case_in(heze, "replied"), case_in(heze, "replied")
    Case.objects.filter(pk=case.pk).update(**{column: value})
    code, _, err = audit_verify()
    assert code == 1 and f"{case.number}：工单内容" in err and "与提交时不符" in err and untouched.number not in err


def test_a_changed_case_state_is_named(heze):
    case = case_in(heze, "replied")
    Case.objects.filter(pk=case.pk).update(state="closed", is_open=False)
    report = verify()
    assert "工单状态“closed”与最后一条记录的状态“replied”不符" in named(report, case)


@on_postgresql
def test_the_trigger_refuses_update_and_delete_of_case_events_on_postgresql(heze):
    case = case_in(heze, "accepted")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CaseEvent.objects.filter(case_id=case.pk, seq=2).update(payload={"forged": True})
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CaseEvent.objects.filter(case_id=case.pk, seq=4).delete()
    assert CaseEvent.objects.filter(case_id=case.pk).count() == 4
    assert verify().ok
    # Appending still works: the workflow only ever inserts.
    act(heze, case, "contact", "cao_zjj", {"method": "phone", "note": "已电话联系"})
    assert verify().ok


def _delete_case(case) -> None:
    with around_the_trigger():
        CaseEvent.objects.filter(case_id=case.pk).delete()
    Case.objects.filter(pk=case.pk).delete()


def test_a_case_deleted_with_its_events_after_a_checkpoint_is_named(heze):
    first, deleted, last = submit(heze), case_in(heze, "accepted"), submit(heze)
    write_checkpoint()
    _delete_case(deleted)
    _delete_case(last)  # the highest number: no gap after it, the checkpoint still knows it
    report = verify()
    numbers = {b.case_number: b.reason for b in report.broken}
    assert "检查点记录其已有第4条记录：工单被删除" in numbers[deleted.number]
    assert "工单被删除" in numbers[last.number] and first.number not in numbers


def test_a_case_deleted_with_its_events_before_any_checkpoint_leaves_a_gap_that_is_named(heze):
    kept, deleted, later = submit(heze), submit(heze), submit(heze)
    _delete_case(deleted)
    report = verify()
    if connection.vendor == "postgresql":
        # A rolled-back submission leaves a gap too on PostgreSQL; it is shown, not failed, until a checkpoint
        # records it.
        assert deleted.number in report.unconfirmed_gaps and report.broken == []
    else:
        assert [(b.case_number, b.reason) for b in report.broken] == [
            (deleted.number, "缺号：工单不存在，且没有检查点记录其缺失：工单被删除")
        ]
    assert kept.number != later.number


def test_a_case_number_a_checkpoint_recorded_missing_is_accepted_afterwards(heze):
    """A number missing when a checkpoint is written (on PostgreSQL, a rolled-back submission) is recorded as missing
    and no longer reported; a case the checkpoint saw cannot be taken back that way."""
    first, gone, kept = submit(heze), submit(heze), submit(heze)
    _delete_case(gone)
    checkpoint = write_checkpoint()
    assert checkpoint.entries.filter(case_id=gone.pk, seq=0, gap_end=gone.pk).exists()
    report = verify()
    assert report.ok and report.unconfirmed_gaps == [] and report.known_gaps >= 1
    _delete_case(kept)
    assert "工单被删除" in named(verify(), kept) and first.number


def test_deleting_the_last_event_and_rewinding_the_case_is_named_by_the_checkpoint(heze):
    case = case_in(heze, "replied")
    write_checkpoint()
    before = CaseEvent.objects.get(case_id=case.pk, seq=6)
    with around_the_trigger():
        CaseEvent.objects.filter(case_id=case.pk, seq=7).delete()
    Case.objects.filter(pk=case.pk).update(event_seq=6, last_event_hash=before.hash, state=before.to_state)
    report = verify()
    assert "检查点记录本工单已有第7条，现已不存在：记录被删除" in named(report, case)


def test_deleting_the_last_event_without_rewinding_the_case_is_named(heze):
    case = case_in(heze, "replied")
    with around_the_trigger():
        CaseEvent.objects.filter(case_id=case.pk, action="reply").delete()
    checked, broken = verify_chains()
    assert checked == 6 and [(b.case_number, b.seq) for b in broken] == [(case.number, 0)]
    assert "记录被删除或追加" in broken[0].reason


def test_audit_verify_names_the_case_when_an_event_in_the_middle_is_deleted(heze):
    case = case_in(heze, "replied")
    with around_the_trigger():
        CaseEvent.objects.filter(case_id=case.pk, action="accept").delete()
    code, _, err = audit_verify()
    assert code == 1 and f"{case.number} 第5条：序号不连续（应为4）" in err


# ---- checkpoints ----------------------------------------------------------------------------------------------------


def test_a_checkpoint_records_only_the_cases_whose_chain_moved_since_the_last(heze):
    moved, still = case_in(heze, "dispatched"), submit(heze)
    first = write_checkpoint()
    assert first.entries_count == AuditCheckpointEntry.objects.filter(checkpoint=first).count()
    assert set(first.entries.filter(seq__gt=0).values_list("case_id", flat=True)) == {moved.pk, still.pk}
    assert write_checkpoint() is None  # nothing moved: nothing written
    act(heze, moved, "accept", "cao_zjj", {})
    second = write_checkpoint()
    assert list(second.entries.values_list("case_id", "seq")) == [(moved.pk, 4)]
    assert (second.previous_signature, second.max_case_id, second.cases_count) == (
        first.signature,
        still.pk,
        Case.objects.count(),
    )
    assert verify().ok and verify().checkpoints == 2


def test_checkpoint_job_writes_on_its_interval(heze, settings):
    settings.WHISTLE_AUDIT_CHECKPOINT_MINUTES = 10
    case = submit(heze)
    now = timezone.now()
    assert checkpoint_job(now) == {"audit_checkpoints": 1}
    act(heze, case, "accept", "cao_zjj", {})
    assert checkpoint_job(now + dt.timedelta(minutes=5)) == {"audit_checkpoints": 0}
    assert checkpoint_job(now + dt.timedelta(minutes=11)) == {"audit_checkpoints": 1}


def test_checkpoint_job_is_one_of_the_worker_jobs():
    from django.apps import apps

    assert "whistle.cases.audit.checkpoint_job" in apps.get_app_config("cases").worker_jobs


def test_an_altered_or_removed_checkpoint_is_named(heze):
    case = submit(heze)
    write_checkpoint()
    act(heze, case, "accept", "cao_zjj", {})
    middle = write_checkpoint()
    act(heze, case, "contact", "cao_zjj", {"method": "phone", "note": "已联系"})
    write_checkpoint()
    AuditCheckpointEntry.objects.filter(checkpoint=middle).update(seq=3)
    AuditCheckpoint.objects.filter(pk=middle.pk).update(cases_count=99)
    problems = verify().checkpoint_problems
    assert f"检查点#{middle.pk}：签名不符，检查点被改动" in problems
    assert f"检查点#{middle.pk}：所记工单链头被改动或删除" in problems
    AuditCheckpointEntry.objects.filter(checkpoint=middle).delete()
    AuditCheckpoint.objects.filter(pk=middle.pk).delete()
    assert f"检查点#{middle.pk + 1}：与上一检查点不衔接，中间的检查点被删除" in verify().checkpoint_problems


def test_a_rotated_hash_key_still_verifies_events_and_checkpoints_made_with_the_old_one(heze, settings):
    old = settings.WHISTLE_HASH_KEY
    case = submit(heze)
    write_checkpoint()
    settings.WHISTLE_HASH_KEY, settings.WHISTLE_HASH_KEYS_RETIRED = "the new hash key, rotated", [old]
    act(heze, case, "accept", "cao_zjj", {})
    write_checkpoint()
    keys = list(CaseEvent.objects.filter(case_id=case.pk).order_by("seq").values_list("hash_key", flat=True))
    assert keys[0] == key_id(old) and keys[-1] == key_id() != keys[0]
    assert verify().ok
    settings.WHISTLE_HASH_KEYS_RETIRED = []  # the old key lost: its events can no longer be vouched for
    report = verify()
    assert not report.ok and "未配置" in named(report, case)


def test_legacy_plain_sha_chains_verify_up_to_the_checkpoint_that_anchors_them(heze):
    """Events from before the keyed chain (plain SHA-256, no key id) are accepted up to the head a signed checkpoint
    recorded — the migration writes that first checkpoint — and new events chain on with the key."""
    case = case_in(heze, "accepted")
    rewrite_with_plain_sha(case, 1, {})  # as the chain looked before the migration
    assert "不在任何检查点之内" in named(verify(), case)
    write_checkpoint()  # what migration 0008 does on a database with events
    assert verify().ok
    act(heze, case, "contact", "cao_zjj", {"method": "phone", "note": "已联系"})
    assert verify().ok
    rewrite_with_plain_sha(case, 3, {"actor_label": "冒名顶替"})  # an anchored legacy event rewritten
    assert "与检查点记录的哈希不符：记录被改写" in named(verify(), case)


# ---- streaming, spans in parallel, one unit's subtree (issue 21 item 5) -------------------------------------------


def _summary(report) -> tuple:
    return (
        report.cases,
        report.events,
        report.known_gaps,
        sorted(report.unconfirmed_gaps),
        [(b.case_number, b.seq, b.reason) for b in report.broken],
        report.checkpoint_problems,
    )


def _tampered_history(heze):
    """Cases with a gap a checkpoint recorded, a gap it did not, one altered event and one case with more events than
    the smallest page."""
    long, gone, altered = case_in(heze, "replied"), submit(heze), case_in(heze, "accepted")
    _delete_case(gone)
    write_checkpoint()
    later_gone, _ = submit(heze), submit(heze, user="ent_shan")
    _delete_case(later_gone)
    with around_the_trigger():
        CaseEvent.objects.filter(case_id=altered.pk, seq=2).update(actor_label="冒名顶替")
    return long, altered


def test_rule_21_5_audit_verify_reads_keyset_pages_and_reports_the_same_at_any_page_size(heze):
    """Issue 21 item 5: verify reads each stream a page at a time by case id (no server-side cursor), never splitting
    a case's events between pages — a case with more events than a page is read whole — so the report is the same
    whatever the page size, and memory follows the page, not the number of cases."""
    long, altered = _tampered_history(heze)
    assert CaseEvent.objects.filter(case_id=long.pk).count() > 2
    whole = _summary(verify())
    assert any(number == altered.number for number, *_ in whole[4])
    for chunk in (1, 2, 3, 7):
        assert _summary(verify(chunk=chunk)) == whole, chunk


def test_rule_21_5_audit_verify_keeps_to_one_units_subtree(heze):
    """--unit: only the cases of the unit's subtree (a city, once the province level lands) are verified."""
    _, altered = _tampered_history(heze)
    shan = verify(unit=heze.shan)
    assert shan.ok and shan.cases == Case.objects.filter(county=heze.shan).count() >= 1
    cao = verify(unit=heze.cao)
    assert [b.case_number for b in cao.broken] == [altered.number]
    assert cao.cases == Case.objects.filter(county=heze.cao).count()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 处被改动"):
        call_command("audit", "verify", "--unit", "caoxian", stdout=out, stderr=err)
    assert altered.number in err.getvalue()
    with pytest.raises(CommandError, match="没有编码为 nowhere 的单位"):
        call_command("audit", "verify", "--unit", "nowhere")
    with pytest.raises(CommandError, match="--workers 须为 1 到 64"):
        call_command("audit", "verify", "--workers", "0")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rule_21_5_audit_verify_in_parallel_processes_reports_what_one_process_does(heze, monkeypatch):
    """--workers N: N processes verify disjoint spans of case numbers (in one exported snapshot on PostgreSQL); the
    merged report equals the single process's, gaps across a span's edge included."""
    from tests.core.test_worker import _env

    monkeypatch.setenv("WHISTLE_DATABASE_URL", _env()["WHISTLE_DATABASE_URL"])
    _, altered = _tampered_history(heze)
    for _ in range(4):
        submit(heze)
    one = _summary(verify())
    for workers in (2, 3):
        assert _summary(verify(workers=workers)) == one, workers
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--workers", "2", stdout=out, stderr=err)
    assert altered.number in err.getvalue()
