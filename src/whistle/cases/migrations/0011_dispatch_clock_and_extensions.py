"""Issue 14: a dispatch stage in every SLA profile (cases waiting for dispatch have a clock), and the number of
extensions asked for on a case (a further extension goes to the level above).

The dispatch default is 1 working day: rules.md §1, the provincial 接诉即办 platform starts verification within
1 working day, and §4's general dispatch within about 24 h. A city edits it per profile in the admin."""
from django.db import migrations, models

DISPATCH_DEFAULT = (1, "working_days")


def add_dispatch_stage(apps, schema_editor):
    SlaProfile = apps.get_model("cases", "SlaProfile")
    SlaStage = apps.get_model("cases", "SlaStage")
    amount, unit = DISPATCH_DEFAULT
    for profile in SlaProfile.objects.all():
        SlaStage.objects.get_or_create(profile=profile, stage="dispatch", defaults={"amount": amount, "unit": unit})
    # Cases that asked for an extension before the count existed asked once.
    apps.get_model("cases", "Case").objects.exclude(extension_state="none").update(extensions_count=1)


def remove_dispatch_stage(apps, schema_editor):
    apps.get_model("cases", "SlaStage").objects.filter(stage="dispatch").delete()


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0010_remove_zaozhuang_preset'),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='dispatch_due_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='派单截止'),
        ),
        migrations.AddField(
            model_name='case',
            name='extensions_count',
            field=models.PositiveIntegerField(default=0, verbose_name='延期申请次数'),
        ),
        migrations.AlterField(
            model_name='slastage',
            name='stage',
            field=models.CharField(choices=[('dispatch', '派单'), ('return_window', '退单时限'), ('contact', '联系/到场'), ('opinion', '答复意见'), ('resolve', '办结'), ('resolve_complex', '复杂事项办结'), ('extension', '延期'), ('reopen', '重办')], max_length=20, verbose_name='环节'),
        ),
        migrations.RunPython(add_dispatch_stage, remove_dispatch_stage),
    ]
