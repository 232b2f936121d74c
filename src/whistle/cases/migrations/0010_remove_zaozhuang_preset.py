"""A Heze deployment ships Heze's profiles only (issue 14, item 20): the 枣庄“企呼枣应” preset came with 0003 as an
analogue from rules.md §8.2. It is removed unless a category or a case already uses it (then it is the city's
own choice and stays); a city that wants it adds it in the admin."""
from django.db import migrations

CODE = "zaozhuang"


def remove(apps, schema_editor):
    SlaProfile = apps.get_model("cases", "SlaProfile")
    Category = apps.get_model("cases", "Category")
    Case = apps.get_model("cases", "Case")
    profile = SlaProfile.objects.filter(code=CODE, is_default=False).first()
    if profile is None:
        return
    if Category.objects.filter(sla_profile=profile).exists() or Case.objects.filter(sla_profile=profile).exists():
        return
    profile.delete()  # its stages go with it (CASCADE)


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_case_event_append_only")]
    operations = [migrations.RunPython(remove, migrations.RunPython.noop)]
