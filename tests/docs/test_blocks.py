"""Reading a document's marked blocks, and the script that runs them."""

import subprocess
from pathlib import Path

import pytest

from tests.docs.blocks import MarkerError, blocks, checked, console, script, takes_part

DOC = """\
# A page

<!-- test: background -->
```console
$ python -m server --port 8765
listening on 8765
...
```

<!-- test: file score.yaml -->
```yaml
name: x
```

<!-- test: run -->
```sh
export GREETING=hello
```

<!-- test: run if some-agent -->
```bash
some-agent --go
```

<!-- test: run -->
```console
$ echo "$GREETING" \\
    world
hello world
```

```python
print("not a shell block: needs no marker")
```
"""


def test_each_block_is_read_with_its_marker() -> None:
    found = checked(blocks("page.md", DOC))
    assert [(b.line, b.lang, b.action, b.needs) for b in found] == [
        (4, "console", "background", None),
        (11, "yaml", "file", None),
        (16, "sh", "run", None),
        (21, "bash", "run", "some-agent"),
        (26, "console", "run", None),
        (32, "python", None, None),
    ]
    assert found[1].text == "name: x\n"
    assert takes_part(found)


def test_a_console_block_is_its_commands_and_the_output_it_shows() -> None:
    shown = console("$ echo a \\\n  b\na b\n...\n$ true\n")
    assert shown.commands == ["echo a \\\n  b", "true"]
    assert shown.output == ["a b"]


@pytest.mark.parametrize(
    ("marker", "problem"),
    [
        ("", "a ```sh block without a marker"),
        ("<!-- test: skip -->", "says why the block is not run"),
        ("<!-- test: file -->", "names one file"),
        ("<!-- test: run when -->", "run if PROGRAM"),
    ],
)
def test_a_shell_block_must_be_marked_rightly(marker: str, problem: str) -> None:
    with pytest.raises(MarkerError, match=problem):
        checked(blocks("page.md", f"text\n{marker}\n```sh\ntrue\n```\n"))


def test_a_block_that_is_never_closed_is_an_error() -> None:
    with pytest.raises(MarkerError, match="line 1: a ``` block is never closed"):
        blocks("page.md", "```sh\ntrue\n")


def test_the_script_runs_the_blocks_in_order_with_free_ports(tmp_path: Path) -> None:
    page = (
        "<!-- test: file out.txt -->\n```text\nport 8765\n```\n"
        "<!-- test: run -->\n```sh\nexport WORD=$(cat out.txt)\n```\n"
        "<!-- test: run if no-such-program-here -->\n```sh\nexit 9\n```\n"
        "<!-- test: skip it would fail -->\n```sh\nexit 8\n```\n"
        '<!-- test: run -->\n```console\n$ echo "$WORD"\nport 9999\n```\n'
    )
    text = script(checked(blocks("page.md", page)), frozenset(), {"8765": "9999"})
    done = run(text, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "port 9999" in done.stdout


def test_output_the_document_shows_but_the_command_does_not_print_fails(tmp_path: Path) -> None:
    page = "<!-- test: run -->\n```console\n$ echo one\ntwo\n```\n"
    text = script(checked(blocks("page.md", page)), frozenset(), {})
    done = run(text, tmp_path)
    assert done.returncode == 1
    assert "page.md:2: its output lacks a line the document shows" in done.stderr


def run(text: str, folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", text], cwd=folder, capture_output=True, text=True, check=False, timeout=60
    )
