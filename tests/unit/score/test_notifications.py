"""A score's `notifications:` as the conductor sends them, and what `validate` says of them."""

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
