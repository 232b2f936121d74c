"""Calling the API over Django's test client, through the whole middleware stack."""

import json
import re

import pytest

from whistle.cases.models import Case, CaseAttachment, CaseEvent, IdempotencyRecord
from whistle.org.services import token_issue

CHINESE = re.compile(r"[\u4e00-\u9fff]")


class Api:
    """Bearer-token calls as a named user of the `heze` fixture; tokens come from the real token service."""

    def __init__(self, client, heze):
        self.client, self.heze, self.tokens = client, heze, {}

    def headers(self, user, extra):
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in extra.items()}
        if user is not None:
            if user not in self.tokens:
                self.tokens[user] = token_issue(getattr(self.heze.users, user))[0]
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.tokens[user]}"
        return headers

    def get(self, path, user=None, params=None, **headers):
        return self.client.get(path, params or {}, **self.headers(user, headers))

    def post(self, path, user=None, body=None, **headers):
        data = body if isinstance(body, (str, bytes)) else json.dumps({} if body is None else body, ensure_ascii=False)
        return self.client.post(path, data, content_type="application/json", **self.headers(user, headers))

    def act(self, number, action, user, payload=None):
        return self.post(f"/api/v1/cases/{number}/actions/{action}", user, payload)

    def submit(self, user="ent_cao", **fields):
        body = {
            "kind": "help",
            "category": "construction-permit",
            "description": "厂房施工许可办理慢，材料已交两周没有答复",
        }
        return self.post("/api/v1/cases", user, {**body, **fields})


@pytest.fixture
def api(client, heze):
    return Api(client, heze)


def problem(response, status: int, code: str, field: str | None = None) -> dict:
    """Assert an RFC 9457 refusal a person can act on: status, stable code, field at fault, Chinese detail."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == code, body
    assert body.get("field") == field, body
    assert CHINESE.search(body["detail"]), body
    return body


def rows() -> tuple[int, int, int, int]:
    """What a refused request must not have written."""
    return (
        Case.objects.count(),
        CaseEvent.objects.count(),
        IdempotencyRecord.objects.count(),
        CaseAttachment.objects.count(),
    )
