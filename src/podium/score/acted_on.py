"""Keys a score may set that Podium accepts but does not act on (yet): never ignored silently.

`podium validate` lists each one that the score sets as a warning, and `podium run` prints the
same list before it submits.
"""

from pydantic import BaseModel

from podium.score.diagnostics import Diagnostic, Severity
from podium.score.model import ScoreModel
from podium.score.yamlsource import SourceMap

NOT_YET: dict[tuple[str, ...], str] = {
    ("agent_card",): "the agent card is not published",
    ("learning",): "there is no learning yet",
}
"""What Podium will act on, and what happens meanwhile."""

NO_EFFECT: dict[tuple[str, ...], str] = {
    ("conductor",): "metadata about who conducts; Podium does not use it",
    ("bridge",): "a legacy Marianne setting",
    ("logging",): "the conductor's own logging settings apply",
    ("state_backend",): "Podium keeps all state in its own database",
    ("state_path",): "Podium keeps all state in its own database",
    ("cost_limits", "cost_per_1k_input_tokens"): "prices come from the instrument's profile",
    ("cost_limits", "cost_per_1k_output_tokens"): "prices come from the instrument's profile",
}


ACTED_ON_SETTINGS = frozenset(
    {
        "model",
        "cli_model",
        "timeout_seconds",
        "timeout_overrides",
        "working_directory",
        "skip_permissions",
        "disable_mcp",
        "allowed_tools",
        "system_prompt_file",
        "cli_extra_args",
        "base_url",
        "config_file",
    }
)
"""Instrument settings Podium uses (see `podium.instruments.command`); the others are for
Marianne's HTTP instruments, or choices the profile makes (`output_format`)."""
ACTED_ON_BACKEND = frozenset(
    {"type", "timeout_seconds", "timeout_overrides", "sheet_overrides", "working_directory"}
)


def not_acted_on(score: ScoreModel, source: SourceMap) -> list[Diagnostic]:
    """A warning for each key the score sets that Podium does not act on."""
    found = []
    for path, note in NOT_YET.items():
        if _is_set(score, path):
            found.append(
                source.diagnostic(
                    path,
                    f"accepted, not acted on yet: {note}",
                    key=True,
                    code="P001",
                    severity=Severity.WARNING,
                )
            )
    for where, keys in _agent_settings(score):
        found.append(
            source.diagnostic(
                where,
                f"accepted, has no effect: {', '.join(keys)} (command-line instruments do "
                "not take them; the profile decides the output format)",
                key=True,
                code="P002",
                severity=Severity.INFO,
            )
        )
    for where, note in _hook_settings(score):
        found.append(
            source.diagnostic(
                where,
                f"accepted, has no effect: {note}",
                key=True,
                code="P002",
                severity=Severity.INFO,
            )
        )
    for path, note in NO_EFFECT.items():
        if _is_set(score, path):
            found.append(
                source.diagnostic(
                    path,
                    f"accepted, has no effect: {note}",
                    key=True,
                    code="P002",
                    severity=Severity.INFO,
                )
            )
    return sorted(found, key=lambda d: (d.line, d.column))


def _is_set(model: BaseModel, path: tuple[str, ...]) -> bool:
    current: object = model
    for key in path:
        if not isinstance(current, BaseModel) or key not in current.model_fields_set:
            return False
        current = getattr(current, key)
    return current not in ({}, [], None)


def _hook_settings(score: ScoreModel) -> list[tuple[tuple[str | int, ...], str]]:
    found: list[tuple[tuple[str | int, ...], str]] = []
    for index, hook in enumerate(score.on_success):
        if "inherit_learning" in hook.model_fields_set:
            found.append((("on_success", index, "inherit_learning"), "there is no learning"))
        if "detached" in hook.model_fields_set and not hook.detached:
            found.append(
                (
                    ("on_success", index, "detached"),
                    "a run_job hook never waits for the job it submits",
                )
            )
    return found


def _agent_settings(score: ScoreModel) -> list[tuple[tuple[str | int, ...], list[str]]]:
    places: list[tuple[tuple[str | int, ...], set[str]]] = [
        (("instrument_config",), set(score.instrument_config.as_dict())),
        (("backend",), set(score.backend.model_fields_set - ACTED_ON_BACKEND)),
    ]
    places += [
        (("instruments", a, "config"), set(d.config.as_dict()))
        for a, d in score.instruments.items()
    ]
    places += [
        (("movements", n, "instrument_config"), set(m.instrument_config.as_dict()))
        for n, m in score.movements.items()
    ]
    places += [
        (("sheet", "per_sheet_instrument_config", n), set(c.as_dict()))
        for n, c in score.sheet.per_sheet_instrument_config.items()
    ]
    return [
        (path, sorted(keys - ACTED_ON_SETTINGS))
        for path, keys in places
        if keys - ACTED_ON_SETTINGS
    ]
