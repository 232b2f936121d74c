"""Issue 12's figures: what the outbox costs, and how fast the sender delivers.

    createdb -h 127.0.0.1 -U postgres bench_notices
    WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_notices .venv/bin/whistle migrate
    WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_notices .venv/bin/python bench/notices_bench.py \
        [--cases 1000] [--requests 300] [--rounds 3]

(SQLite: leave WHISTLE_DATABASE_URL out and point WHISTLE_VAR_DIR at a scratch directory after `whistle migrate`.)
It builds a small organisation (one county, its office, one unit with two handlers, one enterprise with two users,
everyone with an e-mail address) in the database it is given, and measures, in the same run:

1. case submit (`POST /api/v1/cases`) and a transition (`POST /api/v1/cases/{n}/actions/accept`) through Django's
   full request stack (test client: middleware, auth, the API, the workflow), requests per second with the outbox's
   receiver connected and disconnected, alternating in `--rounds` rounds;
2. the sweep over `--cases` cases all due (a red card and a supervision notice each), with and without the receiver,
   each inside a transaction that is rolled back;
3. the sweep committed, then the sender (`notices.sender.deliver`) to a local SMTP server (aiosmtpd) and a local
   webhook receiver: deliveries per second and the p95 from the sweep's commit to each delivery's `sent_at`.

Prints one JSON object. The machine is shared: say so with the figures (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import socket
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")
import django  # noqa: E402

django.setup()
logging.getLogger("whistle").setLevel(logging.WARNING)  # no request line per request

from aiosmtpd.controller import Controller  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from whistle.cases import services, workflow  # noqa: E402
from whistle.cases.models import Case, Category, DispatchRule  # noqa: E402
from whistle.cases.signals import events_written  # noqa: E402
from whistle.cases.sweeper import sweep  # noqa: E402
from whistle.core.models import RuleParameter  # noqa: E402
from whistle.enterprises.models import Enterprise  # noqa: E402
from whistle.notices import outbox, sender  # noqa: E402
from whistle.notices.models import Delivery, Notice, WebhookEndpoint  # noqa: E402
from whistle.org.models import Membership, Unit  # noqa: E402
from whistle.org.scopes import Actor  # noqa: E402

PASSWORD = "Bench-notices-2026"


def org():
    if Unit.objects.filter(code="b-heze").exists():
        return
    city = Unit.objects.create(code="b-heze", name="菏泽市人民政府", level="city", kind="government")
    Unit.objects.create(code="b-cso", name="菏泽市企业吹哨办", level="city", kind="coordination_office", parent=city)
    cao = Unit.objects.create(code="b-cao", name="曹县人民政府", level="county", kind="government", parent=city)
    cao.county = cao
    cao.save()
    Unit.objects.create(
        code="b-cao-cso", name="曹县企业吹哨办", level="county", kind="coordination_office", parent=cao, county=cao
    )
    zjj = Unit.objects.create(
        code="b-cao-zjj", name="曹县住建局", level="county", kind="department", parent=cao, county=cao
    )
    ent = Enterprise.objects.create(
        uscc="91371721MA3C5TXL5J",
        name="曹县木业有限公司",
        county=cao,
        contact_name="王经理",
        contact_phone="13905300001",
    )
    cat = Category.objects.create(code="b-build", name="工程建设")
    DispatchRule.objects.create(category=cat, area=cao, unit=zjj)
    users = get_user_model()
    for name, role, scope in [
        ("b_h1", "handler", {"unit": zjj}),
        ("b_h2", "handler", {"unit": zjj}),
        ("b_e1", "enterprise", {"enterprise": ent}),
        ("b_e2", "enterprise", {"enterprise": ent}),
    ]:
        user = users.objects.create_user(name, password=PASSWORD, email=f"{name}@bench.example.cn")
        Membership.objects.create(user=user, role=role, display_name=name, **scope)


class Hook(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Hook.count += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


class Mailbox:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        Mailbox.count += 1
        return "250 OK"


def connected(on: bool):
    if on:
        events_written.connect(outbox.write_outbox, dispatch_uid="notices-outbox")
    else:
        events_written.disconnect(dispatch_uid="notices-outbox")


def submit_body(i):
    return json.dumps(
        {"kind": "help", "category": "b-build", "description": f"厂房施工许可办理慢 {i}", "county": "b-cao"}
    )


def rate(fn, n):
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


def http_figures(n: int, rounds: int) -> dict:
    ent, handler = Client(), Client()
    ent.force_login(get_user_model().objects.get(username="b_e1"))
    handler.force_login(get_user_model().objects.get(username="b_h1"))
    out = {"submit": {"with": [], "without": []}, "accept": {"with": [], "without": []}}

    def submit(i):
        r = ent.post("/api/v1/cases", submit_body(i), content_type="application/json")
        assert r.status_code in (200, 201), r.content[:300]

    for _ in range(rounds):
        for on in (True, False):
            connected(on)
            key = "with" if on else "without"
            out["submit"][key].append(rate(submit, n))
            numbers = [
                c.number
                for c in Case.objects.filter(state="dispatched", lead_unit__code="b-cao-zjj")
                .order_by("-pk")
                .only("pk")[:n]
            ]

            def accept(i, numbers=numbers):
                r = handler.post(f"/api/v1/cases/{numbers[i]}/actions/accept", "{}", content_type="application/json")
                assert r.status_code == 200, r.content[:300]

            out["accept"][key].append(rate(accept, len(numbers)))
    connected(True)
    return {
        step: {
            k: {"median_per_s": round(statistics.median(v), 1), "rounds": [round(x, 1) for x in v]}
            for k, v in sides.items()
        }
        for step, sides in out.items()
    }


def due_cases(n: int) -> dt.datetime:
    """n cases dispatched, accepted, contacted and in progress on 2 Nov 2026; all due for a red card and supervision on 24 Nov."""
    monday = timezone.make_aware(dt.datetime(2026, 11, 2, 10))
    actor = Actor.of(get_user_model().objects.get(username="b_e1"))
    handler = Actor.of(get_user_model().objects.get(username="b_h1"))
    for i in range(n):
        case, _ = services.case_submit(
            actor, kind="help", category="b-build", description=f"到期 {i}", county="b-cao", now=monday
        )
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            workflow.apply_steps(
                locked,
                [
                    ("accept", handler, {}),
                    ("contact", handler, {"method": "phone", "note": "已联系"}),
                    ("opinion", handler, {"opinion": "办理中"}),
                ],
                monday + dt.timedelta(minutes=30),
            )
    return timezone.make_aware(dt.datetime(2026, 11, 24, 10))


class Rollback(Exception):
    pass


def sweep_figures(moment: dt.datetime, rounds: int) -> dict:
    out = {"with": [], "without": []}
    for _ in range(rounds):
        for on in (True, False):
            connected(on)
            try:
                with transaction.atomic():
                    start = time.perf_counter()
                    counts = sweep(moment)
                    out["with" if on else "without"].append(time.perf_counter() - start)
                    raise Rollback
            except Rollback:
                pass
    connected(True)
    return {
        "events": counts,
        **{k: {"median_s": round(statistics.median(v), 3), "rounds": [round(x, 3) for x in v]} for k, v in out.items()},
    }


def delivery_figures(moment: dt.datetime) -> dict:
    Delivery.objects.all().delete()
    Notice.objects.filter(expanded_at__isnull=True).update(expanded_at=timezone.now())  # the HTTP rounds' notices
    counts = sweep(moment)
    committed = timezone.now()
    start = time.perf_counter()
    total = {}
    while True:
        c = sender.deliver()
        for k, v in c.items():
            total[k] = total.get(k, 0) + v
        if not (c["expanded"] or c["sent"] or c["failed"]):
            break
    seconds = time.perf_counter() - start
    pushed = Delivery.objects.filter(status="sent").exclude(channel="inapp")
    delays = sorted((d - committed).total_seconds() for d in pushed.values_list("sent_at", flat=True))
    p95 = delays[int(0.95 * (len(delays) - 1))] if delays else None
    return {
        "sweep_events": counts,
        "notices": Notice.objects.filter(at=moment).count(),
        "deliveries": {
            ch: Delivery.objects.filter(channel=ch, status="sent").count() for ch in ("inapp", "email", "webhook")
        },
        "not_sent": Delivery.objects.exclude(status="sent").count(),
        "smtp_received": Mailbox.count,
        "webhook_received": Hook.count,
        "seconds": round(seconds, 2),
        "pushed_per_s": round(len(delays) / seconds, 1) if seconds else None,
        "all_per_s": round(Delivery.objects.filter(status="sent").count() / seconds, 1) if seconds else None,
        "p95_commit_to_sent_s": round(p95, 2) if p95 is not None else None,
        "max_commit_to_sent_s": round(delays[-1], 2) if delays else None,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    org()
    RuleParameter.objects.filter(key__in=["notices.quiet_start_hour", "notices.quiet_end_hour"]).update(value=0)
    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    WebhookEndpoint.objects.all().delete()
    WebhookEndpoint.objects.create(
        name="bench",
        url=f"http://127.0.0.1:{hook.server_address[1]}/hook",
        secret="k",
        actions=["red_card", "supervise"],
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(Mailbox(), hostname="127.0.0.1", port=port)
    smtp.start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    outbox.clear_cache()
    result = {"database": connection.vendor, "cpu_count": os.cpu_count(), "load_before": os.getloadavg()}
    result["http"] = http_figures(args.requests, args.rounds)
    moment = due_cases(args.cases)
    result["sweep"] = sweep_figures(moment, args.rounds)
    result["delivery"] = delivery_figures(moment)
    result["load_after"] = os.getloadavg()
    smtp.stop()
    hook.shutdown()
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
