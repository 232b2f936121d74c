from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views.generic import RedirectView

from whistle.api.main import api


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    path("healthz", health),
    path("open311/v2/", include("whistle.open311.urls")),
    path("r/", include("whistle.ratings.urls")),
    path("accountability/", include("whistle.accountability.urls")),
    path("patronage/", include("whistle.patronage.urls")),
    path("dashboard/", include("whistle.dashboard.urls")),
    path("", include("whistle.web.urls")),
]
