"""The `whistle` command: Django's management commands, with whistle's settings.

whistle demo            migrate, load the Heze demo if empty, serve on 127.0.0.1:8000 with the worker (demo mode)
whistle serve           the web server (granian) and the worker
whistle worker          the deadline sweeper, every WHISTLE_WORKER_INTERVAL_SECONDS
whistle seed [--cases N]  the Heze demo data, or N synthetic cases for benchmarks
whistle audit verify    recompute every case's event chain
whistle <any Django management command>
"""

import os
import sys


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "whistle"
    if argv[1:2] == ["demo"]:
        # The demo is the one command that may run on the public demo keys; set before the settings load, and
        # inherited by the web server and worker it starts.
        os.environ["WHISTLE_DEMO"] = "1"
    try:
        _ = (
            settings.INSTALLED_APPS
        )  # loads the settings: a refused configuration is a message to the operator, not a traceback
    except ImproperlyConfigured as refusal:
        print(refusal, file=sys.stderr)
        sys.exit(2)
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
