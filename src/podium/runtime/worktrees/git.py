"""Running git for the conductor: in a worker thread, with a timeout, never on the event loop.

Variables that would point git at another repository (`GIT_DIR`, `GIT_WORK_TREE`…) are left
out of its environment, and it never prompts.
"""

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

from podium.host.private import user_umask

GIT_TIMEOUT_SECONDS = 60.0

_REDIRECTING = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
    }
)


class GitFailed(Exception):
    """A git command failed: which one, where, and what git said."""

    def __init__(self, args: tuple[str, ...], cwd: Path, message: str) -> None:
        super().__init__(message)
        self.command = " ".join(("git", *args))
        self.cwd = cwd
        self.message = message

    def __str__(self) -> str:
        return f"'{self.command}' in {self.cwd} failed: {self.message}"


async def git(*args: str, cwd: Path, timeout: float = GIT_TIMEOUT_SECONDS) -> str:
    """Run `git ARGS` in `cwd`; its output, stripped. Raises GitFailed."""
    return await asyncio.to_thread(_run, args, cwd, timeout)


def _run(args: tuple[str, ...], cwd: Path, timeout: float) -> str:
    program = shutil.which("git")
    if program is None:
        raise GitFailed(args, cwd, "git is not installed (no 'git' on PATH)")
    env = {k: v for k, v in os.environ.items() if k not in _REDIRECTING}
    env |= {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            [program, *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            umask=user_umask(),  # a worktree's files are the user's
        )
    except subprocess.TimeoutExpired:
        raise GitFailed(args, cwd, f"no answer within {timeout:g}s") from None
    except OSError as exc:
        raise GitFailed(args, cwd, exc.strerror or str(exc)) from None
    if done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip()).replace("\n", " / ")
        raise GitFailed(args, cwd, said or f"exit code {done.returncode}")
    return done.stdout.strip()
