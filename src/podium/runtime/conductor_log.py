"""The conductor's log: readable lines on stderr in the foreground, one JSON object per line in
a size-rotated file in the background; credentials masked in both.

A record about a job names it with `extra=`, which the JSON lines carry as fields:

    log.info("sheet %s started", num, extra=job_fields(job_id, num))
"""

import json
import logging
import logging.handlers
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from podium.redact import sparing

ROTATE_BYTES = 10 * 1024 * 1024
ROTATE_KEEP = 5
"""Files kept besides the current one (conductor.log.1 … .5)."""
FIELDS = ("job_id", "sheet", "attempt")
"""What a record may carry through `extra=`, as the JSON lines name them."""
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
ROOT = "podium"

Redact = Callable[[str], str]


def job_fields(job_id: str, sheet: int | None = None, attempt: int | None = None) -> dict[str, Any]:
    """The `extra=` of a record about a job (and one of its sheets or attempts)."""
    fields: dict[str, Any] = {"job_id": job_id}
    if sheet is not None:
        fields["sheet"] = int(sheet)
    if attempt is not None:
        fields["attempt"] = int(attempt)
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, message, and the job fields given."""

    def __init__(self, redact: Redact = str) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": sparing(self._redact, record.getMessage(), _names(record)),
        }
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self._redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def _names(record: logging.LogRecord) -> tuple[str, ...]:
    """The job a record is about: its id is shown as it is, even where it looks like a token."""
    job_id = record.__dict__.get("job_id")
    return (job_id,) if isinstance(job_id, str) else ()


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message`, for a person watching a terminal."""

    def __init__(self, redact: Redact = str) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return sparing(self._redact, super().format(record), _names(record))


class ConductorLog:
    """Where the conductor's records go; `apply` sets (and on reload, changes) the level and
    the file without losing a record."""

    def __init__(self, *, detached: bool, redact: Redact = str) -> None:
        self.detached = detached
        self._redact = redact
        self._handler: logging.Handler | None = None
        self.path: Path | None = None

    def apply(self, level: str, path: Path) -> None:
        """Keep records of `level` and above; in the background, write them to `path`."""
        root = logging.getLogger(ROOT)
        root.setLevel(LEVELS[level.lower()])
        root.propagate = False
        if self._handler is not None and (not self.detached or path == self.path):
            return
        handler = self._new_handler(path)
        if self._handler is not None:
            root.removeHandler(self._handler)
            self._handler.close()
        root.addHandler(handler)
        self._handler, self.path = handler, path if self.detached else None

    def _new_handler(self, path: Path) -> logging.Handler:
        handler: logging.Handler
        if self.detached:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(
                path, maxBytes=ROTATE_BYTES, backupCount=ROTATE_KEEP, encoding="utf-8"
            )
            handler.setFormatter(JsonFormatter(self._redact))
        else:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(TextFormatter(self._redact))
        return handler

    def close(self) -> None:
        """Stop writing; records go back to Python's default handling."""
        if self._handler is not None:
            root = logging.getLogger(ROOT)
            root.removeHandler(self._handler)
            root.propagate = True
            self._handler.close()
            self._handler = None
