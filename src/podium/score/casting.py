"""Which instrument plays each sheet, with which settings and which fallbacks.

Resolution, first match wins: `sheet.per_sheet_instruments[n]` > `sheet.instrument_map` >
`movements[m].instrument` > `instrument` > `backend.type` (default `claude_cli`). A name that
is a score alias (`instruments:`) then becomes its profile. Settings merge, later winning:
score `instrument_config` ← the movement's (unless the sheet was named per sheet or by the map)
← the alias's ← `sheet.per_sheet_instrument_config[n]`. Fallbacks: per sheet (replaces; `[]`
means none) > the movement's > the score's, each alias replaced by its profile.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from podium.score.model import ScoreModel


@dataclass(frozen=True, slots=True)
class Casting:
    instrument: str
    """The profile name, after alias resolution."""
    config: Mapping[str, Any]
    fallbacks: tuple[str, ...]

    @property
    def model(self) -> str | None:
        """The sheet's `model` setting, which model caps and rate-limit windows are keyed by
        (as in Marianne's plan). An instrument also reads `cli_model` from the settings."""
        value = self.config.get("model")
        return None if value is None else str(value)


def instrument_map_index(score: ScoreModel) -> dict[int, str]:
    """Sheet → instrument name from `sheet.instrument_map` (checked for duplicates elsewhere)."""
    index: dict[int, str] = {}
    for name, sheets in score.sheet.instrument_map.items():
        for num in sheets:
            index.setdefault(num, name)
    return index


def cast(score: ScoreModel, num: int, stage: int, by_map: Mapping[int, str]) -> Casting:
    config: dict[str, Any] = score.instrument_config.as_dict()
    movement = score.movements.get(stage)
    name = score.sheet.per_sheet_instruments.get(num) or by_map.get(num)
    if name is None:
        if movement is not None:
            name = movement.instrument
            config.update(movement.instrument_config.as_dict())
        if name is None and score.instrument is None and score.backend.cli_model:
            config.setdefault("cli_model", score.backend.cli_model)  # the legacy block's model
        name = name or score.instrument or score.backend.type
    alias = score.instruments.get(name)
    if alias is not None:
        name = alias.profile
        config.update(alias.config.as_dict())
    per_sheet = score.sheet.per_sheet_instrument_config.get(num)
    if per_sheet is not None:
        config.update(per_sheet.as_dict())
    return Casting(name, config, _fallbacks(score, num, stage))


def _fallbacks(score: ScoreModel, num: int, stage: int) -> tuple[str, ...]:
    chain = score.sheet.per_sheet_fallbacks.get(num)
    if chain is None:
        movement = score.movements.get(stage)
        chain = (movement.instrument_fallbacks if movement else None) or score.instrument_fallbacks
    return tuple(
        score.instruments[name].profile if name in score.instruments else name for name in chain
    )
