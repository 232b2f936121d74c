from django.urls import path

from . import views

app_name = "dashboard"

# Included at the root (not under "dashboard/"), so that the cockpit keeps its address `/dashboard`.
urlpatterns: list = [
    path("dashboard", views.cockpit_page, name="cockpit"),
    path("dashboard/rankings", views.rankings_page, name="rankings"),
    path("dashboard/rankings.xlsx", views.rankings_xlsx, name="rankings_xlsx"),
    path("dashboard/rates.xlsx", views.rates_xlsx, name="rates_xlsx"),
    path("dashboard/report", views.report, name="report"),
]
