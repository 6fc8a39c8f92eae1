"""Where the fake agent keeps what it was asked: one file per prompt and a line per call.

The record folder is `$PODIUM_FAKE_AGENT_RECORD`, or `.fake-agent/` in the working directory.
It holds `prompt-0001.txt`, `prompt-0002.txt`, ... (numbered in arrival order, safe when several
agents run at once), `calls.jsonl`, and `uses/` where script rules with `times` count their uses.
"""

import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

RECORD_ENV = "PODIUM_FAKE_AGENT_RECORD"
DEFAULT_FOLDER = ".fake-agent"

_PROMPT = re.compile(r"prompt-(\d+)\.txt")


@dataclass(frozen=True, slots=True)
class Call:
    """One line of `calls.jsonl`."""

    time: float
    pid: int
    cwd: str
    model: str
    argv: list[str]
    prompt_file: str
    rule: int | None
    """The script rule that applied (1-based), if any."""
    actions: list[str]
    exit_code: int | None
    """None for a run that hangs; minus the signal number for a crash."""
    error: str | None = None


class Record:
    """The record folder of one workspace."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def of(cls, cwd: Path, environ: Mapping[str, str]) -> "Record":
        """The record folder chosen by the environment, else `.fake-agent/` under `cwd`."""
        chosen = environ.get(RECORD_ENV)
        return cls(cwd / chosen if chosen else cwd / DEFAULT_FOLDER)

    @property
    def calls_file(self) -> Path:
        return self.folder / "calls.jsonl"

    def save_prompt(self, prompt: str) -> Path:
        """Keep `prompt` in the next free `prompt-NNNN.txt`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        taken = (_PROMPT.fullmatch(p.name) for p in self.folder.iterdir())
        number = max((int(m.group(1)) for m in taken if m), default=0) + 1
        data = prompt.encode("utf-8", errors="surrogateescape")
        while True:
            path = self.folder / f"prompt-{number:04d}.txt"
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                number += 1
                continue
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            return path

    def claim(self, key: str, times: int) -> bool:
        """Take one of the `times` uses of the rule `key`; False when all are taken."""
        uses = self.folder / "uses"
        uses.mkdir(parents=True, exist_ok=True)
        for n in range(1, times + 1):
            try:
                os.close(os.open(uses / f"{key}-{n}", os.O_WRONLY | os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                continue
            return True
        return False

    def log(self, call: Call) -> None:
        """Add `call` to `calls.jsonl` in one append, so lines of parallel agents never mix."""
        self.folder.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(asdict(call), ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(self.calls_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
