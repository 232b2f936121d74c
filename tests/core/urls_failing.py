"""whistle's URLs plus two views that fail, to see the 500 page and the API's 500 as a user would."""

from django.urls import path

from whistle.urls import handler500  # noqa: F401 — handler500 is read from here
from whistle.urls import urlpatterns as whistle_urlpatterns


def boom(request):
    raise RuntimeError("故障演练：页面出错")


urlpatterns = [path("boom", boom), path("api/boom", boom), *whistle_urlpatterns]


def bad_query(request):
    """A bug in a query (no such column): the database answers, so this stays a 500, never a 503."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM core_jobheartbeat")
    return None


urlpatterns = [path("bad-query", bad_query), path("api/bad-query", bad_query), *urlpatterns]
