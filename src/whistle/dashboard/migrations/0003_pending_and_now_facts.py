"""Cases not yet due are pending, not late (rules.md §4, §8.6); the cockpit's "now" figures and its state split
come from the rollup too.

A case not contacted (answered) whose deadline had not passed used to count in the response (answer) rate's
denominator as a miss. The rollup now keeps such cases apart (`contact_pending`, `opinion_pending`), counts the
open cases overdue, supervised and escalated, is split by state, and remembers when a clock-driven fact next
changes (`stale_at`). Existing rows were counted the old way: they are marked stale at once, so the worker's next
refresh recomputes every month. The response and answer definitions count differently from now on, so their
version goes up (a report names `response@2`: never a silent change of meaning).
"""

import datetime as dt

from django.db import migrations, models


SOURCES = {
    "response": "§8.6 山东“2115”：时限内联系或到场件 / 应联系件（已联系或已过联系时限；未联系且未到时限的不计）",
    "answer": "§8.6 山东“2115”：1个工作日内提出处理意见件 / 应答复件（已答复或已过答复时限；未答复且未到时限的不计）",
}


# What 0002 said, for going back.
OLD_SOURCES = {
    "response": "§8.6 山东“2115”：2小时内联系或到场件 / 派单件",
    "answer": "§8.6 山东“2115”：1个工作日内提出处理意见件 / 派单件",
}


def _relabel(apps, sources: dict, step: int) -> None:
    for d in apps.get_model("dashboard", "MetricDefinition").objects.filter(code__in=sources):
        d.version += step
        d.source = sources[d.code]
        d.save(update_fields=["version", "source"])


def recount(apps, schema_editor):
    apps.get_model("dashboard", "CaseMonthFact").objects.update(
        stale_at=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    )
    _relabel(apps, SOURCES, +1)


def uncount(apps, schema_editor):
    """Back to 0002's meaning: the definitions' earlier version and source (the facts are recounted by the next
    refresh of the code that runs then)."""
    _relabel(apps, OLD_SOURCES, -1)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0002_default_definitions"),
        ("org", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="casemonthfact",
            name="fact_unique_group",
        ),
        migrations.RemoveConstraint(
            model_name="casemonthfact",
            name="fact_unique_undispatched",
        ),
        *[
            migrations.AddField(model_name="casemonthfact", name=name, field=models.IntegerField(default=0))
            for name in ("contact_pending", "escalated", "opinion_pending", "overdue", "rect_open", "rect_overdue")
        ],
        migrations.AddField(
            model_name="casemonthfact",
            name="stale_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="casemonthfact",
            name="state",
            field=models.CharField(default="", max_length=12, verbose_name="状态"),
        ),
        migrations.AddField(
            model_name="casemonthfact",
            name="supervised",
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name="rollupstate",
            name="checked_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddConstraint(
            model_name="casemonthfact",
            constraint=models.UniqueConstraint(
                fields=("month", "county", "lead_unit", "state"), name="fact_unique_group_state"
            ),
        ),
        migrations.AddConstraint(
            model_name="casemonthfact",
            constraint=models.UniqueConstraint(
                condition=models.Q(("lead_unit__isnull", True)),
                fields=("month", "county", "state"),
                name="fact_unique_undispatched_state",
            ),
        ),
        migrations.RunPython(recount, uncount),
    ]
