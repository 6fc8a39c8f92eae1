"""The environment file a service reads: KEY=VALUE lines as systemd reads them, and the shell
syntax it would silently ignore refused with its line."""

import pytest

from podium.host.env_file import BadEnvFile, parse_env_file


def test_assignments_comments_and_quotes_read_as_systemd_reads_them() -> None:
    text = "\n".join(
        (
            "# a comment",
            "; another",
            "",
            "ANTHROPIC_API_KEY=sk-ant-123",
            "  SPACED = around  ",
            'DOUBLE="two words \\"quoted\\" \\\\ back"',
            "SINGLE='it is $HOME, kept'",
            "EMPTY=",
            "ANTHROPIC_API_KEY=sk-ant-456",
        )
    )
    found = parse_env_file("/e/env", text)
    assert found.path == "/e/env"
    assert found.variables == (
        ("ANTHROPIC_API_KEY", "sk-ant-456"),  # set twice: the last one, in its first place
        ("SPACED", "around"),
        ("DOUBLE", 'two words "quoted" \\ back'),
        ("SINGLE", "it is $HOME, kept"),
        ("EMPTY", ""),
    )


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("export KEY=v", "/e/env:2: 'export' is shell syntax that systemd ignores; write 'KEY=v'"),
        ("JUST_A_NAME", "/e/env:2: expected KEY=VALUE, got 'JUST_A_NAME'"),
        ("1ST=v", "/e/env:2: '1ST' is not a variable name"),
        ("MY-KEY=v", "/e/env:2: 'MY-KEY' is not a variable name"),
        ('OPEN="never closed', "/e/env:2: the value '\"never closed' opens a \" quote"),
        ("ONE='", "/e/env:2: the value \"'\" opens a ' quote it never closes"),
    ],
)
def test_lines_a_service_manager_would_misread_are_refused_with_their_place(
    line: str, says: str
) -> None:
    with pytest.raises(BadEnvFile) as raised:
        parse_env_file("/e/env", f"OK=1\n{line}\n")
    assert str(raised.value).startswith(says)
