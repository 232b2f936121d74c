"""The API through a real HTTP server and a real HTTP client (httpx), as an integrating system sees it."""

import httpx
import pytest

from tests.conftest import PASSWORD

# The server thread reads committed data; the migration data is restored afterwards.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_enterprise_and_unit_work_a_case_over_real_http(live_server, heze):
    with httpx.Client(base_url=live_server.url, timeout=30) as http:

        def token(username):
            response = http.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
            assert response.status_code == 201, response.text
            return {"Authorization": f"Bearer {response.json()['token']}"}

        enterprise, unit = token("ent_cao"), token("cao_zjj")
        body = {"kind": "help", "category": "construction-permit", "description": "厂房施工许可办理慢，请协调"}
        created = http.post("/api/v1/cases", json=body, headers={**enterprise, "Idempotency-Key": "live-1"})
        retried = http.post("/api/v1/cases", json=body, headers={**enterprise, "Idempotency-Key": "live-1"})
        assert (created.status_code, retried.status_code) == (201, 200)
        number = created.json()["number"]
        assert retried.json()["number"] == number

        inbox = http.get("/api/v1/cases", params={"state": "dispatched"}, headers=unit).json()
        assert [item["number"] for item in inbox["items"]] == [number]
        for action, payload in [
            ("accept", {}),
            ("contact", {"method": "phone"}),
            ("opinion", {"opinion": "三日内办结"}),
            ("reply", {"content": "施工许可证已核发"}),
        ]:
            response = http.post(f"/api/v1/cases/{number}/actions/{action}", json=payload, headers=unit)
            assert response.status_code == 200, response.text
        done = http.post(
            f"/api/v1/cases/{number}/actions/follow_up",
            json={"resolution": "resolved", "satisfaction": "satisfied"},
            headers=enterprise,
        )
        assert done.status_code == 200 and done.json()["state"] == "closed"

        refused = http.post(f"/api/v1/cases/{number}/actions/reply", json={"content": "再答复一次"}, headers=unit)
        assert refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "invalid_state"
        assert http.get("/api/v1/openapi.json").json()["info"]["title"] == "whistle API"
