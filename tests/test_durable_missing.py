"""Without durable-rules the durable engine says why and how to build it; the native engine keeps working."""

from __future__ import annotations

import datetime
import importlib.metadata

import pytest

import incubator_rules as ir
from incubator_rules.engines import durable


@pytest.fixture
def no_durable_rules(monkeypatch):
    """As on Python 3.13, where durable-rules 2.0.28 does not import."""
    monkeypatch.setitem(__import__("sys").modules, "durable.engine", None)
    monkeypatch.setattr(durable, "_DEFAULT", None)


def test_durable_engine_explains_how_to_build_it(no_durable_rules):
    c = ir.load_carrier("examples/q6-maker-space.yaml")
    with pytest.raises(ir.EngineError) as info:
        ir.evaluate(c, as_of=datetime.date(2026, 6, 30), engine="durable")
    message = str(info.value)
    assert "durable-rules 2.0.28" in message and "cannot be imported" in message
    assert "CPPFLAGS=-DPyEval_CallObject=PyObject_CallObject pip install --no-binary :all: --no-cache-dir durable-rules==2.0.28" in message
    assert 500_000 == ir.evaluate(c, as_of=datetime.date(2026, 6, 30)).total


def test_compiling_needs_no_durable_rules(no_durable_rules, capsys):
    from incubator_rules.views.cli import main

    assert 0 == main(["compile", "wanzhou-2023"])
    assert "01-accreditation-subsidy/filed" in capsys.readouterr().out


def test_other_versions_of_durable_rules_are_refused(monkeypatch):
    pytest.importorskip("durable.engine")
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "2.0.27" if name == "durable-rules" else real(name))
    with pytest.raises(ir.EngineError, match="checked against durable-rules 2.0.28 only, found 2.0.27"):
        durable.DurableEngine()


def test_an_unknown_engine_is_refused():
    with pytest.raises(ir.EngineError, match="unknown engine 'rete'; available: native, durable"):
        ir.evaluate(ir.load_carrier("examples/q6-maker-space.yaml"), engine="rete")
