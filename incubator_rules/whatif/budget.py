"""Budgets: what a portfolio's evaluations pay, year by year, by rule, area, carrier kind and level."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import attrs

from ..errors import IncubatorRulesError
from ..model.decision import Decision, Evaluation, Totals
from ..model.display import renderer

if TYPE_CHECKING:
    from ..model.carrier import Carrier

# The fields a budget line can be grouped by.
FIELDS = ("year", "rule", "area", "kind", "level", "status")

LineKey = tuple[Any, ...]  # (year, rule, area, kind, level, status)


@attrs.frozen
class BudgetLine:
    """The amount payable in one year under one rule, for one area, carrier kind, level and status.

    ``status`` is awarded (payable on or before the as-of date) or pending
    (payable later if operation stays normal). ``decisions`` counts the
    decisions summed into ``amount`` (whole yuan).
    """

    year: int
    rule: str
    area: str | None
    kind: str
    level: str | None
    status: str
    amount: int
    decisions: int

    def get(self, name: str) -> Any:
        """The value of one of ``FIELDS``."""
        return getattr(self, name)


class Tally:
    """Adds evaluations up into budget lines (``key -> [amount, decisions]``)."""

    def __init__(self) -> None:
        self.lines: dict[LineKey, list[int]] = defaultdict(lambda: [0, 0])

    def add(self, ev: Evaluation | Totals, area: str | None) -> tuple[int, int]:
        """Add one evaluation of a carrier in ``area``; returns its (awarded, pending) totals."""
        return self.add_paid(ev.awards, ev.pending, area)

    def add_paid(self, awards: Sequence[Decision], pending: Sequence[Decision], area: str | None) -> tuple[int, int]:
        """Add one evaluation's awarded and pending decisions, of a carrier in ``area``; returns their totals."""
        return (self._add(awards, area, "awarded") if awards else 0), (self._add(pending, area, "pending") if pending else 0)

    def _add(self, decisions: Sequence[Decision], area: str | None, status: str) -> int:
        lines = self.lines
        total = 0
        for d in decisions:
            day, kind, level, amount = d.payable_on, d.kind, d.level, d.amount
            line = lines[(None if day is None else day.year, d.rule, area, kind._value_ if kind else "",
                          None if level is None else level._value_, status)]
            line[0] += amount
            line[1] += 1
            total += amount
        return total

    def merge(self, lines: Mapping[LineKey, list[int]]) -> None:
        """Add lines tallied elsewhere (in a worker)."""
        for key, (amount, count) in lines.items():
            line = self.lines[key]
            line[0] += amount
            line[1] += count

    def budget(self, name: str, as_of: datetime.date, ruleset_id: str, ruleset_version: str) -> "Budget":
        """The tallied lines as a Budget."""
        lines = tuple(
            BudgetLine(*key, amount, count)  # type: ignore[misc]
            for key, (amount, count) in sorted(self.lines.items(), key=_line_order)
        )
        return Budget(name, as_of, ruleset_id, ruleset_version, lines)


def _sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """The order of budget lines and of groups of them: by each field in turn, an empty one (None) first.

    A field holds None or values of one type (``_line_order`` relies on it), so
    each value is compared only with values of its own type.
    """
    out: list[Any] = []
    for v in key:
        out += (v is not None, v)
    return tuple(out)


def _line_order(item: tuple[LineKey, list[int]]) -> tuple[Any, ...]:
    """``_sort_key`` of a line's key, written out for its six fields."""
    (year, rule, area, kind, level, status), _ = item
    return (year is not None, year, rule is not None, rule, area is not None, area, kind is not None, kind,
            level is not None, level, status is not None, status)


@attrs.frozen
class Budget:
    """Payable amounts of one scenario over a portfolio, as budget lines.

    The total is exactly the sum of the evaluations' awarded and pending
    totals; ``by`` regroups the lines.
    """

    name: str
    as_of: datetime.date
    ruleset_id: str
    ruleset_version: str
    lines: tuple[BudgetLine, ...] = ()

    @classmethod
    def of(
        cls, evaluations: Iterable[Evaluation], areas: Mapping[str, str | None] | None = None, *, name: str = "base"
    ) -> "Budget":
        """The budget of given evaluations; ``areas`` maps carrier ids to their areas."""
        tally = Tally()
        first: Evaluation | None = None
        for ev in evaluations:
            if first is None:
                first = ev
            elif (ev.as_of, ev.ruleset_sha256) != (first.as_of, first.ruleset_sha256):
                raise IncubatorRulesError(
                    "a budget adds up evaluations of one ruleset as of one date; "
                    f"{ev.carrier_id} differs from {first.carrier_id}", field="evaluations",
                )
            tally.add(ev, (areas or {}).get(ev.carrier_id))
        if first is None:
            raise IncubatorRulesError("no evaluations to budget", field="evaluations")
        return tally.budget(name, first.as_of, first.ruleset_id, first.ruleset_version)

    @property
    def total(self) -> int:
        """Everything payable, awarded and pending, in yuan."""
        return sum(line.amount for line in self.lines)

    @property
    def awarded(self) -> int:
        """What is payable on or before the as-of date, in yuan."""
        return sum(line.amount for line in self.lines if line.status == "awarded")

    @property
    def pending(self) -> int:
        """What becomes payable after the as-of date if operation stays normal, in yuan."""
        return sum(line.amount for line in self.lines if line.status == "pending")

    def by(self, *fields: str, status: str | None = None) -> dict[Any, int]:
        """Amounts grouped by one or more of ``FIELDS`` (a tuple key for several), in sorted order.

        ``status`` keeps only awarded or only pending lines.
        """
        if not fields:
            raise IncubatorRulesError(f"name at least one field to group by: {', '.join(FIELDS)}", field="fields")
        for f in fields:
            if f not in FIELDS:
                raise IncubatorRulesError(f"cannot group by {f!r}; expected one of: {', '.join(FIELDS)}", field="fields")
        out: dict[Any, int] = defaultdict(int)
        for line in self.lines:
            if status is not None and line.status != status:
                continue
            key = tuple(line.get(f) for f in fields)
            out[key[0] if len(fields) == 1 else key] += line.amount
        return dict(sorted(out.items(), key=lambda kv: _sort_key(kv[0] if isinstance(kv[0], tuple) else (kv[0],))))

    def by_year(self) -> dict[int, int]:
        """Amount payable per calendar year."""
        return self.by("year")

    def to_frame(self) -> Any:
        """A pandas DataFrame of the budget lines (needs the ``notebook`` extra)."""
        return renderer("budget_frame")(self)

    def pivot(self, rows: str = "year", columns: str = "rule") -> Any:
        """A pandas table of amounts, ``rows`` by ``columns``, with totals (needs the ``notebook`` extra)."""
        return renderer("budget_pivot")(self, rows, columns)

    def chart(self, by: str = "rule", ax: Any = None, title: str | None = None) -> Any:
        """A matplotlib bar chart of the amount payable per year, stacked by ``by`` (needs the ``notebook`` extra)."""
        return renderer("budget_chart")([self], by=by, ax=ax, title=title)

    def _repr_html_(self) -> str:
        return renderer("budget_html")(self)


def carriers_areas(carriers: Iterable["Carrier"]) -> dict[str, str | None]:
    """Carrier id to area, for ``Budget.of``."""
    return {c.id: c.area for c in carriers}
