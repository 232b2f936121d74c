"""whistle as a city runs it: Debian's nginx terminating TLS (deploy/nginx/whistle.conf) in front of `whistle serve`
(granian), outside demo mode with real keys, WHISTLE_PUBLIC_URL at the nginx https address and nginx as the one
trusted proxy. The client connects from 127.0.5.7, so what whistle records must be that address, never nginx's 127.0.0.1.

Select with `pytest -m deploy`."""

import hashlib
import hmac
import io
import re
import uuid

import httpx
import pytest
import segno
from django.db import connection

from tests.conftest import PASSWORD
from tests.deploy.stack import CLIENT_ADDRESS, Stack, csrf_token, database_url
from whistle.cases.models import Case, CaseAttachment
from whistle.ratings.models import Cadre, Rating
from whistle.ratings.services import network_of

# The server processes read committed data; the migration data is restored afterwards.
pytestmark = [pytest.mark.deploy, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        url = database_url(connection)
    running = Stack(tmp_path_factory.mktemp("deploy"), url).start()
    yield running
    running.stop()


def _hmac(key: str, value: str) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def test_through_nginx_a_person_logs_in_submits_a_case_with_a_photo_and_a_rating_carries_their_address(stack, heze):
    cadre = Cadre.objects.create(
        name="张伟",
        post="审批科科长",
        unit=heze.cao_zjj,
        duties="负责建筑工程施工许可审批",
        supervision_phone="0530-3212345",
    )
    origin = {"Origin": stack.public_url}  # as a browser sends it on every POST
    with stack.client() as http:
        page = http.get("/login")
        assert page.status_code == 200
        assert "max-age=31536000" in page.headers["strict-transport-security"]
        assert "secure" in page.headers["set-cookie"].lower()  # the CSRF cookie never travels over http
        login = http.post(
            "/login",
            headers=origin,
            data={"csrfmiddlewaretoken": csrf_token(page.text), "username": "ent_cao", "password": PASSWORD},
        )
        assert login.status_code == 302, login.text[:2000]

        form = http.get("/cases/new")
        assert form.status_code == 200
        submitted = http.post(
            "/cases/new",
            headers=origin,
            data={
                "csrfmiddlewaretoken": csrf_token(form.text),
                "kind": "help",
                "category": "construction-permit",
                "description": "新厂房施工许可材料已交两周，没有答复，附现场照片",
                "contact_name": "王经理",
                "contact_phone": "13905300001",
                "idempotency_key": uuid.uuid4().hex,
            },
            files={"files": ("现场.png", io.BytesIO(PNG), "image/png")},
        )
        assert submitted.status_code == 302, submitted.text[:2000]
        case = Case.objects.get(enterprise=heze.ent_cao)
        assert submitted.headers["location"] == f"/cases/{case.number}"
        assert case.enterprise == heze.ent_cao
        assert [(a.name, a.size) for a in CaseAttachment.objects.filter(case=case)] == [("现场.png", len(PNG))]

        card = http.get(f"/r/{cadre.card_code}/")
        rated = http.post(
            f"/r/{cadre.card_code}/",
            headers=origin,
            data={"csrfmiddlewaretoken": csrf_token(card.text), "level": "1", "comment": "窗口没人"},
        )
        assert rated.status_code == 200, re.findall(r"role=\"alert\">([^<]*)", rated.text)
        qr = http.get(f"/r/{cadre.card_code}/qr.svg")

    rating = Rating.objects.get(cadre=cadre)
    # The network the per-network limit counts is the client's (127.0.5.0/24), not nginx's (127.0.0.0/24).
    assert rating.network_hash == _hmac(stack.hash_key, f"network:{network_of(CLIENT_ADDRESS)}")
    assert rating.network_hash != _hmac(stack.hash_key, f"network:{network_of('127.0.0.1')}")
    # The poor rating opened a rectification; the rater's re-rate link is on the public https address.
    assert rating.rectification_id
    assert f'href="{stack.public_url}/r/rerate/' in rated.text
    expected = io.BytesIO()
    segno.make(f"{stack.public_url}/r/{cadre.card_code}/", error="m").save(expected, kind="svg", scale=4)
    assert qr.content == expected.getvalue()


def test_static_files_come_from_nginx_after_collectstatic(stack):
    with stack.client() as http:
        css = http.get("/static/admin/css/base.css")
    assert css.status_code == 200 and "max-age=604800" in css.headers["cache-control"]  # nginx's `expires 7d`


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(stack):
    """Straight to granian from 127.0.5.7, which is not WHISTLE_TRUSTED_PROXIES: a claimed https scheme is not believed
    (so the request is sent to https), and health probes stay on plain http."""
    spoof = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.9.9.9"}
    transport = httpx.HTTPTransport(local_address=CLIENT_ADDRESS)
    with httpx.Client(base_url=f"http://127.0.0.1:{stack.web_port}", transport=transport, timeout=30) as http:
        login = http.get("/login", headers=spoof)
        health = http.get("/healthz")
    assert login.status_code == 301 and login.headers["location"].startswith("https://")
    assert health.status_code == 200
