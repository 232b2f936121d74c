"""GeoReport v2 under /open311/v2/. Every document comes as .xml or .json, chosen by the suffix."""

from django.urls import path, re_path

from . import views

app_name = "open311"
FMT = r"\.(?P<fmt>\w+)$"

urlpatterns = [
    path("", views.root, name="root"),
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.services, name="services"),
    # `service/` (singular) is what the open311 1.1 client asks for.
    re_path(r"^services?/(?P<code>[^/]+)" + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.requests, name="requests"),
    re_path(r"^requests/(?P<number>[^/]+)" + FMT, views.request_detail, name="request"),
    re_path(r"^requests/(?P<number>[^/]+)/media$", views.request_media, name="media"),
    re_path(r"^tokens/(?P<token>[^/]+)" + FMT, views.token, name="token"),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
