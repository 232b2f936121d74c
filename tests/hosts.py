"""Real whistle processes for tests: a granian web host and the worker, each with its own WHISTLE_VAR_DIR, on the
test database the test process uses (committed data only: use them from transactional tests)."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
from django.db import connection

from tests.conftest import PASSWORD

BIN = Path(sys.executable).parent
# This worktree's share of the machine's ports; WHISTLE_TEST_PORTS=18850-18899 gives a parallel checkout its own.
_FIRST, _LAST = (int(p) for p in os.environ.get("WHISTLE_TEST_PORTS", "18300-18399").split("-"))
PORTS = range(_FIRST, _LAST + 1)
# One pair of keys for every process of a test: sessions and hashes must agree between hosts.
KEYS = {
    "WHISTLE_SECRET_KEY": "test-hosts-" + secrets.token_hex(24),
    "WHISTLE_HASH_KEY": "test-hosts-" + secrets.token_hex(24),
    "WHISTLE_PHONE_KEY": "test-hosts-phone-" + secrets.token_hex(24),
}


def database_url() -> str:
    """The test database as a URL another process can open (the SQLite test file, or the PostgreSQL test DB)."""
    d = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(d['NAME']).resolve()}"
    user = d.get("USER") or ""
    auth = f"{user}:{d['PASSWORD']}@" if d.get("PASSWORD") else (f"{user}@" if user else "")
    return f"postgres://{auth}{d.get('HOST') or '127.0.0.1'}:{d.get('PORT') or 5432}/{d['NAME']}"


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def environment(var_dir: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHISTLE_") or k == "WHISTLE_FAST_HASHER"}
    var_dir.mkdir(parents=True, exist_ok=True)
    env.update(KEYS, WHISTLE_VAR_DIR=str(var_dir), WHISTLE_DATABASE_URL=database_url(), **extra)
    return env


@contextmanager
def web_host(var_dir: Path, **extra):
    """A granian web host on a free port; yields its base URL. Its output goes to var_dir/web.log."""
    port = free_port()
    log = open(var_dir.parent / f"{var_dir.name}-web.log", "wb")
    proc = subprocess.Popen(
        [
            str(BIN / "granian"),
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
        env=environment(var_dir, **extra),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):  # up to about a minute for the process to import Django and bind
            if proc.poll() is not None:
                raise RuntimeError(f"web host exited: {(var_dir.parent / f'{var_dir.name}-web.log').read_text()}")
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def run_worker_once(var_dir: Path, **extra) -> str:
    """`whistle worker --once` as its own process; returns what it printed."""
    done = subprocess.run(
        [str(BIN / "whistle"), "worker", "--once"],
        env=environment(var_dir, **extra),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def signed_in(base_url: str, username: str) -> httpx.Client:
    """An HTTP client signed in through the login form, as a browser would."""
    http = httpx.Client(base_url=base_url, timeout=60, follow_redirects=False)
    page = http.get("/login")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = http.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": base_url + "/login"},
    )
    assert answer.status_code == 302, answer.text[:500]
    return http
