"""Where Podium keeps its files, from the environment (XDG, or `PODIUM_HOME` for everything).

The CLI imports this on every command, so it uses `os.path` and plain strings: pathlib alone
would add several milliseconds to `podium status`.
"""

import os

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
        return os.path.join(self.state_dir, "conductor.log")

    def socket_too_long(self) -> bool:
        return len(os.fsencode(self.socket)) > SOCKET_PATH_MAX


def locate(env: dict[str, str] | None = None) -> Locations:
    """The locations for this user. `PODIUM_HOME` puts everything under one folder;
    `PODIUM_SOCKET` overrides the socket alone."""
    env = dict(os.environ) if env is None else env
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
    if env.get("PODIUM_SOCKET"):
        found = Locations(found.state_dir, found.config_file, _absolute(env["PODIUM_SOCKET"]))
    return found


def _absolute(path: str) -> str:
    return os.path.abspath(os.path.expanduser(path))
