from django.core.management.base import BaseCommand, CommandError

from whistle.cases.models import Kind
from whistle.open311.services import integration_create
from whistle.org.models import Level, Unit


class Command(BaseCommand):
    help = "创建 Open311 接入方并输出其 api_key（只输出这一次）：whistle open311_integration 名称 [--county 县区编码] [--kind help]"

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument(
            "--county", help="默认属地县区的单位编码，例如 caoxian；不填则每个请求须带 attribute[county]"
        )
        parser.add_argument("--kind", choices=Kind.values, default=Kind.HELP, help="默认诉求类型")

    def handle(self, *args, name, county, kind, **options):
        area = None
        if county:
            area = Unit.objects.filter(code=county, level=Level.COUNTY).first()
            if area is None:
                raise CommandError(f"县区不存在：{county}")
        key, integration = integration_create(name, county=area, kind=kind)
        self.stderr.write(f"已创建接入方“{integration.name}”，api_key 只显示这一次：")
        self.stdout.write(key)
