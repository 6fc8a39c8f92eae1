"""Text that a regular expression finds, made by hypothesis (`strategies.from_regex`).

The text must pass Podium's `content_regex` check, which searches the file with the `regex`
module in MULTILINE mode: the pattern is read with Python's `re` in that mode (hypothesis reads
`re` patterns), and each text drawn is kept only if the check's own search finds it.

Deterministic and fast: `hypothesis.find` with a seeded `random.Random`, no example database
and the generation phase only. Hypothesis tries its simplest example first (`# Report` for
`^# Report`, `000-0000` for `\\d{3}-\\d{4}`), so the answer is short and readable, the same on
every run, and found in milliseconds; shrinking, which would only confirm it, is skipped.
Printable ASCII is tried first, texts that are a whole match before texts that merely contain
one; a pattern that needs other characters is drawn again from all of Unicode. Hypothesis keeps
its table of Unicode categories in its storage folder, built once.
"""

import os
import random
import re
from pathlib import Path

import regex

TRIES = 200
"""How many texts hypothesis draws before it gives up on a pattern."""

STORAGE_ENV = "HYPOTHESIS_STORAGE_DIRECTORY"

READABLE = "".join(map(chr, range(0x20, 0x7F))) + "\n\t"
"""The characters tried first: printable ASCII, newline and tab."""


class NoText(Exception):
    """No text was found for the pattern; the message says why."""


def found(pattern: str, text: str) -> bool:
    """Whether Podium's `content_regex` check finds `pattern` in `text`."""
    return regex.search(pattern, text, flags=regex.MULTILINE) is not None


def keep_cache_in(storage: Path) -> None:
    """Have hypothesis keep what it caches in `storage` (unless $HYPOTHESIS_STORAGE_DIRECTORY
    says where), not in the working directory, which is the sheet's workspace."""
    os.environ.setdefault(STORAGE_ENV, str(storage))


def text_for(pattern: str) -> str:
    """A short text in which `pattern` is found, the same every time."""
    try:
        compiled = re.compile(pattern, re.MULTILINE)
    except re.error as exc:
        raise NoText(f"Python's re cannot read the pattern ({exc})") from None
    problem = "hypothesis found no text for it"
    for alphabet in (READABLE, None):
        for fullmatch in (True, False):
            try:
                return _find(compiled, pattern, alphabet, fullmatch=fullmatch)
            except NoText as exc:
                problem = str(exc)
    raise NoText(problem)


def _find(compiled: re.Pattern[str], pattern: str, alphabet: str | None, *, fullmatch: bool) -> str:
    import hypothesis  # noqa: PLC0415 - slow to import, and only --satisfy needs it
    from hypothesis import HealthCheck, Phase, settings, strategies  # noqa: PLC0415
    from hypothesis.errors import HypothesisException  # noqa: PLC0415

    strategy = strategies.from_regex(compiled, fullmatch=fullmatch, alphabet=alphabet)
    try:
        text: str = hypothesis.find(
            strategy,
            lambda text: found(pattern, text),
            settings=settings(
                database=None,
                deadline=None,
                max_examples=TRIES,
                phases=(Phase.generate,),
                suppress_health_check=list(HealthCheck),
            ),
            random=random.Random(0),  # noqa: S311 - a seed, for the same text each run
        )
    except HypothesisException as exc:
        raise NoText(f"hypothesis found no text for it ({type(exc).__name__})") from None
    return text
