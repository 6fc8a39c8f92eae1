"""Sending a notice through Apprise: one service URL after another, each told at most once
per notice (a retry skips those already told), its failures said without its secrets.

Apprise is imported on the first send (see `podium.apprise_support`). It does not say why a
service failed but in its log records; those are kept apart from Podium's log, masked, and
become the failure's reason.
"""

import logging
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from types import ModuleType

from podium.apprise_support import captured, install_command, load
from podium.domain.notices import Notice, NoticeEvent, headline, message, url_scheme
from podium.redact import MASK, url_secrets

REASON_CHARS = 300
"""Of apprise's own words for one service's failure, those kept."""

_KINDS = {
    NoticeEvent.JOB_COMPLETE: "success",
    NoticeEvent.SHEET_COMPLETE: "success",
    NoticeEvent.JOB_FAILED: "failure",
    NoticeEvent.SHEET_FAILED: "failure",
    NoticeEvent.JOB_PAUSED: "warning",
    NoticeEvent.RATE_LIMIT: "warning",
    NoticeEvent.APPROVAL_REQUESTED: "warning",
    NoticeEvent.APPROVAL_EXPIRED: "warning",
}
"""Apprise's notify types, which services show as a colour or an icon; others are 'info'."""

_REFUSED = re.compile(r"\berror=4(?!29)\d\d\b")
"""How apprise's HTTP services log an answer that trying again will not change."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a notice sent to some URLs: the positions of those told, and why the
    others were not (masked), with whether trying them again may help."""

    told: frozenset[int]
    failures: tuple[str, ...] = ()
    retryable: bool = True


def send(
    urls: Sequence[str], notice: Notice, timeout: float, skip: Collection[int] = ()
) -> Outcome:
    """Tell `notice` to each of `urls` but those at the positions in `skip`, waiting at most
    `timeout` seconds for each service to connect and to answer. Blocks: run it in a thread.
    Raises ModuleNotFoundError when apprise is not installed."""
    apprise = load()
    told, failures, retryable = set(skip), [], False
    for at, url in enumerate(urls):
        if at in skip:
            continue
        failure = _tell(apprise, url, notice, timeout)
        if failure is None:
            told.add(at)
        else:
            failures.append(failure.reason)
            retryable = retryable or failure.retryable
    return Outcome(frozenset(told), tuple(failures), retryable)


@dataclass(frozen=True, slots=True)
class _Failure:
    reason: str
    retryable: bool


def _tell(apprise: ModuleType, url: str, notice: Notice, timeout: float) -> _Failure | None:
    with captured() as records:
        service = apprise.Apprise()
        if not service.add(url):
            said = _said(records, url)
            return _Failure(f"{url_scheme(url)} is not a URL apprise can read ({said})", False)
        for plugin in service:
            plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout
        kind = _KINDS.get(notice.event, "info")
        if service.notify(body=message(notice), title=headline(notice), notify_type=kind):
            return None
    said = _said(records, url)
    return _Failure(f"{url_scheme(url)} was not told: {said}", not _REFUSED.search(said))


def _said(records: Sequence[logging.LogRecord], url: str) -> str:
    """Apprise's words for a failure, without the URL's secrets."""
    text = " ".join(r.getMessage() for r in records) or "apprise gave no reason"
    for secret in sorted(url_secrets(url), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text[:REASON_CHARS]


def missing() -> str:
    """Why an apprise notice cannot be sent without apprise, and what to do."""
    return (
        "apprise is not installed where the conductor runs; install it with "
        f"{install_command()}, then restart the conductor"
    )
