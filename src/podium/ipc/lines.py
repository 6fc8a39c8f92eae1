"""Reading newline-delimited messages from a socket, keeping what was read past a line for the
next one: the client's replies and a subscription's events share one connection, and a
timeout in the middle of a line loses nothing. Standard library only (the CLI uses it)."""

import socket

CHUNK = 1 << 16


class Lines:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = bytearray()
        self._scanned = 0
        """How far `_buffer` is known to hold no newline."""

    def readline(self, limit: int) -> bytes:
        """The next line with its newline; the first `limit` bytes when no newline comes
        within them; what is left (maybe b"") when the other end closed. Raises the socket's
        TimeoutError or OSError, after which reading can go on."""
        while True:
            end = self._buffer.find(b"\n", self._scanned, limit)
            if end >= 0:
                return self._take(end + 1)
            if len(self._buffer) >= limit:
                return self._take(limit)
            self._scanned = len(self._buffer)
            chunk = self.sock.recv(CHUNK)
            if not chunk:
                return self._take(len(self._buffer))
            self._buffer += chunk

    def _take(self, size: int) -> bytes:
        line = bytes(self._buffer[:size])
        del self._buffer[:size]
        self._scanned = 0
        return line
