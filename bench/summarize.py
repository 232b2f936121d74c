"""Turn bench/out/ into the tables of docs/benchmarks.md: medians of the rounds, ratios against the peer.

python3 bench/summarize.py > bench/out/summary.md
"""

import json
import re
import statistics
from pathlib import Path

OUT = Path(__file__).parent / "out"


def rounds(pattern: str) -> list[dict]:
    """The first JSON line of each file matching pattern, where * stands for the round number."""
    found = []
    for path in sorted(OUT.glob(pattern.replace("*", "[0-9]*"))):
        if not re.fullmatch(pattern.split("/")[-1].replace("*", r"\d+"), path.name):
            continue
        text = path.read_text().strip()
        if text:
            found.append(json.loads(text.splitlines()[0]))
    return found


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=1):
    return "–" if value is None else f"{value:,.{digits}f}"


def machine(*names: str) -> str:
    path = next(
        (OUT / f"machine-{n}.txt" for n in names if (OUT / f"machine-{n}.txt").exists()),
        OUT / f"machine-{names[0]}.txt",
    )
    return path.read_text().strip().replace("\n", "; ") if path.exists() else "(not run)"


def http() -> list[str]:
    peer, whistle, cycle = (
        rounds("http/r*-peer-create.json"),
        rounds("http/r*-whistle-create.json"),
        rounds("http/r*-whistle-lifecycle.json"),
    )
    if not peer:
        return []
    lines = [
        f"### HTTP ({len(peer)} rounds; {machine('http')})",
        "",
        "| measure | whistle | django-helpdesk 2.6.1 | whistle / peer |",
        "|---|---|---|---|",
    ]
    for key, label, digits in (
        ("rps", "create, requests/s", 1),
        ("p50_ms", "create p50, ms", 0),
        ("p99_ms", "create p99, ms", 0),
    ):
        w, p = med(r[key] for r in whistle), med(r[key] for r in peer)
        lines.append(f"| {label} | {fmt(w, digits)} | {fmt(p, digits)} | {fmt(w / p if w and p else None, 2)} |")
    lines.append(
        f"| create, non-2xx + socket errors (all rounds) | {sum(r['non2xx'] + r['errors'] for r in whistle)} | "
        f"{sum(r['non2xx'] + r['errors'] for r in peer)} | |"
    )
    lines.append(
        f"| rounds, create requests/s | {', '.join(fmt(r['rps']) for r in whistle)} | {', '.join(fmt(r['rps']) for r in peer)} | |"
    )
    lines += [
        "",
        "| lifecycle (submit → accept → contact → opinion → reply → follow_up) | median of rounds |",
        "|---|---|",
    ]
    lines.append(
        f"| lifecycles/s | {fmt(med(r['lifecycles_per_s'] for r in cycle), 2)} (rounds: {', '.join(fmt(r['lifecycles_per_s'], 2) for r in cycle)}) |"
    )
    lines.append(f"| requests/s | {fmt(med(r['requests_per_s'] for r in cycle))} |")
    lines.append(
        f"| lifecycle p50 / p99, ms | {fmt(med(r['lifecycle_p50_ms'] for r in cycle), 0)} / {fmt(med(r['lifecycle_p99_ms'] for r in cycle), 0)} |"
    )
    for step in cycle[0]["steps"] if cycle else []:
        lines.append(
            f"| {step} p50 / p99, ms | {fmt(med(r['steps'][step]['p50_ms'] for r in cycle), 0)} / "
            f"{fmt(med(r['steps'][step]['p99_ms'] for r in cycle), 0)} |"
        )
    lines.append(f"| errors (all rounds) | {sum(r['errors'] for r in cycle)} |")
    lines.append(f"| load generator CPU, s per round | {fmt(med(r['client_cpu_s'] for r in cycle))} |")
    plain, by_pk = rounds("http/r*-ceiling-json.json"), rounds("http/r*-ceiling-pk.json")
    if plain and by_pk:
        create_rps = med(r["rps"] for r in whistle)
        lines += [
            "",
            "| the ceiling, same server and flags (no middleware) | requests/s | p50 / p99, ms | whistle's create / this |",
            "|---|---|---|---|",
        ]
        for label, runs in (("a plain Django JSON view", plain), ("a primary-key read of a case (ORM)", by_pk)):
            rps = med(r["rps"] for r in runs)
            lines.append(
                f"| {label} | {fmt(rps)} | {fmt(med(r['p50_ms'] for r in runs), 1)} / "
                f"{fmt(med(r['p99_ms'] for r in runs), 1)} | {fmt(create_rps / rps if rps else None, 2)} |"
            )
    return lines + [""]


