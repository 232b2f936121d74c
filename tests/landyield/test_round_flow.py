"""A round end to end through the services and pages: the list, figures by their owners (.xlsx with rejects, API),
confirmation and 异议, scoring, 公示 in working days, answers, re-scoring, sign-off and freeze, then what follows."""

import datetime as dt
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from python_calamine import CalamineWorkbook

from tests.conftest import PASSWORD
from tests.landyield.conftest import put
from whistle.core import sheets
from whistle.core.errors import Conflict, Forbidden, Invalid, NotFound
from whistle.landyield import crosscheck, jobs, prices, scoring, services, whatif
from whistle.landyield.models import (
    Figure,
    FigureStep,
    Participant,
    RoundState,
    Surcharge,
    UtilityAccount,
    VisitPlan,
)


def _xlsx(header, rows) -> bytes:
    return sheets.workbook([("数据", header, rows)])


def _read(data: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def _fill(ly, factor=1.0):
    for i, e in enumerate(ly.firms):
        put(
            ly.round,
            ly.part[e.pk],
            tax=(i + 1) * 100 * factor,
            land_area=50,
            value_added=(i + 1) * 500,
            energy=1000,
            emissions=10,
            employees=100,
            rd_spending=(i + 1) * 10,
            sales=5000,
            electricity=800,
        )


def test_rule_5_participants_are_the_registers_above_scale_firms_utilities_collected_not_ranked(ly):
    statuses = {
        p.enterprise.name: p.status for p in Participant.objects.filter(round=ly.round).select_related("enterprise")
    }
    assert statuses["曹县热力燃气公司"] == "excluded"
    assert statuses["曹县木业有限公司"] == "evaluated"
    assert "单县食品有限公司" not in statuses


def test_rule_5_t_class_is_not_evaluated_and_keeps_its_reason(ly):
    p = services.participant_set(
        ly.actor("cao_office"), ly.round.pk, enterprise=ly.firms[1], status="t_class", reason="停产整顿，暂不评价"
    )
    _fill(ly)
    services.round_score(ly.actor("cao_office"), ly.round.pk)
    p.refresh_from_db()
    assert p.klass == "" and p.reason == "停产整顿，暂不评价"
    assert ly.round.changes.get().reason == "停产整顿，暂不评价"
    with pytest.raises(Invalid):
        services.participant_set(
            ly.actor("cao_office"), ly.round.pk, enterprise=ly.firms[2], status="t_class", reason=""
        )


def test_department_imports_its_figures_with_a_rejects_report(ly):
    from whistle.landyield import importing

    data = _xlsx(
        ["统一社会信用代码", "企业名称", "税收（万元）"],
        [
            [ly.firms[0].uscc, "木业", 120],
            [ly.firms[1].uscc, "", "abc"],
            ["91371721MA0000000X", "", 5],
            [ly.firms[2].uscc, "", -3],
        ],
    )
    result = importing.import_figures(ly.actor("cao_tax_user"), ly.round.pk, data)
    assert result.rows == 1 and result.written == 1
    assert [r["row"] for r in result.rejects] == [3, 4, 5]
    assert "数字" in result.rejects[0]["reason"] and "负数" in result.rejects[2]["reason"]
    f = Figure.objects.get(participant=ly.part[ly.firms[0].pk], kind__code="tax")
    assert f.value == 120 and f.steps.get().step == FigureStep.Step.IMPORTED
    assert len(_read(importing.rejects_workbook(result.rejects))) == 4


def test_a_department_cannot_import_a_figure_it_does_not_own(ly):
    from whistle.landyield import importing

    data = _xlsx(["统一社会信用代码", "用地面积"], [[ly.firms[0].uscc, 50]])
    with pytest.raises(Forbidden):
        importing.import_figures(ly.actor("cao_tax_user"), ly.round.pk, data)
    assert not Figure.objects.exists()


def test_figure_api_for_departments(ly, client):
    client.force_login(ly.users.cao_zrzy_user)
    r = client.post(
        f"/api/v1/landyield/rounds/{ly.round.pk}/figures",
        json.dumps(
            {
                "items": [
                    {"uscc": ly.firms[0].uscc, "kind": "land_area", "value": 42.5},
                    {"uscc": "NOPE", "kind": "land_area", "value": 1},
                ]
            }
        ),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["written"] == 1 and len(r.json()["rejects"]) == 1


def test_enterprise_files_confirms_and_disputes_each_step_recorded(ly):
    p = ly.part[ly.firms[0].pk]
    ent = ly.actor("ent_cao")
    services.figure_record(ent, p.pk, "rd_spending", "35")
    with pytest.raises(Forbidden):
        services.figure_record(ent, p.pk, "tax", "1")
    services.figure_record(ly.actor("cao_tax_user"), p.pk, "tax", "100")
    services.figure_record(ly.actor("cao_zrzy_user"), p.pk, "land_area", "50")
    objection = services.objection_file(
        ent,
        p.pk,
        text="用地含代征道路，应扣除",
        kind_code="land_area",
        claimed_value="40",
        files=[SimpleUploadedFile("证明.pdf", b"%PDF-1.4 test", content_type="application/pdf")],
    )
    with pytest.raises(Conflict):
        services.figures_confirm(ent, p.pk)
    with pytest.raises(Forbidden):
        services.objection_answer(ly.actor("cao_tax_user"), objection.pk, answer="x", corrected_value="40")
    services.objection_answer(
        ly.actor("cao_zrzy_user"), objection.pk, answer="核实后扣除代征道路", corrected_value="40"
    )
    assert services.figures_confirm(ent, p.pk) == 2
    steps = [s.step for s in FigureStep.objects.filter(figure__participant=p, figure__kind__code="land_area")]
    assert steps == ["verified", "disputed", "corrected", "confirmed"]
    assert objection.files.get().content_type == "application/pdf"


def test_other_enterprise_and_other_county_learn_nothing(ly):
    p = ly.part[ly.firms[0].pk]
    for who in ("ent_shan", "shan_office"):
        with pytest.raises(NotFound):
            services.figure_record(ly.actor(who), p.pk, "tax", "1")


def test_round_scored_published_objected_rescored_signed_off_and_frozen(ly):
    office = ly.actor("cao_office")
    _fill(ly)
    counts = services.round_score(office, ly.round.pk)
    assert sum(counts.values()) == 6 and counts["A"] == 1 and counts["D"] == 1
    # 公示 five working days from Friday 2026-10-09: Saturday 10-10 is a working day after the National Day
    # holiday (core.calendar), so Fri, Sat, Mon, Tue, Wed.
    rnd = services.round_publish(office, ly.round.pk, starts_on="2026-10-09")
    assert rnd.publicity_ends_on == dt.date(2026, 10, 14)
    low = Participant.objects.get(round=ly.round, klass="D")
    ent = ly.actor("ent_cao") if low.enterprise_id == ly.firms[0].pk else None
    assert ent is not None  # the first firm has the lowest tax
    objection = services.objection_file(ent, low.pk, text="税收漏计一笔", kind_code="tax", today=dt.date(2026, 10, 12))
    with pytest.raises(Conflict):
        services.round_sign_off(office, ly.round.pk, today=dt.date(2026, 10, 14))
    with pytest.raises(Conflict):
        services.objection_file(ent, low.pk, text="再提", today=dt.date(2026, 10, 16))
    services.objection_answer(ly.actor("cao_tax_user"), objection.pk, answer="补计", corrected_value="5000")
    ly.round.refresh_from_db()
    assert ly.round.needs_rescore
    assert jobs.publicity_sweep(timezone.make_aware(dt.datetime(2026, 10, 16, 9))) == {
        "landyield_publicity_closed": 1,
        "landyield_rescored": 1,
    }
    low.refresh_from_db()
    assert low.provisional_klass == "D" and low.klass != "D"
    rnd = services.round_sign_off(office, ly.round.pk, today=dt.date(2026, 10, 16))
    assert rnd.state == RoundState.FROZEN and rnd.scheme.__class__.objects.get(pk=rnd.scheme_id).locked
    with pytest.raises(Conflict):
        services.figure_record(ly.actor("cao_tax_user"), low.pk, "tax", "1")
    with pytest.raises(Conflict):
        services.round_score(office, ly.round.pk)


def test_last_years_result_recomputes_exactly_from_its_snapshot(ly):
    office = ly.actor("cao_office")
    _fill(ly)
    services.round_score(office, ly.round.pk)
    ly.round.refresh_from_db()
    stored = {p.pk: (str(p.score), p.klass) for p in Participant.objects.filter(round=ly.round, status="evaluated")}
    # The scheme is edited afterwards (a new weight): the snapshot still recomputes the stored result.
    ly.round.scheme.indicators.filter(code="tax_per_mu", group="above").update(weight=70)
    rows, _ = services.round_rows(ly.round)
    _, again = scoring.score_round(ly.round.spec, rows)
    assert {pid: (f"{r.score:.4f}", r.klass) for pid, r in again.items()} == stored


def test_consecutive_d_years_and_the_price_list(ly):
    """2024 D (frozen) → 2025 D is the 2nd consecutive year: +0.10 元/kWh, or the higher other surcharge."""
    office = ly.actor("cao_office")
    last = services.round_open(office, county=ly.cao, year=2024) if False else None
    assert last is None
    from whistle.landyield.models import Round, Scheme

    scheme24 = services.scheme_copy(Scheme.objects.get(year=2025), 2024)
    r24 = Round.objects.create(scheme=scheme24, county=ly.cao, year=2024, lead_unit=ly.cao_gxj, state="frozen")
    Participant.objects.create(
        round=r24, enterprise=ly.firms[0], group="above", status="evaluated", klass="D", consecutive_d=1
    )
    _fill(ly)
    services.round_score(office, ly.round.pk)
    p = Participant.objects.get(round=ly.round, enterprise=ly.firms[0])
    assert p.klass == "D" and p.consecutive_d == 2
    UtilityAccount.objects.create(
        enterprise=ly.firms[0], utility="power", customer_number="3700123456", other_surcharge="0.08"
    )
    Round.objects.filter(pk=ly.round.pk).update(state="frozen")
    ly.round.refresh_from_db()
    rows = prices.price_list(ly.round, "power")
    assert [(r["customer_number"], r["land_yield"], r["charged"]) for r in rows] == [
        ("3700123456", Surcharge.objects.get(min_years=2).amount, Surcharge.objects.get(min_years=2).amount)
    ]
    assert _read(prices.price_workbook(ly.round, "power"))[1][0] == "3700123456"


def test_d_class_firm_into_patronage_with_visit_plan_and_problem_as_case(ly):
    office = ly.actor("cao_office")
    _fill(ly)
    services.round_score(office, ly.round.pk)
    from whistle.landyield.models import Round

    Round.objects.filter(pk=ly.round.pk).update(state="frozen")
    d = Participant.objects.get(round=ly.round, klass="D")
    patronage = services.d_class_patronage(
        office,
        d.pk,
        leader="cao_leader",
        lead_unit="caoxian-gxj",
        started_on="2026-08-01",
        visits=[("2026-08-10", "用地效益提升")],
    )
    assert patronage.enterprise_id == d.enterprise_id
    assert VisitPlan.objects.get(participant=d).purpose == "用地效益提升"
    case = services.problem_raise(
        ly.actor("cao_leader"), d.pk, description="电力增容审批慢", category="construction-permit"
    )
    assert case.channel == "visit" and case.external_ref == f"landyield:{d.pk}"
    with pytest.raises(Conflict):
        services.d_class_patronage(
            office,
            Participant.objects.get(round=ly.round, klass="A").pk,
            leader="cao_leader",
            lead_unit="caoxian-gxj",
            started_on="2026-08-01",
            visits=[("2026-08-10", "x")],
        )


def test_crosscheck_flags_a_tax_to_electricity_outlier_within_the_industry(ly):
    _fill(ly)
    put(ly.round, ly.part[ly.firms[3].pk], tax=400, electricity=2)  # tax per kWh 200, peers ~0.1–0.8
    found = crosscheck.crosscheck_run(ly.actor("cao_office"), ly.round.pk)
    flags = list(ly.round.crosschecks.all())
    assert found >= 1 and any(
        f.participant.enterprise_id == ly.firms[3].pk and f.check_code == "tax_per_kwh" for f in flags
    )
    flag = flags[0]
    crosscheck.crosscheck_review(ly.actor("cao_office"), flag.pk, state="cleared", note="电话核实：自备电厂")
    crosscheck.crosscheck_run(ly.actor("cao_office"), ly.round.pk)
    assert ly.round.crosschecks.filter(pk=flag.pk, state="cleared").exists()


def test_whatif_shows_who_changes_class_and_writes_nothing(ly):
    _fill(ly)
    services.round_score(ly.actor("cao_office"), ly.round.pk)
    before = list(Participant.objects.order_by("pk").values_list("klass", flat=True))
    result = whatif.whatif(ly.actor("cao_office"), ly.round.pk, {"quota": {"b_upto_pct": "50", "d_min_pct": "40"}})
    assert result["matrix"]["C"]["D"] >= 1 and all(m["after"] == "D" for m in result["moves"])
    assert list(Participant.objects.order_by("pk").values_list("klass", flat=True)) == before
    with pytest.raises(Invalid):
        whatif.whatif(ly.actor("cao_office"), ly.round.pk, {"weights": {"above.nope": "3"}})


def test_pages_render_for_enterprise_department_and_coordinator(ly, client):
    _fill(ly)
    services.round_score(ly.actor("cao_office"), ly.round.pk)
    p = ly.part[ly.firms[0].pk]
    client.login(username="ent_cao", password=PASSWORD)
    r = client.get("/landyield/mine/", follow=True)
    assert r.status_code == 200 and "各项得分与基准" in r.content.decode()
    assert client.get(f"/landyield/rounds/{ly.round.pk}/").status_code in (403, 404)
    client.login(username="cao_tax_user", password=PASSWORD)
    assert "导入本部门数据" in client.get(f"/landyield/rounds/{ly.round.pk}/").content.decode()
    client.login(username="cao_office", password=PASSWORD)
    for path in ("", "county", "whatif", "crosschecks", "results.xlsx"):
        assert client.get(f"/landyield/rounds/{ly.round.pk}/{path}").status_code == 200, path
    assert client.get(f"/landyield/participants/{p.pk}/").status_code == 200
    client.login(username="shan_office", password=PASSWORD)
    assert client.get(f"/landyield/participants/{p.pk}/").status_code == 404
