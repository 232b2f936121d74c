"""`whistle serve` keeps its worker alive (issue 11 item 4): real granian, real worker, a real kill."""

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from tests.core.test_worker import _env, wait_until

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PORT = 18231  # this engineer's range, 18200-18299


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child stays a zombie until serve reaps it; a zombie is not a running worker.
    status = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    return status != "Z"


def test_serve_restarts_a_worker_that_was_killed_and_becomes_ready_once_it_sweeps(tmp_path):
    env = {**_env(), "WHISTLE_VAR_DIR": str(tmp_path)}
    serve = subprocess.Popen(
        [str(Path(sys.executable).parent / "whistle"), "serve", "--port", str(PORT), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(serve.stdout.readline, "")), daemon=True).start()

    def worker_pids():
        return [int(m) for line in list(lines) for m in re.findall(r"worker 已启动 pid=(\d+)", line)]

    try:
        wait_until(lambda: worker_pids(), "serve to start its worker")
        first = worker_pids()[0]

        def ready():
            try:
                return httpx.get(f"http://127.0.0.1:{PORT}/readyz", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, "the worker's first sweep to make the server ready")
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: len(worker_pids()) >= 2, "serve to start a new worker")
        second = worker_pids()[1]
        assert second != first and _alive(second) and not _alive(first)
        assert any(f"worker 已退出 pid={first}" in line for line in lines)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
