"""Issue 13, item 16: a refusal that comes before anyone reads the request body (a CSRF failure, a 413, the input
guard) must not leave that body in a keep-alive connection, where granian read it as the next request. Through a
real granian server and a keep-alive client, as browsers and integrations talk to it."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

PORTS = range(18640, 18700)  # this machine's share of ports for test servers


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port")


@pytest.fixture(scope="module")
def granian(tmp_path_factory):
    """The production server (as `whistle serve` starts it) on its own SQLite file: these requests touch no table."""
    port = _free_port()
    database = tmp_path_factory.mktemp("granian") / "whistle.sqlite3"
    env = {**os.environ, "WHISTLE_DATABASE_URL": f"sqlite:///{database}"}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "granian"),
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-ws",
            "whistle.wsgi:application",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):  # wait until it answers (not a timed assertion: a readiness poll)
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _raw_exchanges(url: str, path: str, size: int, rounds: int) -> list[bytes]:
    """POST with a body sent just after its headers (as a slow phone does), then a GET, on one connection. The
    answers to the GETs, or what came instead."""
    host, port = url.removeprefix("http://").split(":")
    answers = []
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        reader = conn.makefile("rb")

        def response() -> bytes:
            status = reader.readline()
            length, chunked = 0, False
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
                chunked |= name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower()
            if not chunked:
                return status + reader.read(length)
            body = b""
            while size := int(reader.readline().split(b";")[0], 16):
                body += reader.read(size)
                reader.readline()
            reader.readline()
            return status + body

        for _ in range(rounds):
            body = b"comment=" + b"x" * size
            try:
                conn.sendall(
                    f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                )
                conn.sendall(body[:100])
                conn.sendall(body[100:])
                response()
                conn.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                answers.append(response())
            except OSError as error:
                answers.append(repr(error).encode())
                break
    return answers


def test_item_16_csrf_refused_posts_leave_the_keepalive_connection_usable(granian):
    broken = 0
    with httpx.Client(base_url=granian, timeout=30) as http:
        for _ in range(100):
            refused = http.post(
                "/login",
                content=b"username=x&password=" + b"y" * 10 * 1024,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert refused.status_code == 403  # no CSRF token
            after = http.get("/healthz")
            broken += not (after.status_code == 200 and after.json() == {"status": "ok"})
    assert broken == 0
    answers = _raw_exchanges(granian, "/login", 10 * 1024, 20)
    assert len(answers) == 20 and all(
        a.startswith(b"HTTP/1.1 200") and a.endswith(b'{"status": "ok"}') for a in answers
    ), answers[-2:]


def test_item_16_bodies_refused_by_the_input_guard_and_404s_are_drained_too(granian):
    answers = _raw_exchanges(granian, "/api/v1/no-such-endpoint", 10 * 1024, 10)
    answers += _raw_exchanges(granian, "/r/no-such-card/?q=%00", 10 * 1024, 10)
    assert len(answers) == 20 and all(a.startswith(b"HTTP/1.1 200") for a in answers), answers[-2:]
