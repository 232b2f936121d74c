from django.urls import path

from . import views

app_name = "landyield"

urlpatterns = [
    path("", views.home, name="home"),
    path("mine/", views.mine, name="mine"),
    path("rounds/open", views.round_open_view, name="open"),
    path("rounds/<int:pk>/", views.round_view, name="round"),
    path("rounds/<int:pk>/act", views.round_act, name="round_act"),
    path("rounds/<int:pk>/import", views.import_view, name="import"),
    path("rounds/<int:pk>/import-template.xlsx", views.import_template, name="import_template"),
    path("rounds/<int:pk>/import-rejects.xlsx", views.import_rejects, name="import_rejects"),
    path("rounds/<int:pk>/county", views.county_view, name="county"),
    path("rounds/<int:pk>/whatif", views.whatif_view, name="whatif"),
    path("rounds/<int:pk>/crosschecks", views.crosschecks_view, name="crosschecks"),
    path("rounds/<int:pk>/results.xlsx", views.results_export, name="results_export"),
    path("rounds/<int:pk>/prices.xlsx", views.prices_export, name="prices_export"),
    path("participants/<int:pk>/", views.participant_view, name="participant"),
    path("participants/<int:pk>/act", views.participant_act, name="participant_act"),
    path("objections/<int:pk>/", views.objection_view, name="objection"),
    path("objection-files/<int:pk>", views.objection_file_view, name="objection_file"),
]
