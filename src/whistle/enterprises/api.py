"""Enterprises under /api/v1, scoped to the actor."""

from ninja import Field, Query, Router

from whistle.core.paging import PageFilter, page_of

from .schemas import EnterprisePage
from .selectors import enterprise_list

router = Router(tags=["organisation"])


class EnterpriseFilter(PageFilter):
    q: str | None = Field(None, max_length=120)
    county: str | None = None


@router.get("/enterprises", response=EnterprisePage, summary="企业列表（按权限范围）")
def list_enterprises(request, filters: Query[EnterpriseFilter]):
    qs = enterprise_list(request.actor, q=filters.q, county=filters.county)
    return page_of(
        qs,
        filters,
        lambda e: {
            "uscc": e.uscc,
            "name": e.name,
            "county": e.county.code,
            "industry": e.industry,
            "above_scale": e.above_scale,
            "is_key": e.is_key,
        },
    )
