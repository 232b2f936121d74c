"""rules.md §2 / §8.4: the accountability rules the worker evaluates, as data, with their evidence, once."""

import datetime as dt
import importlib

from django.apps import apps as django_apps
from django.db.models import Count, Q

from tests.accountability.conftest import rate
from tests.conftest import at
from whistle.accountability.evaluation import evaluate_rules, month_table
from whistle.accountability.models import Proposal, Rule
from whistle.core.months import month_bounds
from whistle.ratings.models import Appeal, Rating, Window


def test_rule_8_4_defaults_are_rows_of_the_rule_table(db):
    rules = {r.code: r for r in Rule.objects.all()}
    assert rules["poor-rating-rectification"].action == "rectification"
    assert (rules["bottom-two-months"].months, rules["bottom-two-months"].action) == (2, "admonition")
    # 调整 at 5 upheld poor ratings in 6 months (migration 0004; docs/guide/accountability.md says why)
    assert (
        rules["repeated-poor-adjust"].threshold,
        rules["repeated-poor-adjust"].months,
        rules["repeated-poor-adjust"].action,
    ) == (5, 6, "reassignment")


def test_rule_8_4_new_adjust_default_leaves_a_rule_edited_in_the_admin_alone(db):
    migration = importlib.import_module("whistle.accountability.migrations.0004_adjust_rule_five_in_six_months")
    rules = Rule.objects.filter(code="repeated-poor-adjust")
    rules.update(threshold=4)  # the deployment chose its own number
    migration.forwards(django_apps, None)
    assert rules.get().threshold == 4
    rules.update(threshold=3, description=migration.OLD["description"])  # still the old default
    migration.forwards(django_apps, None)
    assert (rules.get().threshold, rules.get().months, rules.get().description) == (5, 6, migration.NEW["description"])


def test_rule_8_4_bottom_of_class_two_months_running_proposes_a_talk(month_ratings, heze):
    # Also found: 单县住建局 is the bottom county department (a unit talk). 王强's four poor ratings in two months are
    # not yet a 调整 (five in six months).
    assert evaluate_rules(at(2026, 11, 3)) == {"accountability_proposals": 2}
    assert sorted(Proposal.objects.values_list("subject", "action")) == [
        ("cadre", "admonition"),
        ("unit", "admonition"),
    ]
    proposal = Proposal.objects.get(subject="cadre", action="admonition")
    assert (proposal.action, proposal.subject, proposal.cadre, proposal.state) == (
        "admonition",
        "cadre",
        month_ratings["wang"],
        "pending",
    )
    months = proposal.evidence["months"]
    assert [(m["month"], m["rank"], m["of"], m["class"]) for m in months] == [
        ("2026-09", 3, 3, "县区级干部"),
        ("2026-10", 3, 3, "县区级干部"),
    ]
    assert months[0]["satisfaction_rate"] == 50.0
    assert "连续2个月" in proposal.summary and proposal.unit == heze.shan_zjj


def test_rule_8_4_same_evidence_never_proposes_twice(month_ratings):
    Rule.objects.filter(code="repeated-poor-adjust").update(threshold=3)  # 王强's four poor ratings: a 调整 too
    evaluate_rules(at(2026, 11, 3))
    assert evaluate_rules(at(2026, 11, 3)) == {"accountability_proposals": 0}
    assert evaluate_rules(at(2026, 11, 28)) == {"accountability_proposals": 0}
    # November bad again: Oct was already cited, so Oct+Nov is not new evidence; Nov+Dec would be.
    rate(month_ratings["wang"], [1, 1, 2], at(2026, 11, 5))
    rate(month_ratings["li"], [5, 5, 5], at(2026, 11, 5))
    # The only new proposal is the 调整 on the three new poor ratings; the first four are not cited again.
    assert evaluate_rules(at(2026, 12, 2)) == {"accountability_proposals": 1}
    assert Proposal.objects.filter(action="admonition").count() == 2
    newest = Proposal.objects.filter(action="reassignment").order_by("-created_at").first()
    assert newest.evidence["levels"] == [1, 1, 2]


def test_rule_8_4_a_class_of_one_has_no_bottom_and_few_ratings_do_not_rank(cadres):
    rate(cadres["win_a"], [1, 1, 1, 1], at(2026, 9, 3))
    rate(cadres["win_a"], [1, 1, 1, 1], at(2026, 10, 3))
    rate(cadres["win_b"], [5, 5], at(2026, 9, 3))  # below min_ratings (3): not ranked, so win_a is alone
    rate(cadres["win_b"], [5, 5], at(2026, 10, 3))
    evaluate_rules(at(2026, 11, 3))
    assert not Proposal.objects.filter(subject="window").exists()


