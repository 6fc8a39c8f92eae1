"""Where Podium keeps its files, from the environment (XDG, or `PODIUM_HOME` for everything).

The CLI imports this on every command, so it uses `os.path` and plain strings: pathlib alone
would add several milliseconds to `podium status`. For the same reason `socket.path` is read
from conductor.yaml by a small parser of its usual forms, YAML (40 ms to import) only for others.
"""

import os
import re

from podium.host.bounded import CONFIG_MAX_BYTES, read_user_text

SOCKET_PATH_MAX = 107
"""The longest path a Unix socket can be bound at (sun_path holds 108 bytes, NUL included)."""


class Locations:
    """The state folder (database, logs, pid file), the config file and the socket."""

    __slots__ = ("config_file", "socket", "state_dir")

    def __init__(self, state_dir: str, config_file: str, socket: str) -> None:
        self.state_dir = state_dir
        self.config_file = config_file
        self.socket = socket

    @property
    def database(self) -> str:
        return os.path.join(self.state_dir, "podium.db")

    @property
    def jobs_dir(self) -> str:
        return os.path.join(self.state_dir, "jobs")

    @property
    def pid_file(self) -> str:
        return os.path.join(self.state_dir, "conductor.pid")

    @property
    def log_file(self) -> str:
        """The default log; conductor.yaml's `log_file` may put it elsewhere."""
        return os.path.join(self.state_dir, "conductor.log")

    @property
    def stderr_file(self) -> str:
        """What a conductor started in the background printed outside its log: why it could
        not start, or a crash."""
        return os.path.join(self.state_dir, "conductor.stderr")

    def socket_too_long(self) -> bool:
        return len(os.fsencode(self.socket)) > SOCKET_PATH_MAX


def locate(env: dict[str, str] | None = None, config_file: str | None = None) -> Locations:
    """The locations for this user. `PODIUM_HOME` puts everything under one folder; the socket
    is `PODIUM_SOCKET`, else conductor.yaml's `socket.path` (of `config_file` when given, else
    of the default file), else the default."""
    env = dict(os.environ) if env is None else env
    found = _defaults(env)
    if config_file is not None:
        found = Locations(found.state_dir, _absolute(config_file), found.socket)
    if env.get("PODIUM_SOCKET"):
        return Locations(found.state_dir, found.config_file, _absolute(env["PODIUM_SOCKET"]))
    configured = configured_socket(found.config_file)
    if configured:
        return Locations(found.state_dir, found.config_file, configured)
    return found


def _defaults(env: dict[str, str]) -> Locations:
    home = env.get("PODIUM_HOME")
    if home:
        root = _absolute(home)
        found = Locations(
            root, os.path.join(root, "conductor.yaml"), os.path.join(root, "run", "podium.sock")
        )
    else:
        user_home = env.get("HOME") or os.path.expanduser("~")
        state = os.path.join(
            env.get("XDG_STATE_HOME") or os.path.join(user_home, ".local", "state"), "podium"
        )
        config = os.path.join(
            env.get("XDG_CONFIG_HOME") or os.path.join(user_home, ".config"),
            "podium",
            "conductor.yaml",
        )
        # Without a runtime dir, a private (0700) folder of our own in the temp dir.
        tmp = env.get("TMPDIR") or "/tmp"  # noqa: S108
        runtime = env.get("XDG_RUNTIME_DIR") or os.path.join(tmp, f"podium-{os.getuid()}")
        found = Locations(
            _absolute(state), _absolute(config), os.path.join(_absolute(runtime), "podium.sock")
        )
    return found


_SOCKET_KEY = re.compile(r"^socket[ \t]*:", re.MULTILINE)
_BLOCK_START = re.compile(r"^socket[ \t]*:[ \t]*(?:#.*)?$")
_PATH_LINE = re.compile(r"^[ \t]+path[ \t]*:[ \t]*(.*?)[ \t]*(?:[ \t]#.*)?$")
_QUOTED = re.compile(r"""^(["'])(.*)\1$""")


def configured_socket(config_file: str) -> str | None:
    """`socket.path` of conductor.yaml, absolute (relative to the file's folder), or None when
    the file does not exist or does not set it."""
    try:
        text = read_user_text(config_file, CONFIG_MAX_BYTES, "the conductor config", "a YAML file")
    except (OSError, UnicodeDecodeError):
        return None
    if not _SOCKET_KEY.search(text):
        return None
    found = _quick_socket_path(text)
    value = _yaml_socket_path(text) if found is _UNSURE else found
    if not isinstance(value, str) or not value:
        return None
    return socket_in(config_file, value)


def socket_in(config_file: str, path: str) -> str:
    """conductor.yaml's `socket.path`, absolute: a relative one is taken from the file's folder."""
    return os.path.normpath(os.path.join(os.path.dirname(config_file), os.path.expanduser(path)))


_UNSURE = object()


def _quick_socket_path(text: str) -> object:
    """The value of `path:` in a block-style `socket:` mapping; _UNSURE for any other form."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if _BLOCK_START.match(line)]
    if len(starts) != 1:
        return _UNSURE
    for line in lines[starts[0] + 1 :]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            return None
        path = _PATH_LINE.match(line)
        if path:
            value = path.group(1)
            quoted = _QUOTED.match(value)
            if quoted:
                return quoted.group(2) if "\\" not in value else _UNSURE
            if value in ("", "~", "null", "Null", "NULL") or value[0] in "&*!|>{[":
                return None if value in ("", "~", "null", "Null", "NULL") else _UNSURE
            return value
    return None


def _yaml_socket_path(text: str) -> object:
    import yaml  # noqa: PLC0415 - 40 ms, paid only for an unusual conductor.yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None  # the conductor reports the file's errors; the CLI uses the default
    socket = data.get("socket") if isinstance(data, dict) else None
    return socket.get("path") if isinstance(socket, dict) else None


def _absolute(path: str) -> str:
    return os.path.abspath(os.path.expanduser(path))
