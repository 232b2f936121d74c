"""Sweep lag while the analytics jobs run beside it, against the sweep alone, in one run (issue 11 figure 3).

    .venv/bin/python bench/worker_lag.py [--cases 1000000] [--minutes 3] [--sweep-every 5] [--analytics-every 5]

On PostgreSQL (127.0.0.1:5432, user postgres). A template database `bench_worker_<cases>` is made once with
`whistle seed --cases N` (timed; reused when it exists). Then three phases, each on a fresh copy of the template,
each `--minutes` long, with real `whistle worker` processes:

  sweep_alone     whistle worker --jobs sweep                    (the baseline)
  one_process     whistle worker                                 (sweep + rollup, hot topics, cockpit, rules: threads)
  two_processes   whistle worker --jobs sweep  &  whistle worker --exclude sweep

The sweep runs every `--sweep-every` seconds (production: 60) and the analytics every `--analytics-every` seconds
(production: 60–300), so each phase has enough sweeps to take a p95 and the analytics never rest. Every job run
writes one JSON log line with `late_ms` (how late it started after it was due) and `duration_ms`; the sweep's lag is
late + duration: how long after its due moment a sweep has finished. Prints a JSON summary and writes
bench/out/worker-lag.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG = "postgres://postgres@127.0.0.1:5432"
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qAt"]


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def exists(db: str) -> bool:
    return sh(*PSQL, "-d", "postgres", "-c", f"SELECT 1 FROM pg_database WHERE datname = '{db}'").stdout.strip() == "1"


def whistle_env(db: str, var: Path) -> dict:
    return {
        **os.environ,
        "WHISTLE_DATABASE_URL": f"{PG}/{db}",
        "WHISTLE_VAR_DIR": str(var),
        "WHISTLE_LOG_FORMAT": "json",
    }


def ensure_template(cases: int, var: Path) -> tuple[str, float | None]:
    db = f"bench_worker_{cases}"
    if exists(db):
        return db, None
    started = time.monotonic()
    sh("createdb", "-h", "127.0.0.1", "-U", "postgres", db)
    env = whistle_env(db, var)
    sh(str(BIN / "whistle"), "migrate", "-v0", env=env)
    sh(str(BIN / "whistle"), "seed", "--cases", str(cases), env=env)
    sh(*PSQL, "-d", db, "-c", "VACUUM ANALYZE")
    return db, time.monotonic() - started


def fresh_copy(template: str, sweep_every: int, analytics_every: int, var: Path) -> str:
    copy = f"{template}_lag"
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", copy], check=True)
    sh("createdb", "-h", "127.0.0.1", "-U", "postgres", "-T", template, copy)
    env = whistle_env(copy, var)
    sh(str(BIN / "whistle"), "migrate", "-v0", env=env)  # the template may predate the worker tables
    sh(
        *PSQL,
        "-d",
        copy,
        "-c",
        f"UPDATE core_workerjob SET every_seconds = {sweep_every} WHERE \"group\" = 'sweep';"
        f"UPDATE core_workerjob SET every_seconds = {analytics_every} WHERE \"group\" <> 'sweep';"
        "DELETE FROM core_jobheartbeat; CHECKPOINT;",
    )
    return copy


PHASES = {
    "sweep_alone": [["--jobs", "sweep"]],
    "one_process": [[]],
    "two_processes": [["--jobs", "sweep"], ["--exclude", "sweep"]],
}


def run_phase(name: str, db: str, seconds: float, var: Path, out: Path) -> list[dict]:
    logs = [out / f"worker-lag-{name}-{i}.log" for i in range(len(PHASES[name]))]
    procs = [
        subprocess.Popen(
            [str(BIN / "whistle"), "worker", "--tick", "1", *args],
            env=whistle_env(db, var),
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )
        for args, log in zip(PHASES[name], logs)
    ]
    time.sleep(seconds)
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=600)
    runs = []
    for log in logs:
        for line in log.read_text().splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("event") == "job_run":
                    runs.append(record)
    return runs


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 1)


def summarise(runs: list[dict]) -> dict:
    # The first sweep of a phase is due at once (no heartbeat yet) and acts on everything the seed left due: it is
    # reported apart; the lag figures are the steady sweeps after it.
    sweeps = [r for r in runs if r["job"] == "deadline_sweep"]
    steady = [r for r in sweeps if r.get("late_ms") is not None]
    lag = [r["late_ms"] + r["duration_ms"] for r in steady]
    late = [r["late_ms"] for r in steady]
    took = [r["duration_ms"] for r in steady]
    others: dict[str, list[float]] = {}
    for r in runs:
        if r["job"] != "deadline_sweep":
            others.setdefault(r["job"], []).append(r["duration_ms"])
    return {
        "sweeps": len(sweeps),
        "failed": sum(r["status"] != "ok" for r in runs),
        "first_sweep_ms": sweeps[0]["duration_ms"] if sweeps else None,
        "lag_ms": {"p50": pct(lag, 50), "p95": pct(lag, 95), "max": max(lag, default=None)},
        "late_ms": {"p50": pct(late, 50), "p95": pct(late, 95)},
        "sweep_ms": {"p50": pct(took, 50), "p95": pct(took, 95)},
        "analytics_runs": {
            job: {"runs": len(ms), "median_ms": round(statistics.median(ms), 1), "max_ms": max(ms)}
            for job, ms in sorted(others.items())
        },
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--sweep-every", type=int, default=5)
    parser.add_argument("--analytics-every", type=int, default=5)
    parser.add_argument("--phases", default=",".join(PHASES))
    args = parser.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    var = out / "worker-lag-var"
    var.mkdir(exist_ok=True)
    template, seeded = ensure_template(args.cases, var)
    result = {
        "cases": args.cases,
        "template": template,
        "seed_seconds": seeded,
        "minutes": args.minutes,
        "sweep_every": args.sweep_every,
        "analytics_every": args.analytics_every,
        "machine": f"{platform.node()} {os.cpu_count()} cores, {platform.python_version()}, "
        + sh(*PSQL, "-d", "postgres", "-c", "SHOW server_version").stdout.strip(),
        "phases": {},
    }
    for name in args.phases.split(","):
        db = fresh_copy(template, args.sweep_every, args.analytics_every, var)
        load = os.getloadavg()[0]
        result["phases"][name] = {
            "load_before": round(load, 2),
            **summarise(run_phase(name, db, args.minutes * 60, var, out)),
            "load_after": round(os.getloadavg()[0], 2),
        }
        print(name, json.dumps(result["phases"][name], ensure_ascii=False), flush=True)
    base = result["phases"].get("sweep_alone", {}).get("lag_ms", {}).get("p95")
    for name, phase in result["phases"].items():
        p95 = phase["lag_ms"]["p95"]
        phase["p95_vs_alone"] = round(p95 / base, 2) if base and p95 else None
    (out / "worker-lag.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
