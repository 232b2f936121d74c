"""RFC 9457 problem details: one exception type for every refusal a person or program can act on.

`code` is stable for programs, `detail` is Chinese for people, `field` names the input at fault.
Services raise these; the API turns them into application/problem+json and pages show them beside the field.
"""

from __future__ import annotations


class Problem(Exception):
    status = 400
    code = "bad_request"
    title = "请求有误"

    def __init__(
        self, detail: str, *, code: str | None = None, field: str | None = None, status: int | None = None, **extra
    ):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        if status:
            self.status = status
        self.field = field
        self.extra = extra

    def as_dict(self, instance: str | None = None) -> dict:
        body = {
            "type": f"https://whistle.example/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        }
        if self.field:
            body["field"] = self.field
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        from .observability import current_request_id

        # The id of the request, also in its X-Request-ID header and its log line: what a caller quotes to support.
        if request_id := current_request_id():
            body["request_id"] = request_id
        return body


class Invalid(Problem):
    status = 422
    code = "invalid"
    title = "输入不合法"


class NotAuthenticated(Problem):
    status = 401
    code = "not_authenticated"
    title = "未登录"


class Forbidden(Problem):
    status = 403
    code = "forbidden"
    title = "无权操作"


class NotFound(Problem):
    status = 404
    code = "not_found"
    title = "不存在"


class Conflict(Problem):
    status = 409
    code = "conflict"
    title = "状态冲突"


class BadCharacters(Problem):
    """A NUL or a lone surrogate in a request (core.input_guard): no field of ours can store it."""

    status = 400
    code = "invalid_characters"
    title = "请求有误"


class TooLarge(Problem):
    """A body past WHISTLE_REQUEST_MAX_BYTES, refused from its Content-Length (core.input_guard)."""

    status = 413
    code = "request_too_large"
    title = "请求内容过大"
