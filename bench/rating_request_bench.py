"""The public rating `POST /r/<code>/` in-process: Django's test client through the whole middleware stack (CSRF
enforced, as a browser's form posts it), a random bench card, a fresh device cookie each request and a level from the
generator's mix — what bench/ratings_post.lua sends over HTTP, without the server and the load generator.

    WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB .venv/bin/python bench/rating_request_bench.py -n 300
    … --profile bench/out/rating-profile.txt     cProfile of the n requests (cumulative and own time)
    … --explain                                   EXPLAIN (ANALYZE, BUFFERS, SUMMARY) of one request's statements

The database is a ratings bench database (bench/ratings_run.sh load, or a copy of it) with the live limits lifted
(`bench/ratings_prepare.py --http`). One JSON line: median, p95 and mean ms per request, statements per request.
`bench/rating_request_run.sh` alternates this checkout with a baseline's sources on the same database.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

import whistle  # noqa: E402

TOKEN = "benchcsrfsecret0123456789abcdefg"  # as ratings_post.lua: Django accepts the unmasked 32-character secret
LEVELS = [5, 5, 5, 5, 5, 4, 4, 4, 3, 3, 2, 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--warm", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", default="")
    parser.add_argument("--profile")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--spread", action="store_true", help="each request from a random address of 10.0.0.0/8, as ratings_post.lua"
    )
    parser.add_argument(
        "--levels", default=",".join(map(str, LEVELS)), help="the levels drawn from (default: the generator's mix)"
    )
    args = parser.parse_args()
    with connection.cursor() as cursor:
        cursor.execute("SELECT card_code FROM ratings_cadre UNION ALL SELECT card_code FROM ratings_window")
        codes = [code for (code,) in cursor.fetchall() if code.startswith("bench-")]
    rng = random.Random(args.seed)
    levels = [int(level) for level in args.levels.split(",")]
    client = Client(SERVER_NAME="127.0.0.1", enforce_csrf_checks=True)
    run = f"{os.getpid()}-{time.time_ns()}"
    networks = random.Random(run)
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    def post(i):
        client.cookies["csrftoken"] = TOKEN
        client.cookies["whistle_device"] = f"bench-{run}-{i}"
        body = {"csrfmiddlewaretoken": TOKEN, "level": rng.choice(levels), "comment": "bench"}
        address = {}
        if args.spread:
            # Drawn apart from the seeded cards and levels: the same networks on the same cards run after run would
            # reach the per-network-per-card limit (10 an hour).
            address["REMOTE_ADDR"] = (
                f"10.{networks.randrange(256)}.{networks.randrange(256)}.{networks.randrange(1, 255)}"
            )
        response = client.post(f"/r/{rng.choice(codes)}/", body, **address)
        assert response.status_code == 200, response.content[:500]

    for i in range(args.warm):
        post(-1 - i)
    if args.explain:
        explain(post)
        return
    samples = []
    profiler = cProfile.Profile() if args.profile else None
    cpu, backend = time.process_time(), backend_cpu()
    with connection.execute_wrapper(count):
        for i in range(args.n):
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            post(i)
            if profiler:
                profiler.disable()
            samples.append((time.perf_counter() - started) * 1000)
    cpu, backend = time.process_time() - cpu, backend_cpu() - backend
    samples.sort()
    print(
        json.dumps(
            {
                "label": args.label,
                "src": os.path.dirname(whistle.__file__),
                "n": args.n,
                "p50_ms": round(statistics.median(samples), 2),
                "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
                "mean_ms": round(statistics.fmean(samples), 2),
                "statements_per_request": round(len(statements) / args.n, 2),
                # CPU per request: this process (Django, the view, the client) and its PostgreSQL backend.
                "python_cpu_ms": round(cpu * 1000 / args.n, 2),
                "postgres_cpu_ms": round(backend * 1000 / args.n, 2),
            }
        ),
        flush=True,
    )
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(40)
        with open(args.profile, "w") as f:
            f.write(out.getvalue())


def backend_cpu() -> float:
    """CPU seconds (user + system) of this connection's PostgreSQL backend so far, from /proc (the server runs here)."""
    from pathlib import Path

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def explain(post):
    """One request's statements again under EXPLAIN ANALYZE (in a transaction rolled back: nothing stays)."""
    seen = []

    def capture(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        post(0)
    with connection.cursor() as cursor:
        for sql, params in seen:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH", "INSERT", "UPDATE", "DELETE")):
                continue
            cursor.execute("BEGIN")
            try:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, SUMMARY) " + sql, params)
                print("--", sql[:300].replace("\n", " "))
                print("\n".join(row for (row,) in cursor.fetchall()))
            finally:
                cursor.execute("ROLLBACK")


if __name__ == "__main__":
    main()