def sweep(folder: str, title: str) -> list[str]:
    runs = rounds(f"{folder}/r*-sweep.json")
    if not runs:
        return []
    first, second = [r["first"] for r in runs], [r["second"] for r in runs]
    r0 = runs[0]
    where = machine("sqlite") if folder == "sqlite" else machine(f"sweep-{folder}", "sweep")
    lines = [
        f"### {title} ({len(runs)} rounds; {where})",
        "",
        f"{r0['cases']:,} cases, {r0['open_cases']:,} open, {r0['events']:,} events; due at {r0['now']}: "
        + ", ".join(f"{k} {v:,}" for k, v in r0["due"].items()),
        "",
        "| | first sweep | second sweep |",
        "|---|---|---|",
    ]
    for key, label, digits in (
        ("seconds", "seconds (median)", 3),
        ("python_cpu_seconds", "of which Python CPU, s", 3),
        ("sql_seconds", "of which in SQL statements, s", 3),
        ("events_written", "events written", 0),
        ("rows_written", "rows inserted/updated", 0),
        ("statements", "statements", 0),
    ):
        lines.append(
            f"| {label} | {fmt(med(r.get(key) for r in first), digits)} | {fmt(med(r.get(key) for r in second), digits)} |"
        )
    lines.append(
        f"| rounds, seconds | {', '.join(fmt(r['seconds'], 3) for r in first)} | {', '.join(fmt(r['seconds'], 3) for r in second)} |"
    )
    lines.append(f"| events by rule (round 1) | {first[0]['events_by_rule']} | {second[0]['events_by_rule']} |")
    kinds = {k for r in first for k in r.get("sql_seconds_by_kind", {})}
    lines.append(
        "| SQL seconds by statement kind | "
        + ", ".join(f"{k} {fmt(med(r['sql_seconds_by_kind'].get(k) for r in first), 3)}" for k in sorted(kinds))
        + " | |"
    )
    return lines + [""]


def inbox() -> list[str]:
    runs = rounds("big/r*-inbox.json")
    if not runs:
        return []
    r0 = runs[0]
    lines = [
        f"### Inbox ({len(runs)} rounds; {machine('inbox')})",
        "",
        f"{r0['cases']:,} cases, {r0['open_cases']:,} open; {r0['units_read']} units read in turn, {r0['reps']:,} reads a round; "
        f"open cases per unit: min {r0['inbox_size']['min']:,}, median {r0['inbox_size']['median']:,}, max {r0['inbox_size']['max']:,} "
        f"({r0['busiest_unit']['name']})",
        "",
        "| measure | p50 ms | p95 ms | p99 ms | requests/s |",
        "|---|---|---|---|---|",
    ]
    lines.append(
        f"| selectors.inbox first page, in-process | {fmt(med(r['p50_ms'] for r in runs), 2)} | "
        f"{fmt(med(r['p95_ms'] for r in runs), 2)} | {fmt(med(r['p99_ms'] for r in runs), 2)} | |"
    )
    for what, label in (
        ("inbox", "GET /api/v1/cases?unit=…&state=(open), 1 client"),
        ("endpoint", "GET /api/v1/cases/inbox, 1 client"),
        ("desk", "GET /desk (the inbox page), 1 client"),
    ):
        http_runs = rounds(f"big/r*-http-{what}.json")
        if http_runs:
            lines.append(
                f"| {label} | {fmt(med(r['p50_ms'] for r in http_runs), 2)} | {fmt(med(r['p95_ms'] for r in http_runs), 2)} | "
                f"{fmt(med(r['p99_ms'] for r in http_runs), 2)} | {fmt(med(r['rps'] for r in http_runs))} |"
            )
    return lines + [""]


if __name__ == "__main__":
    print(
        "\n".join(
            http()
            + sweep("big", "Sweep on PostgreSQL, `whistle seed --cases 1000000`")
            + sweep("open", "Sweep on PostgreSQL, 1,000,000 open cases (bench/seed_open.py)")
            + inbox()
            + sweep("sqlite", "Sweep on SQLite")
        )
    )
