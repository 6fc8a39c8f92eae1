"""The dashboard as a person uses it, in Chromium: a fan-out job's graph colours itself as its
sheets complete, its timeline has a bar per attempt, a sheet's output appears line by line,
pause and an approval work from the page (the CLI agrees), the page survives a conductor
restart, a request without the token is refused, and every page, on a phone's width too, is
screenshotted and shows something."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from podium.ipc.methods import APPROVALS_LIST, JOB_HISTORY
from podium.testing.conductor import ConductorProcess
from podium.testing.web import WebProcess
from tests.browser.png import ink

GATED_FAN_OUT = """
    name: fan
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 3, fan_out: {2: 3}}
    retry: {max_retries: 2, base_delay_seconds: 0.2}
    prompt:
      template: |
        {% if stage == 1 %}
        {fake} --output-format text -p 'FAKE-AGENT: print text="first line"'
        while [ ! -f go ]; do sleep 0.1; done
        {fake} --output-format text -p 'FAKE-AGENT: print text="second line"'
        {% elif sheet_num == 2 %}
        [ -f retried-2 ] || { touch retried-2; exit 3; }
        {% endif %}
        echo done > sheet-{{ sheet_num }}.txt
    validations:
      - type: file_exists
        path: "{workspace}/sheet-{sheet_num}.txt"
