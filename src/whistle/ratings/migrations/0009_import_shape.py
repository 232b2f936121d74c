"""The ratings table shaped for millions of imported rows (see Rating's comments): secondary indexes partial on live
ratings, no foreign-key triggers, database defaults for the columns an import leaves out, and (PostgreSQL) a byte-wise
external id and case number for their unique indexes, and room on the rollups' pages for in-place updates."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _collate(schema_editor, collation):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'ALTER TABLE ratings_rating ALTER COLUMN external_id TYPE varchar(64) COLLATE "{collation}", '
                              f'ALTER COLUMN case_number TYPE varchar(40) COLLATE "{collation}"')


def bytewise(apps, schema_editor):
    _collate(schema_editor, "C")
    if schema_editor.connection.vendor == "postgresql":
        # Every rating and every import batch updates rollup rows in place: room on the page keeps those updates HOT
        # (no index touched; n1…n5 are not indexed).
        schema_editor.execute("ALTER TABLE ratings_ratingrollup SET (fillfactor = 50)")


def bytewise_back(apps, schema_editor):
    _collate(schema_editor, "default")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE ratings_ratingrollup RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0007_drop_redundant_indexes'),
        ('org', '0001_initial'),
        ('ratings', '0008_fewer_rating_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='rating',
            name='rating_cadre',
        ),
        migrations.RemoveIndex(
            model_name='rating',
            name='rating_window',
        ),
        migrations.AlterField(
            model_name='rating',
            name='cadre',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='ratings', to='ratings.cadre', verbose_name='干部'),
        ),
        migrations.AlterField(
            model_name='rating',
            name='counted',
            field=models.BooleanField(db_default=True, default=True, verbose_name='计入统计'),
        ),
        migrations.AlterField(
            model_name='rating',
            name='created_at',
            field=models.DateTimeField(verbose_name='评价时间'),
        ),
        migrations.AlterField(
            model_name='rating',
            name='device_hash',
            field=models.CharField(db_default='', default='', editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name='rating',
            name='network_hash',
            field=models.CharField(db_default='', default='', editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name='rating',
            name='rectification',
            field=models.OneToOneField(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rating', to='cases.case', verbose_name='差评整改工单'),
        ),
        migrations.AlterField(
            model_name='rating',
            name='review_reason',
            field=models.CharField(blank=True, db_default='', default='', max_length=500, verbose_name='复核意见'),
        ),
        migrations.AlterField(
            model_name='rating',
            name='reviewed_by',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='复核人'),
        ),
        migrations.AlterField(
            model_name='rating',
            name='status',
            field=models.CharField(choices=[('counted', '有效'), ('flagged', '待复核'), ('voided', '已作废')], db_default='counted', default='counted', max_length=10, verbose_name='状态'),
        ),
        migrations.AlterField(
            model_name='rating',
            name='unit',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.unit', verbose_name='被评单位'),
        ),
        migrations.AlterField(
            model_name='rating',
            name='window',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='ratings', to='ratings.window', verbose_name='窗口'),
        ),
        migrations.AddIndex(
            model_name='rating',
            index=models.Index(condition=models.Q(('external_id', '')), fields=['unit', 'created_at'], name='rating_live_unit'),
        ),
        migrations.AddIndex(
            model_name='rating',
            index=models.Index(condition=models.Q(('external_id', '')), fields=['created_at'], name='rating_live_created'),
        ),
        migrations.AddIndex(
            model_name='rating',
            index=models.Index(condition=models.Q(('cadre__isnull', False), models.Q(('external_id', ''), ('level__lte', 2), _connector='OR')), fields=['cadre', 'created_at'], name='rating_cadre_live_poor'),
        ),
        migrations.AddIndex(
            model_name='rating',
            index=models.Index(condition=models.Q(('window__isnull', False), models.Q(('external_id', ''), ('level__lte', 2), _connector='OR')), fields=['window', 'created_at'], name='rating_window_live_poor'),
        ),
        migrations.RunPython(bytewise, bytewise_back, elidable=False),
    ]
