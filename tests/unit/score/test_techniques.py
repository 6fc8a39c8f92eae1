"""Techniques: which are active in a sheet's phase, where a skill's document is found, the
manifest, an MCP technique's server, what validate says, and the prompt that carries them."""

import json
from pathlib import Path

import pytest

from podium.domain.errors import UserError
from podium.domain.ids import SheetNum
from podium.instruments.command import build_invocation
from podium.instruments.registry import discover
from podium.score.assembly import AttemptContext, assemble, layers
from podium.score.blocks import TechniqueConfig
from podium.score.checks import check
from podium.score.techniques import (
    Technique,
    TechniqueMissing,
    active,
    find_document,
    is_active,
    manifest,
    mcp_server,
)
from tests.unit.score.test_assembly import score_in


def technique(**fields: object) -> TechniqueConfig:
    return TechniqueConfig.model_validate({"kind": "skill", "phases": ["all"], **fields})


@pytest.mark.parametrize(
    ("phases", "movement", "name", "on"),
    [
        (["all"], 7, None, True),
        ("all", 7, None, True),
        ([2, 3], 3, None, True),
        (["2", "3"], 3, None, True),
        ([2], 3, None, False),
        (["recon", "work"], 4, "Work", True),
        (["recon"], 4, "work", False),
        (["work"], 4, None, False),
        ([], 1, "work", False),
    ],
)
def test_a_technique_is_active_where_its_phases_name_the_movement(
    phases: object, movement: int, name: str | None, on: bool
) -> None:
    assert is_active(technique(phases=phases), movement, name) is on


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path


def put(path: Path, text: str = "doc") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_skill_document_is_found_in_the_documented_places_in_order(home: Path) -> None:
    score = home / "project"
    plain = technique()
    assert find_document("mateship", plain, score) is None
    user = put(home / "home" / ".marianne" / "techniques" / "mateship.md")
    assert find_document("mateship", plain, score) == user
    xdg = put(home / "xdg" / "podium" / "techniques" / "mateship" / "SKILL.md")
    assert find_document("mateship", plain, score) == xdg
    marianne = put(score / ".marianne" / "techniques" / "mateship-protocol.md")
    assert find_document("mateship", plain, score) == marianne
    podium = put(score / ".podium" / "techniques" / "mateship.md")
    assert find_document("mateship", plain, score) == podium
    given = put(score / "docs" / "mates.md")
    assert find_document("mateship", technique(config={"path": "docs/mates.md"}), score) == given
    assert find_document("mateship", technique(config={"path": "nope.md"}), score) is None


def test_a_required_skill_without_a_document_stops_the_sheet(home: Path) -> None:
    techniques = {"flowspec": technique(required=True), "other": technique(phases=[9])}
    with pytest.raises(TechniqueMissing, match=r"technique 'flowspec' \(required\)"):
        active(techniques, 1, None, home)
    assert [t.name for t in active({"flowspec": technique()}, 1, None, home)] == ["flowspec"]


def test_an_mcp_techniques_server_is_stdio_or_http_or_a_clear_refusal() -> None:
    stdio = technique(
        kind="mcp", config={"command": "gh-mcp", "args": ["--ro", 1], "env": {"A": 2}}
    )
    assert mcp_server("github", stdio) == {
        "command": "gh-mcp",
        "args": ["--ro", "1"],
        "env": {"A": "2"},
    }
    http = technique(kind="mcp", config={"url": "http://127.0.0.1:9/mcp", "headers": {"X": "y"}})
    assert mcp_server("api", http) == {
        "type": "http",
        "url": "http://127.0.0.1:9/mcp",
        "headers": {"X": "y"},
    }
    with pytest.raises(UserError, match=r"names the server 'github' but says no way to start it"):
        mcp_server("github", technique(kind="mcp", config={"server": "github"}))


