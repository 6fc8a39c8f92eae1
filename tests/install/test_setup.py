"""`./scripts/setup` on a fresh clone: it installs what Podium needs to run, no development
tool, and runs the example to its end."""

import re
import subprocess
import tomllib
from pathlib import Path

from tests.install.conftest import REPO, clean_environment, run


def fresh_clone(into: Path) -> Path:
    """The checkout's files as a clone has them (tracked, or new and not ignored): no .venv."""
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO)
    clone = into / "clone"
    for name in filter(None, listed.split("\0")):
        source, target = REPO / name, clone / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            target.chmod(source.stat().st_mode)
    return clone


def names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements
    }


def test_setup_installs_what_podium_needs_to_run_and_runs_the_example(scratch: Path) -> None:
    clone = fresh_clone(scratch / "setup")
    env = clean_environment() | {"PODIUM_HOME": str(scratch / "setup" / "home")}
    podium = clone / ".venv" / "bin" / "podium"
    try:
        out = run([str(clone / "scripts" / "setup")], env=env, cwd=clone)
    finally:
        if podium.exists():
            subprocess.run([podium, "stop", "--force"], env=env, capture_output=True, check=False)
    assert "job hello completed: 3/3 sheets" in out
    listed = run([str(clone / ".venv" / "bin" / "python"), "-m", "pip", "list", "--format=freeze"])
    installed = names(listed.split())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert names(project["dependencies"]) <= installed
    assert not names(project["optional-dependencies"]["dev"]) & installed
    assert not (clone / ".venv" / "bin" / "ruff").exists()
