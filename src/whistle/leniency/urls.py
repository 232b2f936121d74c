from django.urls import path

from . import views

app_name = "leniency"

urlpatterns = [
    path("", views.home, name="home"),
    path("inspections/new", views.inspection_new, name="inspection_new"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection"),
    path("inspections/<int:pk>/findings", views.finding_new, name="finding_new"),
    path("inspections/<int:pk>/case", views.inspection_case, name="inspection_case"),
    path("findings/<int:pk>/", views.finding_detail, name="finding"),
    path("findings/<int:pk>/decide", views.finding_decide, name="finding_decide"),
    path("findings/<int:pk>/approve", views.finding_approve, name="finding_approve"),
    path("findings/<int:pk>/recheck", views.finding_recheck, name="finding_recheck"),
    path("findings/<int:pk>/report", views.finding_report, name="finding_report"),
    path("findings/<int:pk>/reply", views.finding_reply, name="finding_reply"),
    path("lists/", views.versions, name="versions"),
    path("lists/template.xlsx", views.import_template, name="import_template"),
    path("lists/rejects.xlsx", views.import_rejects, name="import_rejects"),
    path("lists/<int:pk>/", views.version_detail, name="version"),
    path("lists/<int:pk>/review", views.version_review, name="version_review"),
    path("lists/<int:pk>/import", views.version_import, name="version_import"),
    path("lists/<int:pk>/diff", views.version_diff, name="version_diff"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("figures", views.figures, name="figures"),
    path("figures.xlsx", views.figures_export, name="figures_export"),
    path("report", views.report, name="report"),
    path("evaluation", views.evaluation, name="evaluation"),
]
