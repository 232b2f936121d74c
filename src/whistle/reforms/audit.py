"""Verify the reform tasks' timelines: each task's events chain by keyed hash from the first, with no gap in seq,
and the task row's `event_seq` and `last_event_hash` name the last event. `whistle reforms verify` runs it."""

from __future__ import annotations

from dataclasses import dataclass, field

from whistle.core.hashing import UnknownKey, chain_hash

from .models import Task, TaskEvent


@dataclass
class Report:
    tasks: int = 0
    events: int = 0
    broken: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken


def verify() -> Report:
    report = Report()
    heads = dict(Task.objects.values_list("pk", "code"))
    seqs = {pk: (seq, head) for pk, seq, head in Task.objects.values_list("pk", "event_seq", "last_event_hash")}
    current, previous, expected = None, "", 1
    seen: set[int] = set()

    def close(task_id, last_seq, last_hash):
        seq, head = seqs.get(task_id, (None, None))
        if seq != last_seq or head != last_hash:
            report.broken.append(f"{heads.get(task_id, task_id)}：任务记录的最新序号或哈希与记录链不符")

    last_seq = 0
    for event in TaskEvent.objects.order_by("task_id", "seq").iterator(chunk_size=2000):
        if event.task_id != current:
            if current is not None:
                close(current, last_seq, previous)
            current, previous, expected = event.task_id, "", 1
            seen.add(current)
            report.tasks += 1
        report.events += 1
        code = heads.get(event.task_id, event.task_id)
        if event.seq != expected:
            report.broken.append(f"{code} 第{event.seq}条：序号不连续（应为{expected}）")
        try:
            good = chain_hash(previous, event.record(), event.hash_key) == event.hash
        except UnknownKey:
            good = False
        if not good:
            report.broken.append(f"{code} 第{event.seq}条：哈希不符，记录被改动")
        previous, expected, last_seq = event.hash, event.seq + 1, event.seq
    if current is not None:
        close(current, last_seq, previous)
    for pk, (seq, _) in seqs.items():
        if pk not in seen and seq:
            report.broken.append(f"{heads[pk]}：记录缺失")
    return report
