"""The failover drill (issue 21 item 4): kill the PostgreSQL primary under write load and count what whistle lost.

One command, nothing to prepare:

    .venv/bin/python bench/failover_drill.py [--clients 4] [--warmup 10] [--after 10] [--rejoin] [--strict true|false]
        [--ports LOW-HIGH] [--json]

It starts Debian's etcd and three Patroni nodes of PostgreSQL in a temporary directory on free loopback ports, from
deploy/patroni/ as installed (tests/deploy/stack.py PatroniCluster; synchronous_mode, primary_start_timeout 0),
makes a database `whistle` on the cluster, migrates it, loads the Heze organisation with rating cards and bearer
tokens (bench/ratings_prepare.py, bench/prepare_whistle.py) and starts the real server, `whistle serve` (granian and
the worker), with WHISTLE_DATABASE_URL naming all three nodes and `target_session_attrs=read-write` (docs/operations.md,
"主备切换"). Then `--clients` clients of each kind write through the HTTP API:
  submit      POST /api/v1/cases (enterprise token, an Idempotency-Key each) — the case numbers answered;
  transition  accept → contact → opinion → reply → follow_up on submitted cases — (number, seq, action) answered;
  rate        POST /r/<card>/, the public rating form — a unique comment each.
After `--warmup` seconds it sends SIGKILL to the primary's postmaster, keeps the load on until writes have succeeded
again for `--after` seconds (at most `--give-up` seconds after the kill), stops, and checks on the new primary that
every write answered 2xx is there: the loss count (goal: zero). Prints a short report (or one JSON object, --json):
time from the kill to the first write that started after it and succeeded, requests, errors clients saw during the
switch (503s with Retry-After counted apart from any 500), loss, the machine's load; and whether `whistle backup` through the same URL works after the switch (pg_dump
must find the new primary too). Everything it started is stopped and its directory removed at the end.

tests/deploy/test_failover.py runs it small (`--clients 2 --warmup 3 --after 3 --json`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.deploy.stack import PatroniCluster, free_port  # noqa: E402

BIN = Path(sys.executable).parent
TRANSITIONS = [
    # (action, who, payload, state after)
    ("accept", "handler", {}, "accepted"),
    ("contact", "handler", {"method": "phone", "note": "已电话联系企业负责人"}, "contacted"),
    ("opinion", "handler", {"opinion": "经核实，属本单位职责，三个工作日内到场办理"}, "in_progress"),
    ("reply", "handler", {"content": "已协调办结，企业确认"}, "replied"),
    ("follow_up", "enterprise", {"resolution": "resolved", "satisfaction": "satisfied"}, "closed"),
]
CSRF = "drillcsrfsecret0123456789abcdefg"  # 32 characters: Django accepts the unmasked secret (bench/ratings_post.lua)


@dataclass
class Request:
    kind: str
    start: float
    end: float
    status: int | str  # the HTTP status, or the transport error's name


@dataclass
class Load:
    routes: list[dict]
    cards: list[str]
    stop_at: float = float("inf")
    requests: list[Request] = field(default_factory=list)
    cases: set[str] = field(default_factory=set)  # numbers answered 201
    events: set[tuple[str, int, str]] = field(default_factory=set)  # (number, seq, action) answered 200
    ratings: set[str] = field(default_factory=set)  # comments answered 200
    submitted: asyncio.Queue = field(default_factory=asyncio.Queue)

    def more(self) -> bool:
        return time.monotonic() < self.stop_at

    async def send(self, http: httpx.AsyncClient, kind: str, method: str, url: str, **kw) -> httpx.Response | None:
        start = time.monotonic()
        try:
            response = await http.request(method, url, **kw)
        except httpx.TransportError as error:
            self.requests.append(Request(kind, start, time.monotonic(), type(error).__name__))
            await asyncio.sleep(0.05)
            return None
        self.requests.append(Request(kind, start, time.monotonic(), response.status_code))
        if response.status_code >= 300:
            await asyncio.sleep(0.05)  # during the switch errors come fast: do not spin
            return None
        return response

    async def submitter(self, http: httpx.AsyncClient, route: dict) -> None:
        headers = {"Authorization": f"Bearer {route['enterprise_token']}"}
        body = {
            "kind": "help",
            "category": route["category"],
            "title": "厂区新建仓库施工许可办理咨询",
            "description": "我公司厂区新建仓库，施工许可材料已提交两周未有答复，请协调办理进度。",
        }
        while self.more():
            key = {"Idempotency-Key": uuid.uuid4().hex}
            answer = await self.send(http, "submit", "POST", "/api/v1/cases", json=body, headers=headers | key)
            if answer is not None and answer.status_code == 201:
                number = answer.json()["number"]
                self.cases.add(number)
                self.submitted.put_nowait((number, route))

    async def transitioner(self, http: httpx.AsyncClient) -> None:
        while self.more():
            try:
                number, route = await asyncio.wait_for(self.submitted.get(), timeout=0.5)
            except TimeoutError:
                continue
            tokens = {"enterprise": route["enterprise_token"], "handler": route["handler_token"]}
            for action, who, payload, state in TRANSITIONS:
                if not self.more():
                    break
                answer = await self.send(
                    http,
                    "transition",
                    "POST",
                    f"/api/v1/cases/{number}/actions/{action}",
                    json=payload,
                    headers={"Authorization": f"Bearer {tokens[who]}"},
                )
                if answer is None:
                    break  # its state is unknown now: leave the case, take the next
                data = answer.json()
                assert data["state"] == state, data
                seq = max(e["seq"] for e in data["events"] if e["action"] == action)
                self.events.add((number, seq, action))

    async def rater(self, http: httpx.AsyncClient, client: int) -> None:
        sent = 0
        while self.more():
            sent += 1
            comment = f"drill-{uuid.uuid4().hex}"
            answer = await self.send(
                http,
                "rate",
                "POST",
                f"/r/{random.choice(self.cards)}/",
                data={"csrfmiddlewaretoken": CSRF, "level": random.choice([5, 5, 4]), "comment": comment},
                headers={"Cookie": f"csrftoken={CSRF}; whistle_device=drill-{client}-{sent}"},
            )
            if answer is not None:
                assert "您的评价" in answer.text, answer.text[:500]
                self.ratings.add(comment)

    async def run(self, url: str, clients: int, until) -> None:
        """`clients` of each kind until `until(self)` returns (it sets stop_at)."""
        limits = httpx.Limits(max_connections=3 * clients, max_keepalive_connections=3 * clients)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=15) as http:
            tasks = [
                *(self.submitter(http, self.routes[i % len(self.routes)]) for i in range(clients)),
                *(self.transitioner(http) for _ in range(clients)),
                *(self.rater(http, i) for i in range(clients)),
            ]
            await asyncio.gather(*tasks, until(self))


def whistle_env(home: Path, database_url: str) -> dict[str, str]:
    """The drill's whistle processes: this machine's environment less any whistle setting, on the cluster."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHISTLE_")}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        WHISTLE_DATABASE_URL=database_url,
        WHISTLE_DEMO="1",  # the public demo keys, as the other benchmarks
        WHISTLE_FAST_HASHER="1",  # the organisation's users are made, never signed in: tokens only
        WHISTLE_VAR_DIR=str(home / "var"),
    )
    return env


