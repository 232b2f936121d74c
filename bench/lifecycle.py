"""Full case lifecycles through whistle's HTTP API, N concurrent clients, bounded in time and count.

Each client loops: submit (enterprise user; the dispatch catalogue routes it) → accept → contact → opinion → reply
(handler of the routed unit) → follow_up resolved/satisfied (the enterprise user), checking every answer. Clients
share the routes of bench/out/whistle-actors.json round-robin. Loopback only.

    .venv/bin/python bench/lifecycle.py --url http://127.0.0.1:8100 --clients 32 --duration 30 --warmup 5
Prints one JSON object: lifecycles/s, requests/s, p50/p99 per step and per lifecycle, errors, and the load
generator's own CPU seconds.

The clients speak HTTP/1.1 on kept-alive asyncio streams of their own (`Connection`, one per client, as wrk holds one
per connection), not through httpx: on this 2-core machine httpx cost about 5 ms of CPU per request, so the load
generator took nearly one of the two cores the server needs (issue 22). `--client httpx` keeps the old client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

STEPS = [
    # (name, who, action or None for submit, payload, expected state after)
    ("submit", "enterprise", None, None, "dispatched"),
    ("accept", "handler", "accept", {}, "accepted"),
    ("contact", "handler", "contact", {"method": "phone", "note": "已电话联系企业负责人，约定现场查看"}, "contacted"),
    ("opinion", "handler", "opinion", {"opinion": "经核实，属本单位职责，三个工作日内到场办理"}, "in_progress"),
    ("reply", "handler", "reply", {"content": "已协调施工许可手续并当场办结，企业确认"}, "replied"),
    (
        "follow_up",
        "enterprise",
        "follow_up",
        {"resolution": "resolved", "satisfaction": "satisfied", "comment": "办理及时"},
        "closed",
    ),
]


class Connection:
    """One kept-alive HTTP/1.1 connection (JSON bodies with Content-Length or chunked answers), reopened when the server
    closes it."""

    def __init__(self, url: str):
        parts = urlparse(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, payload, headers: dict) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        reader = self.reader
        assert reader is not None
        body = json.dumps(payload, ensure_ascii=False).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        )
        self.writer.write(head.encode("latin-1") + body)
        status = int((await reader.readline()).split()[1])
        length, chunked, close = 0, False, False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value
            elif name == "connection":
                close = "close" in value
        if chunked:
            data = b""
            while size := int((await reader.readline()).split(b";")[0], 16):
                data += await reader.readexactly(size)
                await reader.readline()
            await reader.readline()
        else:
            data = await reader.readexactly(length)
        if close:
            self.writer.close()
            self.writer = None
        return status, data


class Answer:
    """What `client` reads of an answer, from either client."""

    def __init__(self, status: int, content: bytes):
        self.status_code, self.content = status, content

    def json(self):
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))]


class Run:
    def __init__(self, measure_from: float, stop_at: float, max_lifecycles: int):
        self.measure_from, self.stop_at, self.max_lifecycles = measure_from, stop_at, max_lifecycles
        self.started = self.completed = 0
        self.done: list[float] = []  # lifecycle latencies (measured window only)
        self.steps: dict[str, list[float]] = {s[0]: [] for s in STEPS}
        self.errors: list[str] = []
        self.requests = 0

    def more(self) -> bool:
        return time.monotonic() < self.stop_at and self.started < self.max_lifecycles


def in_window(run: Run, moment: float) -> bool:
    return run.measure_from <= moment <= run.stop_at


async def client(run: Run, http, route: dict, body: dict) -> None:
    """Throughput counts what completes inside the window; latencies, the lifecycles that also started in it."""
    headers = {
        "enterprise": {"Authorization": f"Bearer {route['enterprise_token']}"},
        "handler": {"Authorization": f"Bearer {route['handler_token']}"},
    }
    while run.more():
        run.started += 1
        begin = time.monotonic()
        number = None
        timings = []
        for name, who, action, payload, expected in STEPS:
            t0 = time.monotonic()
            path = "/api/v1/cases" if action is None else f"/api/v1/cases/{number}/actions/{action}"
            if isinstance(http, Connection):
                response = Answer(*await http.post(path, body if action is None else payload, headers[who]))
            else:
                response = await http.post(path, json=body if action is None else payload, headers=headers[who])
            t1 = time.monotonic()
            timings.append((name, t1 - t0))
            run.requests += in_window(run, t1)
            ok = response.status_code in (200, 201)
            data = response.json() if ok else None
            if not ok or data.get("state") != expected:
                run.errors.append(f"{name} {response.status_code} {response.text[:200]}")
                break
            number = data["number"]
        else:
            end = time.monotonic()
            if in_window(run, end):
                run.completed += 1
                if begin >= run.measure_from:
                    run.done.append(end - begin)
                    for name, seconds in timings:
                        run.steps[name].append(seconds)


async def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8100")
    parser.add_argument("--actors", default=str(Path(__file__).parent / "out" / "whistle-actors.json"))
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=30, help="measured seconds, after the warm-up")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--max-lifecycles", type=int, default=20000, help="hard bound on lifecycles started")
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw", help="the load generator's HTTP client")
    args = parser.parse_args()
    host = urlparse(args.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("loopback only")
    routes = json.loads(Path(args.actors).read_text())
    now = time.monotonic()
    run = Run(now + args.warmup, now + args.warmup + args.duration, args.max_lifecycles)
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    cpu0 = time.process_time()
    async with httpx.AsyncClient(base_url=args.url, limits=limits, timeout=60) as http:
        tasks = []
        for i in range(args.clients):
            route = routes[i % len(routes)]
            body = {
                "kind": "help",
                "category": route["category"],
                "title": "厂区新建仓库施工许可办理咨询",
                "description": "我公司厂区新建仓库，施工许可材料已提交两周未有答复，请协调办理进度。",
            }
            tasks.append(client(run, Connection(args.url) if args.client == "raw" else http, route, body))
        await asyncio.gather(*tasks)
    elapsed = args.duration
    ms = lambda v: round(v * 1000, 1)  # noqa: E731
    return {
        "clients": args.clients,
        "client": args.client,
        "duration_s": elapsed,
        "routes": len(routes),
        "lifecycles": run.completed,
        "lifecycles_per_s": round(run.completed / elapsed, 2),
        "latency_samples": len(run.done),
        "requests_per_s": round(run.requests / elapsed, 1),
        "lifecycle_p50_ms": ms(percentile(run.done, 50)),
        "lifecycle_p99_ms": ms(percentile(run.done, 99)),
        "steps": {
            k: {
                "n": len(v),
                "p50_ms": ms(percentile(v, 50)),
                "p99_ms": ms(percentile(v, 99)),
                "mean_ms": ms(statistics.fmean(v)) if v else None,
            }
            for k, v in run.steps.items()
        },
        "errors": len(run.errors),
        "first_errors": run.errors[:3],
        "client_cpu_s": round(time.process_time() - cpu0, 1),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main()), ensure_ascii=False))
