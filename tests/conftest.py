"""Shared test set-up: run from the repository root so example paths resolve."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)


ENGINES = ["native"]


@pytest.fixture(params=ENGINES)
def engine(request):
    """Every policy test runs on each engine that must agree."""
    return request.param
