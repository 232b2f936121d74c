"""N ratings as the CSV of docs/ratings-import.md, deterministic for a given N and --seed (same file, same bytes).

Targets are the bench cards of ratings_prepare.py, skewed (a few busy windows, a long tail of cadres); levels
mostly good; times spread over 2026 (Beijing); a third with a case number, 5% with a phone, some tags and comments.

    .venv/bin/python bench/ratings_generate.py 11000000 bench/out/ratings/ratings-11m.csv

`--cadres N --windows N`: as many cards as ratings_prepare.py was given (a province: bench/province_run.sh).
"""

import argparse
import csv
import random
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
CADRES, WINDOWS = 3000, 600  # as ratings_prepare.py (not imported: it sets Django up)
LEVELS = [5] * 55 + [4] * 25 + [3] * 12 + [2] * 5 + [1] * 3
CHANNELS = ["qr", "device", "device", "web", "app", "hotline"]
TAGS = ["", "", "", "", "friendly", "fast", "friendly;one_visit", "slow", "rude;runaround"]
COMMENTS = ["", "", "", "", "", "", "", "", "办事很快", "态度很好", "等了很久", "材料一次说清了"]
YEAR_SECONDS = 365 * 86400


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cadres", type=int, default=CADRES)
    parser.add_argument("--windows", type=int, default=WINDOWS)
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    codes = [f"bench-w-{i:05d}" for i in range(args.windows)] + [f"bench-c-{i:05d}" for i in range(args.cadres)]
    weights = [1 / (k + 10) for k in range(len(codes))]  # busy windows first, a long tail
    import datetime as dt

    start = dt.datetime(2026, 1, 1)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["external_id", "target", "level", "rated_at", "channel", "tags", "comment", "case_number", "phone"]
        )
        chunk = 100_000
        for base in range(0, args.n, chunk):
            size = min(chunk, args.n - base)
            targets = rnd.choices(codes, weights, k=size)
            levels = rnd.choices(LEVELS, k=size)
            seconds = [rnd.randrange(YEAR_SECONDS) for _ in range(size)]
            rows = []
            for j in range(size):
                i = base + j
                r = rnd.random()
                rows.append(
                    (
                        f"hz-{i:09d}",
                        targets[j],
                        levels[j],
                        (start + dt.timedelta(seconds=seconds[j])).strftime("%Y-%m-%d %H:%M:%S"),
                        CHANNELS[i % 6],
                        TAGS[i % 9] if r < 0.3 else "",
                        COMMENTS[i % 12] if r < 0.2 else "",
                        f"BJ{i:010d}" if i % 3 == 0 else "",
                        f"139{i % 100000000:08d}" if i % 20 == 0 else "",
                    )
                )
            writer.writerows(rows)


if __name__ == "__main__":
    main()
