from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from whistle.api.main import api
from whistle.core import observability

# The 500 page carries the request id (core/observability.py); the API's 500 is problem+json with it.
handler500 = "whistle.core.observability.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    # Liveness (cheap), readiness (database, migrations, a recent sweep) and Prometheus metrics (token or allow-list).
    path("healthz", observability.healthz, name="healthz"),
    path("readyz", observability.readyz, name="readyz"),
    path("metrics", observability.metrics, name="metrics"),
    path("open311/v2/", include("whistle.open311.urls")),
    path("r/", include("whistle.ratings.urls")),
    path("accountability/", include("whistle.accountability.urls")),
    path("patronage/", include("whistle.patronage.urls")),
    path("", include("whistle.dashboard.urls")),
    path("indicators/", include("whistle.indicators.urls")),
    path("landyield/", include("whistle.landyield.urls")),
    path("notices/", include("whistle.notices.urls")),
    path("reforms/", include("whistle.reforms.urls")),
    path("leniency/", include("whistle.leniency.urls")),
    path("chains/", include("whistle.chains.urls")),
    path("", include("whistle.web.urls")),
]
