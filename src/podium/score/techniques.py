"""Techniques: how a sheet plays its instrument, declared once per score and active in the
phases (movements) that name them.

`techniques: {name: {kind, phases, required, config}}`. A technique is active in a sheet when
its `phases` hold `all`, the sheet's movement number (as a number or a string of digits, as
Marianne's compiler writes them), or the movement's `name`. Then:

- `kind: skill`: its document is injected with the prompt's skills: `config.path` (relative to
  the score's folder), else `<name>.md`, `<name>/SKILL.md` or `<name>-protocol.md` in the
  technique folders (`SEARCHED`, first found wins). A missing document fails the sheet when
  the technique is `required`, and is only noted otherwise.
- `kind: mcp`: its server goes to the instrument (`config.command`, `args`, `env` for a
  stdio server; `config.url` for an HTTP one), for instruments whose profile can take one
  (`cli.command.mcp_config_flag`, e.g. Claude Code's `--mcp-config`); others are refused.
- `kind: protocol`: listed for the agent, with its `config.description`.

Every sheet with active techniques also gets a manifest: what it has in this phase.
"""

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podium.domain.errors import UserError
from podium.host.bounded import read_head
from podium.score.blocks import TechniqueConfig

DOCUMENT_MAX_BYTES = 400_000
"""A skill document larger than this is cut: a prompt is not the place for a book."""


class TechniqueMissing(UserError):
    """A required technique's skill document is nowhere to be found."""


@dataclass(frozen=True, slots=True)
class Technique:
    name: str
    kind: str
    description: str
    document: Path | None = None
    """For a skill: its document, when found."""
    server: Mapping[str, Any] | None = None
    """For an MCP technique: the server, as instruments' MCP configuration writes it."""


def searched(score_folder: Path) -> list[Path]:
    """The technique folders, in the order they are searched."""
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return [
        score_folder / ".podium" / "techniques",
        score_folder / ".marianne" / "techniques",
        config_home / "podium" / "techniques",
        Path.home() / ".marianne" / "techniques",
    ]


def is_active(config: TechniqueConfig, movement: int, movement_name: str | None) -> bool:
    for phase in config.phases:
        text = str(phase).strip()
        if text == "all" or text == str(movement):
            return True
        if movement_name and text.casefold() == movement_name.casefold():
            return True
    return False


def active(
    techniques: Mapping[str, TechniqueConfig],
    movement: int,
    movement_name: str | None,
    score_folder: Path,
) -> list[Technique]:
    """The techniques active in a movement, in the score's order, skill documents found."""
    found = []
    for name, config in techniques.items():
        if not is_active(config, movement, movement_name):
            continue
        document = find_document(name, config, score_folder) if config.kind == "skill" else None
        if config.kind == "skill" and document is None and config.required:
            places = ", ".join(str(p) for p in searched(score_folder))
            raise TechniqueMissing(
                f"technique '{name}' (required) has no skill document: set "
                f"techniques.{name}.config.path, or put {name}.md in one of {places}"
            )
        server = mcp_server(name, config) if config.kind == "mcp" else None
        description = str(config.config.get("description") or "")
        found.append(Technique(name, config.kind, description, document, server))
    return found


def find_document(name: str, config: TechniqueConfig, score_folder: Path) -> Path | None:
    given = config.config.get("path")
    if given:
        path = Path(str(given)).expanduser()
        path = path if path.is_absolute() else score_folder / path
        return path if path.is_file() else None
    for folder in searched(score_folder):
        for candidate in (folder / f"{name}.md", folder / name / "SKILL.md"):
            if candidate.is_file():
                return candidate
        protocol = folder / f"{name}-protocol.md"
        if protocol.is_file():
            return protocol
    return None


def mcp_server(name: str, config: TechniqueConfig) -> dict[str, Any]:
    """The server of an MCP technique, as `mcpServers` entries are written."""
    given = config.config
    if given.get("command"):
        server: dict[str, Any] = {"command": str(given["command"])}
        server["args"] = [str(a) for a in given.get("args") or []]
        if given.get("env"):
            server["env"] = {str(k): str(v) for k, v in dict(given["env"]).items()}
        return server
    if given.get("url"):
        server = {"type": str(given.get("transport") or "http"), "url": str(given["url"])}
        if given.get("headers"):
            server["headers"] = {str(k): str(v) for k, v in dict(given["headers"]).items()}
        return server
    named = f" names the server '{given['server']}' but" if given.get("server") else ""
    raise UserError(
        f"technique '{name}' (kind: mcp){named} says no way to start it: give "
        f"techniques.{name}.config.command (and args, env) for a server on stdio, or "
        "config.url for one over HTTP"
    )


def skill_texts(techniques: Sequence[Technique], movement: int) -> list[str]:
    """The prompt's skill items of the active techniques: the manifest, then each document."""
    if not techniques:
        return []
    texts = [manifest(techniques, movement)]
    for technique in techniques:
        if technique.document is not None:
            text = read_head(technique.document, DOCUMENT_MAX_BYTES).decode("utf-8", "replace")
            if text.strip():
                texts.append(f"### {technique.name}\n\n{text.strip()}")
    return texts


def manifest(techniques: Sequence[Technique], movement: int) -> str:
    """What the sheet has in this phase, by kind."""
    groups = (("mcp", "MCP tools"), ("protocol", "Protocols"), ("skill", "Skills"))
    lines = [f"### Techniques available in this phase (movement {movement})"]
    for kind, title in groups:
        members = [t for t in techniques if t.kind == kind]
        if not members:
            continue
        lines.append(f"\n{title}:")
        for t in members:
            what = t.description or _default_description(t)
            lines.append(f"- **{t.name}**: {what}")
    return "\n".join(lines)


def _default_description(technique: Technique) -> str:
    match technique.kind:
        case "mcp":
            return f"the MCP server '{technique.name}'"
        case "skill" if technique.document is None:
            return "a methodology (no document found)"
        case "skill":
            return "a methodology (below)"
        case _:
            return "a communication protocol"
