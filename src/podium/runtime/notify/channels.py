"""Sending one notice on one channel: a webhook's JSON, a Slack message, an email, a desktop
bubble, or the services of Apprise URLs. Each send either returns or raises `NotifyFailed`,
saying whether to try again; the blocking ones (HTTP, SMTP, Apprise) run in a thread so the
event loop never waits on the network."""

import asyncio
import http.client
import json
import logging
import shutil
import smtplib
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import assert_never

from podium import __version__
from podium.config import SmtpConfig
from podium.domain.notices import (
    Channel,
    Notice,
    Notification,
    headline,
    message,
    payload,
    split_urls,
)
from podium.host.private import user_umask
from podium.runtime.notify import apprise_channel

log = logging.getLogger(__name__)

RESPONSE_BYTES_READ = 65536
DESKTOP_TIMEOUT_SECONDS = 10.0


class NotifyFailed(Exception):
    """A notice could not be sent; `retryable` when trying again later may help. `told`:
    the positions of the destination's URLs told all the same (an apprise entry's), which
    the next try skips."""

    def __init__(
        self, reason: str, *, retryable: bool = True, told: frozenset[int] = frozenset()
    ) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.told = told


@dataclass(frozen=True, slots=True)
class Channels:
    """What sending needs from the conductor: its environment (URLs and passwords kept in
    variables) and its mail server, read anew for each send (a reload may change it)."""

    environ: Mapping[str, str]
    smtp: Callable[[], SmtpConfig | None]

    async def send(
        self, target: Notification, notice: Notice, skip: frozenset[int] = frozenset()
    ) -> bool:
        """Send `notice` to `target` (but to the URLs at the positions in `skip`, told by an
        earlier try); False when there was nothing to send it with (a desktop notice without
        notify-send)."""
        match target.channel:
            case Channel.WEBHOOK:
                body = json.dumps(payload(notice)).encode()
                await asyncio.to_thread(post, self._url(target), body, target)
            case Channel.SLACK:
                body = json.dumps({"text": message(notice)}).encode()
                await asyncio.to_thread(post, self._url(target), body, target)
            case Channel.EMAIL:
                await asyncio.to_thread(self._mail, target, notice)
            case Channel.DESKTOP:
                return await desktop(notice)
            case Channel.APPRISE:
                await self._apprise(target, notice, skip)
            case _:
                assert_never(target.channel)
        return True

    def _url(self, target: Notification) -> str:
        if target.url is not None:
            return target.url
        assert target.url_env is not None  # the score's model requires one of them
        url = self.environ.get(target.url_env, "")
        if not url.startswith(("http://", "https://")):
            said = "is not set" if not url else "does not hold an http:// or https:// URL"
            raise NotifyFailed(
                f"{target.url_env} {said} in the conductor's environment; set it where the "
                "conductor starts, then restart it",
                retryable=False,
            )
        return url

    async def _apprise(self, target: Notification, notice: Notice, skip: frozenset[int]) -> None:
        urls = [*target.urls, *self._apprise_env(target)]
        try:
            outcome = await asyncio.to_thread(
                apprise_channel.send, urls, notice, target.timeout_seconds, skip
            )
        except ModuleNotFoundError as exc:
            if exc.name != "apprise":
                raise
            raise NotifyFailed(apprise_channel.missing(), retryable=False) from None
        if outcome.failures:
            raise NotifyFailed(
                "; ".join(outcome.failures), retryable=outcome.retryable, told=outcome.told
            )

    def _apprise_env(self, target: Notification) -> list[str]:
        if target.url_env is None:
            return []
        urls = split_urls(self.environ.get(target.url_env, ""))
        if not urls:
            raise NotifyFailed(
                f"{target.url_env} is not set in the conductor's environment; set it to the "
                "apprise URLs where the conductor starts, then restart it",
                retryable=False,
            )
        return urls

    def _mail(self, target: Notification, notice: Notice) -> None:
        smtp = self.smtp()
        if smtp is None:
            raise NotifyFailed(
                "no mail server is configured: set notifications.smtp in conductor.yaml "
                "(see docs/notifications.md)",
                retryable=False,
            )
        password = None
        if smtp.password_env is not None:
            password = self.environ.get(smtp.password_env)
            if password is None:
                raise NotifyFailed(
                    f"{smtp.password_env} (notifications.smtp.password_env) is not set in the "
                    "conductor's environment",
                    retryable=False,
                )
        mail = EmailMessage()
        mail["From"], mail["To"] = smtp.sender, ", ".join(target.to)
        mail["Subject"] = headline(notice)
        mail.set_content(message(notice))
        send_mail(smtp, password, mail, target.timeout_seconds)


def post(url: str, body: bytes, target: Notification) -> None:
    """POST `body` (JSON) to `url`; any 2xx answer is a success."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"podium/{__version__}",
        **dict(target.headers),
    }
    # Only http:// and https:// URLs get here (the score and `_url` check them).
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=target.timeout_seconds) as answer:  # noqa: S310
            answer.read(RESPONSE_BYTES_READ)
    except urllib.error.HTTPError as exc:
        retryable = exc.code >= 500 or exc.code == 429
        raise NotifyFailed(
            f"the server answered {exc.code} {exc.reason}", retryable=retryable
        ) from None
    except urllib.error.URLError as exc:
        raise NotifyFailed(f"could not reach it: {exc.reason}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise NotifyFailed(f"could not reach it: {exc or type(exc).__name__}") from None


def send_mail(smtp: SmtpConfig, password: str | None, mail: EmailMessage, timeout: float) -> None:
    where = f"the mail server {smtp.host}:{smtp.port}"
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as server:
            if smtp.starttls:
                server.starttls(context=ssl.create_default_context())
            if smtp.username is not None:
                server.login(smtp.username, password or "")
            server.send_message(mail)
    except smtplib.SMTPAuthenticationError as exc:
        raise NotifyFailed(f"{where} refused the login: {exc.smtp_code}", retryable=False) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise NotifyFailed(f"{where}: {exc or type(exc).__name__}") from None


async def desktop(notice: Notice) -> bool:
    """Show the notice with notify-send; False when it is not installed."""
    program = shutil.which("notify-send")
    if program is None:
        return False
    process = await asyncio.create_subprocess_exec(
        program,
        "--app-name=Podium",
        headline(notice),
        message(notice),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        umask=user_umask(),
    )
    try:
        _, err = await asyncio.wait_for(process.communicate(), DESKTOP_TIMEOUT_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise NotifyFailed(
            f"notify-send did not finish within {DESKTOP_TIMEOUT_SECONDS:g}s", retryable=False
        ) from None
    if process.returncode:
        said = err.decode(errors="replace").strip()[-300:]
        raise NotifyFailed(f"notify-send exited with {process.returncode}: {said}", retryable=False)
    return True
