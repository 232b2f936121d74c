from ninja import Schema


class UnitOut(Schema):
    code: str
    name: str
    level: str
    kind: str
    parent: str | None
