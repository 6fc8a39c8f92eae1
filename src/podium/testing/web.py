"""`podium web` for tests and benchmarks: the dashboard served on a free port for a
conductor's environment, with the link it printed; and how to start Debian's Chromium here."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from types import TracebackType

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Without the network flags Chromium tries Google's hosts at every start, which a machine
with no way out refuses, many times over."""

BANNER = "Podium dashboard: "


class WebProcess:
    """A `podium web` process on a free port; `link` carries the token, `base` does not."""

    def __init__(self, env: Mapping[str, str], *extra: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "podium.cli.main", "web", "--port", "0", *extra],
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        if not first.startswith(BANNER):
            self.stop()
            raise RuntimeError(f"podium web did not start: {first!r}")
        self.link = first.removeprefix(BANNER).strip()
        self.base, _, self.token = self.link.partition("/?token=")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> WebProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
