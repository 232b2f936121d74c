"""whistle's URLs plus two views that fail, to see the 500 page and the API's 500 as a user would."""

from django.urls import path

from whistle.urls import handler500  # noqa: F401 — handler500 is read from here
from whistle.urls import urlpatterns as whistle_urlpatterns


def boom(request):
    raise RuntimeError("故障演练：页面出错")


urlpatterns = [path("boom", boom), path("api/boom", boom), *whistle_urlpatterns]
