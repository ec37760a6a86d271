"""A pytest plugin that runs case files: each case in a YAML file under a ``cases`` directory is a test.

Enable it with ``pytest_plugins = ["incubator_rules.pytest_plugin"]`` in a
conftest.py, or ``pytest -p incubator_rules.pytest_plugin``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from ..engines.durable import load_durable
from ..engines.evaluation import ENGINES
from ..errors import EngineError
from .cases import Case, CaseResult, load_cases, run_case

CASES_DIR = "cases"


def pytest_addoption(parser: pytest.Parser) -> None:
    """``case_engines``: the engines every case runs on."""
    parser.addini(
        "case_engines", "engines that run each case (default: every engine in incubator_rules.engines.ENGINES)",
        type="linelist", default=[],
    )


def _engines(config: pytest.Config) -> list[str]:
    return list(config.getini("case_engines")) or list(ENGINES)


def _unavailable(engine: str) -> str | None:
    """Why an engine cannot run here (its library is not installed), or None."""
    if engine != "durable":
        return None
    try:
        load_durable()
    except EngineError as exc:
        return exc.message
    return None


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    """Collect ``*.yaml`` and ``*.yml`` files inside a directory named ``cases``."""
    if file_path.suffix in (".yaml", ".yml") and CASES_DIR in file_path.parent.parts:
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFailed(Exception):
    """A case's evaluation differed from what it expected."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.case.name)
        self.result = result


class CaseFile(pytest.File):
    """A case file; its cases are the test items."""

    def collect(self) -> Iterator[pytest.Item]:
        engines = _engines(self.config)
        missing = {engine: _unavailable(engine) for engine in engines}
        for case in load_cases(self.path):
            for engine in engines:
                name = case.name if len(engines) == 1 else f"{case.name} [{engine}]"
                item = CaseItem.from_parent(self, name=name, case=case, engine=engine)
                if missing[engine]:
                    item.add_marker(pytest.mark.skip(reason=f"engine {engine}: {missing[engine]}"))
                yield item


class CaseItem(pytest.Item):
    """One case of a case file."""

    def __init__(self, *, case: Case, engine: str = "native", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.engine = engine

    def runtest(self) -> None:
        result = run_case(self.case, self.engine)
        if not result.passed:
            raise CaseFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            lines = [f"case {self.case.name!r} ({self.case.location}) as of {self.case.as_of}, engine {self.engine}:"]
            lines += [f"  {line}" for line in excinfo.value.result.differences]
            return "\n".join(lines)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, (self.case.line or 1) - 1, f"case: {self.case.name}"
