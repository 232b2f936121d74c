from django.db import transaction
from stdnum.cn import uscc as uscc_std
from stdnum.exceptions import ValidationError as StdnumError

from whistle.core.errors import Conflict, Invalid

from .models import Enterprise


def clean_uscc(value: str, field: str = "uscc") -> str:
    """The code in its standard form (GB 32100-2015, check character verified)."""
    try:
        return uscc_std.validate(value)
    except StdnumError:
        raise Invalid("统一社会信用代码不正确，请核对18位代码及校验位", code="invalid_uscc", field=field) from None


def _clean_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise Invalid("请填写企业名称", code="required", field="name")
    return name.strip()


@transaction.atomic
def enterprise_register(*, uscc: str, name: str, county, **fields) -> Enterprise:
    code = clean_uscc(uscc)
    name = _clean_name(name)
    if Enterprise.objects.filter(uscc=code).exists():
        raise Conflict("该统一社会信用代码已注册", code="uscc_taken", field="uscc")
    return Enterprise.objects.create(uscc=code, name=name, county=county, **fields)


# The credit code is the enterprise's identity: it is never changed, a new code is a new registration.
UPDATABLE = {
    "name",
    "county",
    "township",
    "industry",
    "size",
    "above_scale",
    "is_key",
    "address",
    "contact_name",
    "contact_phone",
}


@transaction.atomic
def enterprise_update(enterprise: Enterprise, **fields) -> list[str]:
    """Change a registered enterprise's details (anything but its credit code); returns the names of the fields
    that changed (none: nothing written)."""
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise TypeError(f"enterprise_update: not updatable: {', '.join(sorted(unknown))}")
    if "name" in fields:
        fields["name"] = _clean_name(fields["name"])
    current = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    changed = {k: v for k, v in fields.items() if getattr(current, k) != v}
    if changed:
        Enterprise.objects.filter(pk=current.pk).update(**changed)
        for k, v in changed.items():
            setattr(enterprise, k, v)
    return sorted(changed)
