"""The `whistle` command: Django's management commands, with whistle's settings.

    whistle demo            migrate, load the Heze demo if empty, serve on 127.0.0.1:8000 with the worker
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
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "whistle"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
