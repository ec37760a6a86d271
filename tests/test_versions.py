"""rulesets/versions.lock: a released version names its content for good."""

import subprocess
import sys

import pytest

from incubator_rules import DocumentError, RulesetError, load_ruleset
from incubator_rules.tools.check import check_file
from incubator_rules.views.cli import main
from incubator_rules.tools.versions import read_lock, record_release

from amendments import write_amended

HASH_A, HASH_B = "a" * 64, "b" * 64


def test_record_and_read_releases(tmp_path):
    lock = tmp_path / "versions.lock"
    assert read_lock(lock) == {}
    assert record_release("r", "1.0.0", HASH_A, lock) is True
    assert record_release("r", "1.0.0", HASH_A, lock) is False  # already there
    assert record_release("r", "1.1.0", HASH_B, lock) is True
    assert {key: r.sha256 for key, r in read_lock(lock).items()} == {("r", "1.0.0"): HASH_A, ("r", "1.1.0"): HASH_B}
    assert lock.read_text().startswith("# Released ruleset versions")
    with pytest.raises(RulesetError, match="r 1.0.0 was released with sha256 aaaaaaaaaaaa... \\(line 3\\); declare a new version"):
        record_release("r", "1.0.0", HASH_B, lock)


@pytest.mark.parametrize("text, line, message", [
    ("r 1.0.0\n", 1, "expected 'RULESET-ID VERSION SHA256'"),
    ("# comment\nr 1.0.0 xyz\n", 2, "64 hex digits"),
    (f"r 1.0.0 {HASH_A}\nr 1.0.0 {HASH_B}\n", 2, "recorded twice with different hashes (also line 1)"),
])
def test_a_malformed_lock_is_a_document_error_with_its_line(tmp_path, text, line, message):
    lock = tmp_path / "versions.lock"
    lock.write_text(text)
    with pytest.raises(DocumentError) as err:
        read_lock(lock)
    assert err.value.line == line and message in err.value.message


def test_lock_command_records_beside_the_ruleset_and_check_then_enforces_it(tmp_path, capsys):
    draft = write_amended(tmp_path, version="1.1.0")
    assert main(["lock", str(draft)]) == 0
    sha = load_ruleset(draft).sha256
    assert f"recorded wanzhou-2023 1.1.0 sha256:{sha[:12]}" in capsys.readouterr().out
    assert read_lock(tmp_path / "versions.lock")[("wanzhou-2023", "1.1.0")].sha256 == sha
    assert main(["lock", str(draft)]) == 0
    assert "already recorded" in capsys.readouterr().out
    # a later edit without a new version is refused, by check and by lock
    draft.write_text(draft.read_text(encoding="utf-8").replace("amount: 800000", "amount: 900000"), encoding="utf-8")
    assert [p.field for p in check_file(draft).problems] == ["version"]
    assert main(["check", str(draft)]) == 1
    assert main(["lock", str(draft)]) == 2
    assert "declare a new version" in capsys.readouterr().err


def test_check_can_be_given_another_lock(tmp_path):
    draft = write_amended(tmp_path, version="2.0.0")  # the shipped version number, other content
    assert [p.field for p in check_file(draft).problems] == ["version"]  # the shipped lock applies
    empty = tmp_path / "empty.lock"
    empty.write_text("")
    assert check_file(draft, lock=empty).problems == ()
    assert main(["check", "--lock", str(empty), str(draft)]) == 0


def test_releases_recorded_at_the_same_time_by_several_processes_are_all_kept(tmp_path):
    lock = tmp_path / "versions.lock"
    script = (
        "import sys\n"
        "from incubator_rules.tools.versions import record_release\n"
        "for i in range(15):\n"
        "    record_release(f'policy-{sys.argv[1]}', f'1.0.{i}', sys.argv[1] * 64, sys.argv[2])\n"
    )
    writers = [subprocess.Popen([sys.executable, "-c", script, str(n), str(lock)]) for n in range(6)]
    assert [w.wait(timeout=120) for w in writers] == [0] * 6
    releases = read_lock(lock)
    assert sorted(releases) == sorted((f"policy-{n}", f"1.0.{i}") for n in range(6) for i in range(15))
