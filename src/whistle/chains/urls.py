from django.urls import path

from . import views

app_name = "chains"

urlpatterns = [
    path("", views.board, name="board"),
    path("investment", views.investment, name="investment"),
    path("projects/<int:project_id>/", views.project_detail, name="project"),
    path("projects/<int:project_id>/advance", views.project_advance, name="advance"),
    path("projects/<int:project_id>/case", views.project_case, name="case"),
    path("projects/<int:project_id>/patronage", views.project_patronage, name="patronage"),
    path("<slug:chain>/", views.chain_detail, name="chain"),
    path("<slug:chain>/health", views.chain_health, name="health"),
    path("<slug:chain>/report", views.chain_report, name="report"),
    path("<slug:chain>/report.xlsx", views.chain_report_xlsx, name="report_xlsx"),
    path("<slug:chain>/nodes", views.node_add, name="node_add"),
    path("<slug:chain>/nodes/<int:node_id>/firms", views.node_firms, name="node_firms"),
    path("<slug:chain>/firms", views.firm_add, name="firm_add"),
    path("<slug:chain>/entries", views.entry_add, name="entry_add"),
    path("<slug:chain>/projects", views.project_add, name="project_add"),
    path("<slug:chain>/trips", views.trip_add, name="trip_add"),
    path("<slug:chain>/map.xlsx", views.map_export, name="map_export"),
    path("<slug:chain>/map/import", views.map_import, name="map_import"),
    path("<slug:chain>/lists.xlsx", views.lists_export, name="lists_export"),
    path("<slug:chain>/lists/import", views.lists_import, name="lists_import"),
    path("<slug:chain>/lists/rejects.xlsx", views.lists_rejects, name="lists_rejects"),
    path("<slug:chain>/lists/copy", views.lists_copy, name="lists_copy"),
    path("<slug:chain>/kpis", views.kpi_record, name="kpi_record"),
]
