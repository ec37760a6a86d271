"""An illustrative amendment of the shipped Wanzhou ruleset, for tests of dated values and diffs.

No such notice exists: the amendment raises the municipal incubator subsidy
from 500,000 to 800,000 yuan for accreditations from 2025-01-01.
"""

from pathlib import Path

from incubator_rules import load_ruleset

SHIPPED = Path(__file__).resolve().parent.parent / "rulesets" / "wanzhou-2023.yaml"

NOTICE = """  notice-2025:
    title_zh: 关于调整市级科技企业孵化器建设经费补助标准的通知(示例)
    title_en: Notice adjusting the municipal incubator construction subsidy (illustrative)
    issuer: 万州区科技局 (illustrative)
    issued: 2024-12-15
"""
CLAUSE = """  notice-2025-municipal-incubator:
    document: notice-2025
    section: 第一条 (illustrative)
    text: 自2025年1月1日起,新认定的市级科技企业孵化器建设经费补助调整为80万元。
"""
OLD_VALUES = "values: {national: 1000000, municipal: 500000, district: 200000}"
NEW_VALUES = """values:
          national: 1000000
          municipal:
            - {amount: 500000}
            - {from: 2025-01-01, amount: 800000, clause: notice-2025-municipal-incubator}
          district: 200000"""


def amended_text(version: str = "1.1.0") -> str:
    """The shipped ruleset text with the illustrative 2025 amendment."""
    text = SHIPPED.read_text(encoding="utf-8")
    for old, new in (
        (f'version: "{load_ruleset("wanzhou-2023").version}"', f'version: "{version}"'),
        ("\n\nplan_period:", "\n" + NOTICE + "\nplan_period:"),
        ("\n\n# Which carrier kinds", "\n" + CLAUSE + "\n# Which carrier kinds"),
        (OLD_VALUES, NEW_VALUES),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def write_amended(directory: Path, version: str = "1.1.0") -> Path:
    """Write the amended ruleset as ``wanzhou-2023-amended.yaml`` in ``directory``."""
    path = directory / "wanzhou-2023-amended.yaml"
    path.write_text(amended_text(version), encoding="utf-8")
    return path
