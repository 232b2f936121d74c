from django.urls import path

from . import views

app_name = "accountability"

urlpatterns = [
    path("", views.proposals, name="proposals"),
    path("export.xlsx", views.export, name="export"),
    path("proposals/new", views.proposal_raise_view, name="raise"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal"),
    path("proposals/<int:pk>/letter", views.referral_letter, name="referral_letter"),
    path("proposals/<int:pk>/decide", views.proposal_decide_view, name="decide"),
    path("proposals/<int:pk>/actions", views.action_record_view, name="record_action"),
    path("cadres/<int:pk>/", views.cadre_record_view, name="cadre"),
]
