"""Statements per create, per transition and per public rating (issue 22), counted through the whole stack.

Not run on its own: `bash bench/write_statements.sh [REV]` copies it into a checkout's tests/ (this one, and REV's
in a throwaway worktree, for the figures before) and runs it there with pytest on PostgreSQL, so it uses that
checkout's own fixtures (`heze`) and code. Counts do not depend on load, so any machine gives the same figures.
BEGIN, COMMIT, ROLLBACK and SAVEPOINT/RELEASE are not counted. Only the public API and pages are used, so the same
file measures an older revision."""

import json

FRAME = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
LIFECYCLE = [
    ("accept", "cao_zjj", {}),
    ("contact", "cao_zjj", {"method": "phone"}),
    ("opinion", "cao_zjj", {"opinion": "经核实，三个工作日内到场办理"}),
    ("reply", "cao_zjj", {"content": "已办结"}),
    ("follow_up", "ent_cao", {"resolution": "resolved", "satisfaction": "satisfied"}),
]


def count(call) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code in (200, 201), response.content[:300]
    return len([q for q in captured.captured_queries if not q["sql"].lstrip().upper().startswith(FRAME)])


def test_write_statements(heze):
    from django.test import Client

    from whistle.org.services import token_issue
    from whistle.ratings.models import Cadre

    client = Client()
    tokens = {name: token_issue(getattr(heze.users, name))[0] for name in ("ent_cao", "cao_zjj")}

    def post(path, user, body):
        return client.post(
            path, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {tokens[user]}"
        )

    body = {"kind": "help", "category": "construction-permit", "description": "施工许可材料已提交两周未有答复"}
    for user in tokens:  # each token's first use writes its last use; later ones within a minute do not
        client.get("/api/v1/auth/tokens", HTTP_AUTHORIZATION=f"Bearer {tokens[user]}")
    post("/api/v1/cases", "ent_cao", body)  # warm the process's rule caches, as in a running server
    figures = {"create": count(lambda: post("/api/v1/cases", "ent_cao", body))}
    number = post("/api/v1/cases", "ent_cao", body).json()["number"]
    for action, user, payload in LIFECYCLE:
        figures[action] = count(lambda: post(f"/api/v1/cases/{number}/actions/{action}", user, payload))
    figures["lifecycle (create + 5 actions)"] = figures["create"] + sum(figures[a] for a, _, _ in LIFECYCLE)
    cadre = Cadre.objects.create(name="张伟", post="科长", unit=heze.cao_zjj, supervision_phone="0530-3212345")
    card = f"/r/{cadre.card_code}/"
    Client().post(card, {"level": 5}, REMOTE_ADDR="10.0.0.1")
    figures["rating POST /r/<code>/"] = count(lambda: Client().post(card, {"level": 4}, REMOTE_ADDR="10.0.1.1"))
    Client().get(card)
    figures["card page GET (kept)"] = count(lambda: Client().get(card))
    print("\nWRITE-STATEMENTS " + json.dumps(figures, ensure_ascii=False))


def table(lines) -> str:
    """The runs' figures side by side (`python bench/write_statements.py table < bench/out/write-statements.txt`)."""
    rows = [(line.split(" ", 1)[0], json.loads(line.split(" ", 1)[1])) for line in lines if line.strip()]
    out = ["statements".ljust(32) + "".join(label.rjust(24) for label, _ in rows)]
    for name in rows[-1][1]:
        out.append(name.ljust(32) + "".join(str(figures.get(name, "-")).rjust(24) for _, figures in rows))
    return "\n".join(out)


if __name__ == "__main__":
    import sys

    print(table(sys.stdin.read().splitlines()))
