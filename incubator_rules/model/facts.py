"""The vocabulary of facts: what a carrier and its fact events can record, with types and units.

One registry, ``CARRIER_FACTS`` for static facts on a carrier and
``EVENT_FACTS`` for the fields each event type carries beyond the common
ones; the carrier reader checks against it, rulesets may name only facts
declared here, and the carrier schema is generated from it.

A carrier fact declared ``dated`` may change over time: the carrier records
it as ``[{from: 2020-01-01, value: 800}, {from: 2022-07-01, value: 1200}]``
and each rule reads it as of the event or the month it applies to.
"""

from __future__ import annotations

import datetime
import difflib
import enum
from decimal import Decimal
from typing import Any, Mapping

import attrs


__all__ = [
    "CARRIER_FACTS",
    "EVENT_FACTS",
    "Dated",
    "FACT_TYPES",
    "FactSpec",
    "all_fact_names",
    "did_you_mean",
    "fact_json",
]

# The value types a fact can have.
# ``price``: an exact amount of yuan per unit (12.5 yuan per m2 per month), which may have a fraction; what a
# rule pays from it is rounded to whole yuan once, by the rule's named rounding.
FACT_TYPES = ("text", "bool", "date", "yuan", "price", "number", "level")


@attrs.frozen
class FactSpec:
    """One fact: its value type, its unit (None when it has none), its labels, whether an event must carry it,
    and whether a carrier may record it as values from dates (``dated``)."""

    type: str
    unit: str | None
    zh: str
    en: str
    required: bool = False
    dated: bool = False


def _f(type_: str, unit: str | None, zh: str, en: str, required: bool = False, dated: bool = False) -> FactSpec:
    return FactSpec(type_, unit, zh, en, required, dated)


@attrs.frozen
class Dated:
    """A carrier fact that changes over time: ``(from, value)`` pairs, earliest first; nothing before the first."""

    values: tuple[tuple[datetime.date, Any], ...]

    def on(self, day: datetime.date) -> Any:
        """The value in force on ``day`` (the latest from on or before it), or None before the first."""
        found = None
        for start, value in self.values:
            if start > day:
                break
            found = value
        return found

    @property
    def latest(self) -> Any:
        """The value from the latest date."""
        return self.values[-1][1]


CARRIER_FACTS: Mapping[str, FactSpec] = {
    "floor_area_m2": _f("number", "m2", "场地面积", "floor area", dated=True),
    "accredited_area_m2": _f("number", "m2", "认定面积", "accredited area", dated=True),
    "rent_per_m2_month": _f("price", "yuan/m2/month", "租金单价", "rent per m2 per month", dated=True),
    "operator_type": _f("text", None, "运营主体类型", "operator type", dated=True),
    "built_by": _f("text", None, "建设主体", "who built the carrier", dated=True),
    "park_level": _f("level", None, "园区级别", "level of the park", dated=True),
    "completed_on": _f("date", None, "建成日期", "completion date"),
    "approved_on": _f("date", None, "批复日期", "date of official approval"),
}

_TENANT = {
    "firm": _f("text", None, "企业", "firm", True),
    "from": _f("date", None, "起租日期", "tenancy start", True),
    "to": _f("date", None, "止租日期", "tenancy end (exclusive)", True),
    "area_m2": _f("number", "m2", "租用面积", "rented area", True),
    "persons": _f("number", "persons", "人数", "persons"),
    "tech_firm": _f("bool", None, "科技企业", "technology firm"),
    "strategic_emerging": _f("bool", None, "战略性新兴产业企业", "strategic emerging industry firm"),
    "paid_in_capital_yuan": _f("yuan", "yuan", "实缴注册资本", "paid-in capital"),
    "rent_per_m2_month": _f("price", "yuan/m2/month", "租金单价", "rent per m2 per month"),
}

# Fields an event type (by its value) carries beyond id, type, date, level, kind, year, grade, amount, document, note.
EVENT_FACTS: Mapping[str, Mapping[str, FactSpec]] = {
    "title_awarded": {"title": _f("text", None, "称号", "title", True)},
    "designated": {"designation": _f("text", None, "认定类别", "designation", True)},
    "firm_introduced": {
        "firm": _f("text", None, "企业", "firm", True),
        "annual_sales_yuan": _f("yuan", "yuan", "年产值销售", "annual sales"),
    },
    "firm_certified": {
        "firm": _f("text", None, "企业", "firm", True),
        "certification": _f("text", None, "认定类别", "certification", True),
    },
    "tenancy": _TENANT,
    "spending": {
        "category": _f("text", None, "支出类别", "category", True),
        "recognised": _f("bool", None, "经认定", "recognised by the competent bureau"),
    },
    "investment": {"category": _f("text", None, "投资类别", "category", True)},
    "task_result": {
        "task": _f("text", None, "任务", "task", True),
        "result": _f("text", None, "结果", "result"),
    },
    "withdrawn": {  # 收回牌匾, 撤销称号: one designation or title ends, not the carrier's other titles
        "designation": _f("text", None, "收回的认定类别", "designation withdrawn"),
        "title": _f("text", None, "撤销的称号", "title withdrawn"),
        "reason": _f("text", None, "原因", "reason"),
    },
    "delisted": {"reason": _f("text", None, "原因", "reason")},
}


def all_fact_names() -> frozenset[str]:
    """Every fact name a carrier or an event can carry."""
    names = set(CARRIER_FACTS)
    for fields in EVENT_FACTS.values():
        names.update(fields)
    return frozenset(names)


def did_you_mean(name: str, known: Any) -> str:
    """`` (did you mean 'x'?)`` for the closest known name, or ``""``."""
    close = difflib.get_close_matches(str(name), sorted(k for k in known if isinstance(k, str)), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def fact_json(value: Any, exact: bool = True) -> Any:
    """A fact value as plain data (a dated fact as its list of ``{from, value}``): dates as ISO text, enums as their
    values, and a Decimal as itself (``documents.dump_json`` writes it as the exact JSON number it was read from),
    or as its text when not ``exact`` (the form a carrier's digest is defined with)."""
    if isinstance(value, Dated):
        return [{"from": start.isoformat(), "value": fact_json(v, exact)} for start, v in value.values]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal) and not exact:
        return str(value)
    return value
