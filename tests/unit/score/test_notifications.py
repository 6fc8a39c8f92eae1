"""A score's `notifications:` as the conductor sends them, and what `validate` says of them."""

import sys
from pathlib import Path

import pytest

from podium.domain.notices import Channel, NoticeEvent, Notification
from podium.instruments.registry import discover
from podium.score.checks import check
from podium.score.diagnostics import Severity
from tests.unit.score.helpers import BASE, compile_text, problems


def test_each_entry_becomes_a_notification_with_its_defaults() -> None:
    score = compile_text(
        BASE
        + """notifications:
  - type: webhook
    on_events: [job_start, rate_limit]
    config: {url: 'https://example.com/h', headers: {X-Token: abc, X-N: 2}, timeout: 3}
  - type: slack
    config: {webhook_url_env: SLACK_HOOK, retries: 0}
  - type: email
    on_events: [job_failed]
    config: {to: ops@example.com, url: 'https://ignored'}
  - type: desktop
"""
    )
    webhook, slack, email, desktop = score.notifications
    assert webhook == Notification(
        Channel.WEBHOOK,
        frozenset({NoticeEvent.JOB_START, NoticeEvent.RATE_LIMIT}),
        url="https://example.com/h",
        headers=(("X-Token", "abc"), ("X-N", "2")),
        timeout_seconds=3.0,
    )
    assert (slack.url, slack.url_env, slack.retries) == (None, "SLACK_HOOK", 0)
    assert slack.events == {NoticeEvent.JOB_COMPLETE, NoticeEvent.JOB_FAILED}
    assert (email.to, email.url, email.timeout_seconds, email.retries) == (
        ("ops@example.com",),
        None,
        10.0,
        3,
    )
    assert desktop == Notification(
        Channel.DESKTOP, frozenset({NoticeEvent.JOB_COMPLETE, NoticeEvent.JOB_FAILED})
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{type: email}", "an email notification needs 'to'"),
        ("{type: email, config: {to: [nobody]}}", "an email notification needs 'to'"),
        ("{type: webhook, config: {url: 'file:///etc/passwd'}}", "http:// or https:// URL"),
        ("{type: webhook, config: {url_env: 3}}", "config.url_env is the name of an environment"),
        ("{type: webhook, config: {url: 'http://x', timeout: 0}}", "config.timeout must be"),
        ("{type: webhook, config: {url: 'http://x', retries: 11}}", "config.retries must be"),
        ("{type: webhook, config: {url: 'http://x', retries: true}}", "config.retries must be"),
        ("{type: webhook, config: {url: 'http://x', headers: [a]}}", "config.headers must map"),
        ("{type: desktop, on_events: [job_started]}", "job_started"),
        ("{type: apprise}", "an apprise notification needs 'urls'"),
        ("{type: apprise, config: {urls: []}}", "config.urls must be a URL, or a list"),
        ("{type: apprise, config: {urls: [3]}}", "config.urls must be a URL, or a list"),
        ("{type: apprise, config: {url_env: [A]}}", "config.url_env is the name"),
    ],
)
def test_an_entry_that_could_not_be_sent_is_an_error(entry: str, message: str) -> None:
    [problem] = problems(BASE + f"notifications: [{entry}]\n")
    assert message in problem


def test_validate_warns_of_a_desktop_entry_without_notify_send(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = BASE + "notifications: [{type: webhook, config: {url: 'http://x'}}, {type: desktop}]\n"
    monkeypatch.setenv("PATH", str(tmp_path))
    [found] = [d for d in check(compile_text(text), discover().names()) if d.code == "P006"]
    assert found.severity is Severity.WARNING
    assert found.path == "notifications.1.type"
    assert "'notify-send'" in found.message
    program = tmp_path / "notify-send"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    assert [d for d in check(compile_text(text), discover().names()) if d.code == "P006"] == []


def test_notifications_are_no_longer_listed_as_not_acted_on() -> None:
    text = BASE + "notifications: [{type: webhook, config: {url: 'http://x'}}]\n"
    assert [d for d in check(compile_text(text), discover().names()) if d.code == "P001"] == []


def test_an_apprise_entry_holds_its_urls_however_they_are_listed() -> None:
    score = compile_text(
        BASE
        + """notifications:
  - type: apprise
    on_events: [job_failed]
    config:
      urls: ['ntfy://podium-alerts', 'tgram://123:abc/42, discord://1/xyz']
      timeout: 5
  - {type: apprise, config: {urls: 'json://localhost/a json://localhost/b'}}
  - {type: apprise, config: {url_env: PODIUM_PUSH, retries: 1}}
"""
    )
    listed, one_string, from_env = score.notifications
    assert listed == Notification(
        Channel.APPRISE,
        frozenset({NoticeEvent.JOB_FAILED}),
        urls=("ntfy://podium-alerts", "tgram://123:abc/42", "discord://1/xyz"),
        timeout_seconds=5.0,
    )
    assert one_string.urls == ("json://localhost/a", "json://localhost/b")
    assert (from_env.urls, from_env.url_env, from_env.retries) == ((), "PODIUM_PUSH", 1)


APPRISE = (
    BASE
    + """notifications:
  - type: apprise
    config:
      urls:
        - ntfy://podium-alerts
        - json://localhost/a, tgram://secret-token-123
  - {type: apprise, config: {urls: 'nonsense://secret-value-456'}}
  - {type: apprise, config: {url_env: PODIUM_PUSH}}
"""
)


def test_validate_locates_each_url_apprise_cannot_read_without_showing_it() -> None:
    found = [d for d in check(compile_text(APPRISE), discover().names()) if d.code == "P009"]
    assert [(d.severity, d.path, d.line) for d in found] == [
        (Severity.ERROR, "notifications.0.config.urls.1", 10),
        (Severity.ERROR, "notifications.1.config.urls", 11),
    ]
    assert "apprise cannot read this tgram:// URL" in found[0].message
    assert "apprise cannot read this nonsense:// URL" in found[1].message
    assert not any("secret" in str(d) for d in found)


def test_validate_says_how_to_install_apprise_where_it_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # as if it were not installed
    found = [
        d for d in check(compile_text(APPRISE), discover().names()) if d.code in ("P008", "P009")
    ]
    assert [(d.code, d.severity, d.path) for d in found] == [
        ("P008", Severity.ERROR, f"notifications.{n}.type") for n in range(3)
    ]
    assert f"{sys.executable} -m pip install 'podium[apprise]'" in found[0].message


def test_a_score_without_apprise_entries_is_checked_without_apprise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)
    text = BASE + "notifications: [{type: webhook, config: {url: 'http://x'}}]\n"
    assert [
        d for d in check(compile_text(text), discover().names()) if d.severity is Severity.ERROR
    ] == []
