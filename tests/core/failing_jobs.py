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


def _recorded(name: str, work=None) -> dict:
    """Append "name pid start end" (monotonic-free wall seconds) to the file named by WHISTLE_TEST_RUNS around a run
    that lasts a little, so two runs of one job at once would overlap in the file."""
    import os
    import time
    from pathlib import Path

    start = time.time()
    result = work() if work else {}
    time.sleep(0.3)
    with Path(os.environ["WHISTLE_TEST_RUNS"]).open("a") as out:
        out.write(f"{name} {os.getpid()} {start:.6f} {time.time():.6f}\n")
    return result


def recorded_sweep(now):
    """The deadline sweep, recorded."""
    from whistle.cases.sweeper import sweep

    return _recorded("deadline_sweep", lambda: sweep(now))


def recorded_a(now):
    return _recorded("a")


def recorded_b(now):
    return _recorded("b")
