"""The event chain proves no history was edited (DESIGN.md "The case workflow"; `whistle audit verify`)."""
import io

import pytest
from django.core.management import CommandError, call_command

from whistle.cases.audit import verify_chains
from whistle.cases.models import CaseEvent

from tests.cases.flow import case_in, submit


def audit_verify():
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except CommandError as failed:
        return failed.returncode, out.getvalue(), err.getvalue() + str(failed)
    return 0, out.getvalue(), err.getvalue()


def test_audit_verify_passes_on_untouched_history(heze):
    case_in(heze, "replied")
    submit(heze)
    code, out, _ = audit_verify()
    assert code == 0 and "OK：10 条记录，哈希链完整" in out


@pytest.mark.parametrize("change", [
    {"payload": {"content": "改过的办理结果", "on_time": True}},
    {"actor_label": "冒名顶替"},
    {"to_state": "closed"},
])
def test_audit_verify_fails_naming_the_case_when_an_event_row_is_altered(heze, change):
    case, untouched = case_in(heze, "replied"), case_in(heze, "replied")
    CaseEvent.objects.filter(case_id=case.pk, action="reply").update(**change)
    code, _, err = audit_verify()
    assert code == 1
    assert f"{case.number} 第7条：哈希不符：该条记录内容被改动" in err and untouched.number not in err


def test_audit_verify_names_the_case_when_its_last_event_is_deleted(heze):
    case = case_in(heze, "replied")
    CaseEvent.objects.filter(case_id=case.pk, action="reply").delete()
    checked, broken = verify_chains()
    assert checked == 6 and [(b.case_number, b.seq) for b in broken] == [(case.number, 0)]
    assert "记录被删除或追加" in broken[0].reason


def test_audit_verify_names_the_case_when_an_event_in_the_middle_is_deleted(heze):
    case = case_in(heze, "replied")
    CaseEvent.objects.filter(case_id=case.pk, action="accept").delete()
    code, _, err = audit_verify()
    assert code == 1 and f"{case.number} 第5条：序号不连续（应为4）" in err
