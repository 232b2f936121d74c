"""Issue 14 §8 in the API: POST /cases accepts an urgency, the answers return it, and set_urgency is an action."""


def test_rule_8_2_api_accepts_and_returns_the_urgency(api):
    created = api.submit(urgency="urgent")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["urgency"] == "urgent" and body["urgency_label"] == "加急"
    refused = api.submit(urgency="emergency", description="另一件")
    assert refused.status_code == 422 and refused.json()["code"] == "urgency_not_permitted"
    assert refused.json()["field"] == "urgency"
    number = body["number"]
    listed = api.get("/api/v1/cases", "cao_office").json()["items"]
    assert [c["urgency"] for c in listed if c["number"] == number] == ["urgent"]
    detail = api.get(f"/api/v1/cases/{number}", "cao_office").json()
    assert "set_urgency" in {a["action"] for a in detail["allowed_actions"]}
    changed = api.act(number, "set_urgency", "cao_office", {"urgency": "ordinary", "reason": "已恢复供电"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["urgency"] == "ordinary"
    assert api.act(number, "set_urgency", "ent_cao", {"urgency": "urgent", "reason": "x"}).status_code == 403
