"""What a sheet's prompt, validations and conditions can refer to.

Three views of one sheet, as Marianne defines them:

- the prompt (Jinja) sees the built-ins, then the score's variables *over* them, then `stakes`
  and `thinking_method`;
- validation paths and commands (`{name}`) see the score's plain variables, then the built-ins
  *over* them;
- conditions see the integers among the latter.

A sheet that does not fan out is instance 1 of 1 everywhere.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

BUILTINS = (
    "sheet_num",
    "total_sheets",
    "start_item",
    "end_item",
    "workspace",
    "instrument_name",
    "stage",
    "movement",
    "instance",
    "voice",
    "fan_count",
    "voice_count",
    "total_stages",
    "total_movements",
)
"""Built-in variables, in prompts and in validations."""

PROMPT_ONLY = (
    "stakes",
    "thinking_method",
    "previous_outputs",
    "previous_files",
    "previous_feedback",
    "skipped_upstream",
    "injected_context",
    "injected_skills",
    "injected_tools",
)
"""Variables only prompts see (the cross-sheet ones are empty until earlier sheets have run)."""


@dataclass(frozen=True, slots=True)
class SheetIdentity:
    num: int
    total_sheets: int
    start_item: int
    end_item: int
    stage: int
    instance: int
    fan_count: int
    total_stages: int
    instrument: str
    workspace: str

    def builtins(self) -> dict[str, Any]:
        return {
            "sheet_num": self.num,
            "total_sheets": self.total_sheets,
            "start_item": self.start_item,
            "end_item": self.end_item,
            "workspace": self.workspace,
            "instrument_name": self.instrument,
            "stage": self.stage,
            "movement": self.stage,
            "instance": self.instance,
            "voice": self.instance,
            "fan_count": self.fan_count,
            "voice_count": self.fan_count,
            "total_stages": self.total_stages,
            "total_movements": self.total_stages,
        }


class Unknown(str):
    """What an earlier sheet left, not known (yet): it reads as empty text, and so does any
    item or attribute of it, so that `previous_feedback[1].score` can be checked before
    anything ran, and reads as nothing when that sheet gave none."""

    __slots__ = ()

    def __getattr__(self, name: str) -> "Unknown":
        if name.startswith("_"):
            raise AttributeError(name)
        return Unknown()

    def __getitem__(self, key: object) -> "Unknown":
        return Unknown()


class Pending(dict[object, object]):
    """Outputs of earlier sheets, not known yet: any key reads as empty text, so that a
    template using `previous_outputs[sheet_num - 1]` can be checked before anything ran."""

    def __missing__(self, key: object) -> str:
        return Unknown()


def plain(variables: Mapping[str | int, Any]) -> dict[str, Any]:
    """The score's variables that can stand in a path or a command: text and numbers."""
    return {str(k): v for k, v in variables.items() if isinstance(v, str | int | float)}


def prompt_context(
    sheet: SheetIdentity,
    variables: Mapping[str | int, Any],
    *,
    stakes: str | None,
    thinking_method: str | None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str | int, Any]:
    """`extra` holds what is known when the sheet runs (earlier outputs, injected items);
    without it, those variables read as empty."""
    context: dict[str | int, Any] = {
        "previous_outputs": Pending(),
        "previous_files": Pending(),
        "previous_feedback": Pending(),
        "skipped_upstream": [],
        "injected_context": [],
        "injected_skills": [],
        "injected_tools": [],
    }
    for name, value in (extra or {}).items():
        context[name] = Pending(value) if isinstance(value, dict) else value
    context.update(sheet.builtins())
    context.update(variables)
    context["stakes"] = stakes or ""
    context["thinking_method"] = thinking_method or ""
    return context


def validation_context(sheet: SheetIdentity, variables: Mapping[str | int, Any]) -> dict[str, Any]:
    context = {str(k): v for k, v in variables.items() if isinstance(v, str | int | float)}
    context.update(sheet.builtins())
    return context


def condition_variables(context: Mapping[str, Any]) -> dict[str, int]:
    return {k: v for k, v in context.items() if isinstance(v, int) and not isinstance(v, bool)}
