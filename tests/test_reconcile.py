"""Reconciliation: what was paid against what is due (docs/reconcile.md)."""

import datetime
import json
from pathlib import Path

import pytest

import incubator_rules as ir
from incubator_rules.views.cli import main as cli

from histories import accredited, carrier, evaluated, event as event_of, filed, paid

D = datetime.date.fromisoformat


def ledger(tmp_path, text, name="payments.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def statuses(r):
    return [(line.carrier_id, line.status, line.rule, line.event, line.paid) for line in r.lines]


# --- from the history ----------------------------------------------------------------------------


def test_payments_recorded_in_the_history_settle_the_decisions_they_pay():
    c = carrier("maker_space", filed("2023-03-01", "municipal"), paid("2024-03-20", "municipal", 200_000),
                filed("2024-06-01", "national"), paid("2025-06-10", "national", 300_000, voucher="V-2"))
    r = ir.reconcile(c, "2025-12-31")
    assert r.settled
    assert statuses(r) == [("c1", "paid", "accreditation-subsidy", "e0", 200_000),
                           ("c1", "paid", "upgrade-differential", "e2", 300_000)]
    assert r.totals["due"] == r.totals["paid"] == 500_000
    assert r.lines[1].payments[0].ref == "V-2"


def test_due_and_unpaid_gives_the_payable_date_and_the_days_outstanding():
    c = carrier("incubator", accredited("2023-05-01", "municipal"))
    r = ir.reconcile(c, "2024-06-30")
    line = r.lines[0]
    assert (line.status, line.outstanding, line.payable_on, line.days_outstanding) == ("unpaid", 500_000, D("2024-05-01"), 60)
    assert not r.settled


def test_a_partial_payment_leaves_the_rest_outstanding():
    c = carrier("incubator", accredited("2023-05-01", "municipal"), paid("2024-05-10", "municipal", 300_000))
    line = ir.reconcile(c, "2024-06-30").lines[0]
    assert (line.status, line.paid, line.outstanding) == ("unpaid", 300_000, 200_000)


def test_money_paid_for_a_refused_decision_is_an_overpayment_with_the_reason():
    c = carrier("incubator", accredited("2021-04-01", "national"), accredited("2024-03-01", "municipal"),
                paid("2025-03-10", "municipal", 500_000))
    line = ir.reconcile(c, "2025-12-31").lines[0]
    assert (line.status, line.rule, line.reason, line.overpaid) == ("overpaid", "accreditation-subsidy", "lower_level", 500_000)
    assert "already held a national title" in line.explanation_en


def test_paying_more_than_the_entitlement_is_an_overpayment():
    c = carrier("incubator", accredited("2023-05-01", "municipal"), paid("2024-05-10", "municipal", 500_000),
                paid("2024-06-10", "municipal", 500_000))
    r = ir.reconcile(c, "2024-12-31")
    assert [(x.status, x.paid, x.overpaid) for x in r.lines] == [("overpaid", 1_000_000, 500_000)]


def test_paid_before_it_fell_due_is_a_finding_and_unsettled_until_it_falls_due():
    c = carrier("incubator", accredited("2023-05-01", "municipal"), paid("2023-12-01", "municipal", 500_000))
    before = ir.reconcile(c, "2024-01-31")
    early = before.lines[0]
    assert (early.status, early.decision_status, early.paid_early) == ("paid_early", "pending", 500_000)
    assert early.finding and not early.settled and not before.settled
    after = ir.reconcile(c, "2024-12-31")
    later = after.lines[0]
    assert (later.status, later.decision_status, later.paid_early) == ("paid_early", "awarded", 500_000)
    assert later.finding and later.settled and after.settled and after.findings == (later,)
    assert "paid before due, settled since" in after.to_table()


def test_an_early_part_payment_of_a_due_decision_is_unpaid_with_the_early_amount():
    c = carrier("incubator", accredited("2023-05-01", "municipal"), paid("2023-12-01", "municipal", 200_000))
    line = ir.reconcile(c, "2024-12-31").lines[0]
    assert (line.status, line.outstanding, line.paid_early, line.settled) == ("unpaid", 300_000, 200_000, False)


def test_an_early_payment_of_a_decision_refused_since_is_an_overpayment():
    c = carrier("incubator", accredited("2023-05-01", "municipal"), paid("2023-12-01", "municipal", 500_000),
                event_of("delisted", "2024-03-01"))
    line = ir.reconcile(c, "2024-12-31").lines[0]
    assert (line.status, line.reason, line.overpaid, line.settled) == ("overpaid", "delisted_before_year", 500_000, False)


def test_a_voucher_number_used_twice_in_a_history_is_a_duplicate_not_counted_again():
    c = carrier("incubator", accredited("2023-05-01", "municipal"), paid("2024-05-10", "municipal", 500_000, voucher="V-9"),
                paid("2024-05-10", "municipal", 500_000, voucher="V-9"))
    r = ir.reconcile(c, "2024-12-31")
    assert [(x.status, x.paid) for x in r.lines] == [("paid", 500_000), ("duplicate_voucher", 500_000)]
    assert not r.settled and r.totals["duplicate"] == 500_000 and r.totals["paid"] == 1_000_000
    assert "voucher V-9 already paid 500,000 yuan" in r.lines[1].explanation_en


def test_a_voucher_number_used_twice_in_a_ledger_is_flagged_across_carriers_whatever_the_order(tmp_path):
    c1 = carrier("maker_space", filed("2023-03-01", "municipal"), id="c1")
    c2 = carrier("maker_space", filed("2023-03-01", "municipal"), id="c2")
    head = "carrier,date,amount,purpose,voucher,level"
    rows = ["c1,2024-03-20,200000,construction_subsidy,V-1,municipal", "c2,2024-03-21,200000,construction_subsidy,V-1,municipal"]
    for order in (rows, rows[::-1]):
        r = ir.reconcile([c1, c2], "2024-12-31", payments=ledger(tmp_path, "\n".join([head] + order) + "\n"))
        assert statuses(r) == [("c1", "paid", "accreditation-subsidy", "e0", 200_000), ("c2", "unpaid", "accreditation-subsidy", "e0", 0),
                               ("c2", "duplicate_voucher", None, None, 200_000)]
        assert "line " in r.lines[2].explanation_en and not r.settled


def test_a_pending_decision_without_payment_is_not_due_and_settled():
    c = carrier("incubator", accredited("2023-05-01", "municipal"))
    r = ir.reconcile(c, "2023-12-31")
    assert [(x.status, x.amount, x.due) for x in r.lines] == [("not_due", 500_000, 0)] and r.settled


def test_a_payment_of_this_plan_that_settles_nothing_is_unmatched():
    c = carrier("incubator", paid("2024-05-10", "municipal", 500_000, plan="wanzhou-2023"))
    r = ir.reconcile(c, "2024-12-31")
    assert [(x.status, x.paid) for x in r.lines] == [("unmatched", 500_000)] and r.totals["unmatched"] == 500_000


def test_payments_of_other_plans_and_before_the_plan_are_listed_apart_and_settled():
    c = carrier("incubator", paid("2021-05-10", "district", 200_000), paid("2024-05-10", "municipal", 500_000, plan="重庆市"),
                paid("2024-06-10", "municipal", 100_000, award="other", plan="chongqing-performance"))
    r = ir.reconcile(c, "2024-12-31")
    assert [x.status for x in r.lines] == ["outside_plan"] * 3 and r.settled
    assert r.totals["paid"] == 0 and r.totals["outside_plan"] == 800_000


def test_excellence_money_settles_the_excellence_decision():
    c = carrier("incubator", evaluated("2024-03-01", 2023, "municipal", "excellent"),
                paid("2024-04-01", "municipal", 100_000, award="excellence", year=2023))
    r = ir.reconcile(c, "2024-12-31")
    assert [(x.status, x.rule) for x in r.lines] == [("paid", "evaluation-excellence")]


# --- from a ledger ----------------------------------------------------------------------------------


LEDGER = """carrier,date,amount,purpose,voucher,level,settles
c1,2024-03-20,200000,construction_subsidy,V-1,municipal,
c1,2025-06-10,300000,construction_subsidy,V-2,national,e1
c2,2024-06-10,100000,construction_subsidy,V-3,district,
"""


def test_a_csv_ledger_is_matched_and_a_carrier_not_in_the_portfolio_is_unmatched(tmp_path):
    c = carrier("maker_space", filed("2023-03-01", "municipal"), filed("2024-06-01", "national"))
    r = ir.reconcile([c], "2025-12-31", payments=ledger(tmp_path, LEDGER))
    assert statuses(r) == [("c1", "paid", "accreditation-subsidy", "e0", 200_000),
                           ("c1", "paid", "upgrade-differential", "e1", 300_000),
                           ("c2", "unmatched", None, None, 100_000)]
    assert r.lines[0].payments[0].line == 2
    assert r.carrier("c1").settled and not r.settled


def test_a_yaml_ledger_reads_alike(tmp_path):
    text = """payments:
  - {carrier: c1, date: 2024-03-20, amount: 200000, purpose: construction_subsidy, voucher: V-1, level: municipal}
  - {carrier: c1, date: 2025-06-10, amount: 300000, purpose: construction_subsidy, voucher: V-2, level: national}
"""
    c = carrier("maker_space", filed("2023-03-01", "municipal"), filed("2024-06-01", "national"))
    r = ir.reconcile(c, "2025-12-31", payments=ledger(tmp_path, text, "payments.yaml"))
    assert r.settled and r.totals["paid"] == 500_000


def test_the_order_of_the_ledger_lines_does_not_matter(tmp_path):
    c = carrier("maker_space", filed("2023-03-01", "municipal"), filed("2024-06-01", "national"))
    head, *rows = LEDGER.splitlines()
    a = ir.reconcile(c, "2025-12-31", payments=ledger(tmp_path, "\n".join([head] + rows) + "\n", "a.csv"))
    b = ir.reconcile(c, "2025-12-31", payments=ledger(tmp_path, "\n".join([head] + rows[::-1]) + "\n", "b.csv"))
    strip = lambda r: [(x.status, x.rule, x.paid, [(p.ref, p.amount) for p in x.payments]) for x in r.lines]  # noqa: E731
    assert strip(a) == strip(b)


@pytest.mark.parametrize("text, where, message", [
    ("carrier,date,amount,purpose,level\nc1,2024-03-20,20万,construction_subsidy,district\n", (2, 3), "whole number of yuan"),
    ("carrier,date,amount,purpose,level\nc1,2024-3-20,200000,construction_subsidy,municipal\n", (2, 2), "YYYY-MM-DD"),
    ("carrier,date,amount,purpose,level\nc1,2024-03-20,200000,bonus,municipal\n", (2, 4), "construction_subsidy, excellence, other"),
    ("carrier,date,amount,purpose\nc1,2024-03-20,200000,construction_subsidy\n", (2, 1), "level the payment is for"),
    ("carrier,date,amount\nc1,2024-03-20,200000\n", (1, None), "missing column: purpose"),
    ("carrier,date,amount,purpose,cheque\n", (1, 5), "unknown column 'cheque'"),
])
def test_a_bad_ledger_line_is_named_by_line_and_column(tmp_path, text, where, message):
    path = ledger(tmp_path, text)
    with pytest.raises(ir.LedgerError, match=message) as err:
        ir.reconcile(carrier("incubator"), "2025-12-31", payments=path)
    assert (err.value.file, err.value.line, err.value.column) == (str(path), *where)


# --- money and views ------------------------------------------------------------------------------


def test_the_frame_has_integer_money_columns_never_floats():
    pytest.importorskip("pandas")
    c = carrier("incubator", accredited("2023-05-01", "municipal"), paid("2024-05-10", "municipal", 300_000),
                paid("2024-06-10", "municipal", 100_000, plan="wanzhou-2023"))
    frame = ir.reconcile(c, "2024-12-31").to_frame()
    for column in ("amount", "due", "paid", "outstanding", "overpaid", "paid_early", "days_outstanding"):
        assert str(frame[column].dtype) == "Int64", column
    assert frame["outstanding"].sum() == 100_000


def test_the_notebook_view_shows_the_findings():
    c = carrier("incubator", accredited("2023-05-01", "municipal"))
    html = ir.reconcile(c, "2024-06-30")._repr_html_()
    assert "unsettled" in html and "unpaid" in html and "500,000" in html


def test_json_and_csv_carry_exact_amounts():
    c = carrier("incubator", accredited("2023-05-01", "municipal"), paid("2024-05-10", "municipal", 123_457))
    r = ir.reconcile(c, "2024-12-31")
    data = json.loads(r.to_json())
    assert data["totals"]["outstanding"] == 376_543 and data["settled"] is False
    assert ",376543," in r.to_csv().splitlines()[1]


# --- the command line --------------------------------------------------------------------------------


def test_cli_reconcile_exit_codes_and_formats(tmp_path, capsys):
    portfolio = tmp_path / "carriers.yaml"
    portfolio.write_text(carrier("maker_space", filed("2023-03-01", "municipal"), filed("2024-06-01", "national")).to_json(),
                         encoding="utf-8")
    good = ledger(tmp_path, "\n".join(LEDGER.splitlines()[:3]) + "\n", "good.csv")
    assert cli(["reconcile", str(portfolio), "--payments", str(good), "--as-of", "2025-12-31"]) == 0
    assert "Settled." in capsys.readouterr().out
    assert cli(["reconcile", str(portfolio), "--payments", str(ledger(tmp_path, LEDGER)), "--as-of", "2025-12-31",
                "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["counts"]["unmatched"] == 1
    assert cli(["reconcile", str(portfolio), "--as-of", "2025-12-31", "--format", "csv"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("\ufeffcarrier,status,rule") and out[1].startswith("c1,unpaid,accreditation-subsidy")
    assert cli(["reconcile", str(portfolio)]) == 2
    assert "--as-of" in capsys.readouterr().err


def test_the_example_ledger_reconciles_with_its_findings(capsys):
    code = cli(["reconcile", "examples/wanzhou-portfolio.yaml", "--payments", "examples/wanzhou-payments.csv",
                "--as-of", "2026-06-30", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert data["counts"]["unpaid"] == 2 and data["counts"]["unmatched"] == 1
    assert data["totals"]["outstanding"] == 400_000


def test_both_engines_reconcile_alike():
    pytest.importorskip("durable.engine")
    c = carrier("maker_space", filed("2023-03-01", "municipal"), paid("2024-03-20", "municipal", 150_000),
                evaluated("2024-03-01", 2023, "municipal", "excellent"), filed("2024-06-01", "national"),
                paid("2025-01-10", "national", 300_000, plan="wanzhou-2023"))
    native, durable = ir.reconcile(c, "2025-12-31"), ir.reconcile(c, "2025-12-31", engine="durable")
    assert native.to_dict() == durable.to_dict() and not native.settled


def test_a_ledger_line_reads_back_from_its_plain_data(tmp_path):
    payments = ir.load_ledger(ledger(tmp_path, LEDGER))
    again = ir.files.ledger.ledger_from_data([p.to_dict() for p in payments])
    assert [(p.carrier, p.payment.to_dict()) for p in again] == [(p.carrier, p.payment.to_dict()) for p in payments]
    assert payments[1].to_dict() == {"carrier": "c1", "date": "2025-06-10", "level": "national", "amount": 300000,
                                     "voucher": "V-2", "settles": "e1", "purpose": "construction_subsidy"}


@pytest.mark.parametrize("text", ['carrier,date,amount,purpose\nc1,"2024-01-01\x00,1,other\n', 'carrier,date\n"c1,2024\n'])
def test_a_ledger_that_is_not_csv_is_refused_with_its_line(tmp_path, text):
    with pytest.raises(ir.LedgerError, match="not readable as CSV") as err:
        ir.load_ledger(ledger(tmp_path, text))
    assert err.value.line is not None


# --- checking ledgers --------------------------------------------------------------------------------


def test_check_reads_a_csv_ledger_and_reports_every_bad_row_and_repeated_voucher(tmp_path):
    path = ledger(tmp_path, "carrier,date,amount,purpose,voucher,level\n"
                            "c1,2024-03-20,200000,construction_subsidy,V-1,municipal\n"
                            "c1,2024-13-01,200000,construction_subsidy,V-2,municipal\n"
                            "c2,2024-03-21,200000,construction_subsidy,V-1,municipal\n")
    result = ir.tools.check.check_file(path)
    assert result.file_type == "ledger"
    assert [(p.line, p.column, p.field) for p in result.problems] == [(3, 2, "[1].date"), (4, 5, "[2].voucher")]
    assert "voucher 'V-1' is used again (first on line 2" in result.problems[1].message
    assert ir.tools.check.check_file(ledger(tmp_path, LEDGER, "good.csv")).ok


def test_check_reads_a_yaml_ledger_by_its_keys_or_schema_and_names_the_purpose(tmp_path):
    path = ledger(tmp_path, "payments:\n"
                            "  - {carrier: c1, date: 2024-03-20, amount: 200000, purpose: construction_subsidy, voucher: V-1, level: municipal}\n"
                            "  - {carrier: c1, date: 2024-03-20, amount: 200000, purpose: award, level: municipal}\n"
                            "  - {carrier: c2, date: 2024-04-20, amount: 50000, purpose: excellence, voucher: V-1, level: municipal}\n",
                  "payments.yaml")
    result = ir.tools.check.check_file(path)
    assert result.file_type == "ledger"
    assert [(p.line, p.field) for p in result.problems] == [(3, "payments[1].purpose"), (4, "payments[2].voucher")]
    assert result.problems[0].message.startswith("unknown purpose 'award'")


def test_a_csv_that_is_not_a_ledger_is_not_guessed_at(tmp_path):
    result = ir.tools.check.check_file(ledger(tmp_path, "carrier,date,area\nc1,2024-01-01,100\n", "snapshots.csv"))
    assert not result.readable and "payments ledger" in result.problems[0].message


def test_a_ledger_beside_the_carriers_of_a_portfolio_directory_is_not_read_as_carriers(tmp_path):
    (tmp_path / "c1.yaml").write_text("id: c1\nname: one\nkind: incubator\nevents: []\n", encoding="utf-8")
    ledger(tmp_path, "payments:\n  - {carrier: c1, date: 2024-03-20, amount: 1, purpose: other}\n", "payments.yaml")
    assert [c.id for c in ir.files.carriers.portfolio_carriers(tmp_path)] == ["c1"]


def test_a_late_unattributed_payment_for_a_title_before_the_plan_is_earlier_money_as_the_differential_counts_it():
    c = carrier("maker_space", filed("2021-05-01", "municipal"), paid("2023-06-01", "municipal", 200_000),
                filed("2023-08-01", "national"), paid("2024-08-05", "national", 300_000))
    r = ir.reconcile(c, "2025-12-31")
    assert [(x.status, x.rule, x.amount, x.paid) for x in r.lines] == [
        ("paid", "upgrade-differential", 300_000, 300_000), ("outside_plan", None, 0, 200_000)]
    assert r.settled and "counted towards the differential" in r.lines[1].explanation_en
    no_title = carrier("maker_space", paid("2023-06-01", "municipal", 200_000))
    assert [x.status for x in ir.reconcile(no_title, "2025-12-31").lines] == ["unmatched"]


DEMO_BASE = Path(__file__).resolve().parent / "rulesets" / "fuzhou-incubation-demo-base-2020.yaml"
DEMO_CARRIER = {
    "id": "db-1", "name": "db-1", "kind": "incubator", "events": [
        {"id": "d", "date": "2020-12-01", "type": "designated", "level": "municipal", "designation": "创业孵化示范基地"},
        {"id": "r2", "date": "2021-11-15", "type": "task_result", "level": "municipal", "task": "示范基地复评", "grade": "pass"},
        {"id": "r3", "date": "2022-11-15", "type": "task_result", "level": "municipal", "task": "示范基地复评", "grade": "pass"},
    ]}


def test_payments_for_an_award_in_instalments_fill_its_instalments_in_order(tmp_path):
    # 授牌当年拨付10万元,第二年、第三年复评合格分别再拨付10万元: the bureau paid 10万, then 20万 at once, then 5万 too many
    text = """carrier,date,amount,purpose,voucher,settles
db-1,2020-12-20,100000,other,P-1,d
db-1,2022-12-01,200000,other,P-2,d
db-1,2023-01-10,50000,other,P-3,d
"""
    r = ir.reconcile(ir.Carrier.from_dict(DEMO_CARRIER), "2023-06-30", payments=ledger(tmp_path, text),
                     ruleset=ir.load_ruleset(DEMO_BASE))
    assert [(line.status, line.amount, line.paid, line.overpaid, [(p.ref, p.amount) for p in line.payments])
            for line in r.lines] == [
        ("paid", 100_000, 100_000, 0, [("P-1", 100_000)]),
        ("paid", 100_000, 100_000, 0, [("P-2", 100_000)]),
        ("overpaid", 100_000, 150_000, 50_000, [("P-2", 100_000), ("P-3", 50_000)]),
    ]
    assert r.totals["paid"] == 350_000 and r.totals["overpaid"] == 50_000


def test_an_instalment_not_yet_due_is_paid_early_and_the_due_ones_are_filled_first(tmp_path):
    text = "carrier,date,amount,purpose,voucher,settles\ndb-1,2021-12-20,300000,other,P-1,d\n"
    r = ir.reconcile(ir.Carrier.from_dict(DEMO_CARRIER), "2022-06-30", payments=ledger(tmp_path, text),
                     ruleset=ir.load_ruleset(DEMO_BASE))
    assert [(line.status, line.paid) for line in r.lines] == [("paid", 100_000), ("paid", 100_000),
                                                              ("paid_early", 100_000)]
