"""`--satisfy`: do what a sheet's checks ask, file by file.

The checks come from the attempt's checks file (see `podium.domain.checklist`), never from the
prompt's prose. For each file the checks name, in the order they name it:

- `file_exists`: the file is made when missing (one line saying who wrote it);
- `file_modified`: the file is written (made, or a line added), so that it changes;
- `content_contains`: the text is written in it;
- `content_regex`: a text the pattern finds is written in it (`regex_text`).

All the content checks of one file must hold at once, so the texts are put together and the
whole is checked again as Podium will check it: what the file already holds, followed by the
texts a line each; the texts alone; then, for a pattern that must see the whole file (`\\A…\\Z`),
the other texts placed inside the text made for it. The first arrangement that passes every
check is written. `command_succeeds` cannot be satisfied by writing files: such checks, and any
that no arrangement passes, are given back as unmet, with the reason.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from podium.domain.validation import ValidationKind, ValidationRule
from podium.testing.fake_agent.regex_text import NoText, found, text_for

MADE = "Written by podium-fake-agent --satisfy.\n"
CHANGED = "Changed by podium-fake-agent --satisfy.\n"


@dataclass(frozen=True, slots=True)
class Unmet:
    rule: ValidationRule
    reason: str


@dataclass(slots=True)
class Plan:
    """What to write, file by file (in order), and the checks left unmet."""

    writes: dict[Path, str] = field(default_factory=dict)
    unmet: list[Unmet] = field(default_factory=list)
    checks: dict[Path, list[ValidationRule]] = field(default_factory=dict)
    """The file checks, by the file they name."""


Reader = Callable[[Path], str | None]
"""A file's text; None when it does not exist. Raises OSError when it cannot be read."""

TextFor = Callable[[str], str]
"""A text a pattern finds; raises NoText."""


def plan(
    rules: Sequence[ValidationRule], cwd: Path, read: Reader, text_for_pattern: TextFor
) -> Plan:
    """What to write so that `rules` pass; relative paths are under `cwd`."""
    result = Plan()
    by_file = result.checks
    for rule in rules:
        if rule.kind is ValidationKind.FILE_CHECKSUM:
            continue  # grounding: a file the sheet must leave as it is, so it is left alone
        if not rule.kind.reads_a_file:
            result.unmet.append(Unmet(rule, "the fake agent writes files; it runs no command"))
            continue
        assert rule.path is not None
        by_file.setdefault(cwd / Path(rule.path).expanduser(), []).append(rule)
    for path, own in by_file.items():
        _plan_file(result, path, own, read, text_for_pattern)
    return result


def _plan_file(
    result: Plan, path: Path, rules: list[ValidationRule], read: Reader, text_for: TextFor
) -> None:
    try:
        existing = read(path)
    except OSError as exc:
        result.unmet += [Unmet(r, f"cannot read {path}: {exc.strerror or exc}") for r in rules]
        return
    change = any(r.kind is ValidationKind.FILE_MODIFIED for r in rules)
    contents = [r for r in rules if r.kind in _CONTENT]
    if not contents:
        if existing is None:
            result.writes[path] = MADE
        elif change:
            result.writes[path] = _line_after(existing) + CHANGED
        return
    texts, unmet = _texts(contents, text_for)
    result.unmet += unmet
    wanted = [r for r in contents if r not in {u.rule for u in unmet}]
    chosen = _first_passing(_arrangements(existing, change, texts), wanted)
    if chosen is None:
        chosen = _line_after(existing or "") + "\n".join(texts) + "\n"
        result.unmet += [
            Unmet(r, "no arrangement of the file's texts passes it with the file's other checks")
            for r in wanted
            if not _holds(r, chosen)
        ]
    if chosen != existing or change:
        result.writes[path] = chosen


_CONTENT = (ValidationKind.CONTENT_CONTAINS, ValidationKind.CONTENT_REGEX)


def _texts(rules: list[ValidationRule], text_for: TextFor) -> tuple[list[str], list[Unmet]]:
    """The text each content check asks for: the patterns' texts first (a heading pattern
    comes out at the top), then the literal texts."""
    texts, unmet = [], []
    for rule in rules:
        if rule.kind is ValidationKind.CONTENT_REGEX:
            assert rule.pattern is not None
            try:
                texts.append(text_for(rule.pattern))
            except NoText as exc:
                unmet.append(Unmet(rule, f"no text found for the pattern: {exc}"))
    texts += [r.pattern or "" for r in rules if r.kind is ValidationKind.CONTENT_CONTAINS]
    return texts, unmet


def _arrangements(existing: str | None, change: bool, texts: list[str]) -> Iterator[str]:
    if existing is not None and not change:
        yield existing
    block = "\n".join(texts) + "\n"
    if existing:
        yield _line_after(existing) + block
    yield block
    yield "".join(texts)
    for i, outer in enumerate(texts):
        inner = "\n".join(texts[:i] + texts[i + 1 :])
        for at in range(len(outer) + 1):
            yield outer[:at] + inner + outer[at:]


def _first_passing(candidates: Iterator[str], rules: list[ValidationRule]) -> str | None:
    return next((text for text in candidates if all(_holds(r, text) for r in rules)), None)


def _holds(rule: ValidationRule, text: str) -> bool:
    assert rule.pattern is not None
    if rule.kind is ValidationKind.CONTENT_CONTAINS:
        return rule.pattern in text
    return found(rule.pattern, text)


def _line_after(text: str) -> str:
    """`text`, ended by a newline if it has any text."""
    return text if not text or text.endswith("\n") else text + "\n"


def read_text(path: Path) -> str | None:
    """The `Reader` of real files."""
    if path.is_dir():
        raise IsADirectoryError(21, "it is a folder", str(path))
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None


def write(planned: Plan) -> list[str]:
    """Write the planned files (making their folders): a line for each, for the reply. A file
    that cannot be written leaves its checks unmet."""
    done = []
    for path, text in planned.writes.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            reason = f"cannot write {path}: {exc.strerror or exc}"
            planned.unmet += [Unmet(rule, reason) for rule in planned.checks[path]]
            continue
        done.append(f"Wrote {path} ({len(text)} characters) for its checks.")
    return done


def satisfy(rules: Sequence[ValidationRule], cwd: Path) -> tuple[list[str], Plan]:
    """Plan and write: the lines of the reply, and the plan with its unmet checks."""
    planned = plan(rules, cwd, read_text, text_for)
    return write(planned), planned
