"""Issue 13 (items 3, 8): a re-rating is tied to the poor rating it answers (`rerate_of`) instead of carrying the
rectification's case number; older re-ratings get the link too (they keep their number). New rating limits per phone
and per network on one card, as rule parameters a city edits in the admin, with an index for the phone's."""
import django.db.models.deletion
from django.db import migrations, models

PARAMETERS = [
    ("ratings.max_per_phone_per_day", 5, "同一手机号每天最多评价次数（超出拒绝）"),
    ("ratings.max_per_phone_per_card_per_day", 2, "同一手机号每天对同一干部或窗口最多评价次数（超出拒绝）"),
    ("ratings.max_per_network_per_card_per_hour", 10, "同一网络（IPv4 /24、IPv6 /64）每小时对同一干部或窗口最多评价次数（超出拒绝）"),
]


def load(apps, schema_editor):
    RuleParameter = apps.get_model("core", "RuleParameter")
    for key, value, description in PARAMETERS:
        RuleParameter.objects.get_or_create(key=key, defaults={"value": value, "description": description})
    # Older re-ratings: a live rating whose case number is a rectification's (few: one per answered rectification).
    Rating = apps.get_model("ratings", "Rating")
    Case = apps.get_model("cases", "Case")
    rerates = Rating.objects.filter(external_id="", case_number__startswith="HZ", rerate_of__isnull=True)
    for rerating in rerates.only("pk", "case_number"):
        digits = rerating.case_number[2:]
        if not (digits.isascii() and digits.isdecimal()):
            continue
        case = Case.objects.filter(pk=int(digits), channel="rating").only("pk").first()
        poor = Rating.objects.filter(rectification_id=case.pk).only("pk").first() if case else None
        if poor is not None and poor.pk != rerating.pk:
            Rating.objects.filter(pk=rerating.pk).update(rerate_of=poor)


def unload(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.filter(key__in=[k for k, _, _ in PARAMETERS]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0007_drop_redundant_indexes'),
        ('core', '0002_default_rules'),
        ('ratings', '0010_rectification_contact_name'),
    ]

    operations = [
        migrations.AddField(
            model_name='rating',
            name='rerate_of',
            field=models.OneToOneField(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rerating', to='ratings.rating', verbose_name='再评价的差评'),
        ),
        migrations.AddIndex(
            model_name='rating',
            index=models.Index(condition=models.Q(models.Q(('rater_phone_hash', ''), _negated=True), ('external_id', '')), fields=['rater_phone_hash', 'created_at'], name='rating_phone_live'),
        ),
        migrations.RunPython(load, unload),
    ]