"""
"""Stage 1 prints a line, waits for the test's `go` file, prints another; stage 2 fans out
to three voices, the first of which fails once; stage 3 joins them: five sheets, six attempts."""


def fan_out(write_score: Callable[..., Path]) -> Path:
    score = write_score(
        GATED_FAN_OUT.replace("{fake}", f"{sys.executable} -m podium.testing.fake_agent")
    )
    (score.parent / "ws").mkdir(exist_ok=True)
    return score


def go(score: Path) -> None:
    """Let stage 1 finish."""
    (score.parent / "ws" / "go").write_text("go")


def shoot(page: Page, folder: Path, name: str) -> None:
    """A screenshot of the whole page, kept, that must show something."""
    png = page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    # A blank page measures 0.0003 here, a heading and one line of text 0.0009, a page of
    # the dashboard 0.005 and more.
    assert ink(png) > 0.003, f"{name}: the screenshot is nearly blank ({ink(png):.4f})"


def test_a_fan_out_job_live(
    page: Page,
    dashboard: WebProcess,
    conductor: ConductorProcess,
    write_score: Callable[..., Path],
    screenshots: Path,
) -> None:
    score = fan_out(write_score)
    job = conductor.submit(score)
    total = conductor.status(job)["total_sheets"]
    page.goto(f"{dashboard.base}/jobs/{job}/sheets/1")
    expect(page.locator("#out-stdout")).to_contain_text("first line")
    expect(page.locator("#out-stdout")).not_to_contain_text("second line")

    page.goto(f"{dashboard.base}/jobs/{job}")
    nodes = page.locator("#dag [data-sheet]")
    expect(nodes).to_have_count(total)
    for num in range(1, total + 1):
        expect(page.locator(f"#sheet-{num}")).not_to_have_class(re.compile(r"\bst-completed\b"))
    shoot(page, screenshots, "job-running")

    go(score)
    # No reload from here: the page follows the conductor's events.
    for num in range(1, total + 1):
        expect(page.locator(f"#sheet-{num}")).to_have_class(
            re.compile(r"\bst-completed\b"), timeout=30_000
        )
    conductor.wait_for_job(job, "completed")
    attempts = conductor.request(JOB_HISTORY({"job_id": job, "limit": 100, "tail_lines": 0}))
    assert attempts["total"] == total + 1, "sheet 2 failed once, then passed"
    expect(page.locator("#gantt [data-attempt]")).to_have_count(attempts["total"])
    shoot(page, screenshots, "job-completed")

    page.goto(f"{dashboard.base}/jobs/{job}/sheets/1")
    expect(page.locator("#out-stdout")).to_contain_text("second line")
    shoot(page, screenshots, "sheet")

    for name, path in (
        ("jobs", "/"),
        ("costs", "/costs"),
        ("conductor", "/conductor"),
        ("approvals", "/approvals"),
        ("fleets", "/fleets"),
    ):
        page.goto(dashboard.base + path)
        shoot(page, screenshots, name)


def test_the_output_tail_grows_without_a_reload(
    page: Page, dashboard: WebProcess, conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    score = fan_out(write_score)
    job = conductor.submit(score)
    page.goto(f"{dashboard.base}/jobs/{job}/sheets/1")
    expect(page.locator("#out-stdout")).to_contain_text("first line")
    page.evaluate("window.notReloaded = true")
    go(score)
    expect(page.locator("#out-stdout")).to_contain_text("second line")
    assert page.evaluate("window.notReloaded === true"), "the line came without a reload"
    conductor.wait_for_job(job, "completed")


def test_pause_from_the_page_and_the_cli_agrees(
    page: Page,
    dashboard: WebProcess,
    conductor: ConductorProcess,
    write_score: Callable[..., Path],
    podium_cli: Callable[..., str],
) -> None:
    job = conductor.submit(fan_out(write_score))
    conductor.wait_until(lambda: conductor.status(job)["status"] == "running", 15, "running")
    page.goto(f"{dashboard.base}/jobs/{job}")
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.locator("#said")).to_be_visible()
    conductor.wait_until(lambda: conductor.status(job)["status"] == "paused", 15, "paused")
    assert re.search(r"\bpaused\b", podium_cli("status", job))
    expect(page.locator("#job-head .status").first).to_have_text("paused")
    expect(page.locator("#history")).to_contain_text("paused by the user")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel").click()
    conductor.wait_for_job(job, "cancelled")


def test_an_approval_answered_in_the_page_lets_the_sheet_go_on(
    page: Page,
    dashboard: WebProcess,
    conductor: ConductorProcess,
    write_score: Callable[..., Path],
    screenshots: Path,
) -> None:
    job = conductor.submit(
        write_score(
            """
            name: gated
            workspace: ./ws
            instrument: cli
            pause_between_sheets_seconds: 0
            sheet: {size: 1, total_items: 2}
            prompt:
              template: echo ran > ran-{{ sheet_num }}.txt
            checkpoints:
              enabled: true
              triggers:
                - name: deploy
                  sheet_nums: [2]
                  message: sheet 2 deploys to production
            """
        )
    )
    conductor.wait_until(
        lambda: bool(conductor.request(APPROVALS_LIST({}))["approvals"]), 15, "the question"
    )
    page.goto(f"{dashboard.base}/approvals")
    expect(page.locator("#questions")).to_contain_text("sheet 2 deploys to production")
    shoot(page, screenshots, "approvals-open")
    page.get_by_label("Note").fill("checked the diff")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#said")).to_be_visible()
    conductor.wait_for_job(job, "completed")
    assert any("checked the diff" in note["text"] for note in conductor.status(job)["history"])


def test_the_page_says_when_the_conductor_restarts_and_comes_back(
    page: Page, dashboard: WebProcess, conductor: ConductorProcess
) -> None:
    page.goto(f"{dashboard.base}/conductor")
    banner = page.locator("#conductor-state")
    expect(banner).to_be_hidden()
    conductor.stop()
    expect(banner).to_be_visible(timeout=15_000)
    expect(banner).to_contain_text("restarting")
    conductor.start()
    expect(banner).to_be_hidden(timeout=15_000)


def test_no_token_no_dashboard(browser: Browser, dashboard: WebProcess) -> None:
    stranger = browser.new_context()
    tab = stranger.new_page()
    answer = tab.goto(dashboard.base + "/")
    assert answer is not None
    assert answer.status == 401
    expect(tab.locator("body")).to_contain_text("needs its token")
    refused = tab.request.post(dashboard.base + "/jobs/any/pause", form={"csrf": "x"})
    assert refused.status == 401
    stranger.close()


def test_a_phone_sees_every_page_without_sideways_scrolling(
    browser: Browser,
    dashboard: WebProcess,
    conductor: ConductorProcess,
    write_score: Callable[..., Path],
    screenshots: Path,
) -> None:
    score = fan_out(write_score)
    job = conductor.submit(score)
    go(score)
    conductor.wait_for_job(job, "completed")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    tab = phone.new_page()
    tab.goto(dashboard.link)
    for name, path in (("jobs", "/"), ("job", f"/jobs/{job}"), ("sheet", f"/jobs/{job}/sheets/2")):
        tab.goto(dashboard.base + path)
        wide = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 1, f"{name}: {wide}px wider than a phone"
        shoot(tab, screenshots, f"phone-{name}")
    phone.close()
