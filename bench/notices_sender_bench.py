"""Issue 21: the sender at a busy province minute's load — expanding and delivering ~14,000 notices on mixed channels
(in-app, e-mail to a real local SMTP server, SMS to a local HTTP gateway of Aliyun's SendSms shape, a webhook), two
checkouts of whistle on the same data, alternating rounds.

    createdb -h 127.0.0.1 -U postgres bench_sender
    export WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_sender
    .venv/bin/whistle migrate
    .venv/bin/python bench/notices_sender_bench.py build [--notices 14000]
    git worktree add --detach /tmp/before <rev>          # the code to compare with (same schema)
    .venv/bin/python bench/notices_sender_bench.py compare --before /tmp/before/src [--after src] [--rounds 3]

`build` makes a city with `--units` departments (one handler each: e-mail for all, a verified phone for every second),
`--firms` enterprises (one user each: a verified phone, e-mail for every third), SMS template codes on every notice
template, a webhook endpoint taking every event, and cases submitted, auto-dispatched, accepted, contacted and
replied through the services (five notices a case: submit, dispatch, accept, contact, reply), until `--notices`
notices wait; then marks them expanded, so that nothing else sends them.

`compare` starts the SMTP server and the two HTTP receivers in this process, and for each round and each side
(the order alternating) empties the deliveries, marks the notices unexpanded, VACUUMs, and runs `run` in a child
process with `PYTHONPATH=<side's src>` (this venv): `expand.expand_pending()` timed, then `sender.deliver()` until
nothing is due, timed. After each side it checks what the servers received: every sent e-mail, SMS and webhook
exactly once, nothing else; and a fingerprint of every delivery's (notice, rule, person, endpoint, channel, address,
subject, body, payload, status) — the two sides must make the same deliveries. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import hashlib
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")
import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

HERE = Path(__file__).resolve().parent
PASSWORD = "Bench-sender-2026"


# ---- build ----------------------------------------------------------------------------------------------------------


def build(notices: int, units: int, firms: int) -> dict:
    import datetime as dt
    import logging

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from whistle.cases import services, workflow
    from whistle.cases.models import Case, Category, DispatchRule
    from whistle.core.models import RuleParameter
    from whistle.enterprises.models import Enterprise
    from whistle.notices.models import Notice, NoticeProfile, NoticeTemplate, WebhookEndpoint
    from whistle.org.models import Membership, Unit
    from whistle.org.scopes import Actor

    logging.getLogger("whistle").setLevel(logging.WARNING)
    users = get_user_model()
    now = timezone.now()
    if not Unit.objects.filter(code="s-city").exists():
        city = Unit.objects.create(code="s-city", name="菏泽市人民政府", level="city", kind="government")
        office = Unit.objects.create(
            code="s-cso", name="菏泽市企业吹哨办", level="city", kind="coordination_office", parent=city
        )
        county = Unit.objects.create(code="s-cao", name="曹县人民政府", level="county", kind="government", parent=city)
        county.county = county
        county.save()
        Unit.objects.create(
            code="s-cao-cso",
            name="曹县企业吹哨办",
            level="county",
            kind="coordination_office",
            parent=county,
            county=county,
        )
        coordinator = users.objects.create_user("s_coord", password=PASSWORD, email="s_coord@bench.example.cn")
        Membership.objects.create(user=coordinator, role="coordinator", display_name="协调员", unit=office)
        for i in range(units):
            unit = Unit.objects.create(
                code=f"s-u{i}", name=f"曹县部门{i}", level="county", kind="department", parent=county, county=county
            )
            category = Category.objects.create(code=f"s-c{i}", name=f"事项{i}")
            DispatchRule.objects.create(category=category, area=county, unit=unit)
            handler = users.objects.create_user(f"s_h{i}", password=PASSWORD, email=f"s_h{i}@bench.example.cn")
            Membership.objects.create(user=handler, role="handler", display_name=f"经办人{i}", unit=unit)
            if i % 2 == 0:
                NoticeProfile.objects.create(user=handler, phone=f"1390530{i:04d}", phone_verified_at=now)
        for i in range(firms):
            firm = Enterprise.objects.create(
                uscc=f"91371721MA{i:07d}X",
                name=f"曹县企业{i}有限公司",
                county=county,
                contact_name="王经理",
                contact_phone=f"1380530{i:04d}",
            )
            user = users.objects.create_user(
                f"s_e{i}", password=PASSWORD, email=f"s_e{i}@bench.example.cn" if i % 3 == 0 else ""
            )
            Membership.objects.create(user=user, role="enterprise", display_name=f"企业联系人{i}", enterprise=firm)
            NoticeProfile.objects.create(user=user, phone=f"1370530{i:04d}", phone_verified_at=now)
        NoticeTemplate.objects.update(sms_template_code="SMS_900001")
        WebhookEndpoint.objects.create(name="12345热线", url="http://127.0.0.1:9/hook", secret="k", actions=[])
        RuleParameter.objects.filter(key__in=["notices.quiet_start_hour", "notices.quiet_end_hour"]).update(value=0)
    firms_users = list(users.objects.filter(username__startswith="s_e").order_by("pk"))
    handlers = {m.unit_id: m.user for m in Membership.objects.filter(role="handler", unit__code__startswith="s-u")}
    start = timezone.now() - dt.timedelta(hours=1)
    made = 0
    waiting = Notice.objects.filter(expanded_at__isnull=True)
    i = Case.objects.count()
    while waiting.count() < notices:
        for _ in range(100):
            actor = Actor.of(firms_users[i % len(firms_users)])
            case, _ = services.case_submit(
                actor,
                kind="help",
                category=f"s-c{i % units}",
                description=f"厂房施工许可办理慢 {i}",
                county="s-cao",
                now=start,
            )
            handler = Actor.of(handlers[case.lead_unit_id])
            with transaction.atomic():
                locked = Case.objects.select_for_update().get(pk=case.pk)
                workflow.apply_steps(
                    locked,
                    [
                        ("accept", handler, {}),
                        ("contact", handler, {"method": "phone", "note": "已联系"}),
                        ("reply", handler, {"content": "已办结"}),
                    ],
                    start + dt.timedelta(minutes=5),
                )
            i += 1
            made += 1
    total = waiting.count()
    waiting.update(expanded_at=timezone.now())
    return {"cases_made": made, "notices": total}


# ---- the outside systems ----------------------------------------------------------------------------------------------


class Received:
    lock = threading.Lock()
    sms: list[str] = []
    hooks: list[str] = []
    mails: list[str] = []

    @classmethod
    def clear(cls):
        with cls.lock:
            cls.sms, cls.hooks, cls.mails = [], [], []


class Gateway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes: without this, Nagle's algorithm holds the body until the
    # client's delayed ACK (40 ms a request on a kept-alive connection), which real gateways do not do.
    disable_nagle_algorithm = True

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/hook"):
            with Received.lock:
                Received.hooks.append(self.headers.get("X-Whistle-Delivery", ""))
            answer = b"{}"
        else:
            out_id = parse_qs(body.decode("ascii")).get("OutId", [""])[0]
            with Received.lock:
                Received.sms.append(out_id)
            answer = json.dumps({"Code": "OK", "Message": "OK", "BizId": f"biz-{out_id}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


class Mailbox:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content)
        with Received.lock:
            Received.mails.append(message.get("Message-ID", ""))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---- one side ------------------------------------------------------------------------------------------------------------


def run() -> dict:
    import logging

    import whistle
    from whistle.notices import expand, sender

    logging.getLogger("whistle").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    expanded = expand.expand_pending()
    t1 = time.perf_counter()
    totals: dict[str, int] = {}
    while True:
        counts = sender.deliver()
        for k, v in counts.items():
            totals[k] = totals.get(k, 0) + v
        if not (counts["expanded"] or counts["sent"] or counts["failed"]):
            break
    t2 = time.perf_counter()
    return {
        "code": str(Path(whistle.__file__).parent.parent),
        "expanded": expanded,
        "expand_s": round(t1 - t0, 2),
        "deliver_s": round(t2 - t1, 2),
        "total_s": round(t2 - t0, 2),
        "counts": totals,
    }


def reset() -> None:
    from whistle.notices.models import Delivery, Notice

    Delivery.objects.all().delete()
    Notice.objects.update(expanded_at=None)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE notices_delivery")
            cursor.execute("VACUUM ANALYZE notices_notice")


def fingerprint(dump: str = "") -> tuple[str, dict]:
    from whistle.notices.models import Delivery

    rows = Delivery.objects.values_list(
        "notice__case_id",
        "notice__seq",
        "rule_id",
        "recipient_id",
        "endpoint_id",
        "channel",
        "address",
        "subject",
        "body",
        "payload",
        "status",
        "urgent",
    )
    digest = hashlib.sha256()
    lines = sorted(json.dumps(r, ensure_ascii=False, sort_keys=True, default=str) for r in rows)
    for row in lines:
        digest.update(row.encode())
    if dump:
        Path(dump).write_text("\n".join(lines) + "\n")
    by = {}
    for channel, status in Delivery.objects.values_list("channel", "status"):
        by[f"{channel}:{status}"] = by.get(f"{channel}:{status}", 0) + 1
    return digest.hexdigest()[:16], by


def check_received() -> dict:
    from whistle.notices.models import Delivery

    sent = Delivery.objects.filter(status="sent")
    want = {
        "email": sorted(f"<whistle-{pk}@" for pk in sent.filter(channel="email").values_list("pk", flat=True)),
        "sms": sorted(f"whistle-{pk}" for pk in sent.filter(channel="sms").values_list("pk", flat=True)),
        "webhook": sorted(str(pk) for pk in sent.filter(channel="webhook").values_list("pk", flat=True)),
    }
    with Received.lock:
        got = {
            "email": sorted(m.split("@")[0] + "@" for m in Received.mails),
            "sms": sorted(Received.sms),
            "webhook": sorted(Received.hooks),
        }
    return {
        ch: {"sent": len(want[ch]), "received": len(got[ch]), "same": want[ch] == got[ch]}
        for ch in ("email", "sms", "webhook")
    }


def compare(before: str, after: str, rounds: int, dump: str = "") -> dict:
    from aiosmtpd.controller import Controller

    from whistle.notices.models import WebhookEndpoint

    gateway = ThreadingHTTPServer(("127.0.0.1", free_port()), Gateway)
    gateway.daemon_threads = True
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{gateway.server_address[1]}"
    WebhookEndpoint.objects.filter(name="12345热线").update(url=url + "/hook")
    smtp = Controller(Mailbox(), hostname="127.0.0.1", port=free_port(), loop=asyncio.new_event_loop())
    smtp.start()
    env = {
        **os.environ,
        "WHISTLE_SMTP_HOST": "127.0.0.1",
        "WHISTLE_SMTP_PORT": str(smtp.port),
        "WHISTLE_SMS_URL": url + "/",
        "WHISTLE_SMS_ACCESS_KEY_ID": "LTAI-bench",
        "WHISTLE_SMS_ACCESS_KEY_SECRET": "bench-secret",
    }
    sides = {"before": str(Path(before).resolve()), "after": str(Path(after).resolve())}
    out: dict = {"database": connection.vendor, "cpu_count": os.cpu_count(), "rounds": []}
    prints = {}
    for r in range(rounds):
        order = ["before", "after"] if r % 2 == 0 else ["after", "before"]
        for side in order:
            reset()
            Received.clear()
            load = open("/proc/loadavg").read().split()[:3]
            child = subprocess.run(
                [sys.executable, str(HERE / "notices_sender_bench.py"), "run"],
                env={**env, "PYTHONPATH": sides[side]},
                capture_output=True,
                text=True,
            )
            if child.returncode:
                raise SystemExit(child.stdout + child.stderr)
            result = json.loads(child.stdout.strip().splitlines()[-1])
            time.sleep(0.5)  # the last SMTP message's handler
            print_, by = fingerprint(f"{dump}/{side}-{r}.txt" if dump else "")
            prints.setdefault(side, set()).add(print_)
            result.update(side=side, round=r, load=load, deliveries=by, received=check_received(), fingerprint=print_)
            out["rounds"].append(result)
            print(json.dumps(result, ensure_ascii=False), file=sys.stderr)
    smtp.stop()
    gateway.shutdown()
    summary = {}
    for side in ("before", "after"):
        mine = [x for x in out["rounds"] if x["side"] == side]
        summary[side] = {k: statistics.median(x[k] for x in mine) for k in ("expand_s", "deliver_s", "total_s")}
    summary["ratio_total"] = round(summary["before"]["total_s"] / summary["after"]["total_s"], 2)
    summary["ratio_expand"] = round(summary["before"]["expand_s"] / summary["after"]["expand_s"], 2)
    summary["ratio_deliver"] = round(summary["before"]["deliver_s"] / summary["after"]["deliver_s"], 2)
    summary["same_deliveries"] = len(prints.get("before", set()) | prints.get("after", set())) == 1
    out["summary"] = summary
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["build", "compare", "run"])
    parser.add_argument("--notices", type=int, default=14000)
    parser.add_argument("--units", type=int, default=120)
    parser.add_argument("--firms", type=int, default=600)
    parser.add_argument("--before", default="")
    parser.add_argument("--after", default=str(HERE.parent / "src"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dump", default="", help="a directory for each side's deliveries, one JSON line each")
    args = parser.parse_args()
    if args.what == "build":
        result = build(args.notices, args.units, args.firms)
    elif args.what == "run":
        result = run()
    else:
        result = compare(args.before, args.after, args.rounds, args.dump)
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
