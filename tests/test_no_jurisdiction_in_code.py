"""No module of incubator_rules/ names a district, city or area in its code: jurisdiction lives in data.

Docstrings and comments may cite sources; string literals and identifiers may not name a place. The
places are read from the data: the shipped policy files' ids and jurisdictions, and the synthetic areas.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import incubator_rules as ir
from incubator_rules.files.types import DEFAULTS, shipped_files

PACKAGE = Path(ir.__file__).parent

# Places named in the shipped files, in pinyin and in Chinese, besides the ids and areas read below.
PLACES = {"wanzhou", "chongqing", "jiangbei", "wuhan", "wuchang", "jiangan", "xian", "hubei", "shaanxi",
          "万州", "重庆", "江北", "武汉", "武昌", "江岸", "西安", "湖北", "陕西", "渝东"}


def places() -> set[str]:
    found = set(PLACES) | set(DEFAULTS["synthetic"]["areas"])
    for _, path in shipped_files("reward"):  # the place each shipped ruleset is named after
        found.add(path.stem.split("-")[0].lower())
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                ids.add(id(first.value))
    return ids


def named_places(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    skip = _docstrings(tree)
    names = places()
    pattern = re.compile("|".join(sorted(map(re.escape, names), key=len, reverse=True)), re.IGNORECASE)
    found = []
    for node in ast.walk(tree):
        texts: list[str] = []
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            texts.append(node.value)
        elif isinstance(node, ast.Name):
            texts.append(node.id)
        elif isinstance(node, ast.Attribute):
            texts.append(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            texts.append(node.name)
        elif isinstance(node, ast.arg):
            texts.append(node.arg)
        elif isinstance(node, ast.alias):
            texts.append(node.asname or node.name)
        for text in texts:
            # "xian" inside an English word is not the city: match pinyin only as a whole word
            for m in pattern.finditer(text):
                word = m.group(0)
                if word.isascii() and re.search(rf"[a-z]{re.escape(word)}|{re.escape(word)}[a-z]", text, re.IGNORECASE):
                    continue
                found.append((getattr(node, "lineno", 0), word))
    return found


def test_no_module_names_a_place_in_its_code():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, word in named_places(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {word}")
    assert offenders == []


def test_the_check_finds_a_place_in_a_literal_or_a_name_but_not_in_a_docstring():
    source = '"""Wanzhou\'s plan."""\nWANZHOU_AREAS = {"万州经开区": 1}\n# Wanzhou\nx = "chongqing-dynamic-management"\n'
    found = {w.lower() for _, w in named_places(source)}
    assert {"chongqing", "万州经开区"} <= found and "wanzhou" not in {w.lower() for _, w in named_places('"""Wanzhou."""')}


def test_the_defaults_come_from_the_data_file():
    assert ir.files.DEFAULT_RULESET == DEFAULTS["ruleset"]
    assert ir.load_ruleset().id == DEFAULTS["ruleset"]
