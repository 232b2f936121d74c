"""Benchmark actors on a seeded whistle database: enterprise users and the handlers their cases route to.

For each of K routes (enterprise → category → unit by the dispatch catalogue) it creates one enterprise user and one
handler of the unit the catalogue routes to, and issues each a bearer token, so password hashing stays outside
the measured loop. Writes bench/out/whistle-actors.json. Idempotent: existing bench users are reused, new tokens issued.

    WHISTLE_DATABASE_URL=... .venv/bin/python bench/prepare_whistle.py --routes 8
"""
import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from whistle.cases.models import Case, Category, DispatchRule  # noqa: E402
from whistle.cases.services import route_for  # noqa: E402
from whistle.enterprises.models import Enterprise  # noqa: E402
from whistle.org.models import Membership, Role, UnitKind  # noqa: E402
from whistle.org.services import token_issue  # noqa: E402

PASSWORD = "Bench-password-2026"


def routes(k: int) -> list[tuple[Enterprise, Category, object]]:
    """Up to k (enterprise, category, unit) triples with distinct units, spread over counties."""
    found, units = [], set()
    rules = DispatchRule.objects.filter(area__isnull=False, category__is_active=True, unit__is_active=True).exclude(
        unit__kind=UnitKind.COORDINATION_OFFICE).select_related("category", "area", "unit").order_by("area__code", "category__code")
    for rule in rules:
        if rule.unit_id in units:
            continue
        enterprise = Enterprise.objects.filter(county=rule.area).order_by("pk").first()
        if enterprise is None:
            continue
        if route_for(Case(category=rule.category, county=rule.area)) != rule.unit:
            continue
        found.append((enterprise, rule.category, rule.unit))
        units.add(rule.unit_id)
        if len(found) == k:
            break
    return found


def member(username: str, role: str, **scope):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username, password=PASSWORD)
        Membership.objects.create(user=user, role=role, display_name=username, **scope)
    return user


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--routes", type=int, default=8)
    parser.add_argument("--out", default=str(Path(__file__).parent / "out" / "whistle-actors.json"))
    args = parser.parse_args()
    picked = routes(args.routes)
    if not picked:
        sys.exit("no routable (enterprise, category, unit) found: run `whistle seed` first")
    actors = []
    for i, (enterprise, category, unit) in enumerate(picked):
        ent_user = member(f"bench_ent_{i}", Role.ENTERPRISE, enterprise=enterprise)
        handler = member(f"bench_handler_{i}", Role.HANDLER, unit=unit)
        actors.append({
            "enterprise": enterprise.name, "category": category.code, "unit": unit.code, "unit_name": unit.name,
            "enterprise_token": token_issue(ent_user, "bench", days=0)[0], "handler_token": token_issue(handler, "bench", days=0)[0],
        })
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(actors, ensure_ascii=False, indent=1))
    for a in actors:
        print(f"{a['enterprise']} → {a['category']} → {a['unit_name']}")


if __name__ == "__main__":
    main()
