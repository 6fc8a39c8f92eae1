"""`podium mcp`'s own checks, before any server starts: its flags, and a clear word when the
MCP SDK is not installed."""

import sys

import pytest

from podium.cli import exits
from podium.cli.main import main


def test_port_goes_with_http(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mcp", "--port", "9000"]) == exits.USER
    assert "--port goes with --http: 'podium mcp --http --port 9000'" in capsys.readouterr().err


def test_a_port_out_of_range_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mcp", "--http", "--port", "70000"]) == exits.USER
    assert (
        "--port must be between 0 and 65535 (0: a free one), got 70000" in capsys.readouterr().err
    )


def test_without_the_sdk_it_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delitem(sys.modules, "podium.mcp_server.server", raising=False)
    for name in [n for n in sys.modules if n == "mcp" or n.startswith("mcp.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mcp", None)
    assert main(["mcp"]) == exits.USER
    err = capsys.readouterr().err
    assert "podium mcp needs the MCP SDK, which is not installed here" in err
    assert "pip install 'podium[mcp]'" in err
