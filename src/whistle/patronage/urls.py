from django.urls import path

from . import views

app_name = "patronage"

urlpatterns = [
    path("", views.home, name="home"),
    path("coverage", views.coverage, name="coverage"),
    path("coverage.xlsx", views.coverage_export, name="coverage_export"),
    path("assign", views.assign, name="assign"),
    path("import", views.import_view, name="import"),
    path("import/rejects.xlsx", views.import_rejects, name="import_rejects"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/visits", views.visit_new, name="visit_new"),
    path("<int:pk>/change", views.change, name="change"),
    path("<int:pk>/end", views.end, name="end"),
    path("problems/<int:pk>/case", views.problem_case, name="problem_case"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
    path("projects/<int:pk>/progress", views.project_progress, name="project_progress"),
]
