"""The suite's shares (`WHISTLE_TEST_SHARD=K/N`, run side by side by scripts/test.sh): which files a share keeps, and
the weights it deals them by. Free of Django, so that the weights can be written from a run's logs:

    bash scripts/test.sh --durations=0 -vv
    .venv/bin/python -m tests.shares var/test-*-?.log > tests/durations.json

A share is whole files; tests/demo goes whole to one share, since its package loads the demo once for all its files.
Files are dealt heaviest first to the share lightest so far, weighed by their seconds in tests/durations.json or, for
a file not in it, by their number of tests at the mean seconds of a test. A file's seconds include the test database's
setup when it ran first in its share, so the first files alphabetically weigh a little more than they cost.
"""

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

DURATIONS = Path(__file__).parent / "durations.json"
LINE = re.compile(r"^([\d.]+)s (?:setup|call|teardown)\s+(tests/[^:]+\.py)::(.+)$")


def group(path: str) -> str:
    """The unit a share keeps whole: a test file, or the demo package."""
    return "tests/demo" if path.startswith("tests/demo/") else path


def keep(nodeids: list[str], k: int, n: int) -> set[str]:
    """The groups of the K-th of N shares, among the groups these tests belong to."""
    counts: dict[str, int] = defaultdict(int)
    for nodeid in nodeids:
        counts[group(nodeid.split("::")[0])] += 1
    measured = json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}  # {group: [seconds, tests]}
    mean = sum(s for s, _ in measured.values()) / max(1, sum(t for _, t in measured.values())) if measured else 1.0
    weight = {name: measured[name][0] if name in measured else count * mean for name, count in counts.items()}
    loads = [0.0] * n
    share = set()
    for name in sorted(weight, key=lambda name: (-weight[name], name)):
        lightest = loads.index(min(loads))
        loads[lightest] += weight[name]
        if lightest == k - 1:
            share.add(name)
    return share


def measure(paths: list[str]) -> dict[str, list[float]]:
    """Each group's seconds (setup, call and teardown of its tests, summed over the logs) and number of tests, from
    pytest's `--durations=0 -vv` lines."""
    seconds: dict[str, float] = defaultdict(float)
    tests: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as log:
            for line in log:
                match = LINE.match(line.rstrip("\n"))
                if match:
                    duration, file, test = match.groups()
                    seconds[group(file)] += float(duration)
                    tests[group(file)].add(f"{file}::{test}")
    return {name: [round(seconds[name], 1), len(tests[name])] for name in sorted(seconds)}


if __name__ == "__main__":
    table = measure(sys.argv[1:])
    sys.stdout.write("{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in table.items()) + "\n}\n")