def test_rule_8_4_bottom_unit_of_its_class(cadres, heze):
    # 曹县 departments: 住建局 (张伟) poor, 市场监管局 (李娜) good, two months running → the unit gets a talk too.
    for month in (9, 10):
        rate(cadres["zhang"], [1, 2, 2], at(2026, month, 5))
        rate(cadres["li"], [5, 5, 5], at(2026, month, 5))
    evaluate_rules(at(2026, 11, 3))
    units = Proposal.objects.filter(subject="unit")
    assert [p.unit for p in units] == [heze.cao_zjj]


def test_rule_8_4_five_upheld_poor_within_six_months_proposes_adjustment(cadres):
    zhang = cadres["zhang"]
    rate(zhang, [1, 2], at(2026, 5, 19))  # outside six months of 2026-11-20
    rate(zhang, [2], at(2026, 6, 1))
    rate(zhang, [1, 1], at(2026, 9, 1))
    rate(zhang, [2], at(2026, 10, 15))
    evaluate_rules(at(2026, 11, 20))
    assert not Proposal.objects.filter(action="reassignment").exists()  # four in six months
    rate(zhang, [2], at(2026, 11, 2))
    evaluate_rules(at(2026, 11, 21))
    proposal = Proposal.objects.get(action="reassignment")
    assert proposal.cadre == zhang and len(proposal.evidence["ratings"]) == 5
    assert proposal.evidence["dates"] == ["2026-06-01", "2026-09-01", "2026-09-01", "2026-10-15", "2026-11-02"]
    assert proposal.summary == "6个月内有效差评5条（阈值5条）"
    assert evaluate_rules(at(2026, 11, 22)) == {"accountability_proposals": 0}


def test_rule_8_4_imported_poor_ratings_count_toward_adjustment(cadres, tmp_path):
    """Ratings imported from other systems (`whistle ratings import`) are upheld poor ratings like live ones: five in
    six months propose 调整, found through the rollups and the target's index of live-or-poor ratings."""
    import csv

    from whistle.ratings.rating_import import COLUMNS, import_file

    zhang = cadres["zhang"]
    zhang.card_code = "zhang-card"
    zhang.save(update_fields=["card_code"])
    path = tmp_path / "poor.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for i, day in enumerate(["2026-06-01", "2026-07-01", "2026-08-01", "2026-09-01", "2026-10-15"]):
            writer.writerow([f"src-{i}", "zhang-card", "不满意", f"{day} 10:00:00", "", "", "", "", ""])
        writer.writerow(["src-9", "zhang-card", "5", "2026-10-16 10:00:00", "", "", "", "", ""])  # a good one
    assert import_file(str(path), progress=False).inserted == 6
    evaluate_rules(at(2026, 11, 20))
    proposal = Proposal.objects.get(action="reassignment")
    assert proposal.cadre == zhang and len(proposal.evidence["ratings"]) == 5
    assert proposal.evidence["dates"] == ["2026-06-01", "2026-07-01", "2026-08-01", "2026-09-01", "2026-10-15"]


def test_rule_8_4_voided_flagged_and_appealed_ratings_are_not_upheld(cadres, heze):
    zhang = cadres["zhang"]
    rate(zhang, [1, 2, 1, 2], at(2026, 10, 1))
    rate(zhang, [1], at(2026, 10, 2), counted=False, status="voided")
    rate(zhang, [1], at(2026, 10, 3), counted=False, status="flagged")
    appealed = rate(zhang, [2], at(2026, 10, 4))[0]
    Appeal.objects.create(rating=appealed, reason="恶意差评", filed_by=heze.users.cao_zjj, filed_at=at(2026, 10, 5))
    evaluate_rules(at(2026, 11, 1))
    assert not Proposal.objects.filter(action="reassignment").exists()
    Appeal.objects.filter(rating=appealed).update(
        state="upheld", reviewed_by=heze.users.cao_office, review_reason="属实", reviewed_at=at(2026, 10, 6)
    )
    evaluate_rules(at(2026, 11, 2))
    assert Proposal.objects.filter(action="reassignment").count() == 1
    assert Rating.objects.filter(cadre=zhang).count() == 7


def test_rule_8_4_thresholds_are_data(cadres):
    Rule.objects.filter(code="repeated-poor-adjust").update(threshold=1)
    rate(cadres["zhang"], [1], at(2026, 10, 1))
    evaluate_rules(at(2026, 11, 1))
    assert Proposal.objects.filter(action="reassignment").count() == 1
    Rule.objects.update(is_active=False)
    rate(cadres["zhang"], [1], at(2026, 10, 2))
    assert evaluate_rules(at(2026, 11, 1)) == {"accountability_proposals": 0}


