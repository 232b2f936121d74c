"""Jobs a test registers through the `core_workerjob` table, as a city would add one: the worker finds them by path."""


def explode(now):
    raise RuntimeError("故障演练：此任务总是失败")


def count_runs(now):
    return {"test_runs": 1}


def slow(now):
    """Holds its lease until the test lets it go (the file named by WHISTLE_TEST_RELEASE appears), so a second worker
    asks for the job while this one surely holds it, however slowly the machine starts processes."""
    import os
    import time
    from pathlib import Path

    release = Path(os.environ["WHISTLE_TEST_RELEASE"])
    for _ in range(1200):
        if release.exists():
            break
        time.sleep(0.1)
    return {"slow_runs": 1}
