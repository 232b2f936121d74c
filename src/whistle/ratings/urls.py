from django.urls import path

from . import views

app_name = "ratings"
urlpatterns = [
    path("ranking", views.ranking, name="ranking"),
    path("ratings/<int:pk>/appeal", views.appeal_file_view, name="appeal_file"),
    path("ratings/<int:pk>/review", views.rating_review_view, name="rating_review"),
    path("ratings/<int:pk>/contact", views.rater_contact_page, name="rater_contact"),
    path("appeals/<int:pk>/review", views.appeal_review_view, name="appeal_review"),
    path("cards/import", views.cards_import, name="cards_import"),
    path("cards/template.xlsx", views.cards_template, name="cards_template"),
    path("cards/<slug:unit>.zip", views.unit_cards, name="unit_cards"),
    path("rerate/<str:token>", views.rerate_page, name="rerate"),
    path("<slug:code>/", views.card_public, name="card"),
    path("<slug:code>/qr.svg", views.card_qr, name="qr"),
    path("<slug:code>/print", views.card_print, name="print"),
    path("<slug:code>/card.svg", views.card_file, name="card_file"),
]
