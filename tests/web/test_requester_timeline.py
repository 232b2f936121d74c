"""What the enterprise sees of its own case (issue 13 item 19): one rule (cases.visibility) for its case page, the API
for enterprise users and Open311: no internal urge or supervision notes, no staff names."""

import pytest

from tests.cases.flow import act, case_in
from tests.conftest import at
from whistle.cases.visibility import PUBLIC_KINDS, REQUESTER_SEES
from whistle.open311.selectors import PUBLIC_NOTES
from whistle.org.models import Membership
from whistle.org.services import token_issue

SECRET_NOTES = ["科长李建华拖着不办，内部通报", "督办：承办人李建华作风问题", "内部讨论：先拖一拖"]


@pytest.fixture
def worked_case(heze):
    Membership.objects.filter(user=heze.users.cao_zjj).update(display_name="李建华")
    Membership.objects.filter(user=heze.users.cao_office).update(display_name="王丽娟")
    case = case_in(heze, "contacted")
    act(heze, case, "urge", "cao_office", {"note": SECRET_NOTES[0]}, at(2026, 11, 3, 9))
    act(heze, case, "supervise", "cao_office", {"reason": SECRET_NOTES[1]}, at(2026, 11, 3, 10))
    act(heze, case, "comment", "cao_zjj", {"note": SECRET_NOTES[2]}, at(2026, 11, 3, 11))
    act(heze, case, "comment", "ent_cao", {"note": "我们补充了厂房图纸"}, at(2026, 11, 3, 12))
    return act(heze, case, "opinion", "cao_zjj", {"opinion": "材料齐全，三个工作日内办结"}, at(2026, 11, 3, 15))


def test_enterprise_case_page_hides_internal_notes_and_staff_names(worked_case, heze, client):
    client.force_login(heze.users.ent_cao)
    html = client.get(f"/cases/{worked_case.number}").content.decode()
    for secret in [*SECRET_NOTES, "李建华", "王丽娟", "催办"]:
        assert secret not in html, secret
    assert "曹县企业吹哨办发出督办单第1号" in html  # that it was supervised, not why
    assert "曹县住房和城乡建设局给出答复意见" in html and "材料齐全，三个工作日内办结" in html
    assert "已电话联系王经理" in html and "我们补充了厂房图纸" in html


def test_staff_still_see_the_whole_timeline(worked_case, heze, client):
    client.force_login(heze.users.cao_office)
    html = client.get(f"/cases/{worked_case.number}").content.decode()
    assert all(secret in html for secret in SECRET_NOTES) and "李建华" in html


def test_enterprise_api_case_hides_internal_notes_and_staff_names(worked_case, heze, client):
    plain, _ = token_issue(heze.users.ent_cao)
    body = client.get(f"/api/v1/cases/{worked_case.number}", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert body.status_code == 200
    text = body.content.decode()
    for secret in [*SECRET_NOTES, "李建华", "王丽娟"]:
        assert secret not in text, secret
    events = body.json()["events"]
    assert [e["action"] for e in events] == [
        "submit",
        "route",
        "dispatch",
        "accept",
        "contact",
        "supervise",
        "comment",
        "opinion",
    ]
    assert {e["actor"] for e in events if e["action"] in ("accept", "opinion")} == {"曹县住房和城乡建设局"}
    assert all(e["hash"] == "" for e in events)
    staff = client.get(
        f"/api/v1/cases/{worked_case.number}", HTTP_AUTHORIZATION=f"Bearer {token_issue(heze.users.cao_office)[0]}"
    ).json()
    assert "urge" in [e["action"] for e in staff["events"]] and all(e["hash"] for e in staff["events"])


def test_open311_publishes_exactly_the_kinds_the_requester_follows_except_files():
    assert set(PUBLIC_NOTES) == PUBLIC_KINDS and PUBLIC_KINDS <= set(REQUESTER_SEES)
    assert not {"urge", "yellow_card", "comment", "assist_note", "request_extension"} & set(REQUESTER_SEES)
    assert not {"supervise", "red_card", "attach"} & PUBLIC_KINDS
