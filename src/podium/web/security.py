"""Who may use the dashboard: every request carries the user's access token, every action a
token against cross-site requests, and only the host names it serves are answered.

The token (`podium.host.access_token`) comes once in the link `podium web` prints
(`/?token=…`); the answer moves it into a cookie, kept from other sites (SameSite=Strict) and
from scripts (HttpOnly), and sends the browser on to the same page without it. A program may
send it as `Authorization: Bearer …` instead.

An action (a POST) also needs the form token (`csrf` field, or the `X-CSRF-Token` header),
derived from the access token, so no page of another site can make a browser act, and its
`Origin`, when the browser gives one, must be this server. Bound to a loopback address, the
server answers only loopback host names, which keeps a hostile page's DNS rebinding out.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlencode

from podium.host.access_token import same_token

COOKIE = "podium_token"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
COOKIE_SECONDS = 30 * 24 * 3600
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


@dataclass(frozen=True, slots=True)
class Guard:
    """The access token, and the host names the server answers (None: any, with
    `--allow-remote`)."""

    token: str
    hosts: frozenset[str] | None

    @property
    def csrf(self) -> str:
        """The form token: the same for every page of this token, useless without it."""
        return hmac.new(self.token.encode(), b"podium-web-form", hashlib.sha256).hexdigest()

    def host_allowed(self, host_header: str | None) -> bool:
        if self.hosts is None:
            return True
        if not host_header:
            return False
        return host_name(host_header) in self.hosts

    def token_ok(self, given: str | None) -> bool:
        return same_token(given, self.token)

    def csrf_ok(self, given: str | None) -> bool:
        return same_token(given, self.csrf)


def host_name(host_header: str) -> str:
    """`Host: 127.0.0.1:8765` → `127.0.0.1`; `[::1]:8765` → `[::1]`."""
    if host_header.startswith("["):
        return host_header.split("]", 1)[0] + "]"
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def origin_ok(origin: str | None, scheme: str, host_header: str | None) -> bool:
    """A browser's `Origin` on a POST must be this server; no `Origin` (an older browser, a
    program) leaves the decision to the form token."""
    if origin is None or origin == "":
        return True
    return origin == f"{scheme}://{host_header}"


def without_token(path: str, query: list[tuple[str, str]]) -> str:
    """The address to send the browser on to once the token is in its cookie."""
    kept = [(k, v) for k, v in query if k != "token"]
    return path + ("?" + urlencode(kept) if kept else "")


def base_url(host: str, port: int) -> str:
    """`http://127.0.0.1:8765`; an IPv6 address in brackets."""
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    return f"http://{shown}:{port}"


def link(base: str, token: str) -> str:
    """The link `podium web` prints: the dashboard, with the token for the first visit."""
    return f"{base}/?{urlencode({'token': token})}"
