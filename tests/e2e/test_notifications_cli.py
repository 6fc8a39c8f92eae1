"""Notifications as a user meets them: `validate` warns of what cannot be sent, jobs run
whatever happens to their notices, and `conductor-status` says how sending went."""

import json
import os
import textwrap
from pathlib import Path

from tests.e2e.conftest import User, wait_for
from tests.ports import closed_port


def without_notify_send(podium: User) -> None:
    """The user's PATH (and so the conductor's) without any notify-send on it."""
    folders = podium.env["PATH"].split(os.pathsep)
    podium.env["PATH"] = os.pathsep.join(
        f for f in folders if not (Path(f) / "notify-send").exists()
    )


def test_a_desktop_notification_without_notify_send_is_a_warning_and_the_job_completes(
    podium: User, tmp_path: Path
) -> None:
    without_notify_send(podium)
    score = tmp_path / "desk.yaml"
    score.write_text(
        textwrap.dedent("""
        name: desk
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt: {template: 'true'}
        notifications:
          - type: desktop
            on_events: [job_start, job_complete]
        """)
    )
    checked = podium("validate", str(score))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "P006" in checked.stdout
    assert "notify-send" in checked.stdout
    assert "not acted on" not in checked.stdout
    assert podium("run", str(score), "--wait").returncode == 0
    status = json.loads(podium("status", "desk", "--json").stdout)
    assert status["status"] == "completed"
    counts = json.loads(podium("conductor-status", "--json").stdout)["notifications"]
    assert counts == {"sent": 0, "failed": 0, "last_failure": None}


def test_conductor_status_shows_a_webhook_that_cannot_be_reached(
    podium: User, tmp_path: Path
) -> None:
    with closed_port() as port:
        score = tmp_path / "unheard.yaml"
        score.write_text(
            textwrap.dedent(f"""
            name: unheard
            workspace: ./ws
            instrument: cli
            sheet: {{size: 1, total_items: 1}}
            prompt: {{template: 'true'}}
            notifications:
              - type: webhook
                on_events: [job_complete]
                config: {{url: 'http://127.0.0.1:{port}/token-abc123', retries: 0}}
            """)
        )
        assert podium("run", str(score), "--wait").returncode == 0

        def failed() -> bool:
            found = json.loads(podium("conductor-status", "--json").stdout)
            return int(found["notifications"]["failed"]) == 1

        wait_for(failed, "the notification to fail")
        [line] = [
            line
            for line in podium("conductor-status").stdout.splitlines()
            if "notifications" in line
        ]
        assert line.strip().startswith("notifications   0 sent, 1 failed; last failure ")
        assert (
            f"job_complete of job unheard to webhook http://127.0.0.1:{port}: could not reach"
            in line
        )
        assert "token-abc123" not in line
