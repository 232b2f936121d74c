from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "演示：迁移数据库，空库时加载菏泽演示数据，列出演示账号，然后在 127.0.0.1:8000 启动 Web 服务和巡检 worker"
        "（make demo 即运行此命令；再次运行沿用已有数据；演示模式，使用公开的演示密钥）"
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host, port, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed", if_empty=True, stdout=self.stdout)
        call_command("demo_logins", base_url=f"http://{host}:{port}", stdout=self.stdout)
        call_command("serve", host=host, port=port)
