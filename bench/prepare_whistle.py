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
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from importlib import import_module  # noqa: E402

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.db.models import Count  # noqa: E402

from whistle.cases.models import Case, Category, DispatchRule  # noqa: E402
from whistle.cases.routing import route_for  # noqa: E402
from whistle.enterprises.models import Enterprise  # noqa: E402
from whistle.org.models import Membership, Role, Unit, UnitKind  # noqa: E402
from whistle.org.services import token_issue  # noqa: E402

PASSWORD = "Bench-password-2026"
# The list endpoint filtered to a unit's open cases that have a lead unit: the nearest thing the API has to an inbox.
INBOX_STATES = "dispatched,accepted,contacted,in_progress,replied,reopened"


def routes(k: int) -> list[tuple[Enterprise, Category, object]]:
    """Up to k (enterprise, category, unit) triples with distinct units, spread over counties."""
    found, units = [], set()
    rules = (
        DispatchRule.objects.filter(area__isnull=False, category__is_active=True, unit__is_active=True)
        .exclude(unit__kind=UnitKind.COORDINATION_OFFICE)
        .select_related("category", "area", "unit")
        .order_by("category__code", "area__code")
    )
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
    parser.add_argument(
        "--inbox-units", type=int, default=0, help="also a handler token for each of the N units with most open cases"
    )
    parser.add_argument("--out", default=str(Path(__file__).parent / "out" / "whistle-actors.json"))
    args = parser.parse_args()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    if args.inbox_units:
        inbox_targets(args.inbox_units, Path(args.out).parent)
    picked = routes(args.routes)
    if not picked:
        sys.exit("no routable (enterprise, category, unit) found: run `whistle seed` first")
    actors = []
    for i, (enterprise, category, unit) in enumerate(picked):
        ent_user = member(f"bench_ent_{i}", Role.ENTERPRISE, enterprise=enterprise)
        handler = member(f"bench_handler_{i}", Role.HANDLER, unit=unit)
        actors.append(
            {
                "enterprise": enterprise.name,
                "category": category.code,
                "unit": unit.code,
                "unit_name": unit.name,
                "enterprise_token": token_issue(ent_user, "bench", days=0)[0],
                "handler_token": token_issue(handler, "bench", days=0)[0],
            }
        )
    Path(args.out).write_text(json.dumps(actors, ensure_ascii=False, indent=1))
    for a in actors:
        print(f"{a['enterprise']} → {a['category']} → {a['unit_name']}")


def inbox_targets(n: int, folder: Path) -> None:
    """One handler per busy unit, for bench/get_rotate.lua: the API list filtered to the unit's open cases (bearer
    token, inbox-targets.tsv), the inbox endpoint `GET /api/v1/cases/inbox` (endpoint-targets.tsv) and the handler's
    desk page (session cookie, desk-targets.tsv); the last two are `selectors.inbox`."""
    busiest = (
        Case.objects.filter(is_open=True, lead_unit__isnull=False)
        .values("lead_unit")
        .annotate(n=Count("pk"))
        .order_by("-n")[:n]
    )
    api, endpoint, desk = [], [], []
    for row in busiest:
        unit = Unit.objects.get(pk=row["lead_unit"])
        handler = member(f"bench_inbox_{unit.code}"[:150], Role.HANDLER, unit=unit)
        token = token_issue(handler, "bench", days=0)[0]
        api.append(f"/api/v1/cases?unit={unit.code}&state={INBOX_STATES}\tAuthorization: Bearer {token}")
        endpoint.append(f"/api/v1/cases/inbox\tAuthorization: Bearer {token}")
        desk.append(f"/desk\tCookie: {settings.SESSION_COOKIE_NAME}={session_for(handler)}")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "inbox-targets.tsv").write_text("\n".join(api) + "\n")
    (folder / "endpoint-targets.tsv").write_text("\n".join(endpoint) + "\n")
    (folder / "desk-targets.tsv").write_text("\n".join(desk) + "\n")
    print(f"{len(api)} units: {folder}/inbox-targets.tsv (API list) and desk-targets.tsv (desk page)")


def session_for(user) -> str:
    """A signed-in session, as the login page would leave it, without hashing a password in the run."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


if __name__ == "__main__":
    main()
