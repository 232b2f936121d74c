"""`whistle phone_keys rotate`: re-encrypt raters' phones under the current WHISTLE_PHONE_KEY (docs/operations.md)."""

from django.core.management.base import BaseCommand

from whistle.ratings import phones


class Command(BaseCommand):
    help = "评价人电话密钥：rotate 用当前 WHISTLE_PHONE_KEY 重新加密旧密钥加密的电话；status 查看尚未轮换的数量"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rotate", "status"])

    def handle(self, *args, action, **options):
        if action == "rotate":
            result = phones.rotate()
            self.stdout.write(f"已重新加密 {result['rotated']} 个电话；仍用旧密钥的：{result['left']}")
        else:
            result = phones.status()
            self.stdout.write(f"当前密钥 {result['current']}；各密钥加密的电话：{result['by_key']}")
