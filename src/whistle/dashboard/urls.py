from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns: list = [
    path("rankings", views.rankings_page, name="rankings"),
    path("rankings.xlsx", views.rankings_xlsx, name="rankings_xlsx"),
    path("rates.xlsx", views.rates_xlsx, name="rates_xlsx"),
    path("report", views.report, name="report"),
]
