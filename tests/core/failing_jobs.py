"""Jobs a test registers through the `core_workerjob` table, as a city would add one: the worker finds them by path."""


def explode(now):
    raise RuntimeError("故障演练：此任务总是失败")


def count_runs(now):
    return {"test_runs": 1}


def slow(now):
    """Long enough for a second worker to ask for the same job while this one holds it."""
    import time

    time.sleep(4)
    return {"slow_runs": 1}
