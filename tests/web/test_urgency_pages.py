"""Issue 14 §8 on the pages: the enterprise chooses what its profiles allow, lists carry an urgency badge, the
desk and the dispatch queue put urgent cases first, the office changes the urgency from the case page (the row's
own form), and the ledger export carries it."""

import io

from python_calamine import CalamineWorkbook

from tests.cases.flow import submit
from tests.conftest import at
from whistle.cases.models import Case


def _form(**overrides):
    return {
        "kind": "help",
        "category": "construction-permit",
        "description": "园区停电，生产线停摆",
        "address": "",
        "lat": "",
        "lng": "",
        "contact_name": "王经理",
        "contact_phone": "13905300001",
        "idempotency_key": "urgent-1",
        **overrides,
    }


def test_rule_8_2_enterprise_form_offers_the_urgencies_the_service_accepts(heze, signed_in):
    client = signed_in(heze.users.ent_cao)
    html = client.get("/cases/new").content.decode()
    assert 'name="urgency" value="ordinary"' in html and 'name="urgency" value="urgent"' in html
    assert 'value="emergency"' not in html  # 紧急 is the office's to grade (its profile is not open to enterprises)
    refused = client.post("/cases/new", _form(urgency="emergency"))
    assert refused.status_code == 422 and not Case.objects.exists()
    response = client.post("/cases/new", _form(urgency="urgent"))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.urgency == "urgent"
    page = client.get(response["Location"]).content.decode()
    assert 'badge-urgent">加急<' in page
    assert 'badge-urgent">加急<' in client.get("/my").content.decode()


def test_rule_8_2_desk_lists_urgent_cases_first_with_a_badge(heze, signed_in):
    ordinary = submit(heze, now=at(2026, 11, 2, 10))
    urgent = submit(heze, urgency="urgent", now=at(2026, 11, 2, 11))  # a later deadline, still first
    assert ordinary.next_due_at < urgent.next_due_at
    html = signed_in(heze.users.cao_zjj).get("/desk").content.decode()
    assert html.index(urgent.number) < html.index(ordinary.number)
    assert 'badge-urgent">加急<' in html


def test_rule_8_2_dispatch_queue_lists_urgent_cases_first(heze, signed_in):
    fields = {"contact_name": "王经理", "contact_phone": "13905300001", "county": "caoxian", "category": "other"}
    first = submit(heze, "cao_office", now=at(2026, 11, 2, 9), **fields)
    emergency = submit(heze, "cao_office", urgency="emergency", now=at(2026, 11, 2, 10), **fields)
    html = signed_in(heze.users.cao_office).get("/ledger", {"view": "queue"}).content.decode()
    assert html.index(emergency.number) < html.index(first.number)
    assert 'badge-emergency">紧急<' in html


def test_rule_8_2_office_changes_the_urgency_from_the_case_page(heze, signed_in):
    case = submit(heze)
    office = signed_in(heze.users.cao_office)
    page = office.get(f"/cases/{case.number}").content.decode()
    assert "调整紧急程度" in page and 'name="set_urgency-urgency"' in page
    response = office.post(
        f"/cases/{case.number}/do/set_urgency",
        {"set_urgency-urgency": "emergency", "set_urgency-reason": "涉及安全生产"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    case.refresh_from_db()
    assert case.urgency == "emergency"
    page = office.get(f"/cases/{case.number}").content.decode()
    assert "紧急程度由一般调整为紧急" in page and 'badge-emergency">紧急<' in page
    # The enterprise is not offered the form (the server would refuse it).
    assert "调整紧急程度" not in signed_in(heze.users.ent_cao).get(f"/cases/{case.number}").content.decode()


def test_rule_8_2_ledger_export_carries_the_urgency(heze, signed_in):
    submit(heze, urgency="urgent")
    response = signed_in(heze.users.city_office).get("/ledger.xlsx", {"view": "all"})
    body = b"".join(response.streaming_content) if response.streaming else response.content
    rows = CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
    column = rows[0].index("紧急程度")
    assert [r[column] for r in rows[1:]] == ["加急"]
