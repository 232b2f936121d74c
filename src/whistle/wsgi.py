"""The WSGI application granian serves (`whistle serve`, deploy/whistle-web.service).

Behind nginx every request arrives from the proxy's address over plain http. granian's own proxy-header support
(granian.utils.proxies) restores the client's address (REMOTE_ADDR) and scheme (wsgi.url_scheme) from
X-Forwarded-For / X-Forwarded-Proto, and only when the peer is one of WHISTLE_TRUSTED_PROXIES; from anyone else
those headers are ignored, so a client cannot pick its own address to dodge the per-network rating limit.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
application = get_wsgi_application()


def _behind_trusted_proxies(app):
    from django.conf import settings
    from granian.utils.proxies import wrap_wsgi_with_proxy_headers

    if not settings.WHISTLE_TRUSTED_PROXIES:
        return app
    return wrap_wsgi_with_proxy_headers(app, trusted_hosts=settings.WHISTLE_TRUSTED_PROXIES)


application = _behind_trusted_proxies(application)
