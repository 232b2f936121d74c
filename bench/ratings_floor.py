"""The rows of a ratings file as the import would COPY them (its own checks and COPY text), written to a file, so that
`bash bench/ratings_run.sh floor` can time the storing alone: COPY of already-checked rows into ratings_rating, the
physical floor of any import into that table, beside the bare COPY and the import itself.

    WHISTLE_DATABASE_URL=... .venv/bin/python bench/ratings_floor.py RATINGS.csv OUT.copy
"""

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from whistle.ratings import rating_import  # noqa: E402


def main(source: str, out: str) -> None:
    targets = rating_import.active_targets()
    with open(out, "w", encoding="utf-8") as f:
        for line, values in rating_import._read_csv(source, lambda position: None):
            f.write(rating_import.parse(line, values, targets)[rating_import.COPY_TEXT])
    print(", ".join(rating_import.INSERT_COLUMNS))


if __name__ == "__main__":
    main(*sys.argv[1:3])
