"""N synthetic cases that are all open, for the sweep figure as issue 2 states it ("1,000,000 open cases with 1% near
or past a deadline").

`whistle seed --cases N` makes a platform that has run for a year: 88% of its cases are closed, so 1,000,000 cases
hold about 120,000 open ones. This runs the same generator (`whistle.seed.bulk.generate_cases`, same seed, same 1%
of open cases late) with no closed share, so N cases are N open ones.

    WHISTLE_DATABASE_URL=... .venv/bin/python bench/seed_open.py 1000000
"""

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from whistle.seed import bulk  # noqa: E402

bulk.CLOSED_SHARE = 0.0
bulk.generate_cases(int(sys.argv[1]), seed=1, stdout=sys.stdout)
