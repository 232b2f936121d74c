"""The ceiling beside the write figures (issue 22): whistle's settings and database, no middleware, two views.

Served by `bench/run.sh http` with the same server and flags as whistle and the peer, so the report can say how far
from what this machine gives a Django request each write stands."""

from whistle.settings import *  # noqa: F403

MIDDLEWARE: list[str] = []
ROOT_URLCONF = "ceiling.urls"
