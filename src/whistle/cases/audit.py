"""Prove that no case history was edited: recompute every event chain."""
from __future__ import annotations

from dataclasses import dataclass

from whistle.core.hashing import chain_hash

from .models import Case, CaseEvent, number_for


@dataclass
class Broken:
    case_number: str
    seq: int
    reason: str


def verify_chains(chunk: int = 5000) -> tuple[int, list[Broken]]:
    """Stream events in (case, seq) order; return (events checked, broken chains, at most one per case)."""
    broken: dict[int, Broken] = {}
    heads = {}
    checked = 0
    current, previous_hash, expected_seq = None, "", 1
    for event in CaseEvent.objects.order_by("case_id", "seq").iterator(chunk_size=chunk):
        if event.case_id != current:
            if current is not None:
                heads[current] = previous_hash
            current, previous_hash, expected_seq = event.case_id, "", 1
        checked += 1
        if event.case_id in broken:
            continue
        if event.seq != expected_seq:
            broken[event.case_id] = Broken(number_for(event.case_id), event.seq, f"序号不连续（应为{expected_seq}）")
        elif event.prev_hash != previous_hash:
            broken[event.case_id] = Broken(number_for(event.case_id), event.seq, "前序哈希不符：前一条记录被改动或删除")
        elif chain_hash(previous_hash, event.record()) != event.hash:
            broken[event.case_id] = Broken(number_for(event.case_id), event.seq, "哈希不符：该条记录内容被改动")
        previous_hash, expected_seq = event.hash, expected_seq + 1
    if current is not None:
        heads[current] = previous_hash
    for pk, last_hash in Case.objects.values_list("pk", "last_event_hash").iterator(chunk_size=chunk):
        if pk not in broken and heads.get(pk, "") != last_hash:
            broken[pk] = Broken(number_for(pk), 0, "工单链头与最后一条记录不符：记录被删除或追加")
    return checked, sorted(broken.values(), key=lambda b: b.case_number)
