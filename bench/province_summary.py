"""The figures of one `bash bench/province_run.sh measure` as a markdown table (medians over the rounds), and, given
two sizes, the growth between them and the extrapolation to a province's year.

    .venv/bin/python bench/province_summary.py 300000            # one size: bench/out/province/m-300000/
    .venv/bin/python bench/province_summary.py 100000 300000     # two sizes, their ratios and the extrapolation
    .venv/bin/python bench/province_summary.py 100000,100000-b 300000,300000-b   # each size from two runs, pooled
"""

from __future__ import annotations

import json
import math
import re
import statistics
import sys
from pathlib import Path

OUT = Path(__file__).parent / "out" / "province"
TARGET_CASES = 10_000_000


def rounds(folder: Path, name: str) -> list[dict]:
    return [
        json.loads(p.read_text())
        for p in sorted(folder.glob(f"r*-{name}.json"))
        if re.fullmatch(rf"r\d+-{name}\.json", p.name) and p.read_text().strip()
    ]


def med(values) -> float:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else float("nan")


def figures(spec: str) -> dict:
    """The figures of one size from one or more measured runs, comma separated: N (bench/out/province/m-N/) and
    N-TAG for a repeat (`TAG=b bash bench/province_run.sh measure`: m-N-b/). The wrk rounds of all runs are pooled
    (median of every round); each run's single figures (inbox, cockpit, worker minute) give their median."""
    folders = [OUT / f"m-{run}" for run in spec.split(",")]
    cases = int(spec.split(",")[0].split("-")[0])
    f: dict = {}
    bad = 0
    for name in ("healthz", "create", "rating", "1c-healthz", "1c-endpoint"):
        runs = [r for folder in folders for r in rounds(folder, name)]
        if not name.startswith("1c-"):  # one client: requests/s is 1000 / latency, the p95 says it
            f[f"{name} rps"] = med(r["rps"] for r in runs)
        f[f"{name} p95 ms"] = med(r["p95_ms"] for r in runs)
        if name == "rating":
            f[f"{name} p99 ms"] = med(r["p99_ms"] for r in runs)
        bad += sum(r["non2xx"] + r["errors"] for r in runs)
        f[f"{name} load"] = ", ".join(r.get("load", "?").split()[0] for r in runs)
    f["non-2xx answers and socket errors, all wrk runs"] = bad
    single: dict[str, list[float]] = {}
    for folder in folders:
        inbox = json.loads((folder / "inbox.json").read_text())
        single.setdefault("inbox in-process p95 ms", []).append(inbox["p95_ms"])
        single.setdefault("inbox in-process p50 ms", []).append(inbox["p50_ms"])
        cockpit = json.loads((folder / "cockpit.json").read_text())
        for who, fig in cockpit["figures"].items():
            for kind in ("warm", "cold"):
                single.setdefault(f"cockpit {who} {kind} p95 ms", []).append(fig[kind]["p95_ms"])
                single.setdefault(f"cockpit {who} {kind} p50 ms", []).append(fig[kind]["p50_ms"])
        minute = json.loads((folder / "worker-minute.json").read_text())
        single.setdefault("worker minute total s", []).append(minute["total_s"])
        for job in ("deadline_sweep", "metrics_rollup", "cockpit_warm", "hot_topics", "notices_send"):
            if job in minute["jobs"]:
                single.setdefault(f"worker {job} s", []).append(minute["jobs"][job]["s"])
    f.update({k: med(v) for k, v in single.items()})
    cold = OUT / f"worker-minute-cold-{cases}.json"
    if cold.exists() and cold.read_text().strip():
        cold_jobs = json.loads(cold.read_text())
        f["worker cold minute (first after the bulk load) total s"] = cold_jobs["total_s"]
        for job in ("deadline_sweep", "audit_checkpoint", "metrics_rollup", "hot_topics", "notices_send"):
            f[f"worker cold {job} s"] = cold_jobs["jobs"][job]["s"]
    return f


# (figure, growth model for the extrapolation): "log" for what an index lookup or a per-request insert costs (a B-tree
# deeper by log N), "linear" for what reads or rewrites rows in proportion to the data (the month's cases, the first
# sweep, the bulk load), "flat" for a baseline that does not touch the data.
MODELS = {
    "healthz": "flat",
    "1c-healthz": "flat",
    "create": "log",
    "rating": "log",
    "1c-endpoint": "log",
    "inbox": "log",
    "cockpit": "log",
}


def model(key: str) -> str:
    # The worker's jobs after a busy minute work on what changed (events past the watermark, the notices queued,
    # the scopes to re-render) through indexes; the hot topics tokenise the month's new texts, and the first minute
    # after a bulk load reads everything.
    if key.startswith(("worker cold", "worker hot_topics")):
        return "linear"
    if key.startswith("worker"):
        return "log"
    return MODELS.get(key.split()[0], "linear")


def extrapolate(key: str, sizes: list[int], a: float, b: float) -> str:
    """Through the two points, by the figure's model, to TARGET_CASES. A figure that did not grow between the sizes
    (within the load's noise) is carried over as the larger size's value, not extrapolated downwards."""
    kind = model(key)
    lower_is_better = not key.endswith("rps")
    worse = b > a if lower_is_better else b < a
    if kind == "flat" or not worse:
        return f"≈ {b:,.1f} (no growth measured)"
    if kind == "log":
        value = b + (b - a) * math.log(TARGET_CASES / sizes[1]) / math.log(sizes[1] / sizes[0])
    else:
        value = b + (b - a) * (TARGET_CASES - sizes[1]) / (sizes[1] - sizes[0])
    if not lower_is_better and value <= 0:
        return "→ 0 (the model fails: figure falls too fast)"
    return f"{value:,.1f} ({kind})"


def table(specs: list[str]) -> str:
    data = [figures(spec) for spec in specs]
    sizes = [int(spec.split(",")[0].split("-")[0]) for spec in specs]
    keys = list(data[0])
    two = len(sizes) == 2
    head = "| figure | " + " | ".join(f"{n:,} cases" for n in sizes)
    rows = [head + (" | ratio | **extrapolated** to 10,000,000 cases (model) |" if two else " |")]
    rows.append("|---" * (len(sizes) + 1 + (2 if two else 0)) + "|")
    for k in keys:
        vals = [d.get(k) for d in data]
        line = f"| {k} | " + " | ".join(str(v) for v in vals)
        if two:
            a, b = vals
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a and b and "non-2xx" not in k:
                line += f" | {b / a:.2f} | {extrapolate(k, sizes, a, b)}"
            else:
                line += " | | "
        rows.append(line + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(sys.argv[1:]))
