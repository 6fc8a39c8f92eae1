"""Checks of the instruments a score names: V210 an unknown instrument (an error: the score
cannot run), V211 an unknown fallback (a warning, as in Marianne: a sheet skips a fallback it
cannot play), P011 one of Marianne's HTTP instruments, which Podium plays only through a
profile of that name (a warning here; `podium run` refuses it, see `RUN_REFUSES`).

Each finding is located where the name is written and offers the closest known name.
"""

import difflib
from collections.abc import Collection, Iterator, Sequence

from podium.score.compiled import CompiledScore
from podium.score.diagnostics import Diagnostic
from podium.score.findings import ERROR, WARNING, finding

MARIANNE_DEFAULT = "claude_cli"
"""Marianne's name for its default instrument; Podium's `claude-code` profile plays it."""
MARIANNE_HTTP = ("anthropic_api", "ollama", "recursive_light")
"""Marianne's HTTP instruments: known names, but Podium has no built-in profile for them."""
RUN_REFUSES = frozenset({"P011"})
"""Warnings in `validate` that stop `podium run`: the score is sound, but cannot run here."""

REHEARSED = "; a rehearsal plays the fake agent in its place, but a real run stops here"
"""What a finding about an instrument adds in a rehearsal, which plays none of them."""

Use = tuple[tuple[str | int, ...], str, str]
"""Where a name is written (a YAML path), the name, and its code (V210 or V211)."""


def instruments(
    score: CompiledScore, known: Collection[str], unreadable: Sequence[str] = ()
) -> Iterator[Diagnostic]:
    """The findings about every instrument name in `score`; `known` are the profiles' names,
    `unreadable` the profile files that could not be loaded (told with an unknown name: the
    profile meant may be one of them)."""
    names = sorted(set(known) | set(score.model.instruments))
    for path, name, code in _uses(score):
        if name in names or name == MARIANNE_DEFAULT:
            continue
        rehearsed = REHEARSED if score.rehearsal else ""
        if name in MARIANNE_HTTP:
            if code == "V210":
                yield finding(score, path, _http(name, names) + rehearsed, "P011", WARNING)
            continue  # as a fallback, quietly skipped (`podium run` says so)
        severity = ERROR if code == "V210" and not score.rehearsal else WARNING
        then = ", so sheets will not fall back to it" if code == "V211" else ""
        message = f"unknown instrument '{name}'{then}{_hint(name, names)}"
        message += "".join(f"; could not load: {problem}" for problem in unreadable)
        message += rehearsed if code == "V210" else ""
        key = path[-2:-1] == ("instrument_map",)
        yield finding(score, path, message, code, severity, key=key)


def _hint(name: str, names: list[str]) -> str:
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        return f"; did you mean '{close[0]}'?"
    return (
        f"; known: {', '.join(names)} ('podium instruments list' shows them; a profile in "
        ".podium/instruments/ next to the score adds one)"
    )


def _http(name: str, names: list[str]) -> str:
    return (
        f"'{name}' is one of Marianne's HTTP instruments, which Podium plays only through a "
        f"profile of that name, and there is none here: 'podium run' refuses this score. "
        f"Play a command-line instrument instead ({', '.join(names)}), or add a profile "
        f"named '{name}' in .podium/instruments/ next to the score"
    )


def _uses(score: CompiledScore) -> list[Use]:
    model = score.model
    uses: list[Use] = []
    if model.instrument:
        uses.append((("instrument",), model.instrument, "V210"))
    elif "type" in model.backend.model_fields_set and any(
        s.instrument == model.backend.type for s in score.plan.sheets
    ):
        uses.append((("backend", "type"), model.backend.type, "V210"))
    uses += [
        (("instruments", a, "profile"), d.profile, "V210") for a, d in model.instruments.items()
    ]
    uses += [
        (("movements", n, "instrument"), m.instrument, "V210")
        for n, m in model.movements.items()
        if m.instrument
    ]
    uses += [
        (("sheet", "per_sheet_instruments", n), name, "V210")
        for n, name in model.sheet.per_sheet_instruments.items()
    ]
    uses += [
        (("sheet", "instrument_map", name), name, "V210") for name in model.sheet.instrument_map
    ]
    return uses + _fallback_uses(score)


def _fallback_uses(score: CompiledScore) -> list[Use]:
    model = score.model
    uses: list[Use] = [
        (("instrument_fallbacks", i), name, "V211")
        for i, name in enumerate(model.instrument_fallbacks)
    ]
    uses += [
        (("movements", n, "instrument_fallbacks", i), name, "V211")
        for n, m in model.movements.items()
        for i, name in enumerate(m.instrument_fallbacks)
    ]
    uses += [
        (("sheet", "per_sheet_fallbacks", n, i), name, "V211")
        for n, chain in model.sheet.per_sheet_fallbacks.items()
        for i, name in enumerate(chain)
    ]
    return uses
