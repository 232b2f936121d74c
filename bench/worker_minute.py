"""The worker's minute after a busy minute, before (another checkout's code, e.g. main) and after (this one), on
copies of one prepared database (issue 21 item 5).

    git worktree add --detach ../before main     # the code before, run with this checkout's .venv (PYTHONPATH)
    .venv/bin/python bench/worker_minute.py --before ../before [--cases 1000000] [--events 2000] [--rounds 3]

On PostgreSQL (127.0.0.1:5432, user postgres). The template `bench_w5_<cases>` is `whistle seed --cases N` (made here
when missing, timed). Prepared once as `bench_w5_<cases>_busy`: a copy of it, migrated by this checkout (its tables
are a superset), one `whistle worker --once` with the before code and one with this code (every cache either
version reads is warm: both versions' cockpit pages), then a busy minute
(bench/busy_minute.py: `--events` case events through the workflow, two per case, over many lead units).

Each round then copies the prepared database twice and runs `whistle worker --once --exclude …` (every job but
LEFT_OUT below: the same code before and after, long for reasons of their own) on one copy with the before code and
on the other with this code (alternating which goes first), at the caller's nice level, with JSON logs:
each job's `duration_ms` and result. The first round also runs `whistle metrics verify` on this code's copy (the
rollup after the incremental refresh equals the raw rows). Prints a JSON summary (medians) and writes
bench/out/worker-minute.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from worker_lag import PG, PSQL, exists, sh  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# The same code before and after, and long for reasons of their own on a fresh copy: the hot topics tokenise new
# case texts incrementally (issue 11), the outbox expands the busy minute's notices, the first audit checkpoint writes
# an entry per case (issue 11 figure 2).
LEFT_OUT = ("hot_topics", "notices_send", "notices_digest", "audit_checkpoint")


def env(db: str, var: Path, checkout: Path = ROOT) -> dict:
    return {
        **os.environ,
        "PYTHONPATH": str(checkout / "src"),  # before the editable install's path: that checkout's code
        "WHISTLE_DATABASE_URL": f"{PG}/{db}",
        "WHISTLE_VAR_DIR": str(var),
        "WHISTLE_LOG_FORMAT": "json",
        "WHISTLE_DEMO": "1",
    }


def whistle(checkout: Path, db: str, var: Path, *args, stdin=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "whistle"), *args],
        env=env(db, var, checkout),
        cwd=checkout,
        capture_output=True,
        text=True,
        stdin=stdin,
        check=False,
    )


def copy(source: str, target: str) -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", target], check=True)
    sh("createdb", "-h", "127.0.0.1", "-U", "postgres", "-T", source, target)


def drop(db: str) -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db], check=True)


def jobs(stderr: str) -> dict:
    found = {}
    for line in stderr.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("event") == "job_run":
                found[record["job"]] = {"ms": record["duration_ms"], "result": record.get("result")}
    return found


def once(checkout: Path, db: str, var: Path) -> dict:
    started = time.monotonic()
    done = whistle(checkout, db, var, "worker", "--once", "--exclude", ",".join(LEFT_OUT))
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"worker --once failed in {checkout}: {done.stderr[-3000:]}")
    return {"wall_s": round(wall, 2), "jobs": jobs(done.stderr)}


def prepare(template: str, busy: str, before: Path, events: int, var: Path) -> dict:
    copy(template, busy)
    for step in (("migrate", "-v0"), ("metrics", "rebuild")):  # the bulk seed leaves the rollup to the worker
        done = whistle(ROOT, busy, var, *step)
        assert done.returncode == 0, done.stderr
    warm = {"before": once(before, busy, var)["wall_s"], "after": once(ROOT, busy, var)["wall_s"]}
    with (ROOT / "bench" / "busy_minute.py").open() as script:
        done = whistle(ROOT, busy, var, "shell", stdin=script)
    assert done.returncode == 0, done.stderr[-3000:]
    sh(*PSQL, "-d", busy, "-c", "VACUUM ANALYZE")
    sh(*PSQL, "-d", busy, "-c", "CHECKPOINT")
    return {"warm_once_s": warm, "busy": done.stdout.strip().splitlines()[-1]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="a checkout of the code before (its src/ is used)")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the prepared database for another run")
    args = parser.parse_args()
    out = ROOT / "bench" / "out"
    var = out / "worker-minute-var"
    var.mkdir(parents=True, exist_ok=True)
    template, busy = f"bench_w5_{args.cases}", f"bench_w5_{args.cases}_busy"
    seeded = None
    if not exists(template):
        started = time.monotonic()
        sh("createdb", "-h", "127.0.0.1", "-U", "postgres", template)
        for step in (("migrate", "-v0"), ("seed", "--cases", str(args.cases))):
            done = whistle(ROOT, template, var, *step)
            assert done.returncode == 0, done.stderr[-3000:]
        sh(*PSQL, "-d", template, "-c", "VACUUM ANALYZE")
        seeded = round(time.monotonic() - started, 1)
    prepared = prepare(template, busy, args.before, args.events, var) if not exists(busy) else {"reused": busy}
    commit = lambda path: sh("git", "-C", str(path), "rev-parse", "--short", "HEAD").stdout.strip()  # noqa: E731
    result = {
        "cases": args.cases,
        "seed_s": seeded,
        "prepared": prepared,
        "before": f"{args.before} @ {commit(args.before)}",
        "after": f"{ROOT} @ {commit(ROOT)}",
        "machine": f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL "
        + sh(*PSQL, "-d", "postgres", "-c", "SHOW server_version").stdout.strip(),
        "nice": os.nice(0),
        "rounds": [],
    }
    for n in range(args.rounds):
        row = {"load_before": round(os.getloadavg()[0], 2)}
        order = [("before", args.before), ("after", ROOT)]
        for name, checkout in order if n % 2 == 0 else order[::-1]:
            db = f"{busy}_{name}"
            copy(busy, db)
            row[name] = once(checkout, db, var)
            if name == "after" and n == 0:
                check = whistle(ROOT, db, var, "metrics", "verify")
                row["after_verify"] = (check.returncode, (check.stdout + check.stderr).strip().splitlines()[-1:])
            drop(db)
        row["load_after"] = round(os.getloadavg()[0], 2)
        result["rounds"].append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    summary = {}
    for name in ("before", "after"):
        names = sorted({job for r in result["rounds"] for job in r[name]["jobs"]})
        summary[name] = {
            "wall_s": statistics.median(r[name]["wall_s"] for r in result["rounds"]),
            "jobs_ms": {
                job: statistics.median(r[name]["jobs"][job]["ms"] for r in result["rounds"] if job in r[name]["jobs"])
                for job in names
            },
        }
    result["median"] = summary
    if not args.keep:
        drop(busy)
    (out / "worker-minute.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(json.dumps(summary, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
