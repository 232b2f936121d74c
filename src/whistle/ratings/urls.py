from django.urls import path

from . import views

app_name = "ratings"
urlpatterns = [
    path("<slug:code>/", views.card_public, name="card"),
    path("<slug:code>/qr.svg", views.card_qr, name="qr"),
    path("<slug:code>/print", views.card_print, name="print"),
]
