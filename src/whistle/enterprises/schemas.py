from ninja import Schema


class EnterpriseOut(Schema):
    uscc: str
    name: str
    county: str
    industry: str
    above_scale: bool
    is_key: bool


class EnterprisePage(Schema):
    count: int
    page: int
    page_size: int
    items: list[EnterpriseOut]
