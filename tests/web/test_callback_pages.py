"""Issue 14 §12, rules.md §8.5 on the pages: the office's 回访抽查 page lists the month's sample, records the call's
answers (a refused answer is explained beside the form, nothing written), and shows mismatches per unit."""

import datetime as dt

from tests.cases.flow import act, case_in
from tests.conftest import at
from whistle.cases import callbacks
from whistle.cases.models import CallbackCheck
from whistle.core.models import RuleParameter
from whistle.core.rules import clear_cache


def _sample(heze, n=2):
    cases = [
        act(
            heze,
            case_in(heze, "replied"),
            "follow_up",
            "ent_cao",
            {"resolution": "resolved", "satisfaction": "satisfied"},
            at(2026, 11, 6),
        )
        for _ in range(n)
    ]
    RuleParameter.objects.filter(key="cases.callback_sample_pct").update(value=100)
    clear_cache()
    callbacks.draw(dt.date(2026, 11, 1), at(2026, 12, 2, 9))
    return cases


def test_rule_8_5_office_records_the_independent_call_and_sees_mismatches_per_unit(heze, signed_in):
    cases = _sample(heze)
    office = signed_in(heze.users.cao_office)
    html = office.get("/callbacks").content.decode()
    assert "回访抽查" in html and cases[0].number in html and cases[1].number in html
    check = CallbackCheck.objects.get(case=cases[0])
    refused = office.post(f"/callbacks/{check.pk}", {"resolution": "resolved", "note": "企业称已解决"})
    assert refused.status_code == 422 and "满意度须为" in refused.content.decode()
    assert CallbackCheck.objects.get(pk=check.pk).state == "pending"
    done = office.post(f"/callbacks/{check.pk}", {"resolution": "unresolved", "satisfaction": "unsatisfied"})
    assert done.status_code == 302
    html = office.get("/callbacks").content.decode()
    assert "与企业回访评价不一致" in html  # the message
    assert "100.0%" in html and "不一致率" in html
    assert "回访抽查：未解决，不满意；与企业回访评价不一致" in office.get(f"/cases/{cases[0].number}").content.decode()
    # Another county's office finds nothing to record; a leader reads without a form.
    assert (
        signed_in(heze.users.shan_office).post(f"/callbacks/{check.pk}", {"resolution": "resolved"}).status_code == 404
    )


def test_rule_8_5_only_the_office_records_call_backs(heze, signed_in):
    _sample(heze, 1)
    check = CallbackCheck.objects.get()
    handler = signed_in(heze.users.cao_zjj)
    assert handler.get("/callbacks").status_code == 403
    assert handler.post(f"/callbacks/{check.pk}", {"resolution": "resolved"}).status_code == 403
