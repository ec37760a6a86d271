"""Budgets and comparisons on either engine: the durable engine pays what the native one pays."""

import json

import pytest

import incubator_rules as ir
from incubator_rules.engines import evaluation
from incubator_rules.views.cli import main

PORTFOLIO = "examples/wanzhou-synthetic-portfolio.yaml"
SCENARIOS = "examples/what-if-scenarios.yaml"
AS_OF = "2026-12-31"


def test_a_budget_on_the_durable_engine_equals_the_native_budget(monkeypatch):
    pytest.importorskip("durable.engine")
    native = ir.budget(PORTFOLIO, as_of=AS_OF)
    assert native.total > 0
    calls = []
    real = evaluation.durable_decisions
    monkeypatch.setattr(evaluation, "durable_decisions", lambda ctx: calls.append(ctx.carrier.id) or real(ctx))
    assert ir.budget(PORTFOLIO, as_of=AS_OF, engine="durable") == native
    assert len(calls) == len(ir.load_carriers(PORTFOLIO))  # every carrier was decided by the durable engine


def test_a_comparison_on_the_durable_engine_equals_the_native_comparison():
    pytest.importorskip("durable.engine")
    scenarios = ir.load_scenarios(SCENARIOS)
    native = ir.compare(PORTFOLIO, None, *scenarios, as_of=AS_OF)
    durable = ir.compare(PORTFOLIO, None, *scenarios, as_of=AS_OF, engine="durable")
    assert durable.totals() == native.totals()
    assert durable.budgets == native.budgets
    assert durable.carriers == native.carriers


def test_a_budget_on_the_durable_engine_on_a_pool_equals_the_native_budget():
    pytest.importorskip("durable.engine")
    carriers = ir.load_carriers(PORTFOLIO)[:12]
    assert ir.budget(carriers, as_of=AS_OF, engine="durable", workers=2) == ir.budget(carriers, as_of=AS_OF)


@pytest.mark.parametrize("call", [ir.budget, ir.compare])
def test_an_unknown_engine_is_refused_before_any_work(call):
    with pytest.raises(ir.EngineError) as caught:
        call(PORTFOLIO, as_of=AS_OF, engine="rete")
    assert caught.value.field == "engine"
    assert "native" in str(caught.value) and "durable" in str(caught.value)


@pytest.mark.parametrize("command", ["budget", "compare"])
def test_the_command_line_takes_an_engine(command, capsys):
    pytest.importorskip("durable.engine")
    assert main([command, PORTFOLIO, SCENARIOS, "--with-base", "--as-of", AS_OF, "--format", "json"]) == 0
    native = json.loads(capsys.readouterr().out)
    assert main([command, PORTFOLIO, SCENARIOS, "--with-base", "--as-of", AS_OF, "--format", "json",
                 "--engine", "durable"]) == 0
    assert json.loads(capsys.readouterr().out) == native


def test_the_command_line_refuses_an_unknown_engine(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["budget", PORTFOLIO, "--as-of", AS_OF, "--engine", "rete"])
    assert caught.value.code == 2
    assert "rete" in capsys.readouterr().err
