"""Issue 12 item 3: channels behind one interface, each tested against a real local server, checking what it received
byte for byte: SMTP (aiosmtpd), the SMS gateway (Aliyun SendSms shape, signed), WeChat template messages, webhooks
(JSON signed with HMAC-SHA256). Retries with backoff, given up after the last attempt."""

import base64
import email
import email.policy
import hashlib
import hmac
import json
import urllib.parse

from django.utils import timezone

from tests.cases.flow import case_in
from whistle.core import rules
from whistle.core.models import RuleParameter
from whistle.notices import sender
from whistle.notices.models import Delivery, NoticeProfile, NoticeTemplate, Status, WebhookEndpoint


def _verified(user, phone="13905301234", **extra):
    NoticeProfile.objects.create(user=user, phone=phone, phone_verified_at=timezone.now(), **extra)


def test_issue_12_3_email_goes_through_django_smtp_backend_to_a_real_server(heze, smtp):
    heze.users.cao_zjj.email = "cao_zjj@example.cn"
    heze.users.cao_zjj.save()
    case = case_in(heze, "dispatched")
    counts = sender.deliver()
    assert counts["sent"] == 1
    (mail,) = smtp.messages
    assert mail["from"] == "whistle@heze.example.gov.cn" and mail["to"] == ["cao_zjj@example.cn"]
    message = email.message_from_bytes(mail["data"], policy=email.policy.default)
    delivery = Delivery.objects.get(channel="email")
    assert message["Subject"] == f"新派单：{case.number}"
    assert message["Message-ID"] == f"<whistle-{delivery.pk}@heze.example.gov.cn>"
    assert message.get_content() == (
        f"您单位收到派单 {case.number}「{case.title}」，请及时签收，并在时限内联系企业（当前环节时限："
        f"{timezone.localtime(case.__class__.objects.get(pk=case.pk).next_due_at):%-m月%-d日 %H:%M}）。\r\n\r\n"
        f"{delivery.link}\r\n"  # SMTP's line ends, as the server received them
    )
    assert delivery.status == Status.SENT and delivery.external_id == delivery_message_id(delivery)


def delivery_message_id(delivery):
    return f"<whistle-{delivery.pk}@heze.example.gov.cn>"


def _aliyun_signature(form: dict, secret: str) -> str:
    """Aliyun's RPC signature, computed here independently of whistle's code."""
    pairs = sorted((k, v) for k, v in form.items() if k != "Signature")

    def enc(s):
        return urllib.parse.quote(s, safe="~")

    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in pairs)
    to_sign = "POST&" + enc("/") + "&" + enc(canonical)
    return base64.b64encode(hmac.new(b"test-secret&", to_sign.encode(), hashlib.sha1).digest()).decode()


