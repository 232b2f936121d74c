from tests.reforms.conftest import at, make_task, pdf
from whistle.reforms import lights, services


def test_smoke(reform):
    t = make_task(reform)
    services.report_add(reform.actor("cao_zjj"), t.pk, text_value="进展", progress=50, now=at(2026, 2, 3))
    services.task_submit(reform.actor("cao_zjj"), t.pk, text_value="完成", files=[pdf()], now=at(2026, 3, 3))
    services.task_accept(reform.actor("gaige"), t.pk, now=at(2026, 3, 4))
    services.task_close(reform.actor("gaige"), t.pk, now=at(2026, 3, 4))
    print(lights.sweep(at(2026, 10, 9)))
