"""The JSON API under /api/v1, OpenAPI at /api/docs. Errors are RFC 9457 problem+json."""
from django.db.models import Q
from django.http import JsonResponse
from ninja import NinjaAPI, Query, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from whistle.cases.api import router as cases_router
from whistle.cases.schemas import EnterprisePage, TokenIn, TokenOut, UnitOut
from whistle.core.errors import Invalid, Problem
from whistle.enterprises.models import Enterprise
from whistle.org.models import Role, Unit
from whistle.org.scopes import READ_ALL_ROLES, UNIT_ROLES
from whistle.org.services import login_check, token_issue

from .auth import BearerToken, Session

api = NinjaAPI(
    title="whistle API",
    version="1",
    description="企业吹哨、部门报到、市县联动。Errors are application/problem+json with a stable `code`, a Chinese `detail` and the `field` at fault.",
    auth=[BearerToken(), Session()],
    docs_url="/docs",
    urls_namespace="api",
)


def problem(request, status: int, code: str, detail: str, field: str | None = None, **extra):
    body = {"type": f"https://whistle.example/problems/{code}", "title": detail, "status": status, "code": code,
            "detail": detail, "instance": request.path}
    if field:
        body["field"] = field
    body.update(extra)
    return JsonResponse(body, status=status, content_type="application/problem+json", json_dumps_params={"ensure_ascii": False})


@api.exception_handler(Problem)
def on_problem(request, exc: Problem):
    return JsonResponse(exc.as_dict(request.path), status=exc.status, content_type="application/problem+json",
                        json_dumps_params={"ensure_ascii": False})


@api.exception_handler(ValidationError)
def on_validation(request, exc: ValidationError):
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "data", "filters", "payload")]
        errors.append({"field": ".".join(loc) or None, "message": err.get("msg", ""), "type": err.get("type", "")})
    first = errors[0] if errors else {"field": None}
    field = first["field"]
    detail = f"参数“{field}”格式不正确" if field else "请求内容格式不正确，须为JSON对象"
    return problem(request, 422, "invalid_input", detail, field, errors=errors)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return problem(request, 401, "not_authenticated", "请先登录或提供有效的访问令牌")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return problem(request, exc.status_code, "http_error", str(exc))


auth_router = Router(tags=["auth"])


@auth_router.post("/token", response={201: TokenOut}, auth=None, summary="用户名密码换取访问令牌")
def issue_token(request, data: TokenIn):
    """Wrong passwords count towards a lockout (`auth.lockout_threshold` failures lock the account)."""
    user = login_check(data.username, data.password, request)
    plain, token = token_issue(user, data.name or "api")
    return 201, {"token": plain, "expires_at": token.expires_at}


org_router = Router(tags=["organisation"])


@org_router.get("/units", response=list[UnitOut], summary="单位列表")
def list_units(request, level: str | None = None, kind: str | None = None):
    qs = Unit.objects.filter(is_active=True).select_related("parent").order_by("path")
    if level:
        qs = qs.filter(level=level)
    if kind:
        qs = qs.filter(kind=kind)
    return [{"code": u.code, "name": u.name, "level": u.level, "kind": u.kind, "parent": u.parent.code if u.parent_id else None} for u in qs]


class EnterpriseFilter(Schema):
    q: str | None = None
    county: str | None = None
    page: int = 1
    page_size: int = 20


@org_router.get("/enterprises", response=EnterprisePage, summary="企业列表（按权限范围）")
def list_enterprises(request, filters: Query[EnterpriseFilter]):
    actor = request.actor
    if filters.page < 1 or not 1 <= filters.page_size <= 100:
        raise Invalid("分页参数不正确", code="invalid_page", field="page" if filters.page < 1 else "page_size")
    qs = Enterprise.objects.select_related("county").order_by("name", "pk")
    if actor.role == Role.ENTERPRISE:
        qs = qs.filter(pk=actor.enterprise_id)
    elif actor.role in READ_ALL_ROLES or actor.is_city_wide:
        pass
    elif actor.scope_root is not None and actor.role not in UNIT_ROLES:
        qs = qs.filter(county__path__startswith=actor.scope_root.path)
    elif actor.role in UNIT_ROLES and actor.unit is not None and actor.unit.county_id:
        qs = qs.filter(county_id=actor.unit.county_id)
    elif actor.role not in UNIT_ROLES:
        qs = qs.none()
    if filters.q:
        qs = qs.filter(Q(name__contains=filters.q) | Q(uscc=filters.q.upper()))
    if filters.county:
        qs = qs.filter(county__code=filters.county)
    start = (filters.page - 1) * filters.page_size
    items = [{"uscc": e.uscc, "name": e.name, "county": e.county.code, "industry": e.industry,
              "above_scale": e.above_scale, "is_key": e.is_key} for e in qs[start:start + filters.page_size]]
    return {"count": qs.count(), "page": filters.page, "page_size": filters.page_size, "items": items}


@org_router.get("/me", summary="当前用户")
def me(request):
    actor = request.actor
    return {
        "username": actor.user.get_username(), "name": actor.label, "role": actor.role,
        "unit": actor.unit.code if actor.unit else None, "enterprise": actor.enterprise_id,
    }


api.add_router("/auth", auth_router)
api.add_router("/", org_router)
api.add_router("/", cases_router)
