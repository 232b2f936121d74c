"""Real local servers standing in for the outside systems: an SMTP server (aiosmtpd), and HTTP servers for the SMS
gateway, WeChat and a webhook receiver. Each records exactly what it received."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller

from tests.hosts import free_port
from whistle.notices import outbox


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("ascii"), keep_blank_values=True).items()}

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}


@dataclass
class HttpReceiver:
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    # (received) -> (status, body bytes); the default answers 200 {}
    respond: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self, prefix: str) -> list[Received]:
        return [r for r in self.requests if urlsplit(r.path).path.startswith(prefix)]


def _handler(receiver: HttpReceiver):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            got = Received(self.command, self.path, {k: v for k, v in self.headers.items()}, body)
            with receiver.lock:
                receiver.requests.append(got)
            status, answer = receiver.respond(got) if receiver.respond else (200, b"{}")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST = _any

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def http_receiver():
    """Start local HTTP receivers: `start(respond=None)` returns one with `.url` and `.requests`."""
    servers = []

    def start(respond=None) -> HttpReceiver:
        receiver = HttpReceiver(respond=respond)
        server = ThreadingHTTPServer(("127.0.0.1", free_port()), _handler(receiver))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
        servers.append(server)
        return receiver

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class _Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "data": envelope.original_content}
        )
        return "250 OK"


@pytest.fixture
def smtp(settings):
    """A real SMTP server (aiosmtpd) on a local port; the settings point whistle's e-mail channel at it."""
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.DEFAULT_FROM_EMAIL = "whistle@heze.example.gov.cn"
    settings.WHISTLE_MAIL_DOMAIN = "heze.example.gov.cn"
    mailbox.port = controller.port
    yield mailbox
    controller.stop()


def sms_ok(received: Received):
    out_id = received.form.get("OutId", "")
    return 200, json.dumps({"Code": "OK", "Message": "OK", "BizId": f"biz-{out_id}", "RequestId": "r1"}).encode()


@pytest.fixture
def sms_gateway(settings, http_receiver):
    gateway = http_receiver(sms_ok)
    settings.WHISTLE_SMS_URL = gateway.url + "/"
    settings.WHISTLE_SMS_ACCESS_KEY_ID = "LTAI-test-id"
    settings.WHISTLE_SMS_ACCESS_KEY_SECRET = "test-secret"
    settings.WHISTLE_SMS_SIGN_NAME = "菏泽企业吹哨"
    return gateway


def wechat_answers(received: Received):
    path = urlsplit(received.path).path
    if path == "/cgi-bin/token":
        return 200, json.dumps({"access_token": "TOKEN-1", "expires_in": 7200}).encode()
    if path == "/cgi-bin/message/template/send":
        return 200, json.dumps({"errcode": 0, "errmsg": "ok", "msgid": 200228332}).encode()
    if path == "/sns/oauth2/access_token":
        code = received.query.get("code")
        if code == "good-code":
            return 200, json.dumps({"access_token": "x", "openid": "oOPENID-ent-cao", "scope": "snsapi_base"}).encode()
        return 200, json.dumps({"errcode": 40029, "errmsg": "invalid code"}).encode()
    return 404, b"{}"


@pytest.fixture
def wechat(settings, http_receiver):
    from whistle.notices import channels

    server = http_receiver(wechat_answers)
    settings.WHISTLE_WECHAT_API = server.url
    settings.WHISTLE_WECHAT_OAUTH = server.url
    settings.WHISTLE_WECHAT_APPID = "wx-test-app"
    settings.WHISTLE_WECHAT_SECRET = "wx-test-secret"
    channels._token.value, channels._token.expires = "", 0.0
    yield server
    channels._token.value, channels._token.expires = "", 0.0


@pytest.fixture(autouse=True)
def _fresh_watched():
    outbox.clear_cache()
    yield
    outbox.clear_cache()


@pytest.fixture(autouse=True)
def _no_quiet_hours(db):
    """Tests run at any hour: quiet hours off unless a test sets them."""
    from whistle.core import rules
    from whistle.core.models import RuleParameter

    RuleParameter.objects.filter(key="notices.quiet_start_hour").update(value=0)
    RuleParameter.objects.filter(key="notices.quiet_end_hour").update(value=0)
    rules.clear_cache()
