from django.urls import path

from . import views

app_name = "reforms"

urlpatterns = [
    path("", views.board, name="board"),
    path("tasks", views.task_list, name="list"),
    path("tasks.xlsx", views.export, name="export"),
    path("mine", views.mine, name="mine"),
    path("new", views.task_new, name="new"),
    path("import", views.import_view, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/rejects.xlsx", views.import_rejects, name="import_rejects"),
    path("bulletin", views.bulletin, name="bulletin"),
    path("bulletin.xlsx", views.bulletin_export, name="bulletin_export"),
    path("sheets", views.sheets, name="sheets"),
    path("sheets/new", views.sheet_new, name="sheet_new"),
    path("sheets/<int:sheet_id>/review", views.sheet_review, name="sheet_review"),
    path("outcomes", views.outcomes, name="outcomes"),
    path("outcomes/<int:outcome_id>/review", views.outcome_review, name="outcome_review"),
    path("outcomes/<int:outcome_id>/select", views.outcome_select, name="outcome_select"),
    path("outcomes/<int:outcome_id>/push", views.outcome_push, name="outcome_push"),
    path("topics", views.topics, name="topics"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("tasks/<int:task_id>/report", views.task_report, name="report"),
    path("tasks/<int:task_id>/submit", views.task_submit, name="submit"),
    path("tasks/<int:task_id>/accept", views.task_accept, name="accept"),
    path("tasks/<int:task_id>/send-back", views.task_send_back, name="send_back"),
    path("tasks/<int:task_id>/close", views.task_close, name="close"),
    path("tasks/<int:task_id>/outcome", views.outcome_propose, name="outcome_propose"),
    path("files/<int:file_id>", views.file_download, name="file"),
    path("public/<int:task_id>", views.public_task, name="public"),
]