def test_a_rule_is_evaluated_at_most_every_interval_which_is_data(cadres):
    Rule.objects.filter(code="repeated-poor-adjust").update(threshold=1)
    evaluate_rules(at(2026, 11, 1, 10, 0))
    rate(cadres["zhang"], [1], at(2026, 10, 1))
    assert evaluate_rules(at(2026, 11, 1, 10, 30)) == {"accountability_proposals": 0}  # within the hour: not due
    assert evaluate_rules(at(2026, 11, 1, 11, 0)) == {"accountability_proposals": 1}
    Rule.objects.update(every_minutes=5)
    rate(cadres["zhang"], [2], at(2026, 10, 2))
    assert evaluate_rules(at(2026, 11, 1, 11, 5)) == {"accountability_proposals": 1}


def test_rule_8_4_month_figures_are_the_rollups_and_agree_with_the_ratings(month_ratings, heze):
    rate(month_ratings["wang"], [1, 1], at(2026, 10, 20), counted=False, status="voided")  # stored, not counted
    rate(month_ratings["win_a"], [4, 2, 5], at(2026, 10, 31, 23, 30))
    rate(month_ratings["win_a"], [1], at(2026, 11, 1, 0, 30))  # Beijing November, still October in UTC
    october = dt.date(2026, 10, 1)
    assert {r["id"]: r for r in month_table("cadre", october)}[month_ratings["wang"].pk] == {
        "id": month_ratings["wang"].pk,
        "count": 4,
        "satisfied": 2,
        "poor": 2,
    }
    assert month_table("window", october) == [{"id": month_ratings["win_a"].pk, "count": 3, "satisfied": 2, "poor": 1}]
    start, end = month_bounds(october)
    for subject in ("cadre", "window", "unit"):
        plain = (
            Rating.objects.filter(
                counted=True, created_at__gte=start, created_at__lt=end, **{f"{subject}__isnull": False}
            )
            .values(subject)
            .annotate(
                count=Count("id"),
                satisfied=Count("id", filter=Q(level__gte=3)),
                poor=Count("id", filter=Q(level__lte=2)),
            )
            .order_by(subject)
        )
        expected = [
            {"id": r[subject], "count": r["count"], "satisfied": r["satisfied"], "poor": r["poor"]} for r in plain
        ]
        assert sorted(month_table(subject, october), key=lambda r: r["id"]) == expected


def test_rule_8_4_month_table_counts_satisfied_by_the_configured_definition(month_ratings, heze):
    """满意 in the 约谈 ranking follows `ratings.satisfied_min_level`, like every published 满意率."""
    from whistle.core import rules
    from whistle.core.models import RuleParameter

    rate(month_ratings["win_a"], [5, 4, 3, 2], at(2026, 10, 20))
    october = dt.date(2026, 10, 1)
    assert month_table("window", october)[0]["satisfied"] == 3  # default: 基本满意 and above
    RuleParameter.objects.filter(key="ratings.satisfied_min_level").update(value=4)
    rules.clear_cache()
    assert month_table("window", october)[0]["satisfied"] == 2  # the stricter variant: 满意 and above


def test_rule_8_4_repeated_poor_of_a_unit_counts_its_cadres_and_windows(cadres, heze):
    Rule.objects.filter(code="repeated-poor-adjust").update(subjects=["window", "unit"], threshold=3)
    counter = Window.objects.create(
        name="住建窗口", hall="曹县政务服务中心", unit=heze.cao_zjj, supervision_phone="0530-3210001"
    )
    zhang_poor = rate(cadres["zhang"], [1, 2], at(2026, 9, 8))
    window_poor = rate(counter, [2], at(2026, 10, 9))
    rate(counter, [5, 4], at(2026, 10, 9))
    rate(cadres["wang"], [1, 1], at(2026, 10, 9))  # 单县住建局: two, below the threshold
    rate(cadres["win_a"], [1, 2], at(2026, 10, 9))
    evaluate_rules(at(2026, 11, 3))
    proposal = Proposal.objects.get(action="reassignment")  # no window reaches three: only 曹县住建局 as a unit
    assert (proposal.subject, proposal.unit, proposal.cadre, proposal.window) == ("unit", heze.cao_zjj, None, None)
    assert proposal.evidence["ratings"] == [r.pk for r in zhang_poor + window_poor]
    assert proposal.evidence["levels"] == [1, 2, 2]
