import unicodedata

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from whistle.core.links import public_url
from whistle.seed.heze import DEMO_LOGINS, DEMO_PASSWORD
from whistle.seed.province import is_loaded as province_loaded


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = "列出菏泽演示数据的登录账号（每个角色一个）"

    def add_arguments(self, parser):
        parser.add_argument("--base-url", help="服务地址（默认 WHISTLE_PUBLIC_URL，未设置时为 http://127.0.0.1:8000）")

    def handle(self, *args, base_url=None, **options):
        base = (base_url or public_url("/")).rstrip("/")
        users = {
            u.username: u
            for u in get_user_model()
            .objects.filter(username__in=[d.username for d in DEMO_LOGINS])
            .select_related("membership__unit", "membership__enterprise")
        }
        if not users:
            self.stdout.write("尚未加载演示数据：请先运行 whistle seed")
            return
        rows = [("角色", "用户名", "密码", "单位/企业", "先试试")]
        for login in DEMO_LOGINS:
            user = users.get(login.username)
            if user is None:
                continue
            membership = getattr(user, "membership", None)
            scope = (membership.unit or membership.enterprise) if membership else None
            rows.append((login.label, login.username, DEMO_PASSWORD, scope.name if scope else "全市", login.try_first))
        widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
        rule = "─" * (sum(widths) + 2 * (len(widths) - 1))
        self.stdout.write("菏泽演示账号（密码相同）")
        self.stdout.write(rule)
        for n, row in enumerate(rows):
            self.stdout.write("  ".join(_pad(cell, w) for cell, w in zip(row, widths)).rstrip())
            if n == 0:
                self.stdout.write(rule)
        self.stdout.write(rule)
        if province_loaded():
            self.stdout.write(
                "全省演示（whistle seed --province）：省吹哨办 shengchuishao、省领导 shenglingdao；"
                "各市 <市>_chuishao、<市>_lingdao（如 jinan_chuishao），各县区 <县区>_chuishao（如 licheng_chuishao）"
            )
        self.stdout.write(f"网页登录  {base}/login")
        self.stdout.write(f"管理后台  {base}/admin/  （admin 登录）")
        self.stdout.write(f"API 文档  {base}/api/docs  （令牌：POST {base}/api/v1/auth/token）")
