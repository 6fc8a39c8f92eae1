"""Apprise, the optional library behind `type: apprise` notifications (Telegram, ntfy,
Discord, Teams, Pushover and a hundred more services, each named by a URL).

It is imported only when a score uses it, never on the CLI's or the conductor's start-up
path. Its log records name the URLs it is given, tokens included, so they never reach
Podium's handlers (the CLI's stderr, the conductor's log): `captured()` keeps those of the
calls made under it, for Podium to mask and report; all others are dropped.
"""

import contextlib
import importlib.util
import logging
import sys
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from types import ModuleType

LOGGER = "apprise"

_detaching = threading.Lock()
_records: ContextVar[list[logging.LogRecord] | None] = ContextVar("apprise_records", default=None)


def installed() -> bool:
    """Whether apprise can be imported here, without importing it."""
    return importlib.util.find_spec("apprise") is not None


def install_command() -> str:
    """The command that installs apprise where this Python finds it."""
    return f"{sys.executable} -m pip install 'podium[apprise]'"


class _Keep(logging.Handler):
    """Keeps a record for the `captured()` block it was logged under (apprise's worker
    threads run in a copy of the caller's context), and drops the others."""

    def emit(self, record: logging.LogRecord) -> None:
        kept = _records.get()
        if kept is not None:
            kept.append(record)


def load() -> ModuleType:
    """The apprise module, its logging detached from Podium's. Raises ModuleNotFoundError
    when it is not installed."""
    import apprise  # noqa: PLC0415 - optional and heavy: imported only when a score uses it

    logger = logging.getLogger(LOGGER)
    with _detaching:  # the checks of a submission and a send may come at once
        if not any(isinstance(h, _Keep) for h in logger.handlers):
            logger.propagate = False
            logger.setLevel(logging.WARNING)
            logger.addHandler(_Keep(logging.WARNING))
    return apprise


@contextlib.contextmanager
def captured() -> Iterator[list[logging.LogRecord]]:
    """Apprise's warnings and errors logged by the calls made in the block."""
    kept: list[logging.LogRecord] = []
    token = _records.set(kept)
    try:
        yield kept
    finally:
        _records.reset(token)


def readable(url: str) -> bool:
    """Whether apprise knows the service `url` names and can read its settings; nothing is
    sent."""
    with captured():
        return bool(load().Apprise().add(url))
