"""Mutated files (issue 11): every load either succeeds or raises an IncubatorRulesError that says where.

A seeded mutator edits every kind of seed file the library reads (carrier
YAML and JSON, reward ruleset, the other policy files, portfolio with its CSV,
scenarios, case file, lock file) and loads the result. Any other exception,
or a library error without a file and line, fails the test and shows the
mutated text. ``FUZZ_MUTATIONS`` (per seed, default 250: 3,000 in all) and ``FUZZ_SEED``
make longer runs; docs/reliability.md says how.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest

import incubator_rules as ir
from incubator_rules.documents import read_document
from incubator_rules.files.ruleset import ruleset_from_document
from incubator_rules.tools.versions import read_lock

ROOT = Path(__file__).resolve().parent.parent
MUTATIONS = int(os.environ.get("FUZZ_MUTATIONS", "250"))
SEED = int(os.environ.get("FUZZ_SEED", "11"))

# What attackers type: YAML 1.1 forms, tags, anchors, escapes, control characters, huge numbers, odd dates, structure.
TOKENS = [
    "0777", "3:20:00", "190:20:30.15", "1_000", "0b101", "0o17", "0x1F", "yes", "No", "on", "~", "null", "1e3", ".inf",
    "!!timestamp 'not a date'", "!!bool maybe", "!!int x", "!!python/object/apply:os.system ['true']", "!foo", "!!str",
    "&a", "*a", "*undefined", "<<: *a", '"\\ud800"', '"\\udfff"', '"\\e[31m"', '"\\a"', '"\\0"', '"\\x1b"', "\\u0000",
    "\x00", "\x1b[31m", "\x07", "\t", "\r", "\x85", "\u2028", "\ufeff", "9" * 400, "-" + "9" * 60, "1e999999999",
    "-1", "2023-W41-2", "2023-02-30", "2023-10-10T10:00:00", "99999-01-01", "{", "}", "[", "]", ",", ":", ": ", "- ",
    "#", "'", '"', "\\", "\n", "\n  ", "  ", "---\n", "...\n", "? ", "|", ">", "%YAML 1.1\n---\n", "[" * 200,
    "{a: 1, a: 2}", "NaN", "Infinity", "城", "👍", "../../../etc/passwd", "/dev/zero", "a" * 300, "''", '""',
]


def mutate(text: str, rng: random.Random) -> str:
    """One to three random edits of ``text``."""
    for _ in range(rng.randint(1, 3)):
        lines = text.split("\n")
        op = rng.randrange(9)
        at = rng.randrange(len(text) + 1)
        token = rng.choice(TOKENS)
        if op == 0:
            text = text[:at] + token + text[at:]
        elif op == 1:
            text = text[:at] + token + text[at + rng.randint(1, 8):]
        elif op == 2:
            text = text[:at] + text[at + rng.randint(1, 20):]
        elif op == 3 and lines:
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        elif op == 4 and lines:
            del lines[rng.randrange(len(lines))]
            text = "\n".join(lines)
        elif op == 5 and lines:  # a value replaced
            i = rng.randrange(len(lines))
            key, sep, _ = lines[i].partition(": ")
            lines[i] = key + (sep or ": ") + token
            text = "\n".join(lines)
        elif op == 6 and len(lines) > 1:
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif op == 7 and lines:
            i = rng.randrange(len(lines))
            lines[i] = " " * rng.choice([1, 2, 3, 4, 8]) + lines[i] if rng.random() < 0.5 else lines[i].lstrip()
            text = "\n".join(lines)
        else:
            text = text[:at]
    return text


HOSTILE_VALUES: list[Any] = ["\ud800", "\x1b[31m", "\x00", "", " ", 10**400, -1, 1.5, True, None, [], {}, "2023-W41-2",
                             "0777", [[[[[[[[]]]]]]]], {"a": {"b": {"c": {}}}}, "x" * 5000]


def mutate_json(text: str, rng: random.Random) -> str:
    """A structural edit: a value of the parsed JSON replaced by a hostile one (else a text edit)."""
    try:
        data = json.loads(text)
    except ValueError:
        return mutate(text, rng)
    if rng.random() < 0.4:
        return mutate(text, rng)
    node: Any = data
    for _ in range(rng.randint(1, 6)):
        if isinstance(node, dict) and node:
            key = rng.choice(list(node))
            if not isinstance(node[key], (dict, list)) or rng.random() < 0.3:
                node[key] = rng.choice(HOSTILE_VALUES)
                break
            node = node[key]
        elif isinstance(node, list) and node:
            i = rng.randrange(len(node))
            if not isinstance(node[i], (dict, list)) or rng.random() < 0.3:
                node[i] = rng.choice(HOSTILE_VALUES)
                break
            node = node[i]
        else:
            break
    indent = rng.choice([None, 2, "\t"])
    return json.dumps(data, ensure_ascii=rng.random() < 0.5, indent=indent)


def load_ruleset_file(path: Path) -> Any:
    return ruleset_from_document(read_document(path))  # not load_ruleset: its cache keys on path and time


SEEDS: list[tuple[str, str, Callable[[Path], Any], Callable[[str, random.Random], str]]] = [
    ("carrier-yaml", "examples/q6-maker-space.yaml", ir.load_carrier, mutate),
    ("carrier-yaml-2", "examples/incubator-ladder.yaml", ir.load_carrier, mutate),
    ("carrier-json", "examples/star-space-rectified.json", ir.load_carrier, mutate_json),
    ("ruleset", "rulesets/wanzhou-2023.yaml", load_ruleset_file, mutate),
    ("targets", "rulesets/wanzhou-2023-targets.yaml", ir.load_targets, mutate),
    ("management", "rulesets/chongqing-dynamic-management.yaml", ir.load_management, mutate),
    ("criteria", "rulesets/upgrade-criteria.yaml", ir.load_criteria, mutate),
    ("portfolio", "examples/wanzhou-portfolio.yaml", ir.load_portfolio, mutate),
    ("snapshots-csv", "examples/wanzhou-snapshots.csv", None, mutate),  # type: ignore[list-item]
    ("scenarios", "examples/what-if-scenarios.yaml", ir.load_scenarios, mutate),
    ("case", "tests/cases/q6-worked-example.yaml", ir.load_cases, mutate),
    ("lock", "rulesets/versions.lock", read_lock, mutate),
]


def check_one(load: Callable[[Path], Any], path: Path, shown: Path) -> None:
    try:
        load(path)
    except ir.IncubatorRulesError as exc:
        if exc.file is None or exc.line is None:
            raise AssertionError(f"{type(exc).__name__} without a file and line: {exc}\n"
                                 f"mutated file:\n{shown.read_text(encoding='utf-8', errors='replace')[:3000]}") from None


@pytest.mark.parametrize("name, seed, load, mutator", SEEDS, ids=[s[0] for s in SEEDS])
def test_every_mutation_loads_or_is_refused_with_its_place(tmp_path, name, seed, load, mutator):
    rng = random.Random(f"{SEED}-{name}")
    source = ROOT / seed
    original = source.read_text(encoding="utf-8")
    suffix = source.suffix
    if name == "snapshots-csv":  # the CSV goes through the portfolio that names it
        portfolio = tmp_path / "wanzhou-portfolio.yaml"
        shutil.copy(ROOT / "examples" / "wanzhou-portfolio.yaml", portfolio)
        target, load = tmp_path / "wanzhou-snapshots.csv", ir.load_portfolio
        for _ in range(MUTATIONS):
            target.write_text(mutator(original, rng), encoding="utf-8", errors="surrogatepass")
            check_one(load, portfolio, target)
        return
    if name == "case":
        (tmp_path / "examples").mkdir()
        shutil.copy(ROOT / "examples" / "q6-maker-space.yaml", tmp_path / "examples")
        folder = tmp_path / "tests" / "cases"
        folder.mkdir(parents=True)
    elif name == "portfolio":
        folder = tmp_path
        shutil.copy(ROOT / "examples" / "wanzhou-snapshots.csv", folder)
    else:
        folder = tmp_path
    target = folder / f"mutated{suffix}"
    for _ in range(MUTATIONS):
        target.write_text(mutator(original, rng), encoding="utf-8", errors="surrogatepass")
        check_one(load, target, target)
