"""Every relative link of README.md and docs/*.md leads to a file of the repository (and to a
heading of it, when it names one): a clone has nothing beside it to link to."""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
FENCED = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE = re.compile(r"`[^`\n]*`")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def links(text: str) -> list[str]:
    """The link targets of a markdown text, outside code."""
    prose = CODE.sub("", FENCED.sub("", text))
    return LINK.findall(prose) + REFERENCE.findall(prose)


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives the text's headings."""
    found = set()
    for heading in re.findall(r"^#+\s+(.+?)\s*#*$", FENCED.sub("", text), re.MULTILINE):
        words = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower())
        found.add(words.replace(" ", "-"))
    return found


def problems(path: Path, text: str) -> list[str]:
    """What is wrong with the links of `text`, the document at `path`."""
    found = []
    for target in links(text):
        if EXTERNAL.match(target):
            continue
        file, _, anchor = target.partition("#")
        goal = (path.parent / file).resolve() if file else path
        name = goal.relative_to(REPO).as_posix() if goal.is_relative_to(REPO) else None
        if name is None:
            found.append(f"{target}: leaves the repository")
        elif file and not goal.exists():
            found.append(f"{target}: no such file ({name})")
        elif (
            anchor
            and goal.suffix == ".md"
            and anchor not in anchors(text if goal == path else goal.read_text())
        ):
            found.append(f"{target}: {name} has no heading #{anchor}")
    return found


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(REPO)))
def test_every_relative_link_leads_to_a_file_of_the_repository(path: Path) -> None:
    assert problems(path, path.read_text()) == []


def test_a_link_out_of_the_repository_a_missing_file_or_heading_is_found() -> None:
    text = (
        "[design](../../shared/DESIGN.md) [gone](missing.md) [cli](cli.md#no-such-heading)\n"
        "[ok](cli.md#exit-codes) [web](https://example.com) [top](#a-heading) [up](#nowhere)\n"
        "# A heading\n```sh\n[not a link](nowhere.md)\n```\n"
    )
    assert problems(REPO / "docs" / "page.md", text) == [
        "../../shared/DESIGN.md: leaves the repository",
        "missing.md: no such file (docs/missing.md)",
        "cli.md#no-such-heading: docs/cli.md has no heading #no-such-heading",
        "#nowhere: docs/page.md has no heading #nowhere",
    ]
