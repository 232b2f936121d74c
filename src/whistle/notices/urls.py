from django.urls import path

from . import views

app_name = "notices"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/open", views.open_message, name="open"),
    path("read-all", views.read_all, name="read_all"),
    path("settings", views.settings_page, name="settings"),
    path("wechat/bind", views.wechat_start, name="wechat_bind"),
    path("wechat/callback", views.wechat_callback, name="wechat_callback"),
    path("failed", views.failed, name="failed"),
    path("failed/<int:pk>/requeue", views.requeue, name="requeue"),
]
