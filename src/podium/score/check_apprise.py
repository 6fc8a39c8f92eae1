"""Checks of a score's apprise notifications: P008 apprise is not installed, P009 a URL that
apprise cannot read. Both are errors: the score's notices could never be sent.

Apprise is imported only for a score that has an apprise entry (see
`podium.apprise_support`), and only to read its URLs: nothing is sent. A URL is never quoted,
by position only: its tokens are in it.
"""

from collections.abc import Iterator

from podium.apprise_support import install_command, installed, readable
from podium.domain.notices import split_urls, url_scheme
from podium.score.compiled import CompiledScore
from podium.score.diagnostics import Diagnostic
from podium.score.findings import ERROR, finding


def apprise_notifications(score: CompiledScore) -> Iterator[Diagnostic]:
    entries = [
        (index, entry.config)
        for index, entry in enumerate(score.model.notifications)
        if entry.type == "apprise"
    ]
    if not entries:
        return
    if not installed():
        for index, _ in entries:
            yield finding(
                score,
                ("notifications", index, "type"),
                "apprise notifications need the 'apprise' package, which is not installed "
                f"where Podium runs; install it with: {install_command()}",
                "P008",
                ERROR,
            )
        return
    for index, config in entries:
        if "urls" in config:  # else `url_env`, read by the conductor when it sends
            yield from _urls(score, index, config["urls"])


def _urls(score: CompiledScore, index: int, urls: object) -> Iterator[Diagnostic]:
    listed = urls if isinstance(urls, list) else [urls]
    for at, text in enumerate(listed):
        path: tuple[str | int, ...] = ("notifications", index, "config", "urls")
        if isinstance(urls, list):
            path = (*path, at)
        unread = [url for url in split_urls(str(text)) if not readable(url)]
        for url in unread:
            scheme = url_scheme(url)
            what = f"this {scheme} URL" if scheme.endswith("://") else "a value without scheme://"
            yield finding(
                score,
                path,
                f"apprise cannot read {what}: check the service's name and settings "
                "(https://github.com/caronc/apprise/wiki lists them)",
                "P009",
                ERROR,
            )
