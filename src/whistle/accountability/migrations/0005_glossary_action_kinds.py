"""Names as docs/glossary.md has them: the actions 约谈/通报/调整 are `admonition`/`circular`/`reassignment` (were
talk/notice/adjust; `notice` is the notices app's word), and the record of one is `AccountabilityAction` (was
`Action`; its table keeps its name)."""

from django.db import migrations, models

RENAMED = {"talk": "admonition", "notice": "circular", "adjust": "reassignment"}


def rename_values(apps, schema_editor, renamed=RENAMED):
    for model, field in (("Rule", "action"), ("Proposal", "action"), ("AccountabilityAction", "kind")):
        rows = apps.get_model("accountability", model).objects
        for old, new in renamed.items():
            rows.filter(**{field: old}).update(**{field: new})


def restore_values(apps, schema_editor):
    rename_values(apps, schema_editor, {new: old for old, new in RENAMED.items()})


KINDS = [("admonition", "约谈"), ("circular", "通报"), ("reassignment", "调整")]


class Migration(migrations.Migration):
    dependencies = [
        ("accountability", "0004_adjust_rule_five_in_six_months"),
    ]

    operations = [
        migrations.RenameModel("Action", "AccountabilityAction"),
        migrations.AlterModelTable("AccountabilityAction", "accountability_action"),
        migrations.AlterField(
            model_name="accountabilityaction",
            name="kind",
            field=models.CharField(choices=KINDS, max_length=16, verbose_name="措施"),
        ),
        migrations.AlterField(
            model_name="proposal",
            name="action",
            field=models.CharField(
                choices=[("rectification", "差评整改"), *KINDS], max_length=16, verbose_name="建议措施"
            ),
        ),
        migrations.AlterField(
            model_name="rule",
            name="action",
            field=models.CharField(
                choices=[("rectification", "差评整改"), *KINDS], max_length=16, verbose_name="建议措施"
            ),
        ),
        migrations.RunPython(rename_values, restore_values),
    ]
