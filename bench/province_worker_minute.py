"""The worker's minute: every active worker job run once, the deadline sweep first, as `whistle worker` runs them
when all are due at once (the heaviest minute: hot topics every five minutes land in it too). In-process, forced
(`core.jobs.run_job(force=True)`), one after another; prints one JSON object with each job's seconds and result and
the total.

    WHISTLE_DATABASE_URL=... .venv/bin/python bench/province_worker_minute.py [--label after-busy-minute]
    … --catch-up hot_topics,notices_send      only these jobs, each run until its result counts nothing

bench/province_run.sh runs it three times: while preparing the template, once (the first run after the bulk load:
every month of the rollups and every scope cold) and then with --catch-up (the hot topics tokenise 5,000 cases a scope
a run, so the bulk load takes them many runs); and once after a busy minute of case submissions and public ratings
over HTTP on a fresh copy (what a province's worker does each minute under load).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from whistle.core import jobs  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="")
    parser.add_argument(
        "--catch-up",
        default="",
        help="comma-separated jobs run again and again, alone, until their result counts nothing (the hot topics "
        "tokenise at most 5,000 cases a scope a run: after a bulk load they take many runs to catch up)",
    )
    args = parser.parse_args()
    jobs.sync_declared()
    chosen = sorted(jobs.selected(), key=lambda job: (job.name != jobs.SWEEP_JOB, job.position))
    if args.catch_up:
        wanted = set(args.catch_up.split(","))
        chosen = [job for job in chosen if job.name in wanted]
    out = {
        "label": args.label,
        "uptime_before": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        "jobs": {},
    }
    started = time.perf_counter()
    for job in chosen:
        t, runs = time.perf_counter(), 0
        while True:
            outcome = jobs.run_job(job, force=True)
            runs += 1
            counts = [v for v in (outcome.result or {}).values() if isinstance(v, int)]
            if not args.catch_up or not outcome.ok or not any(counts) or runs >= 100:
                break
        out["jobs"][job.name] = {
            "s": round(time.perf_counter() - t, 2),
            "ok": outcome.ok,
            "result": outcome.result,
            **({"runs": runs} if args.catch_up else {}),
            **({"error": outcome.error} if outcome.error else {}),
        }
    out["total_s"] = round(time.perf_counter() - started, 2)
    out["uptime_after"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(json.dumps(out, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
