"""A plain Django JSON view, and one primary-key read of a case through the ORM answered as JSON."""

from django.http import JsonResponse
from django.urls import path

from whistle.cases.models import Case


def plain(request):
    return JsonResponse({"ok": True})


def case_by_pk(request, pk: int):
    row = Case.objects.filter(pk=pk).values("id", "state", "title", "lead_unit_id", "next_due_at").first()
    return JsonResponse(row or {}, status=200 if row else 404)


urlpatterns = [path("", plain), path("ceiling/json", plain), path("ceiling/case/<int:pk>", case_by_pk)]
