"""Demo data: evaluate the rules over the demo ratings (the ratings seeder runs first: ratings comes earlier in
INSTALLED_APPS), so the proposals page of `make demo` shows what the worker would find."""

from django.utils import timezone

from .evaluation import evaluate_rules
from .models import Proposal


def seed_demo(heze, *, seed=1) -> str:
    created = evaluate_rules(timezone.now(), force=True)["accountability_proposals"]
    return f"问责建议 {created} 条，待确认 {Proposal.objects.filter(state='pending').count()} 条"
