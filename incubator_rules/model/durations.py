"""Durations written in policy files (``{years, months, days}``) and calendar arithmetic with them.

"One year" is a calendar year (python-dateutil): a year from 2024-02-29 ends
on 2025-02-28.
"""

from __future__ import annotations

import datetime
from typing import Mapping

from dateutil.relativedelta import relativedelta

__all__ = ["UNITS", "after", "period"]

# The units a duration may be written in, in the order they are shown.
UNITS = ("years", "months", "days")


def period(spec: Mapping[str, int]) -> relativedelta:
    """A ``{years, months, days}`` mapping as a calendar period."""
    return relativedelta(years=spec.get("years", 0), months=spec.get("months", 0), days=spec.get("days", 0))


def after(day: datetime.date, spec: Mapping[str, int]) -> datetime.date | None:
    """``day`` plus a ``{years, months, days}`` period; None when that falls beyond the calendar (after 9999-12-31)."""
    try:
        return day + period(spec)
    except (ValueError, OverflowError):
        return None
