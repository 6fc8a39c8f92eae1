"""Checks of a score's techniques: P017 a technique that cannot work as written (a required
skill without a document, an MCP technique with no way to start its server or on a sheet whose
instrument cannot take one: errors; a skill without a document, a technique active in no
movement: warnings), and P002 a protocol technique, which Podium only lists for the agent."""

from collections.abc import Callable, Iterator

from podium.domain.errors import UserError
from podium.score.compiled import CompiledScore
from podium.score.diagnostics import Diagnostic
from podium.score.findings import ERROR, INFO, WARNING, finding, listed
from podium.score.techniques import find_document, is_active, mcp_server, searched


def techniques(
    score: CompiledScore, takes_mcp: Callable[[str], bool] | None = None
) -> Iterator[Diagnostic]:
    """Every finding about the score's techniques; `takes_mcp` says whether an instrument can
    take MCP servers (without it, that is not checked)."""
    folder = score.path.parent
    for name, config in score.model.techniques.items():
        path: tuple[str | int, ...] = ("techniques", name)
        sheets = [
            int(s.num)
            for s in score.plan.sheets
            if is_active(config, s.movement, _movement_name(score, s.movement))
        ]
        if not sheets:
            yield finding(
                score,
                (*path, "phases"),
                f"technique '{name}' is active in no movement: its phases name none of this "
                "score's movement numbers or names (or 'all')",
                "P017",
                WARNING,
            )
            continue
        match config.kind:
            case "skill" if find_document(name, config, folder) is None:
                places = ", ".join(str(p) for p in searched(folder))
                yield finding(
                    score,
                    path,
                    f"technique '{name}' has no skill document: set config.path, or put "
                    f"{name}.md in one of {places}"
                    + ("" if config.required else "; the manifest lists it without one"),
                    "P017",
                    ERROR if config.required else WARNING,
                    key=True,
                )
            case "mcp":
                yield from _mcp(score, name, path, sheets, takes_mcp)
            case "protocol":
                yield finding(
                    score,
                    path,
                    f"accepted, has no effect beyond the manifest: technique '{name}' is "
                    "listed for the agent; Podium does not route agent-to-agent messages",
                    "P002",
                    INFO,
                    key=True,
                )


def _mcp(
    score: CompiledScore,
    name: str,
    path: tuple[str | int, ...],
    sheets: list[int],
    takes_mcp: Callable[[str], bool] | None,
) -> Iterator[Diagnostic]:
    try:
        mcp_server(name, score.model.techniques[name])
    except UserError as exc:
        yield finding(score, (*path, "config"), str(exc), "P017", ERROR)
        return
    if takes_mcp is None:
        return
    refused = [n for n in sheets if not takes_mcp(score.sheet(n).casting.instrument)]
    if refused:
        instruments = sorted({score.sheet(n).casting.instrument for n in refused})
        yield finding(
            score,
            path,
            f"technique '{name}' (kind: mcp) is active in {listed(refused)}, played by "
            f"{', '.join(instruments)}, which cannot take MCP servers (no "
            "cli.command.mcp_config_flag); play them on an instrument that can (such as "
            "claude-code), or narrow the technique's phases",
            "P017",
            ERROR,
            key=True,
        )


def _movement_name(score: CompiledScore, movement: int) -> str | None:
    found = score.model.movements.get(movement)
    return found.name if found is not None else None
