"""A rehearsal: a score played, unchanged, by Podium's fake agent instead of its instruments.

Every sheet is cast to the `rehearsal` instrument (`podium-fake-agent --satisfy`, which does
what each sheet's file and content checks ask), whatever the score, its movements, its
per-sheet settings or its fallbacks name; nothing contacts a model. The prompts stay those of a
real run: only who plays them changes. The job keeps the choice in its snapshot, so a restart,
a resume or a modify of it goes on rehearsing.
"""

from collections.abc import Iterable
from dataclasses import replace

from podium.domain.validation import ValidationRule
from podium.score.casting import Casting
from podium.score.planner import PlannedSheet

INSTRUMENT = "rehearsal"
"""The built-in profile that plays every sheet of a rehearsal."""

KEPT_SETTINGS = frozenset({"working_directory"})
"""The sheet settings a rehearsal keeps: where the instrument runs. The others (model, gateway,
flags, system prompt) are the real instrument's."""


def recast(sheet: PlannedSheet) -> PlannedSheet:
    """The sheet played by the fake agent, with no fallback (each would be the fake again)."""
    config = {k: v for k, v in sheet.casting.config.items() if k in KEPT_SETTINGS}
    return replace(sheet, casting=Casting(INSTRUMENT, config, ()))


def unsatisfiable(rules: Iterable[ValidationRule]) -> list[ValidationRule]:
    """The checks the fake agent cannot make pass: it writes files, it cannot make a command
    succeed."""
    return [r for r in rules if not r.kind.reads_a_file]
