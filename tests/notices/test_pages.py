"""Issue 12 items 1, 3, 5 over the real HTTP stack: the bell and the 消息 page for every role, a case's timeline of who
was told what, the enterprise's notices on 我的诉求, per-user channels with a phone verified by a code sent through the
SMS channel, a WeChat openid bound through the Official Account's authorisation, and the API."""

import json
import re

import pytest

from tests.cases.flow import case_in
from whistle.notices import expand, sender
from whistle.notices.models import Delivery, NoticeProfile, NoticeTemplate, PhoneVerification


@pytest.fixture
def accepted(heze):
    case = case_in(heze, "accepted")
    expand.expand_pending()
    return case


def test_issue_12_3_the_bell_shows_unread_messages_on_every_page(heze, client, accepted):
    client.force_login(heze.users.ent_cao)
    page = client.get("/my").content.decode()
    assert 'id="bell"' in page and "消息，1条未读" in page
    client.force_login(heze.users.auditor)  # every role has the bell, even with nothing to read
    assert 'aria-label="消息"' in client.get("/notices/").content.decode()


def test_issue_12_3_the_inbox_lists_ones_own_messages_and_opening_one_marks_it_read(heze, client, accepted):
    client.force_login(heze.users.cao_zjj)
    page = client.get("/notices/").content.decode()
    assert f"新派单：{accepted.number}" in page and "您的诉求已签收" not in page  # only one's own
    message = Delivery.objects.get(recipient=heze.users.cao_zjj, channel="inapp")
    opened = client.get(f"/notices/{message.pk}/open")
    assert opened.status_code == 302 and opened["Location"] == f"/cases/{accepted.number}"
    message.refresh_from_db()
    assert message.read_at is not None
    assert "消息，" not in client.get("/notices/").content.decode().split('id="bell"')[1][:80]
    other = Delivery.objects.get(recipient=heze.users.ent_cao, channel="inapp")
    assert client.get(f"/notices/{other.pk}/open").status_code == 404  # someone else's: like a missing one


def test_issue_12_3_read_all(heze, client, accepted):
    client.force_login(heze.users.ent_cao)
    client.post("/notices/read-all")
    assert not Delivery.objects.filter(recipient=heze.users.ent_cao, read_at__isnull=True).exists()


def test_issue_12_1_the_case_page_shows_staff_who_was_told_what_and_when(heze, client, accepted):
    client.force_login(heze.users.cao_office)
    page = client.get(f"/cases/{accepted.number}").content.decode()
    assert "通知记录" in page and f"新派单：{accepted.number}" in page and "ent_cao2" in page
    client.force_login(heze.users.ent_cao)
    page = client.get(f"/cases/{accepted.number}").content.decode()
    assert "通知记录" not in page


def test_issue_12_5_the_enterprise_sees_its_notices_on_its_cases_page(heze, client, accepted):
    client.force_login(heze.users.ent_cao)
    page = client.get("/my").content.decode()
    assert 'id="my-notices"' in page and f"您的诉求已签收：{accepted.number}" in page


def test_issue_12_3_a_phone_is_verified_by_a_code_sent_through_the_sms_channel(heze, client, sms_gateway):
    NoticeTemplate.objects.filter(code="verify_code").update(sms_template_code="SMS_CODE")
    client.force_login(heze.users.ent_cao)
    sent = client.post("/notices/settings", {"step": "send_code", "phone": "13905300009"})
    assert sent.status_code == 200 and "短信验证码" in sent.content.decode()
    sender.deliver()
    (sms,) = sms_gateway.requests
    assert sms.form["PhoneNumbers"] == "13905300009" and sms.form["TemplateCode"] == "SMS_CODE"
    code = json.loads(sms.form["TemplateParam"])["code"]
    wrong = client.post("/notices/settings", {"step": "verify", "code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 422 and "验证码不正确" in wrong.content.decode()
    client.post("/notices/settings", {"step": "verify", "code": code})
    profile = NoticeProfile.objects.get(user=heze.users.ent_cao)
    assert profile.phone == "13905300009" and profile.phone_verified_at is not None
    used = Delivery.objects.get(channel="sms")
    assert code not in used.body + str(used.payload)  # no copy of a used code is kept
    assert PhoneVerification.objects.get().verified_at is not None
    # From now on its notices go to that phone too.
    NoticeTemplate.objects.filter(code="accepted").update(sms_template_code="SMS_ACCEPTED")
    case_in(heze, "accepted")
    sender.deliver()
    assert [r.form["PhoneNumbers"] for r in sms_gateway.requests if r.form["TemplateCode"] == "SMS_ACCEPTED"] == [
        "13905300009"
    ]


def test_issue_12_3_an_unverified_phone_gets_no_sms(heze, sms_gateway):
    NoticeProfile.objects.create(user=heze.users.cao_zjj, phone="13905300009")
    case_in(heze, "dispatched")
    expand.expand_pending()
    assert not Delivery.objects.filter(channel="sms").exists()


def test_issue_12_5_an_enterprise_binds_wechat_through_the_official_accounts_authorisation(heze, client, wechat):
    client.force_login(heze.users.ent_cao)
    start = client.get("/notices/wechat/bind")
    assert start.status_code == 302 and start["Location"].startswith(wechat.url + "/connect/oauth2/authorize?")
    state = re.search(r"state=([^&#]+)", start["Location"]).group(1)
    assert "scope=snsapi_base" in start["Location"] and "appid=wx-test-app" in start["Location"]
    forged = client.get("/notices/wechat/callback", {"code": "good-code", "state": "forged"})
    assert forged.status_code == 302 and not NoticeProfile.objects.filter(wechat_openid__gt="").exists()
    start = client.get("/notices/wechat/bind")
    state = re.search(r"state=([^&#]+)", start["Location"]).group(1)
    client.get("/notices/wechat/callback", {"code": "good-code", "state": state})
    assert NoticeProfile.objects.get(user=heze.users.ent_cao).wechat_openid == "oOPENID-ent-cao"
    (exchange,) = wechat.paths("/sns/oauth2/access_token")
    assert exchange.query == {
        "appid": "wx-test-app",
        "secret": "wx-test-secret",
        "code": "good-code",
        "grant_type": "authorization_code",
    }


def test_issue_12_3_api_lists_and_marks_ones_messages(heze, client, accepted):
    client.force_login(heze.users.ent_cao)
    listed = client.get("/api/v1/notices/messages?unread=true").json()
    assert listed["count"] == 1 and listed["items"][0]["case"] == accepted.number
    pk = listed["items"][0]["id"]
    assert client.post(f"/api/v1/notices/messages/{pk}/read").json()["read_at"]
    assert client.get("/api/v1/notices/messages?unread=true").json()["count"] == 0
    other = Delivery.objects.get(recipient=heze.users.cao_zjj, channel="inapp")
    missing = client.post(f"/api/v1/notices/messages/{other.pk}/read")
    assert missing.status_code == 404 and missing.json()["code"] == "notice_not_found"
    assert client.get("/api/v1/notices/failed").json()["count"] == 0  # an enterprise oversees nothing
