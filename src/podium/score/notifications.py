"""A score's `notifications:` entries as the conductor sends them (see docs/notifications.md).

The entries were checked when the score was read (`NotificationConfig`), so turning them into
`Notification`s cannot fail.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from podium.domain.notices import Channel, NoticeEvent, Notification
from podium.score.blocks import (
    NOTIFY_RETRIES,
    NOTIFY_TIMEOUT_SECONDS,
    NotificationConfig,
    apprise_urls,
    email_addresses,
)

_URL_KEYS = {Channel.WEBHOOK: "url", Channel.SLACK: "webhook_url"}
_URL_ENV_KEYS = {
    Channel.WEBHOOK: "url_env",
    Channel.SLACK: "webhook_url_env",
    Channel.APPRISE: "url_env",
}


def notifications(entries: Iterable[NotificationConfig]) -> tuple[Notification, ...]:
    return tuple(_notification(entry) for entry in entries)


def _notification(entry: NotificationConfig) -> Notification:
    config: Mapping[str, Any] = entry.config
    channel = Channel(entry.type)
    key = _URL_KEYS.get(channel)
    return Notification(
        channel=channel,
        events=frozenset(NoticeEvent(e) for e in entry.on_events),
        url=config.get(key) if key else None,
        url_env=config.get(_URL_ENV_KEYS[channel]) if channel in _URL_ENV_KEYS else None,
        headers=tuple((str(k), str(v)) for k, v in config.get("headers", {}).items()),
        timeout_seconds=float(config.get("timeout", NOTIFY_TIMEOUT_SECONDS)),
        retries=int(config.get("retries", NOTIFY_RETRIES)),
        to=tuple(email_addresses(config.get("to"))) if channel is Channel.EMAIL else (),
        urls=tuple(apprise_urls(config.get("urls"))) if channel is Channel.APPRISE else (),
    )