def run_whistle(env: dict, *args: str) -> str:
    done = subprocess.run([*args], env=env, capture_output=True, text=True, timeout=600, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def prepare(cluster: PatroniCluster, home: Path, phases: dict) -> tuple[dict, list[dict], list[str]]:
    """The database `whistle` on the cluster, migrated, with the organisation, cards and tokens."""
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as db:
        db.execute("CREATE DATABASE whistle")
    env = whistle_env(home, cluster.url("whistle"))
    with timed(phases, "migrate_s"):
        run_whistle(env, str(BIN / "whistle"), "migrate", "-v0")
    with timed(phases, "prepare_s"):
        run_whistle(env, sys.executable, "bench/ratings_prepare.py", "--http")
        actors = str(home / "actors.json")
        run_whistle(env, sys.executable, "bench/prepare_whistle.py", "--routes", "4", "--out", actors)
    routes = json.loads((home / "actors.json").read_text())
    with psycopg.connect(cluster.url("whistle")) as db:
        cards = [row[0] for row in db.execute("SELECT card_code FROM ratings_cadre ORDER BY id LIMIT 200")]
    return env, routes, cards


@contextlib.contextmanager
def timed(phases: dict, name: str):
    start = time.monotonic()
    yield
    phases[name] = round(time.monotonic() - start, 1)


def serve(env: dict, home: Path, port: int) -> subprocess.Popen:
    log = home / "web.log"
    web = subprocess.Popen(
        [str(BIN / "whistle"), "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(600):
        if web.poll() is not None:
            raise RuntimeError(f"whistle serve exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return web
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"whistle serve did not answer: {log.read_text()[-3000:]}")


# Run by `whistle shell` on the cluster (through the new primary): the ids behind the case numbers are whistle's own.
COUNT_STORED = """
import json, os
from whistle.cases.models import Case, CaseEvent, pk_from_number
from whistle.ratings.models import Rating
sent = json.load(open(os.environ["DRILL_ACKNOWLEDGED"]))
ids = {pk_from_number(n): n for n in sent["cases"] + [e[0] for e in sent["events"]]}
cases = [ids[pk] for pk in Case.objects.filter(pk__in=ids).values_list("pk", flat=True)]
events = [[ids[c], seq, a] for c, seq, a in CaseEvent.objects.filter(case__in=ids).values_list("case", "seq", "action")]
ratings = list(Rating.objects.filter(comment__startswith="drill-").values_list("comment", flat=True))
print(json.dumps({"cases": cases, "events": events, "ratings": ratings}))
"""


def count_loss(env: dict, home: Path, load: Load) -> dict:
    """What clients were told was written, looked up on the new primary."""
    sent = home / "acknowledged.json"
    sent.write_text(json.dumps({"cases": list(load.cases), "events": list(load.events)}))
    out = run_whistle(env | {"DRILL_ACKNOWLEDGED": str(sent)}, str(BIN / "whistle"), "shell", "-c", COUNT_STORED)
    stored = json.loads(out.strip().splitlines()[-1])
    cases, ratings = set(stored["cases"]), set(stored["ratings"])
    events = {tuple(e) for e in stored["events"]}
    return {
        "acknowledged": {"cases": len(load.cases), "events": len(load.events), "ratings": len(load.ratings)},
        "lost": {
            "cases": len(load.cases - cases),
            "events": len(load.events - events),
            "ratings": len(load.ratings - ratings),
        },
        # Written although the client saw an error (the answer was lost with the connection): not a loss.
        "stored_unacknowledged_ratings": len(ratings - load.ratings),
    }


def summarise(load: Load, killed_at: float, recovered_at: float | None) -> dict:
    after = [r for r in load.requests if r.start >= killed_at]
    ok = lambda r: isinstance(r.status, int) and r.status < 300  # noqa: E731
    errors = [r for r in load.requests if not ok(r) and r.end >= killed_at]
    first_ok = {
        kind: round(min((r.end for r in after if r.kind == kind and ok(r)), default=float("nan")) - killed_at, 2)
        for kind in ("submit", "transition", "rate")
    }
    statuses: dict[str, int] = {}
    for r in errors:
        statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1
    before = [r for r in load.requests if r.end < killed_at]
    began = min((r.start for r in load.requests), default=killed_at)
    ended = max((r.end for r in load.requests), default=killed_at)
    # The baseline in the same run: successful writes per second before the kill and once they succeed again.
    rate_before = len([r for r in before if ok(r)]) / max(killed_at - began, 1e-9)
    again = [r for r in after if ok(r) and recovered_at and r.end >= recovered_at]
    rate_after = len(again) / max(ended - recovered_at, 1e-9) if recovered_at else 0.0
    return {
        "requests": len(load.requests),
        "requests_before_kill": len(before),
        "requests_after_kill": len([r for r in load.requests if r.end >= killed_at]),
        "ok_after_kill": len([r for r in after if ok(r)]),
        "errors_during_switch": len(errors),
        "error_statuses": statuses,
        # A lost database answers 503 with Retry-After (core.unavailable); a 500 during the switch would be a bug.
        "unavailable_503": statuses.get("503", 0),
        "server_errors_500": statuses.get("500", 0),
        "last_error_s": round(max((r.end for r in errors), default=killed_at) - killed_at, 2),
        "time_to_serve_writes_s": round(recovered_at - killed_at, 2) if recovered_at else None,
        "time_to_serve_by_kind_s": first_ok,
        "ok_per_s_before_kill": round(rate_before, 1),
        "ok_per_s_after_recovery": round(rate_after, 1),
    }


def drill(args) -> dict:
    if args.ports:
        os.environ["WHISTLE_TEST_PORTS"] = args.ports
    machine = {"nproc": os.cpu_count(), "load_before": os.getloadavg()[0]}
    cluster = PatroniCluster(strict=None if args.strict is None else args.strict == "true")
    home = Path(tempfile.mkdtemp(prefix="whistle-drill-"))
    web = None
    phases: dict[str, float] = {}
    try:
        with timed(phases, "cluster_s"):
            cluster.start()
        env, routes, cards = prepare(cluster, home, phases)
        port = free_port()
        with timed(phases, "serve_s"):
            web = serve(env, home, port)
        url = f"http://127.0.0.1:{port}"
        load = Load(routes, cards)
        marks: dict = {}

        async def conductor(load: Load) -> None:
            await asyncio.sleep(args.warmup)
            old = cluster.roles().index("primary")
            pid = cluster.postmaster_pid(old)
            marks["old"], marks["killed_at"] = old, time.monotonic()
            os.kill(pid, signal.SIGKILL)
            give_up = marks["killed_at"] + args.give_up
            while time.monotonic() < give_up:
                succeeded = [
                    r.end
                    for r in load.requests
                    if r.start >= marks["killed_at"] and isinstance(r.status, int) and r.status < 300
                ]
                if succeeded:
                    marks["recovered_at"] = min(succeeded)
                    break
                await asyncio.sleep(0.05)
            load.stop_at = time.monotonic() + (args.after if "recovered_at" in marks else 0)
            # Until a standby is synchronous again, the new primary's commits wait for nobody (not strict mode).
            while time.monotonic() < load.stop_at + 30:
                if "sync" in await asyncio.to_thread(cluster.roles):
                    marks["sync_again_s"] = round(time.monotonic() - marks["killed_at"], 1)
                    break
                await asyncio.sleep(0.2)

        with timed(phases, "load_s"):
            asyncio.run(load.run(url, args.clients, conductor))
        roles = cluster.roles()
        if args.rejoin:  # the old primary back as a standby of the new one (Patroni: pg_rewind, then streaming)
            while roles[marks["old"]] not in ("replica", "sync") and time.monotonic() < marks["killed_at"] + 120:
                time.sleep(0.5)
                roles = cluster.roles()
            if roles[marks["old"]] in ("replica", "sync"):
                marks["rejoined_s"] = round(time.monotonic() - marks["killed_at"], 1)
        # whistle itself, after the switch, without a restart: its probes and a read of a case written before the kill.
        ready = httpx.get(f"{url}/readyz", timeout=10)
        served = {"readyz": ready.status_code, "checks": {k: v["ok"] for k, v in ready.json()["checks"].items()}}
        with timed(phases, "count_s"):
            lost = count_loss(env, home, load)
        with timed(phases, "backup_s"):  # pg_dump through the same URL finds the new primary too
            backup = subprocess.run(
                [str(BIN / "whistle"), "backup", str(home / "backup")], env=env, capture_output=True, text=True
            )
        served["backup"] = backup.returncode == 0 or backup.stderr[-500:]
        result = {
            "clients_per_kind": args.clients,
            "warmup_s": args.warmup,
            "old_primary": f"db{marks['old'] + 1}",
            "old_primary_rejoined_after_s": marks.get("rejoined_s"),
            "synchronous_mode_strict": cluster.synchronous_mode_strict(),
            "sync_standby_again_after_s": marks.get("sync_again_s"),
            "roles_after": dict(zip([f"db{n}" for n in range(1, cluster.nodes + 1)], roles)),
            **summarise(load, marks["killed_at"], marks.get("recovered_at")),
            **lost,
            "served_after_switch": served,
            "phases_s": phases,
            "machine": machine | {"load_after": os.getloadavg()[0]},
        }
        result["zero_loss"] = not any(result["lost"].values())
        return result
    finally:
        t = time.monotonic()
        if web is not None and web.poll() is None:
            web.send_signal(signal.SIGTERM)
            try:
                web.wait(timeout=30)
            except subprocess.TimeoutExpired:
                web.kill()
        print(f"web stopped in {time.monotonic() - t:.1f} s", file=sys.stderr)
        cluster.stop()
        print(f"cluster stopped in {time.monotonic() - t:.1f} s", file=sys.stderr)
        shutil.rmtree(home, ignore_errors=True)


def report(r: dict) -> str:
    lost, acked = r["lost"], r["acknowledged"]
    return "\n".join(
        [
            f"failover drill: {r['clients_per_kind']} clients per kind, primary {r['old_primary']} killed after "
            f"{r['warmup_s']} s; roles after: {r['roles_after']}"
            + (
                f", the old primary a standby again {r['old_primary_rejoined_after_s']} s after the kill"
                if r["old_primary_rejoined_after_s"]
                else ""
            ),
            f"time to serve writes again: {r['time_to_serve_writes_s']} s (by kind: {r['time_to_serve_by_kind_s']});"
            f" a synchronous standby again {r['sync_standby_again_after_s']} s after the kill"
            f" (synchronous_mode_strict: {r['synchronous_mode_strict']})",
            f"requests: {r['requests']} ({r['requests_before_kill']} before the kill, {r['requests_after_kill']} after,"
            f" {r['ok_after_kill']} of them ok); successful writes/s {r['ok_per_s_before_kill']} before the kill,"
            f" {r['ok_per_s_after_recovery']} once served again",
            f"errors seen by clients during the switch: {r['errors_during_switch']} {r['error_statuses']}"
            f" ({r['unavailable_503']} of them 503 with Retry-After, {r['server_errors_500']} 500),"
            f" the last {r['last_error_s']} s after the kill",
            f"acknowledged: {acked['cases']} cases, {acked['events']} events, {acked['ratings']} ratings;"
            f" lost: {lost['cases']} cases, {lost['events']} events, {lost['ratings']} ratings"
            f" ({'zero loss' if r['zero_loss'] else 'LOSS'}); stored though unacknowledged:"
            f" {r['stored_unacknowledged_ratings']} ratings",
            f"after the switch: {r['served_after_switch']}; phases {r['phases_s']}; machine {r['machine']}",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4, help="clients of each kind (submit, transition, rate)")
    parser.add_argument("--warmup", type=float, default=10, help="seconds of load before the kill")
    parser.add_argument("--after", type=float, default=10, help="seconds of load once writes succeed again")
    parser.add_argument("--give-up", type=float, default=90, help="seconds after the kill to wait for a write")
    parser.add_argument("--ports", default=os.environ.get("WHISTLE_TEST_PORTS", ""), help="LOW-HIGH, else any free")
    parser.add_argument(
        "--strict",
        choices=["true", "false"],
        help="synchronous_mode_strict (refuse writes while no standby is synchronous); default: as deploy/patroni says",
    )
    parser.add_argument("--rejoin", action="store_true", help="also wait (up to 2 min) for the old primary to rejoin")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the report")
    args = parser.parse_args()
    result = drill(args)
    print(json.dumps(result, ensure_ascii=False) if args.json else report(result))
    sys.exit(0 if result["zero_loss"] and result["time_to_serve_writes_s"] is not None else 1)


if __name__ == "__main__":
    main()
