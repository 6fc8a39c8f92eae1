"""The secret that lets a browser or an HTTP client act for the user: `podium web` and
`podium mcp --http` ask every request for it.

It lives in the state folder, readable by the user alone (0600), and is made on first use;
whoever can read it can already read the conductor's socket and state. `--new-token` makes
a fresh one (the old one stops working).
"""

import hmac
import os
import secrets
from pathlib import Path

from podium.host.private import open_private, secure_state_dir

TOKEN_FILE = "web.token"  # noqa: S105 - the file's name, not a secret
_TOKEN_BYTES = 32
_MAX_READ = 4096


def token_path(state_dir: str) -> Path:
    return Path(state_dir) / TOKEN_FILE


def access_token(state_dir: str, *, renew: bool = False) -> str:
    """The user's token, made (0600) when there is none yet or when `renew` asks for a new one."""
    path = token_path(state_dir)
    if not renew:
        found = _read(path)
        if found:
            return found
    secure_state_dir(state_dir)
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    partial = path.with_name(f"{TOKEN_FILE}.{os.getpid()}.partial")
    fd = open_private(partial, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, token.encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    partial.replace(path)
    return token


def same_token(given: str | None, token: str) -> bool:
    """Whether `given` is the token, compared in constant time."""
    if not given:
        return False
    return hmac.compare_digest(given.encode(), token.encode())


def _read(path: Path) -> str | None:
    try:
        fd = open_private(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        text = os.read(fd, _MAX_READ).decode("ascii", "replace").strip()
    finally:
        os.close(fd)
    return text or None
