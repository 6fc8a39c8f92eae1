"""Where Podium keeps its files, from the environment (XDG, or `PODIUM_HOME` for everything;
on macOS, ~/Library by default), and where the running conductor listens.

The CLI imports this on every command, so it uses `os.path` and plain strings (pathlib alone
would add several milliseconds to `podium status`) and reads no YAML: the conductor reads
conductor.yaml (`socket.path` with the rest) and names the socket it listens on in a small
file next to its pid file (`Locations.socket_file`); that file is what a client reads.
"""

import contextlib
import os
import sys

from podium.host.private import open_private

SOCKET_PATH_MAX = 107 if sys.platform.startswith("linux") else 103
"""The longest path a Unix socket can be bound at (sun_path holds 108 bytes on Linux, 104 on
macOS and the BSDs, NUL included)."""

_SOCKET_FILE_MAX_BYTES = 4096


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
    def socket_file(self) -> str:
        """Where the running conductor names the socket it listens on (see `listening`)."""
        return os.path.join(self.state_dir, "conductor.socket-path")

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
    """The locations for this user, as a client finds them: the socket is `PODIUM_SOCKET`,
    else the one the running conductor listens on, else the default. `config_file`: the
    conductor.yaml named on the command line instead of the default one."""
    env = dict(os.environ) if env is None else env
    return listening(defaults(env, config_file), env)


def defaults(env: dict[str, str] | None = None, config_file: str | None = None) -> Locations:
    """The locations for this user before any conductor runs: the socket is `PODIUM_SOCKET`,
    else the default (the conductor lays conductor.yaml's `socket.path` over it)."""
    env = dict(os.environ) if env is None else env
    found = _defaults(env)
    if config_file is not None:
        found = Locations(found.state_dir, _absolute(config_file), found.socket)
    if env.get("PODIUM_SOCKET"):
        return Locations(found.state_dir, found.config_file, _absolute(env["PODIUM_SOCKET"]))
    return found


def listening(found: Locations, env: dict[str, str] | None = None) -> Locations:
    """`found` with the socket the running conductor named in its socket file (unless
    `PODIUM_SOCKET` names one); `found` as it is when no conductor runs."""
    env = dict(os.environ) if env is None else env
    if env.get("PODIUM_SOCKET"):
        return found
    named = read_socket_file(found.socket_file)
    return found if named is None else Locations(found.state_dir, found.config_file, named)


def socket_in(config_file: str, path: str) -> str:
    """conductor.yaml's `socket.path`, absolute: a relative one is taken from the file's folder."""
    return os.path.normpath(os.path.join(os.path.dirname(config_file), os.path.expanduser(path)))


def read_socket_file(path: str) -> str | None:
    """The socket a conductor named in its socket file: one absolute path on one line. None
    when there is no such file (no conductor ran since the last clean stop) or it does not
    hold such a line. A conductor that crashed leaves its file: the path it names then
    answers no more, as a client finds out."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        data = os.read(fd, _SOCKET_FILE_MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    named = os.fsdecode(data.removesuffix(b"\n"))
    if len(data) > _SOCKET_FILE_MAX_BYTES or "\n" in named or not os.path.isabs(named):
        return None
    return named


def write_socket_file(path: str, socket: str) -> None:
    """Name the socket this conductor listens on for its clients, in a private file written
    whole: a temporary file renamed over the old one, so a client reads one path or the
    other, never half of one."""
    temporary = f"{path}.tmp"
    fd = open_private(temporary, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, os.fsencode(socket) + b"\n")
    finally:
        os.close(fd)
    os.replace(temporary, path)


def remove_socket_file(path: str) -> None:
    """At a clean stop: no conductor listens any more."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _defaults(env: dict[str, str], system: str = sys.platform) -> Locations:
    home = env.get("PODIUM_HOME")
    if home:
        root = _absolute(home)
        return Locations(
            root, os.path.join(root, "conductor.yaml"), os.path.join(root, "run", "podium.sock")
        )
    user_home = env.get("HOME") or os.path.expanduser("~")
    if system == "darwin":
        state, config, runtime = _macos(user_home)
    else:
        state = os.path.join(user_home, ".local", "state", "podium")
        config = os.path.join(user_home, ".config", "podium")
        # Without a runtime dir, a private (0700) folder of our own in the temp dir.
        runtime = os.path.join(env.get("TMPDIR") or "/tmp", f"podium-{os.getuid()}")  # noqa: S108
    # The XDG variables, where set, win on every system: whoever sets them wants them.
    if env.get("XDG_STATE_HOME"):
        state = os.path.join(env["XDG_STATE_HOME"], "podium")
    if env.get("XDG_CONFIG_HOME"):
        config = os.path.join(env["XDG_CONFIG_HOME"], "podium")
    runtime = env.get("XDG_RUNTIME_DIR") or runtime
    return Locations(
        _absolute(state),
        _absolute(os.path.join(config, "conductor.yaml")),
        os.path.join(_absolute(runtime), "podium.sock"),
    )


def _macos(user_home: str) -> tuple[str, str, str]:
    """State, config and socket folders by macOS's conventions (those of platformdirs):
    Application Support for what is kept, a folder in the caches for the socket."""
    library = os.path.join(user_home, "Library")
    kept = os.path.join(library, "Application Support", "podium")
    return kept, kept, os.path.join(library, "Caches", "TemporaryItems", "podium")


def _absolute(path: str) -> str:
    return os.path.abspath(os.path.expanduser(path))
