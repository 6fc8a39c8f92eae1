"""`podium-fake-agent --satisfy`: from a sheet's checks to files that pass them, judged by
Podium's own file checks (`podium.runtime.checks.files`), with a snapshot taken before the
agent ran, as the conductor takes it."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from podium.domain.checklist import CHECKS_FILE_ENV, checklist
from podium.domain.validation import ValidationKind, ValidationRule
from podium.runtime.checks.files import check_file, read_snapshot, take_snapshot
from podium.testing.fake_agent.regex_text import NoText, found, text_for
from podium.testing.fake_agent.satisfy import MADE, plan, read_text, satisfy

K = ValidationKind


def exists(path: str) -> ValidationRule:
    return ValidationRule(K.FILE_EXISTS, path=path)


def modified(path: str) -> ValidationRule:
    return ValidationRule(K.FILE_MODIFIED, path=path)


def contains(path: str, text: str) -> ValidationRule:
    return ValidationRule(K.CONTENT_CONTAINS, path=path, pattern=text)


def matches(path: str, pattern: str) -> ValidationRule:
    return ValidationRule(K.CONTENT_REGEX, path=path, pattern=pattern)


def command(text: str) -> ValidationRule:
    return ValidationRule(K.COMMAND_SUCCEEDS, command=text)


@dataclass(frozen=True)
class Case:
    rules: tuple[ValidationRule, ...]
    before: tuple[tuple[str, str], ...] = ()
    """Files already in the workspace: (name, text)."""


CASES = {
    "a missing file is made": Case((exists("out/a.md"),)),
    "an existing file is left as it is": Case((exists("a.md"),), (("a.md", "mine\n"),)),
    "a new file counts as modified": Case((modified("new.md"),)),
    "an existing file is changed": Case((modified("a.md"),), (("a.md", "mine"),)),
    "a text is written": Case((contains("a.md", "DONE"),)),
    "a pattern finds its text": Case((matches("a.md", r"\d{3}-\d{4}"),)),
    "a heading and a marker in one file": Case(
        (exists("r.md"), contains("r.md", "DONE"), matches("r.md", "^# Report"))
    ),
    "a pattern that must see the whole file holds the other texts": Case(
        (matches("r.md", r"(?s)\A# Title\n.*\Z"), contains("r.md", "SHEET_COMPLETE"))
    ),
    "two patterns and two texts, modified": Case(
        (
            modified("r.md"),
            matches("r.md", r"(?m)^## Summary\s*$"),
            matches("r.md", r"score:\s*(0\.\d+|1\.0)"),
            contains("r.md", "alpha"),
            contains("r.md", "beta"),
        ),
        (("r.md", "old"),),
    ),
    "what a file holds is kept when it can be": Case(
        (contains("log.md", "sheet 2"),), (("log.md", "sheet 1\n"),)
    ),
    "checks of several files": Case(
        (
            contains("a/one.md", "ONE"),
            matches("b/two.yaml", r"^status: (PROCEED|CONVERGED)$"),
            exists("c/three.txt"),
        )
    ),
    "a text of another script": Case((contains("a.md", "Réponse — ✓"),)),
    "a pattern that needs more than ASCII": Case((matches("a.md", "é+"),)),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_files_written_pass_podiums_own_checks(case: Case, tmp_path: Path) -> None:
    for name, text in case.before:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    rules = [absolute(rule, tmp_path) for rule in case.rules]
    snapshot = tmp_path / "snapshot.json"
    take_snapshot(rules, snapshot)
    _, planned = satisfy(rules, tmp_path)
    assert planned.unmet == []
    failed = [
        r for r in (check_file(rule, read_snapshot(snapshot)) for rule in rules) if not r.passed
    ]
    assert failed == []


def absolute(rule: ValidationRule, folder: Path) -> ValidationRule:
    assert rule.path is not None
    return ValidationRule(rule.kind, path=str(folder / rule.path), pattern=rule.pattern)


def test_what_holds_already_is_not_written_again(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Report\nDONE\n")
    planned = plan(
        [contains("a.md", "DONE"), matches("a.md", "^# ")], tmp_path, read_text, text_for
    )
    assert planned.writes == {}


def test_a_grounding_file_is_left_alone_and_not_reported(tmp_path: Path) -> None:
    grounding = ValidationRule(K.FILE_CHECKSUM, path="ref.csv", pattern="ab12")
    planned = plan([grounding, exists("out.md")], tmp_path, read_text, text_for)
    assert list(planned.writes) == [tmp_path / "out.md"]
    assert planned.unmet == []


def test_the_texts_come_out_a_line_each_patterns_first(tmp_path: Path) -> None:
    planned = plan(
        [contains("r.md", "DONE"), matches("r.md", "^# Report"), exists("r.md")],
        tmp_path,
        read_text,
        text_for,
    )
    assert planned.writes == {tmp_path / "r.md": "# Report\nDONE\n"}


def test_the_same_checks_give_the_same_text_every_time(tmp_path: Path) -> None:
    pattern = r"[A-Z][a-z]+ (is|are) \w+\.$"
    assert {text_for(pattern) for _ in range(3)} == {text_for(pattern)}
    assert found(pattern, text_for(pattern))


def test_a_command_check_is_left_unmet_and_said_why(tmp_path: Path) -> None:
    planned = plan([command("pytest -q"), exists("a")], tmp_path, read_text, text_for)
    assert [(u.rule.kind, u.reason) for u in planned.unmet] == [
        (K.COMMAND_SUCCEEDS, "the fake agent writes files; it runs no command")
    ]
    assert planned.writes == {tmp_path / "a": MADE}


@pytest.mark.parametrize(
    ("rules", "reason"),
    [
        ([matches("a.md", r"\p{L}+")], "Python's re cannot read the pattern"),
        ([matches("a.md", r"x(?=y)z")], "hypothesis found no text for it"),
        (
            [contains("a.md", "TODO"), matches("a.md", r"(?s)\A(?!.*TODO).*\Z")],
            "no arrangement of the file's texts passes it",
        ),
    ],
    ids=["a pattern re cannot read", "an impossible pattern", "checks that contradict"],
)
def test_checks_that_cannot_be_satisfied_are_unmet_with_the_reason(
    rules: list[ValidationRule], reason: str, tmp_path: Path
) -> None:
    planned = plan(rules, tmp_path, read_text, text_for)
    assert planned.unmet
    assert all(reason in u.reason for u in planned.unmet)


def test_a_folder_where_a_file_is_wanted_is_unmet(tmp_path: Path) -> None:
    (tmp_path / "a.md").mkdir()
    planned = plan([contains("a.md", "x")], tmp_path, read_text, text_for)
    assert [u.reason for u in planned.unmet] == [f"cannot read {tmp_path / 'a.md'}: it is a folder"]


def test_a_file_that_cannot_be_written_is_unmet(tmp_path: Path) -> None:
    # A link to a folder that is not there: nothing to read, and nowhere to write.
    (tmp_path / "a.md").symlink_to(tmp_path / "gone" / "a.md")
    _, planned = satisfy([exists("a.md"), contains("a.md", "x")], tmp_path)
    assert len(planned.unmet) == 2
    assert all("cannot write" in u.reason for u in planned.unmet)


def test_no_text_is_raised_for_an_unreadable_pattern() -> None:
    with pytest.raises(NoText, match="cannot read the pattern"):
        text_for("[")


# The command line, as the conductor runs it.


def run_agent(
    workspace: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    return subprocess.run(
        [sys.executable, "-m", "podium.testing.fake_agent", *args],
        input="Write the report.",
        cwd=workspace,
        env={**base, "XDG_CACHE_HOME": str(workspace.parent / "cache"), **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_satisfy_reads_the_checks_file_podium_names_and_says_what_it_cannot_do(
    tmp_path: Path,
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    rules = [
        contains(str(workspace / "r.md"), "DONE"),
        matches(str(workspace / "r.md"), "^# Report"),
        ValidationRule(K.COMMAND_SUCCEEDS, command="make test", description="tests pass"),
    ]
    checks = tmp_path / "checks.json"
    checks.write_text(json.dumps(checklist(rules)))
    done = run_agent(workspace, "--satisfy", "-p", "-", env={CHECKS_FILE_ENV: str(checks)})
    assert done.returncode == 0, done.stderr
    assert (workspace / "r.md").read_text() == "# Report\nDONE\n"
    assert f"Wrote {workspace / 'r.md'}" in done.stdout
    assert done.stderr == (
        "podium-fake-agent: cannot satisfy tests pass (command_succeeds make test): "
        "the fake agent writes files; it runs no command\n"
    )
    assert not (workspace / ".hypothesis").exists()
    assert (tmp_path / "cache" / "podium" / "hypothesis").is_dir()


def test_satisfy_takes_the_checks_file_from_the_command_line_too(tmp_path: Path) -> None:
    (tmp_path / "checks.json").write_text(json.dumps(checklist([exists("made.txt")])))
    done = run_agent(tmp_path, "--satisfy", "--checks", "checks.json")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "made.txt").read_text() == MADE
    calls = (tmp_path / ".fake-agent" / "calls.jsonl").read_text().splitlines()
    [call] = [json.loads(line) for line in calls]
    assert call["actions"] == ["satisfy"]


def test_satisfy_without_checks_writes_nothing(tmp_path: Path) -> None:
    done = run_agent(tmp_path, "--satisfy")
    assert done.returncode == 0, done.stderr
    assert "left the workspace as it was" in done.stdout


@pytest.mark.parametrize(
    ("args", "text", "says"),
    [
        (["--checks", "c.json"], None, "--checks goes with --satisfy"),
        (["--satisfy", "--checks", "c.json"], None, "cannot read the checks file"),
        (["--satisfy", "--checks", "c.json"], "{}", "is not usable: not a version 1"),
        (["--satisfy", "--checks", "c.json"], "{", "is not usable"),
    ],
)
def test_a_bad_checks_file_is_an_error_saying_what(
    args: list[str], text: str | None, says: str, tmp_path: Path
) -> None:
    if text is not None:
        (tmp_path / "c.json").write_text(text)
    done = run_agent(tmp_path, *args)
    assert done.returncode == 2
    assert says in done.stderr


def test_directives_still_apply_and_an_ending_one_skips_the_checks(tmp_path: Path) -> None:
    (tmp_path / "checks.json").write_text(json.dumps(checklist([exists("made.txt")])))
    done = subprocess.run(
        [sys.executable, "-m", "podium.testing.fake_agent", "--satisfy", "--checks", "checks.json"],
        input="FAKE-AGENT: rate-limit reset_in=5",
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    assert done.returncode == 1
    assert not (tmp_path / "made.txt").exists()
