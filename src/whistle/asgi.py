"""The ASGI application, with the same trusted-proxy handling as whistle.wsgi (see there)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
application = get_asgi_application()


def _behind_trusted_proxies(app):
    from django.conf import settings
    from granian.utils.proxies import wrap_asgi_with_proxy_headers

    if not settings.WHISTLE_TRUSTED_PROXIES:
        return app
    return wrap_asgi_with_proxy_headers(app, trusted_hosts=settings.WHISTLE_TRUSTED_PROXIES)


application = _behind_trusted_proxies(application)
