import itertools

import pytest

from tests.conftest import at
from whistle.ratings import rating_rollup
from whistle.ratings.models import Cadre, Rating, Window
from whistle.ratings.rating_rollup import key_of

_seq = itertools.count()


@pytest.fixture
def cadres(heze):
    """Three county cadres (one class: 县区级干部) and two city windows."""
    make = lambda name, unit: Cadre.objects.create(name=name, post="科员", unit=unit, supervision_phone="0530-3212345")  # noqa: E731
    return {
        "zhang": make("张伟", heze.cao_zjj),
        "li": make("李娜", heze.cao_scjg),
        "wang": make("王强", heze.shan_zjj),
        "win_a": Window.objects.create(
            name="企业开办窗口", hall="市政务服务中心", unit=heze.city_scjg, supervision_phone="0530-5310001"
        ),
        "win_b": Window.objects.create(
            name="工程建设窗口", hall="市政务服务中心", unit=heze.city_zjj, supervision_phone="0530-5310002"
        ),
    }


def rate(target, levels, when, **extra):
    """Ratings as they stand after rating_submit (counted unless said otherwise), written directly, with their
    rollups as the ratings service keeps them."""
    field = "cadre" if isinstance(target, Cadre) else "window"
    rows = Rating.objects.bulk_create(
        [
            Rating(
                **{field: target},
                unit=target.unit,
                level=level,
                created_at=when,
                device_hash=f"d{next(_seq)}",
                network_hash="n",
                **extra,
            )
            for level in levels
        ]
    )
    rating_rollup.bump(rating_rollup.delta_of(key_of(r) + (r.level,) for r in rows if r.counted))
    return rows


@pytest.fixture
def month_ratings(cadres):
    """Sep and Oct 2026: 王强 is last among the county cadres both months; 张伟 only in October."""
    c = cadres
    for month in (9, 10):
        rate(c["li"], [5, 5, 4, 4], at(2026, month, 10))
        rate(c["wang"], [1, 2, 3, 5], at(2026, month, 11))
        rate(c["zhang"], [5, 4, 4, 3] if month == 9 else [5, 3, 3, 3], at(2026, month, 12))
    return c