def test_issue_12_3_sms_gateway_receives_the_signed_sendsms_request_byte_for_byte(heze, sms_gateway):
    NoticeTemplate.objects.filter(code="dispatch").update(sms_template_code="SMS_900001")
    _verified(heze.users.cao_zjj)
    case = case_in(heze, "dispatched")
    sender.deliver()
    (got,) = sms_gateway.requests
    delivery = Delivery.objects.get(channel="sms")
    form = got.form
    deadline = f"{timezone.localtime(case.__class__.objects.get(pk=case.pk).next_due_at):%-m月%-d日 %H:%M}"
    params = json.dumps(
        {"number": case.number, "step": "派单", "deadline": deadline, "link": delivery.link},
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    expected = [
        ("AccessKeyId", "LTAI-test-id"),
        ("Action", "SendSms"),
        ("Format", "JSON"),
        ("OutId", f"whistle-{delivery.pk}"),
        ("PhoneNumbers", "13905301234"),
        ("RegionId", "cn-hangzhou"),
        ("SignName", "菏泽企业吹哨"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", f"whistle-{delivery.pk}-0"),
        ("SignatureVersion", "1.0"),
        ("TemplateCode", "SMS_900001"),
        ("TemplateParam", params),
        ("Timestamp", form["Timestamp"]),
        ("Version", "2017-05-25"),
        ("Signature", _aliyun_signature(form, "test-secret")),
    ]
    assert got.method == "POST" and got.headers["Content-Type"] == "application/x-www-form-urlencoded; charset=utf-8"
    assert (
        got.body
        == "&".join(
            f"{urllib.parse.quote(k, safe='~')}={urllib.parse.quote(v, safe='~')}" for k, v in expected
        ).encode()
    )
    assert delivery.status == Status.SENT and delivery.external_id == f"biz-whistle-{delivery.pk}"


def test_issue_12_3_wechat_template_message_byte_for_byte(heze, wechat):
    NoticeTemplate.objects.filter(code="dispatch").update(wechat_template_id="TPL-dispatch")
    NoticeProfile.objects.create(user=heze.users.cao_zjj, wechat_openid="oOPENID-cao-zjj")
    case = case_in(heze, "dispatched")
    sender.deliver()
    token, sent = wechat.requests
    assert token.method == "GET" and token.query == {
        "grant_type": "client_credential",
        "appid": "wx-test-app",
        "secret": "wx-test-secret",
    }
    delivery = Delivery.objects.get(channel="wechat")
    deadline = f"{timezone.localtime(case.__class__.objects.get(pk=case.pk).next_due_at):%-m月%-d日 %H:%M}"
    body = {
        "client_msg_id": f"whistle-{delivery.pk}",
        "data": {
            "first": {"value": f"新派单：{case.number}"},
            "keyword1": {"value": case.number},
            "keyword2": {"value": case.title},
            "keyword3": {"value": "派单"},
            "keyword4": {"value": deadline},
            "remark": {"value": delivery.body},
        },
        "template_id": "TPL-dispatch",
        "touser": "oOPENID-cao-zjj",
        "url": delivery.link,
    }
    assert sent.path == "/cgi-bin/message/template/send?access_token=TOKEN-1"
    assert sent.body == json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    assert delivery.status == Status.SENT and delivery.external_id == "200228332"


def test_issue_12_3_webhook_json_hmac_signed_byte_for_byte(heze, http_receiver):
    receiver = http_receiver()
    WebhookEndpoint.objects.create(name="12345热线", url=receiver.url + "/hook", secret="s3cret", actions=["dispatch"])
    case = case_in(heze, "accepted")
    sender.deliver()
    (got,) = receiver.requests  # `accept` is not subscribed
    event = case.__class__.objects.get(pk=case.pk)
    notice = Delivery.objects.get(channel="webhook").notice
    payload = {
        "id": f"{case.number}-{notice.seq}",
        "event": "dispatch",
        "label": "派单",
        "at": notice.at.isoformat(),
        "case": {
            "number": case.number,
            "title": case.title,
            "state": "dispatched",
            "level": "county",
            "lead_unit": "caoxian-zjj",
            "county": "caoxian",
            "external_ref": "",
            "next_due_at": event.next_due_at.isoformat(),
        },
        "seq": notice.seq,
    }
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    assert got.body == body
    timestamp = got.headers["X-Whistle-Timestamp"]
    expected = "sha256=" + hmac.new(b"s3cret", timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert got.headers["X-Whistle-Signature"] == expected
    assert got.headers["X-Whistle-Event"] == "dispatch"
    assert got.headers["X-Whistle-Delivery"] == str(Delivery.objects.get(channel="webhook").pk)


def test_issue_12_1_a_failing_channel_is_retried_with_backoff_then_given_up(heze, http_receiver):
    answers = iter([503, 200])
    receiver = http_receiver(lambda got: (next(answers), b"{}"))
    WebhookEndpoint.objects.create(name="热线", url=receiver.url + "/hook", secret="k", actions=["dispatch"])
    case_in(heze, "dispatched")
    first = sender.deliver()
    delivery = Delivery.objects.get(channel="webhook")
    assert first["failed"] == 1 and delivery.status == Status.FAILED and delivery.attempts == 1
    assert delivery.last_error == "HTTP 503"
    assert sender.deliver()["sent"] == 0  # not due before its backoff
    second = sender.deliver(now=delivery.next_attempt_at)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    second = sender.deliver()
    delivery.refresh_from_db()
    assert second["sent"] == 1 and delivery.status == Status.SENT and delivery.attempts == 2
    assert len(receiver.requests) == 2 and receiver.requests[0].body == receiver.requests[1].body


def test_issue_12_1_a_notice_is_given_up_after_the_last_attempt_and_shown_to_coordinators(heze, http_receiver, client):
    RuleParameter.objects.filter(key="notices.max_attempts").update(value=2)
    rules.clear_cache()
    receiver = http_receiver(lambda got: (500, b"{}"))
    WebhookEndpoint.objects.create(name="热线", url=receiver.url + "/hook", secret="k", actions=["dispatch"])
    case = case_in(heze, "dispatched")
    sender.deliver()
    Delivery.objects.filter(channel="webhook").update(next_attempt_at=timezone.now())
    assert sender.deliver()["given_up"] == 1
    delivery = Delivery.objects.get(channel="webhook")
    assert delivery.status == Status.GIVEN_UP and delivery.attempts == 2
    client.force_login(heze.users.cao_office)
    page = client.get("/notices/failed")
    assert page.status_code == 200 and f"{case.number} 派单" in page.content.decode()
    client.force_login(heze.users.shan_office)  # another county's office: not its case
    assert f"{case.number} 派单" not in client.get("/notices/failed").content.decode()
    client.force_login(heze.users.cao_office)
    client.post(f"/notices/failed/{delivery.pk}/requeue")
    delivery.refresh_from_db()
    assert delivery.status == Status.QUEUED and delivery.attempts == 0
    client.force_login(heze.users.shan_office)
    assert client.post(f"/notices/failed/{delivery.pk}/requeue").status_code == 404


def test_issue_12_3_an_unknown_number_is_given_up_at_once(heze, sms_gateway):
    sms_gateway.respond = lambda got: (200, b'{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"bad number"}')
    NoticeTemplate.objects.filter(code="dispatch").update(sms_template_code="SMS_900001")
    _verified(heze.users.cao_zjj)
    case_in(heze, "dispatched")
    assert sender.deliver()["given_up"] == 1
    assert Delivery.objects.get(channel="sms").last_error == "短信网关：isv.MOBILE_NUMBER_ILLEGAL bad number"
