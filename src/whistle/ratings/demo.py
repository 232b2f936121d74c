"""Demo data for `whistle seed`: cadres and windows of Heze's approval bureaus and service halls, a year of ratings
for them through the import path (as Heze's ratings arrive from other systems), and a few live poor ratings of the
last weeks through `rating_submit`, so the rectification cases, the ranking and the card pages show something."""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import tempfile

from django.utils import timezone

from .models import Cadre, Window
from .rating_import import COLUMNS, import_file
from .services import rating_submit

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平", "刚", "丽"]
POSTS = [
    ("审批科科长", "一窗受理、审批服务", "施工许可证核发 3个工作日"),
    ("综合窗口受理员", "企业开办一窗通办", "营业执照办理 1个工作日"),
    ("投资项目科科员", "投资项目备案与核准", "企业投资项目备案 即办"),
]
WINDOWS = [
    ("企业开办综合窗口", "营业执照、印章刻制、税务登记一窗通办"),
    ("工程建设项目审批窗口", "施工许可、竣工验收备案"),
    ("不动产登记窗口", "不动产登记与查询"),
]
LEVELS = [5] * 50 + [4] * 26 + [3] * 13 + [2] * 7 + [1] * 4
TAGS = {5: "friendly;fast", 4: "one_visit", 3: "", 2: "slow", 1: "rude;runaround"}
COMMENTS = {5: "一次办好，态度很好", 4: "办得挺快", 3: "", 2: "等了很久", 1: "材料被退回多次"}


def _units(heze):
    """Each county's approval bureau (or its first department), and the city's."""
    picked = []
    for place in [heze.city, *heze.counties]:
        unit = heze.units.get(f"{place.code}-xzsp") or next(
            (
                u
                for u in sorted(heze.units.values(), key=lambda u: u.path)
                if u.parent_id == place.pk and u.kind == "department" and u.is_active
            ),
            None,
        )
        if unit is not None:
            picked.append(unit)
    return picked


def seed_demo(heze, *, seed=1, ratings=3000) -> str:
    rng = random.Random(seed * 17 + 3)
    targets = []
    for unit in _units(heze):
        for post, duties, items in POSTS[:2]:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN])
            targets.append(
                Cadre.objects.get_or_create(
                    name=name,
                    unit=unit,
                    defaults={
                        "post": post,
                        "duties": duties,
                        "service_items": items,
                        "supervision_phone": "0530-5312345",
                        "is_party_member": rng.random() < 0.6,
                    },
                )[0]
            )
        name, duties = WINDOWS[len(targets) % len(WINDOWS)]
        targets.append(
            Window.objects.get_or_create(
                name=name,
                unit=unit,
                defaults={
                    "hall": f"{unit.name.split('局')[0][:6]}政务服务大厅",
                    "duties": duties,
                    "supervision_phone": "0530-5310001",
                },
            )[0]
        )
    if not targets:
        return "未找到可登记干部、窗口的单位"
    now = timezone.localtime()
    start = now - dt.timedelta(days=365)
    weights = [1 + (i % 5) for i in range(len(targets))]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "demo-ratings.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS)
            for i in range(ratings):
                target = rng.choices(targets, weights)[0]
                level = rng.choice(LEVELS)
                when = start + dt.timedelta(seconds=rng.randrange(350 * 86400))
                writer.writerow(
                    [
                        f"demo-{seed}-{i}",
                        target.card_code,
                        level,
                        when.strftime("%Y-%m-%d %H:%M:%S"),
                        rng.choice(["device", "device", "web", "app", "qr"]),
                        TAGS[level] if rng.random() < 0.3 else "",
                        COMMENTS[level] if rng.random() < 0.2 else "",
                        f"DEMO{seed}-{i:06d}" if i % 4 == 0 else "",
                        "",
                    ]
                )
        result = import_file(path, progress=False)
    live = 0
    for j, target in enumerate(targets[:6]):  # recent live poor ratings: rectification cases in the units' inboxes
        rating_submit(
            target,
            level=rng.choice([1, 2]),
            tags=["slow"],
            comment="窗口让我回去补材料，但没一次说清",
            phone=f"1390000{j:04d}",
            device=f"demo-live-{j}",
            ip=f"10.77.{j}.1",
            now=now - dt.timedelta(days=2 + j),
        )
        live += 1
    return (
        f"三亮：干部 {Cadre.objects.count()} 名、窗口 {Window.objects.count()} 个，导入评价 {result.inserted} 条，"
        f"现场差评 {live} 条（已生成差评整改工单）"
    )