def test_the_manifest_lists_what_the_phase_has_by_kind() -> None:
    text = manifest(
        [
            Technique("mateship", "skill", "", Path("/x.md")),
            Technique("github", "mcp", "GitHub issues and pull requests"),
            Technique("a2a", "protocol", ""),
            Technique("lost", "skill", ""),
        ],
        3,
    )
    assert text == (
        "### Techniques available in this phase (movement 3)\n"
        "\nMCP tools:\n- **github**: GitHub issues and pull requests\n"
        "\nProtocols:\n- **a2a**: a communication protocol\n"
        "\nSkills:\n- **mateship**: a methodology (below)\n"
        "- **lost**: a methodology (no document found)"
    )


SCORE = """
    name: techniques
    workspace: ./ws
    instrument: fake-agent
    sheet: {size: 1, total_items: 3}
    movements: {2: {name: work}}
    prompt: {template: "Step {{ sheet_num }}."}
    techniques:
      mateship: {kind: skill, phases: [work, "3"]}
      github: {kind: mcp, phases: [3], config: {command: gh-mcp, description: GitHub}}
      a2a: {kind: protocol, phases: [all]}
"""


def test_each_sheet_gets_the_manifest_and_documents_of_its_phase(home: Path) -> None:
    put(home / ".podium" / "techniques" / "mateship.md", "Help your mates.")
    score = score_in(home, SCORE)
    first, second, third = (
        assemble(score, SheetNum(n), AttemptContext(), raw=False) for n in (1, 2, 3)
    )
    assert "- **a2a**" in first and "mateship" not in first and "github" not in first
    assert "### mateship\n\nHelp your mates." in second and "github" not in second
    assert "- **github**: GitHub" in third and "Help your mates." in third
    assert third.index("## Injected Skills") < third.index("Step 3.")
    [skills] = [
        p for p in layers(score, SheetNum(3), AttemptContext(), raw=False) if p.name == "skills"
    ]
    assert skills.origin == "sheet.prelude and sheet.cadenzas.3; techniques mateship, github, a2a"


def test_an_mcp_technique_reaches_an_instrument_that_takes_servers_and_no_other(
    home: Path,
) -> None:
    registry = discover(home)
    claude = registry.require("claude-code")
    servers = {"github": {"command": "gh-mcp", "args": []}}

    def argv(profile_name: str) -> tuple[str, ...]:
        return build_invocation(
            registry.require(profile_name),
            prompt="p",
            prompt_file=home / "p",
            model=None,
            timeout_seconds=None,
            working_dir=home,
            settings={},
            parent_env={},
            which=lambda name: f"/bin/{name}",
            mcp_servers=servers,
        ).argv

    args = list(argv(claude.name))
    given = args.index("--mcp-config", args.index("--mcp-config") + 1)
    assert "--strict-mcp-config" in args  # these servers, and none of the user's
    assert json.loads(args[given + 1]) == {"mcpServers": servers}
    with pytest.raises(UserError, match=r"instrument 'cli' cannot take MCP servers.*github"):
        argv("cli")


def test_validate_says_what_cannot_work(home: Path) -> None:
    score = score_in(
        home,
        SCORE.replace("instrument: fake-agent", "instrument: cli")
        + "      ghost: {kind: skill, phases: [8]}\n"
        + "      needed: {kind: skill, phases: [1], required: true}\n"
        + "      bare: {kind: mcp, phases: [1], config: {server: bare}}\n",
    )
    registry = discover(home)
    found = [
        (d.code, d.severity.value, d.message.split(":")[0])
        for d in check(score, registry.names(), takes_mcp=registry.takes_mcp)
        if d.code in ("P017", "P002")
    ]
    assert sorted(found) == sorted(
        [
            ("P017", "warning", "technique 'mateship' has no skill document"),
            ("P017", "error", "technique 'github' (kind"),
            ("P002", "info", "accepted, has no effect beyond the manifest"),
            ("P017", "warning", "technique 'ghost' is active in no movement"),
            ("P017", "error", "technique 'needed' has no skill document"),
            ("P017", "error", "technique 'bare' (kind"),
        ]
    )
