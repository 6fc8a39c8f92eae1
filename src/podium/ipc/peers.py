"""Who is at the other end of the conductor's socket, so that each side talks to its own user
only, the way `podium.host.platform` chose:

- SO_PEERCRED (Linux): the kernel names the peer's uid;
- LOCAL_PEERCRED (macOS, FreeBSD; `getpeereid` reads the same): the kernel names the peer's
  uid in a `struct xucred`;
- the socket folder (anywhere else, and on Linux under `PODIUM_PORTABLE=1`): the peer cannot be
  named, so what is checked is who can reach the socket at all. The conductor asks, at every
  connection, that the socket's folder belong to this user and be closed to others (0700), and
  the socket too (0600): then only this user's processes, and root's, can connect. The client
  asks that the socket be this user's, in a folder of this user's that no one else can write
  in: then no one else can have put it there. The guarantee differs in one point: root is not
  refused (it could act as this user anyway). A folder opened to others is refused whoever
  connects, this user too, until it is private again.

Standard library only: the CLI's client uses it.
"""

import os
import socket
import stat
import struct

from podium.host import platform

SOL_LOCAL = 0
LOCAL_PEERCRED = 1
_XUCRED = "IIh16I"
"""struct xucred: cr_version, cr_uid, cr_ngroups, cr_groups[XU_NGROUPS = 16]."""
XUCRED_VERSION = 0


def peer_uid(sock: socket.socket, way: str) -> int | None:
    """The uid of the process at the other end, as the kernel names it; None when `way` is the
    socket folder (see `private_socket_problem` then). Raises OSError when the kernel will not
    say."""
    if way == platform.SO_PEERCRED:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return int(struct.unpack("3i", creds)[1])
    if way == platform.LOCAL_PEERCRED:
        creds = sock.getsockopt(SOL_LOCAL, LOCAL_PEERCRED, struct.calcsize(_XUCRED))
        return xucred_uid(creds)
    return None


def xucred_uid(creds: bytes) -> int:
    """The uid in a `struct xucred`; OSError for a version this code does not know."""
    version, uid = struct.unpack_from("II", creds)
    if version != XUCRED_VERSION:
        raise OSError(f"LOCAL_PEERCRED answered a struct xucred of version {version}")
    return int(uid)


def private_socket_problem(path: str, uid: int | None = None) -> str | None:
    """The conductor's look: why processes of other users might reach the socket at `path`.
    None when its folder and the socket itself belong to `uid` (default: this process's) and
    are closed to others."""
    return _problem(path, uid, folder_closed=0o077, socket_closed=0o077)


def own_socket_problem(path: str, uid: int | None = None) -> str | None:
    """The client's look: why the socket at `path` might have been put there by another user.
    None when it belongs to `uid` (default: this process's), in a folder that is `uid`'s and
    that nobody else can write in (a process binds a socket as its own user; no one else could
    have put one there since)."""
    return _problem(path, uid, folder_closed=0o022, socket_closed=0)


def _problem(path: str, uid: int | None, folder_closed: int, socket_closed: int) -> str | None:
    uid = os.getuid() if uid is None else uid
    folder = os.path.dirname(path) or "."  # noqa: PTH120 - the CLI avoids pathlib
    for what, where, closed in (
        ("socket folder", folder, folder_closed),
        ("socket", path, socket_closed),
    ):
        try:
            info = os.lstat(where)
        except OSError as exc:
            return f"the {what} {where} cannot be looked at ({exc.strerror or exc})"
        if info.st_uid != uid:
            return f"the {what} {where} belongs to uid {info.st_uid}, not to uid {uid}"
        mode = stat.S_IMODE(info.st_mode)
        if mode & closed:
            return f"the {what} {where} is open to other users (mode {mode:o})"
    return None
