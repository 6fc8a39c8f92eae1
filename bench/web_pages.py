"""`podium web` at scale: the jobs page with 1,000 jobs and the page of a job of 500 sheets,
loaded in headless Chromium (Debian's, driven by Playwright) from a real dashboard asking a
real conductor. The figure is the time from navigation to the first contentful paint, as the
browser measures it; the server's own time to answer is shown beside it.

    python bench/web_pages.py [--jobs 1000] [--sheets 500] [--runs 5]
"""

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from figures import Figure, p50, table
from podium.store.sqlite import SqliteStore
from podium.testing.conductor import ConductorProcess
from podium.testing.harness import make_plan
from podium.testing.web import CHROMIUM, CHROMIUM_FLAGS, WebProcess
from seed import job, seed

PAINTED = """() => performance.getEntriesByName("first-contentful-paint").length > 0"""
FIRST_PAINT = """() => {
    const paint = performance.getEntriesByName("first-contentful-paint")[0];
    const nav = performance.getEntriesByType("navigation")[0];
    return [paint ? paint.startTime : null, nav.responseStart - nav.requestStart];
}"""


def big_job(home: Path, sheets: int) -> str:
    store = SqliteStore(home / "podium.db")
    try:
        store.commit([job("big", make_plan(sheets=sheets, name="big"), time.time() - 3600)])
    finally:
        store.close()
    return "big"


def measure(jobs: int, sheets: int, runs: int) -> list[Figure]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only when it runs

    with tempfile.TemporaryDirectory(prefix="podium-bench-web-") as folder:
        home = Path(folder) / "home"
        seed(home, jobs)
        big = big_job(home, sheets)
        conductor = ConductorProcess(home).start(timeout=120)
        web = WebProcess(conductor.env)
        link, base = web.link, web.base
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS)
                )
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                page.goto(link)
                found = {}
                for name, path in (("jobs", "/?tab=all"), ("job", f"/jobs/{big}")):
                    paints, answers = [], []
                    for _ in range(runs):
                        page.goto(base + path, wait_until="load")
                        page.wait_for_function(PAINTED)
                        paint, answer = page.evaluate(FIRST_PAINT)
                        paints.append(paint)
                        answers.append(answer)
                    found[name] = (p50(paints), p50(answers))
                browser.close()
        finally:
            web.stop()
            conductor.stop()
    return [
        Figure(
            f"jobs page, {jobs:,} jobs: first contentful paint",
            found["jobs"][0],
            "ms",
            target=1000.0,
            note=f"the server answered in {found['jobs'][1]:.0f} ms",
        ),
        Figure(
            f"job page, {sheets} sheets (graph + timeline): first contentful paint",
            found["job"][0],
            "ms",
            target=1000.0,
            note=f"the server answered in {found['job'][1]:.0f} ms",
        ),
    ]


def run(quick: bool, say: Callable[[str], None] = print) -> list[Figure]:
    if not Path(CHROMIUM).exists():
        say(f"  no Chromium at {CHROMIUM}: skipped (apt-get install chromium)")
        return []
    jobs, sheets, runs = (200, 100, 2) if quick else (1000, 500, 5)
    say(f"  {jobs:,} jobs, a job of {sheets} sheets, {runs} loads each")
    return measure(jobs, sheets, runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--sheets", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(table(measure(args.jobs, args.sheets, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
