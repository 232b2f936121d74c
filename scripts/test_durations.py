"""Weigh the suite's files for its shares (tests/conftest.py): each file's seconds (setup, call and teardown of its
tests, summed over the runs whose logs are given) and its number of tests, from pytest's `--durations=0 -vv` lines.

    bash scripts/test.sh --durations=0 -vv
    .venv/bin/python scripts/test_durations.py var/test-*-?.log > tests/durations.json
"""

import json
import re
import sys
from collections import defaultdict

LINE = re.compile(r"^([\d.]+)s (?:setup|call|teardown)\s+(tests/[^:]+\.py)::(.+)$")


def main(paths: list[str]) -> None:
    seconds: dict[str, float] = defaultdict(float)
    tests: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as log:
            for line in log:
                match = LINE.match(line.rstrip("\n"))
                if match:
                    duration, file, test = match.groups()
                    name = "tests/demo" if file.startswith("tests/demo/") else file
                    seconds[name] += float(duration)
                    tests[name].add(f"{file}::{test}")
    table = {name: [round(seconds[name], 1), len(tests[name])] for name in sorted(seconds)}
    sys.stdout.write("{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in table.items()) + "\n}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
