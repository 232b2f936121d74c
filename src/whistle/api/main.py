"""The JSON API under /api/v1, OpenAPI at /api/docs. Errors are RFC 9457 problem+json.

The composition root of the API: each app's `api.py` `router` is mounted here (one line per app, at the end);
nothing below imports this module."""

import json
import math

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from whistle.accountability.api import router as accountability_router
from whistle.cases.api import router as cases_router
from whistle.chains.api import router as chains_router
from whistle.core.errors import Invalid, NotAuthenticated, Problem
from whistle.dashboard.api import router as metrics_router
from whistle.enterprises.api import router as enterprises_router
from whistle.indicators.api import router as indicators_router
from whistle.landyield.api import router as landyield_router
from whistle.leniency.api import router as leniency_router
from whistle.notices.api import router as notices_router
from whistle.org.api import router as org_router
from whistle.patronage.api import router as patronage_router
from whistle.reforms.api import router as reforms_router

from .auth import BearerToken, Session
from .auth import router as auth_router


class NotAnObject(ValueError):
    pass


class StrictJSON(Parser):
    """JSON as RFC 8259 defines it (Python's NaN, Infinity and numbers too large for a float are refused), and
    an object at the top, which is what every body of this API is."""

    def parse_body(self, request):
        data = json.loads(request.body, parse_constant=_refuse, parse_float=_finite)
        if not isinstance(data, dict):
            raise NotAnObject
        return data


def _refuse(constant):
    raise ValueError(f"{constant} is not JSON")


def _finite(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


PROBLEM_SCHEMA = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details（application/problem+json）",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "稳定的错误代码，供程序判断"},
        "detail": {"type": "string", "description": "中文说明，供人阅读"},
        "field": {"type": "string", "description": "出错的输入项"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": True,
}
ERRORS = {
    "400": "请求有误（如含空字符、请求内容不是合法的JSON）",
    "401": "未登录或令牌无效",
    "403": "无权操作",
    "404": "不存在或不在您的权限范围内",
    "409": "状态冲突（如工单当前状态不允许此操作）",
    "413": "请求内容过大",
    "422": "输入不合法（code 与 field 指明原因和输入项）",
    "429": "请求过于频繁",
}


class WhistleAPI(NinjaAPI):
    """The OpenAPI document names the refusals every operation can answer, as problem+json (issue 13, item 15):
    clients and schemathesis then know a 4xx is part of the contract, and what its body looks like."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        body = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                statuses = ["400", "404", "422"]
                if operation.get("security"):
                    statuses += ["401", "403"]
                if method in ("post", "put", "patch", "delete"):
                    statuses += ["409", "413", "429"]
                for status in statuses:
                    operation["responses"].setdefault(status, {"description": ERRORS[status], "content": body})
        return schema


api = WhistleAPI(
    title="whistle API",
    version="1",
    description="企业吹哨、部门报到、市县联动。Errors are application/problem+json with a stable `code`, a Chinese `detail` and the `field` at fault.",
    auth=[BearerToken(), Session()],
    docs_url="/docs",
    urls_namespace="api",
    parser=StrictJSON(),
)


def problem(request, exc: Problem, **extra) -> JsonResponse:
    return JsonResponse(
        {**exc.as_dict(request.path), **extra},
        status=exc.status,
        content_type="application/problem+json",
        json_dumps_params={"ensure_ascii": False},
    )


@api.exception_handler(Problem)
def on_problem(request, exc: Problem):
    return problem(request, exc)


# An error's location starts with where the value came from, then our parameter's name around a schema;
# neither is a name the client sent.
_SOURCES = {"body", "query", "path", "header", "cookie", "file", "form"}
_WRAPPERS = {"data", "filters", "payload"}
_OUT_OF_RANGE = {
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "string_too_long",
    "string_too_short",
}


def _field(loc) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    if parts and parts[0] in _WRAPPERS:
        parts = parts[1:]
    return ".".join(parts) or None


@api.exception_handler(ValidationError)
def on_validation(request, exc: ValidationError):
    errors = [
        {"field": _field(err.get("loc", [])), "message": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors
    ]
    first = errors[0] if errors else {"field": None, "type": ""}
    field = first["field"]
    if field is None:
        refusal = Invalid("请求内容格式不正确", code="invalid_input", field="body")
    elif first["type"] == "missing":
        refusal = Invalid(f"缺少必填项“{field}”", code="required", field=field)
    elif first["type"] in _OUT_OF_RANGE:
        refusal = Invalid(f"参数“{field}”超出允许范围", code="out_of_range", field=field)
    else:
        refusal = Invalid(f"参数“{field}”格式不正确", code="invalid_input", field=field)
    return problem(request, refusal, errors=errors)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return problem(request, NotAuthenticated("请先登录或提供有效的访问令牌"))


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, NotAnObject):
        return problem(request, Invalid("请求内容须为JSON对象", code="body_not_object", field="body"))
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):  # ninja could not parse the body
        return problem(request, Invalid("请求内容不是合法的JSON", code="invalid_json", field="body", status=400))
    return problem(request, Problem(str(exc), code="http_error", status=exc.status_code))


@api.exception_handler(RequestDataTooBig)
def on_too_big(request, exc):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    return problem(
        request, Problem(f"请求内容过大，不能超过{limit}MB", code="request_too_large", field="body", status=413)
    )


api.add_router("/auth", auth_router)
api.add_router("/", org_router)
api.add_router("/", enterprises_router)
api.add_router("/", cases_router)
api.add_router("/metrics", metrics_router)
api.add_router("/patronage", patronage_router)
api.add_router("/notices", notices_router)
api.add_router("/accountability", accountability_router)
api.add_router("/indicators", indicators_router)
api.add_router("/landyield", landyield_router)
api.add_router("/reforms", reforms_router)
api.add_router("/leniency", leniency_router)
api.add_router("/chains", chains_router)
