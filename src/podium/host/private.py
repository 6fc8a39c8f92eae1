"""Podium's files are its user's alone: prompts, outputs and logs may hold secrets.

Two nets. The conductor runs under umask 077 from its first moment, so any file or folder it
creates is private even where nobody thought of it; and the files that matter most are created
here, with explicit modes, whatever the umask. The processes it starts for the user (attempts,
checks, hooks, git) get back the umask the user started it with: what an agent writes in its
workspace is the user's, with the user's usual modes. So is what the conductor itself creates
outside its state folder (a workspace, its published logs, archives, a concert log, a line in a
repository's exclude file): `make_user_dir` and `open_for_user` give those the user's modes.
"""

import os
import stat

from podium.domain.errors import UserError

FILE_MODE = 0o600
FOLDER_MODE = 0o700
PRIVATE_UMASK = 0o077

_started_with: int | None = None


def keep_private() -> None:
    """Create every file of this process private from now on (umask 077); the umask it
    replaces is kept for the processes started for the user (`user_umask`)."""
    global _started_with  # noqa: PLW0603 - the umask is the process's, so is what it replaced
    replaced = os.umask(PRIVATE_UMASK)
    if _started_with is None:
        _started_with = replaced


def user_umask() -> int:
    """The umask the user started Podium with: pass it to every process started for them
    (`subprocess.Popen(umask=...)`)."""
    if _started_with is not None:
        return _started_with
    current = os.umask(PRIVATE_UMASK)
    os.umask(current)
    return current


def open_private(path: str | os.PathLike[str], flags: int) -> int:
    """`os.open` creating the file as 0600; a file of ours found open to others (written by
    an older version) is made private too."""
    fd = os.open(path, flags | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        info = os.fstat(fd)
        if stat.S_IMODE(info.st_mode) & PRIVATE_UMASK and info.st_uid == os.getuid():
            os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def make_private(path: str | os.PathLike[str]) -> None:
    """Make a file of ours that others can read private (0600); one created by someone else
    (SQLite) under a wider umask, or by an older version."""
    info = os.stat(path)
    if stat.S_IMODE(info.st_mode) & PRIVATE_UMASK and info.st_uid == os.getuid():
        os.chmod(path, FILE_MODE)


def make_private_dir(path: str | os.PathLike[str]) -> None:
    """Create the folder and any missing parents as 0700 (an existing one is left as is)."""
    _make_dirs(path, FOLDER_MODE)


def make_user_dir(path: str | os.PathLike[str]) -> None:
    """Create a folder of the user's (and any missing parents) with the modes the user's own
    mkdir would give it: 0777 less the umask they started Podium with. An existing one is
    left as is. For everything outside the state folder: a workspace is the user's project."""
    _make_dirs(path, 0o777 & ~user_umask())


def open_for_user(path: str | os.PathLike[str], flags: int) -> int:
    """`os.open` for a file of the user's, outside the state folder: a new file gets the
    modes the user's own tools would give it (0666 less their umask), an existing one keeps
    its own."""
    mode = 0o666 & ~user_umask()
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    except FileExistsError:
        return os.open(path, (flags & ~os.O_CREAT) | os.O_CLOEXEC)
    try:
        os.fchmod(fd, mode)  # open's mode passes through the conductor's umask
    except BaseException:
        os.close(fd)
        raise
    return fd


def _make_dirs(path: str | os.PathLike[str], mode: int) -> None:
    missing = []
    folder = os.path.abspath(path)
    while not os.path.isdir(folder):
        missing.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    for name in reversed(missing):
        try:
            os.mkdir(name, mode)
        except FileExistsError:
            if not os.path.isdir(name):
                raise
        else:
            # mkdir's mode passes through the conductor's umask; the setgid bit a folder takes
            # from its parent (a group's shared project) stays, as with the user's own mkdir.
            inherited = stat.S_IMODE(os.stat(name).st_mode) & stat.S_ISGID
            os.chmod(name, mode | inherited)


class NotPrivate(UserError):
    """The state folder cannot be made private: it belongs to another user, or its mode
    cannot be changed. The message says which and what to do."""


def secure_state_dir(path: str) -> int | None:
    """Create the state folder private, or make an existing one of ours private (0700).
    Returns the mode it had when it was open to others, for the caller to report; None when
    nothing changed. Raises NotPrivate for a folder of another user or one that stays open."""
    if not os.path.exists(path):
        # Only the state folder is private: folders made above it (`~/.local/state`) are the
        # user's, with their usual modes.
        make_user_dir(os.path.dirname(os.path.abspath(path)))
        make_private_dir(path)
        return None
    info = os.stat(path)
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid != os.getuid():
        raise NotPrivate(
            f"the state folder {path} belongs to uid {info.st_uid}, not to you (uid "
            f"{os.getuid()}); it would hold your prompts and outputs, so Podium refuses it. "
            "Set PODIUM_HOME (or XDG_STATE_HOME) to a folder of your own"
        )
    if not mode & PRIVATE_UMASK:
        return None
    try:
        os.chmod(path, FOLDER_MODE)
    except OSError as exc:
        raise NotPrivate(
            f"the state folder {path} is open to other users (mode {mode:o}) and cannot be "
            f"made private ({exc.strerror}); run 'chmod 700 {path}' or set PODIUM_HOME to "
            "a private folder"
        ) from None
    return mode
