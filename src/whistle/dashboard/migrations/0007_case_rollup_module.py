"""`dashboard/rollup.py` is now `dashboard/case_rollup.py` (issue 15: modules named by what they do): the worker's job row
keeps its name (`metrics_rollup`, and the interval a city may have edited) and points at the module's new path."""

from django.db import migrations

OLD, NEW = "whistle.dashboard.rollup.worker_job", "whistle.dashboard.case_rollup.worker_job"


def forwards(apps, schema_editor):
    apps.get_model("core", "WorkerJob").objects.filter(target=OLD).update(target=NEW)


def backwards(apps, schema_editor):
    apps.get_model("core", "WorkerJob").objects.filter(target=NEW).update(target=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0006_timely_acceptance"),
        ("core", "0003_worker_jobs_and_heartbeats"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
