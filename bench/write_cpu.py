"""What one create and one lifecycle cost in CPU, in-process, before and after (issue 22).

    WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_whistle \\
        .venv/bin/python bench/write_cpu.py [--before /path/to/old/checkout] [-n 300] [--rounds 3]

Runs on the database `bench/run.sh prepare` made (bench_whistle, with bench/out/http/actors.json). Each round runs, in a
fresh interpreter for each version (the old checkout's `src` first on PYTHONPATH, alternating which goes first):
`-n` creates (`POST /api/v1/cases`), then `-n / 5` lifecycles (create + accept, contact, opinion, reply), through
Django's test client and the whole middleware stack, after 20 of each to warm the process. It reports per call:
- the Python process's CPU time (`time.process_time`),
- the PostgreSQL backend's CPU time (utime + stime of `pg_backend_pid()` from /proc; the server runs here),
- the Python function calls (cProfile's count, in a separate pass): a count, so it does not move with the load.
CPU times do move with a loaded machine (caches, frequency); the function calls do not. Prints one JSON line per
version and round, and a summary of medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(n: int) -> dict:
    import cProfile
    import logging
    import pstats
    import time

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
    os.environ.setdefault("WHISTLE_DEMO", "1")
    import django

    django.setup()
    logging.disable(logging.CRITICAL)  # the request log line is the same in both versions
    from django.db import connections
    from django.test import Client

    route = json.loads((HERE / "out" / "http" / "actors.json").read_text())[0]
    ent = {"HTTP_AUTHORIZATION": f"Bearer {route['enterprise_token']}"}
    handler = {"HTTP_AUTHORIZATION": f"Bearer {route['handler_token']}"}
    body = {
        "kind": "help",
        "category": route["category"],
        "description": "施工许可材料已提交两周未有答复，请协调办理进度。",
    }
    actions = [
        ("accept", {}),
        ("contact", {"method": "phone"}),
        ("opinion", {"opinion": "经核实，三个工作日内到场办理"}),
        ("reply", {"content": "已办结"}),
    ]
    client = Client(SERVER_NAME="127.0.0.1")

    def create() -> str:
        answer = client.post("/api/v1/cases", body, content_type="application/json", **ent)
        assert answer.status_code == 201, answer.content
        return answer.json()["number"]

    def lifecycle() -> None:
        number = create()
        for action, payload in actions:
            answer = client.post(
                f"/api/v1/cases/{number}/actions/{action}", payload, content_type="application/json", **handler
            )
            assert answer.status_code == 200, (action, answer.content)

    def backend_cpu() -> float:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    out = {}
    for name, run, count in (("create", create, n), ("lifecycle", lifecycle, max(1, n // 5))):
        for _ in range(20):
            run()
        python0, postgres0 = time.process_time(), backend_cpu()
        for _ in range(count):
            run()
        python1, postgres1 = time.process_time(), backend_cpu()
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(min(count, 50)):
            run()
        profile.disable()
        calls = pstats.Stats(profile).total_calls // min(count, 50)  # type: ignore[attr-defined]
        out[name] = {
            "python_cpu_ms": round(1000 * (python1 - python0) / count, 2),
            "postgres_cpu_ms": round(1000 * (postgres1 - postgres0) / count, 2),
            "python_calls": calls,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", help="a checkout of the code before (its src/ is put first on PYTHONPATH)")
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.n)))
        return
    versions = {"after": str(HERE.parent / "src")}
    if args.before:
        versions["before"] = str(Path(args.before).resolve() / "src")
    results: dict[str, list[dict]] = {name: [] for name in versions}
    for round_ in range(args.rounds):
        order = list(versions) if round_ % 2 == 0 else list(reversed(versions))
        for name in order:
            env = {**os.environ, "PYTHONPATH": versions[name]}
            done = subprocess.run(
                [sys.executable, __file__, "--child", "-n", str(args.n)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            figures["load"] = Path("/proc/loadavg").read_text().split()[0]
            results[name].append(figures)
            print(json.dumps({"version": name, "round": round_ + 1, **figures}), flush=True)
    summary = {
        name: {
            what: {key: statistics.median(r[what][key] for r in runs) for key in runs[0][what]}
            for what in ("create", "lifecycle")
        }
        for name, runs in results.items()
    }
    print(json.dumps({"medians": summary}, ensure_ascii=False))


if __name__ == "__main__":
    main()
