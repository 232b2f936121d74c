"""Profile whistle API requests in-process (Django's test client through the full middleware stack) with pyinstrument.

    WHISTLE_DATABASE_URL=... PYTHONPATH=bench/.tools .venv/bin/python bench/profile_request.py create|lifecycle|inbox [-n 50]
Writes bench/out/profile-<what>.txt. pyinstrument is installed apart (bench/.tools) so the app's venv is untouched.
"""

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from pyinstrument import Profiler  # noqa: E402

OUT = Path(__file__).parent / "out"
ACTIONS = [
    ("accept", {}),
    ("contact", {"method": "phone"}),
    ("opinion", {"opinion": "经核实，三个工作日内到场办理"}),
    ("reply", {"content": "已办结"}),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["create", "lifecycle", "inbox", "desk", "selector"])
    parser.add_argument("--actors", default=str(OUT / "http" / "actors.json"))
    parser.add_argument(
        "--unit", help="for inbox/desk/selector: the unit whose handler reads (default: the route's unit)"
    )
    parser.add_argument("-n", type=int, default=50)
    args = parser.parse_args()
    route = json.loads(Path(args.actors).read_text())[0]
    unit_code = args.unit or route["unit"]
    ent = {"HTTP_AUTHORIZATION": f"Bearer {route['enterprise_token']}"}
    handler = {"HTTP_AUTHORIZATION": f"Bearer {route['handler_token']}"}
    body = {
        "kind": "help",
        "category": route["category"],
        "description": "施工许可材料已提交两周未有答复，请协调办理进度。",
    }
    client = Client(SERVER_NAME="127.0.0.1")

    def create():
        r = client.post("/api/v1/cases", body, content_type="application/json", **ent)
        assert r.status_code == 201, r.content
        return r.json()["number"]

    def lifecycle():
        number = create()
        for action, payload in ACTIONS:
            r = client.post(
                f"/api/v1/cases/{number}/actions/{action}", payload, content_type="application/json", **handler
            )
            assert r.status_code == 200, r.content
        r = client.post(
            f"/api/v1/cases/{number}/actions/follow_up",
            {"resolution": "resolved", "satisfaction": "satisfied"},
            content_type="application/json",
            **ent,
        )
        assert r.status_code == 200, r.content

    def inbox():
        r = client.get(
            f"/api/v1/cases?unit={unit_code}&state=dispatched,accepted,contacted,in_progress,replied,reopened",
            HTTP_AUTHORIZATION=bearer,
        )
        assert r.status_code == 200, r.content

    def desk():
        r = client.get("/desk")
        assert r.status_code == 200, r.status_code

    def selector():
        list(selectors.inbox(actor)[:20])

    if args.what in ("inbox", "desk", "selector"):
        from whistle.cases import selectors
        from whistle.org.models import Membership, Role
        from whistle.org.scopes import Actor
        from whistle.org.services import token_issue

        reader = Membership.objects.filter(role=Role.HANDLER, unit__code=unit_code).select_related("user").first().user
        bearer = f"Bearer {token_issue(reader, 'bench-profile', days=0)[0]}"
        client.force_login(reader)
        actor = Actor.of(reader)
    work = {"create": create, "lifecycle": lifecycle, "inbox": inbox, "desk": desk, "selector": selector}[args.what]
    work()  # warm caches and the connection
    queries = []

    def record(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((time.perf_counter() - started, sql))

    # Django empties connection.queries at each request's start, so count with a wrapper instead.
    with connection.execute_wrapper(record):
        work()
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.n):
        work()
    profiler.stop()
    text = profiler.output_text(unicode=True, show_all=False)
    sql = "\n".join(f"{seconds * 1000:6.2f} ms  {statement[:400]}" for seconds, statement in queries)
    (OUT / f"profile-{args.what}.txt").write_text(f"{len(queries)} queries per {args.what}\n{sql}\n\n{text}")
    print(f"{len(queries)} queries per {args.what}; profile in {OUT / f'profile-{args.what}.txt'}")


if __name__ == "__main__":
    main()
