from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login", views.login_view, name="login"),
    path("logout", views.logout_view, name="logout"),
    path("password", views.password_change, name="password"),
    path("password/first", views.first_password, name="first_password"),
    path("cases/new", views.case_new, name="case_new"),
    path("cases/categories", views.category_options, name="category_options"),
    path("my", views.my_cases, name="my_cases"),
    path("cases/<str:number>", views.case_detail, name="case"),
    path("cases/<str:number>/do/<str:action>", views.case_act, name="case_act"),
    path("cases/<str:number>/files/<int:pk>", views.attachment, name="attachment"),
    path("desk", views.desk, name="desk"),
    path("callbacks", views.callbacks, name="callbacks"),
    path("callbacks/<int:pk>", views.callback_record, name="callback_record"),
    path("ledger", views.ledger, name="ledger"),
    path("ledger.xlsx", views.ledger_export, name="ledger_export"),
    path("ledger/exports/<int:pk>", views.ledger_export_status, name="ledger_export_status"),
    path("ledger/exports/<int:pk>/file", views.ledger_export_file, name="ledger_export_file"),
]
