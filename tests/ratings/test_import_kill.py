"""Kill-safety of `whistle ratings import`: the real command in another process, killed with SIGKILL half-way, then
run again: every rating is in exactly once and the rollups equal those of a clean import."""

import csv
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from whistle.ratings import rating_rollup
from whistle.ratings.models import Rating, RatingRollup
from whistle.ratings.rating_import import COLUMNS

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ROWS = 60_000


def whistle(*args, wait=True):
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    command = [str(Path(sys.executable).parent / "whistle"), *args]
    env = {**os.environ, "WHISTLE_DATABASE_URL": url}
    if wait:
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def test_import_killed_mid_way_then_rerun_counts_every_rating_once(cards, tmp_path):
    cadre, window = cards
    path = tmp_path / "big.csv"
    expected = Counter()
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for i in range(ROWS):
            target = cadre if i % 3 else window
            level = (i * 7) % 5 + 1
            month = i % 12 + 1
            writer.writerow(
                [f"k-{i}", target.card_code, level, f"2026-{month:02d}-15 09:{i % 60:02d}:00", "device", "", "", "", ""]
            )
            expected[("c" if target is cadre else "w", month, level)] += 1

    running = whistle("ratings", "import", str(path), "--batch", "500", "--no-progress", wait=False)
    try:
        deadline = time.monotonic() + 300
        while Rating.objects.count() < 3_000 and running.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        running.send_signal(signal.SIGKILL)
    finally:
        code = running.wait()
    assert code == -signal.SIGKILL  # it really died half-way
    partial = Rating.objects.count()
    assert 0 < partial < ROWS and rating_rollup.verify()[1] == []  # whole batches only, rollups with them

    rerun = whistle("ratings", "import", str(path), "--batch", "5000", "--no-progress")
    assert rerun.returncode == 0, rerun.stderr
    assert f"新增 {ROWS - partial} 条，已存在跳过 {partial} 条，问题行 0 条" in rerun.stdout
    assert Rating.objects.count() == ROWS and Rating.objects.values("external_id").distinct().count() == ROWS
    got = Counter()
    for kind, month, *levels in RatingRollup.objects.values_list("kind", "month", "n1", "n2", "n3", "n4", "n5"):
        for level, n in enumerate(levels, start=1):
            if n:
                got[(kind, month.month, level)] += n
    assert got == expected
    assert rating_rollup.verify()[1] == []
