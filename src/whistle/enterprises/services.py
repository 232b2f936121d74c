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


@transaction.atomic
def enterprise_register(*, uscc: str, name: str, county, **fields) -> Enterprise:
    code = clean_uscc(uscc)
    if not name or not name.strip():
        raise Invalid("请填写企业名称", code="required", field="name")
    if Enterprise.objects.filter(uscc=code).exists():
        raise Conflict("该统一社会信用代码已注册", code="uscc_taken", field="uscc")
    return Enterprise.objects.create(uscc=code, name=name.strip(), county=county, **fields)
