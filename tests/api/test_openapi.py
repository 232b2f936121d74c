"""Issue 13, item 15: the OpenAPI document says what the API does — one schema per name, every refusal documented
as problem+json, and a moment is a moment (not a number read as seconds since 1970)."""

from tests.api.conftest import problem


def test_item_15_allowed_actions_points_at_the_workflow_transition_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]
    detail = components["CaseDetailOut"]["properties"]["allowed_actions"]
    assert detail["items"]["$ref"] == "#/components/schemas/TransitionOut"
    assert set(components["TransitionOut"]["properties"]) == {"action", "label", "required"}
    # accountability's ActionOut is the accountability action, and the only schema of that name.
    assert {"kind", "held_on", "outcome"} <= set(components["ActionOut"]["properties"])


def test_item_15_every_operation_documents_its_problem_responses(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status", "code", "detail"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "404", "422") + (("409", "413") if method == "post" else ()):
                content = operation["responses"][status]["content"]
                assert content["application/problem+json"]["schema"]["$ref"] == "#/components/schemas/Problem", (
                    path,
                    method,
                )


def test_item_15_due_before_takes_a_date_and_time_not_a_number(api):
    for value in ("0.5", "1700000000", "-1", "1e9"):
        problem(api.get("/api/v1/cases", "city_office", {"due_before": value}), 422, "invalid_input", "due_before")
    assert api.get("/api/v1/cases", "city_office", {"due_before": "2026-11-02T18:00:00+08:00"}).status_code == 200
