"""The pytest plugin that runs YAML test cases: ``pytest_plugins = ["incubator_rules.pytest_plugin"]``.

The plugin lives in ``incubator_rules.tools.pytest_plugin``; this module is
its stable entry point, the name users give pytest.
"""

from .tools.pytest_plugin import CaseFailed, CaseFile, CaseItem, pytest_addoption, pytest_collect_file

__all__ = ["CaseFailed", "CaseFile", "CaseItem", "pytest_addoption", "pytest_collect_file"]
