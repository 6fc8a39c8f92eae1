"""The wheel, installed by pip, pipx and uv outside the checkout: `podium` is on PATH, runs from
the installed package, carries everything it reads at run time, and runs a score to its end."""

import json
import shutil
import subprocess
import tomllib
import urllib.request
from pathlib import Path

from tests.install.conftest import REPO, Installed, run

BUILTIN = REPO / "src" / "podium" / "instruments" / "builtin"


def test_podium_on_path_is_the_installed_version(installed: Installed) -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert installed.podium("--version").strip() == f"podium {project['version']}"
    assert shutil.which("podium", path=installed.env["PATH"]) == str(installed.bin_dir / "podium")
    assert (installed.bin_dir / "podium-fake-agent").exists()


def test_podium_runs_from_the_installed_package_not_the_checkout(installed: Installed) -> None:
    where = run(
        [installed.python, "-c", "import podium; print(podium.__file__)"],
        env=installed.env,
        cwd=installed.home,
    )
    assert "site-packages" in where
    assert not Path(where.strip()).is_relative_to(REPO)


def test_every_builtin_profile_is_installed(installed: Installed) -> None:
    listed = json.loads(installed.podium("instruments", "list", "--json"))["instruments"]
    builtin = {entry["name"] for entry in listed if entry["origin"] == "built-in"}
    shipped = {path.stem for path in BUILTIN.glob("*.yaml")}
    assert shipped
    assert builtin == shipped


def test_the_example_validates_and_runs_to_completion(installed: Installed, tmp_path: Path) -> None:
    score = tmp_path / "hello.yaml"
    shutil.copy(REPO / "examples" / "hello.yaml", score)
    installed.podium("validate", str(score))
    out = installed.podium("run", str(score), "--wait", cwd=tmp_path)
    assert "job hello completed: 3/3 sheets" in out
    greeting = (tmp_path / "workspaces" / "hello" / "sheet-3.txt").read_text()
    assert "Hello world" in greeting
    assert installed.podium("stop").startswith("stopped the conductor")


def test_a_starter_score_from_init_validates(installed: Installed, tmp_path: Path) -> None:
    installed.podium("init", "starter", "--path", str(tmp_path))
    installed.podium("validate", str(tmp_path / "starter.yaml"))


def test_the_dashboard_serves_its_pages_and_assets_from_the_installed_package(
    installed: Installed, tmp_path: Path
) -> None:
    score = tmp_path / "hello.yaml"
    shutil.copy(REPO / "examples" / "hello.yaml", score)
    installed.podium("run", str(score), "--wait", cwd=tmp_path)
    web = subprocess.Popen(
        ["podium", "web", "--port", "0"],
        env=installed.env,
        cwd=installed.home,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert web.stdout is not None
        link = web.stdout.readline().removeprefix("Podium dashboard: ").strip()
        base, _, token = link.partition("/?token=")
        for path, expected in (("/", 'href="/jobs/hello"'), ("/static/podium.js", "EventSource")):
            request = urllib.request.Request(base + path)
            request.add_header("Authorization", f"Bearer {token}")
            with urllib.request.urlopen(request, timeout=30) as answer:
                assert expected in answer.read().decode()
    finally:
        web.terminate()
        web.wait(timeout=10)
        if web.stdout is not None:
            web.stdout.close()
        installed.podium("stop")


def test_podium_mcp_without_its_extra_says_how_to_install_it(installed: Installed) -> None:
    done = subprocess.run(
        ["podium", "mcp"],
        env=installed.env,
        cwd=installed.home,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "podium mcp needs the MCP SDK" in done.stderr
    assert "pip install 'podium[mcp]'" in done.stderr
