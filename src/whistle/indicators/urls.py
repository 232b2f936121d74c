from django.urls import path

from . import views

app_name = "indicators"

urlpatterns = [
    path("", views.home, name="home"),
    path("owe", views.owe, name="owe"),
    path("enter", views.enter, name="enter"),
    path("review", views.review, name="review"),
    path("review/batch", views.batch_approve, name="batch_approve"),
    path("figures/<int:pk>/", views.figure, name="figure"),
    path("figures/<int:pk>/review", views.figure_review, name="figure_review"),
    path("warnings/", views.warnings, name="warnings"),
    path("warnings/<int:pk>/", views.warning, name="warning"),
    path("warnings/<int:pk>/answer", views.warning_answer, name="warning_answer"),
    path("report", views.report, name="report"),
    path("report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("import", views.import_view, name="import"),
    path("import/rejects.xlsx", views.import_rejects, name="import_rejects"),
    path("import/template.xlsx", views.import_template, name="import_template"),
]
