"""Channels behind one interface: `send(delivery) -> receipt id`, raising `Temporary` (try again later) or
`Permanent` (give up now).

- e-mail: Django's SMTP backend (EMAIL_* from WHISTLE_SMTP_*);
- SMS: an HTTP gateway adapter with the request shape of Aliyun's SendSms (dysmsapi 2017-05-25, RPC style, signed
  with HMAC-SHA1; rules.md §11.3), the shape most Chinese SMS gateways copy: WHISTLE_SMS_URL, WHISTLE_SMS_SIGN_NAME,
  WHISTLE_SMS_ACCESS_KEY_ID/SECRET, the template code per `NoticeTemplate`;
- WeChat Official Account template messages (rules.md §11.4): WHISTLE_WECHAT_API, _APPID, _SECRET;
- outgoing webhooks: JSON signed with HMAC-SHA256 (docs/api.md "推送接口");
- in-app needs no adapter: the delivery row is the message.

Every request carries the delivery's own id as its idempotency key (OutId, client_msg_id, X-Whistle-Delivery), the
same on every retry, so a provider's receipt or an integrator can tell a retry from a new message.

The sender calls the channels from a small pool of threads (issue 21): `prepare(delivery)` runs on the sender's own
thread and does everything that reads the database (a rater's phone, the city's wording), returning the call that
only talks to the outside system, which a pool thread runs. Each thread keeps its connections for the run: one SMTP
connection, and one kept-alive HTTP connection per host (`session()` closes them all at the end of a run).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import smtplib
import threading
import time
import urllib.parse
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from whistle.cases.models import Case
from whistle.core import aliyun, wording

from .models import Channel, Delivery, Notice

TIMEOUT_SECONDS = 10
IDLE_SECONDS = 4.0  # a kept-alive HTTP connection idle longer than this is not reused (servers close idle ones)


class Temporary(Exception):
    """The channel could not deliver now; the sender tries again after a backoff."""


class Permanent(Exception):
    """The channel will never deliver this message (unknown number, unsubscribed user …)."""


def configured() -> set[str]:
    """The channels this deployment can send on."""
    found = {Channel.INAPP, Channel.WEBHOOK}
    if settings.EMAIL_HOST:
        found.add(Channel.EMAIL)
    if settings.WHISTLE_SMS_URL:
        found.add(Channel.SMS)
    if settings.WHISTLE_WECHAT_APPID:
        found.add(Channel.WECHAT)
    return found


def send(delivery: Delivery) -> str:
    return prepare(delivery)()


def prepare(delivery: Delivery) -> Callable[[], str]:
    """What sending `delivery` takes, read from the database now (on the caller's thread): the returned call talks to
    the outside system only, returns the receipt id, and raises `Temporary` or `Permanent`. `prepare` itself raises
    `Permanent` for a message that can never be sent (no template code, a rater's phone deleted)."""
    return PREPARERS[delivery.channel](delivery)


def canonical_json(payload) -> bytes:
    """The bytes a JSON request carries: UTF-8, Chinese as is, no spaces, keys sorted."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


# ---- the connections a thread keeps during a run ---------------------------------------------------------------------


class _Kept(threading.local):
    def __init__(self):
        self.http: dict[tuple, tuple[http.client.HTTPConnection, float]] = {}
        self.smtp = None


_kept = _Kept()
_open_lock = threading.Lock()
_opened: list = []  # every connection any thread opened in this run, for `session()` to close


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001 — closing a broken connection
        pass


@contextmanager
def session():
    """One sender run: each thread keeps its SMTP connection and its HTTP connections for the run; all closed at
    the end."""
    try:
        yield
    finally:
        with _open_lock:
            opened, _opened[:] = list(_opened), []
        for connection in opened:
            _close_quietly(connection)
        _kept.http.clear()
        _kept.smtp = None


def _remember(connection) -> None:
    with _open_lock:
        _opened.append(connection)


def _http_connection(scheme: str, host: str, port: int | None, fresh: bool = False):
    key = (scheme, host, port)
    kept = _kept.http.pop(key, None)
    if kept is not None:
        connection, used = kept
        if not fresh and time.monotonic() - used < IDLE_SECONDS and connection.sock is not None:
            return key, connection
        _close_quietly(connection)
    cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    connection = cls(host, port, timeout=TIMEOUT_SECONDS)
    _remember(connection)
    return key, connection


def _request(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None):
    """One HTTP request on this thread's kept-alive connection to the host: (status, body). A 5xx or 429 answer, or
    no answer, raises `Temporary` (the message is tried again after a backoff, with the same idempotency key); a
    connection that failed is dropped, never used for a second try of the same message now."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Permanent(f"地址无效：{url[:100]}")
    key, connection = _http_connection(parts.scheme, parts.hostname, parts.port)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        answer = response.read()
    except (http.client.HTTPException, TimeoutError, ConnectionError, OSError) as error:
        _close_quietly(connection)
        raise Temporary(f"连接失败：{error}") from None
    if response.will_close:
        _close_quietly(connection)
    else:
        _kept.http[key] = (connection, time.monotonic())
    if response.status >= 500 or response.status == 429:
        raise Temporary(f"HTTP {response.status}")
    return response.status, answer


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    return _request("POST", url, body, headers)


# ---- e-mail ---------------------------------------------------------------------------------------------------------


def _smtp():
    if _kept.smtp is None:
        connection = get_connection(settings.WHISTLE_MAIL_BACKEND, timeout=TIMEOUT_SECONDS)
        connection.open()
        _remember(connection)
        _kept.smtp = connection
    return _kept.smtp


def send_email(delivery: Delivery) -> str:
    return prepare_email(delivery)()


def prepare_email(delivery: Delivery) -> Callable[[], str]:
    message_id = f"<whistle-{delivery.pk}@{settings.WHISTLE_MAIL_DOMAIN}>"
    message = EmailMessage(
        subject=delivery.subject,
        body=delivery.body + (f"\n\n{delivery.link}" if delivery.link else ""),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.address],
        headers={"Message-ID": message_id},
    )

    def call() -> str:
        try:
            connection = _smtp()
            if not connection.send_messages([message]):
                raise Temporary("SMTP：未发送")
        except smtplib.SMTPRecipientsRefused as refused:
            raise Permanent(f"收件人被拒绝：{list(refused.recipients)}") from None
        except smtplib.SMTPResponseException as error:
            _drop_smtp()
            if 500 <= error.smtp_code < 600:
                raise Permanent(f"SMTP {error.smtp_code}") from None
            raise Temporary(f"SMTP {error.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as error:
            _drop_smtp()
            raise Temporary(f"SMTP：{error}") from None
        return message_id

    return call


def _drop_smtp():
    if _kept.smtp is not None:
        _close_quietly(_kept.smtp)
        _kept.smtp = None


# ---- SMS: Aliyun SendSms shape ----------------------------------------------------------------------------------------


def city_of(delivery: Delivery) -> int | None:
    """The city a message speaks for: its case's, else its notice's; None (the deployment's wording) for neither. The
    sender reads it with its batch (`speaks_for`); a delivery read alone asks here."""
    if hasattr(delivery, "speaks_for"):
        return delivery.speaks_for
    if delivery.case_id:
        return Case.objects.filter(pk=delivery.case_id).values_list("city_id", flat=True).first()
    if delivery.notice_id:
        return Notice.objects.filter(pk=delivery.notice_id).values_list("city_id", flat=True).first()
    return None


def sms_params(delivery: Delivery, phone: str, timestamp: str) -> dict[str, str]:
    """The signed request's parameters, the signature last (what the gateway receives, form-encoded). The signature
    (SignName) is WHISTLE_SMS_SIGN_NAME when set (one for the whole deployment), else the platform's short name in the
    wording of the message's city (a province's cities each sign with their own)."""
    params = {
        "AccessKeyId": settings.WHISTLE_SMS_ACCESS_KEY_ID,
        "Action": "SendSms",
        "Format": "JSON",
        "OutId": f"whistle-{delivery.pk}",
        "PhoneNumbers": phone,
        "RegionId": "cn-hangzhou",
        "SignName": settings.WHISTLE_SMS_SIGN_NAME or wording.text("platform_name", city_of(delivery)),
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": f"whistle-{delivery.pk}-{delivery.attempts}",
        "SignatureVersion": "1.0",
        "TemplateCode": delivery.payload.get("sms_template_code", ""),
        # Keys sorted: the payload comes back from a PostgreSQL jsonb column in its own key order.
        "TemplateParam": json.dumps(
            delivery.payload.get("sms_params", {}), ensure_ascii=False, separators=(",", ":"), sort_keys=True
        ),
        "Timestamp": timestamp,
        "Version": "2017-05-25",
    }
    return aliyun.signed(params, settings.WHISTLE_SMS_ACCESS_KEY_SECRET)


def send_sms(delivery: Delivery) -> str:
    return prepare_sms(delivery)()


def prepare_sms(delivery: Delivery) -> Callable[[], str]:
    phone = _phone_of(delivery)
    if not delivery.payload.get("sms_template_code"):
        raise Permanent("消息模板未配置短信模板编号")
    timestamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    body = aliyun.form_body(sms_params(delivery, phone, timestamp))
    url = settings.WHISTLE_SMS_URL

    def call() -> str:
        status, answer = _post(url, body, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        reply = _json(answer)
        code = str(reply.get("Code", ""))
        if status == 200 and code == "OK":
            return str(reply.get("BizId", ""))
        if code in ("isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "isp.SYSTEM_ERROR") or not code:
            raise Temporary(f"短信网关：{code or status} {reply.get('Message', '')}".strip())
        raise Permanent(f"短信网关：{code} {reply.get('Message', '')}".strip())

    return call


def _phone_of(delivery: Delivery) -> str:
    if delivery.address.startswith("rating:"):
        # A rater's phone stays encrypted until this moment, and is not kept anywhere else.
        from whistle.ratings.phones import rater_phone

        phone = rater_phone(int(delivery.address.removeprefix("rating:")))
        if not phone:
            raise Permanent("评价人电话已按保存期限删除")
        return phone
    return delivery.address


def _json(answer: bytes) -> dict:
    try:
        value = json.loads(answer or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# ---- WeChat Official Account template messages ------------------------------------------------------------------------


@dataclass
class _Token:
    value: str = ""
    expires: float = 0.0


_token = _Token()
_token_lock = threading.Lock()


def _access_token(refresh: bool = False, stale: str = "") -> str:
    """The account's access token, fetched once for all the pool's threads; `refresh` fetches a new one unless
    another thread already replaced `stale`."""
    with _token_lock:
        return _token_locked(refresh and (not stale or _token.value == stale))


def _token_locked(refresh: bool) -> str:
    if refresh or not _token.value or time.monotonic() > _token.expires:
        query = urllib.parse.urlencode(
            {
                "grant_type": "client_credential",
                "appid": settings.WHISTLE_WECHAT_APPID,
                "secret": settings.WHISTLE_WECHAT_SECRET,
            }
        )
        status, answer = _request("GET", f"{settings.WHISTLE_WECHAT_API}/cgi-bin/token?{query}")
        reply = _json(answer)
        if not reply.get("access_token"):
            raise Temporary(f"微信 access_token：{reply.get('errcode', status)} {reply.get('errmsg', '')}".strip())
        _token.value = reply["access_token"]
        _token.expires = time.monotonic() + int(reply.get("expires_in", 7200)) - 300
    return _token.value


def wechat_body(delivery: Delivery) -> bytes:
    body = {
        "touser": delivery.address,
        "template_id": delivery.payload.get("wechat_template_id", ""),
        "url": delivery.link,
        "client_msg_id": f"whistle-{delivery.pk}",
        "data": delivery.payload.get("wechat_data", {}),
    }
    return canonical_json(body)


def send_wechat(delivery: Delivery) -> str:
    return prepare_wechat(delivery)()


def prepare_wechat(delivery: Delivery) -> Callable[[], str]:
    if not delivery.payload.get("wechat_template_id"):
        raise Permanent("消息模板未配置微信模板消息编号")
    body = wechat_body(delivery)
    api = settings.WHISTLE_WECHAT_API

    def call() -> str:
        token = ""
        for attempt in range(2):
            token = _access_token(refresh=attempt > 0, stale=token)
            url = f"{api}/cgi-bin/message/template/send?access_token={urllib.parse.quote(token)}"
            status, answer = _post(url, body, {"Content-Type": "application/json; charset=utf-8"})
            reply = _json(answer)
            code = reply.get("errcode", -1 if status != 200 else 0)
            if code == 0:
                return str(reply.get("msgid", ""))
            if code in (40001, 40014, 42001) and attempt == 0:
                continue  # the token expired or was replaced by another process: fetch a fresh one once
            if code in (-1, 45009, 40001, 42001):
                raise Temporary(f"微信：{code} {reply.get('errmsg', '')}".strip())
            raise Permanent(f"微信：{code} {reply.get('errmsg', '')}".strip())
        raise Temporary("微信：access_token 无效")

    return call


# ---- webhooks -----------------------------------------------------------------------------------------------------------


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of `timestamp.body` under the endpoint's secret (docs/api.md)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def webhook_headers(delivery: Delivery, body: bytes, timestamp: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "whistle-webhook/1",
        "X-Whistle-Event": delivery.payload.get("event", ""),
        "X-Whistle-Delivery": str(delivery.pk),
        "X-Whistle-Timestamp": timestamp,
        "X-Whistle-Signature": webhook_signature(delivery.endpoint.secret, timestamp, body),
    }


def send_webhook(delivery: Delivery) -> str:
    return prepare_webhook(delivery)()


def prepare_webhook(delivery: Delivery) -> Callable[[], str]:
    body = delivery.body.encode("utf-8")
    timestamp = str(int(timezone.now().timestamp()))
    url, headers = delivery.address, webhook_headers(delivery, body, timestamp)

    def call() -> str:
        status, _ = _post(url, body, headers)
        if 200 <= status < 300:
            return ""
        if status in (408, 409, 425):
            raise Temporary(f"HTTP {status}")
        raise Permanent(f"HTTP {status}")

    return call


def send_inapp(delivery: Delivery) -> str:
    return ""


def prepare_inapp(delivery: Delivery) -> Callable[[], str]:
    return lambda: ""


PREPARERS: dict[str, Callable[[Delivery], Callable[[], str]]] = {
    Channel.EMAIL: prepare_email,
    Channel.SMS: prepare_sms,
    Channel.WECHAT: prepare_wechat,
    Channel.WEBHOOK: prepare_webhook,
    Channel.INAPP: prepare_inapp,
}
ADAPTERS = {
    Channel.EMAIL: send_email,
    Channel.SMS: send_sms,
    Channel.WECHAT: send_wechat,
    Channel.WEBHOOK: send_webhook,
    Channel.INAPP: send_inapp,
}
