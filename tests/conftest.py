"""Shared test set-up: run from the repository root so example paths resolve."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def _durable_importable() -> bool:
    try:
        import durable.engine  # noqa: F401
    except ImportError:
        return False
    return True


ENGINES = [
    "native",
    pytest.param("durable", marks=pytest.mark.skipif(
        not _durable_importable(), reason="durable-rules is not installed (pip install -e '.[test,durable]')")),
]


@pytest.fixture(params=ENGINES)
def engine(request):
    """Every policy test runs on each engine that must agree."""
    return request.param


# Case files under tests/cases/ run as tests (see docs/maintainers.md).
pytest_plugins = ["incubator_rules.pytest_plugin"]
