"""An attempt's environment and program on another machine than the conductor's
(`podium.runtime.executors.ray.environment`), and a compiler that leaves programs to it."""

import textwrap
from pathlib import Path

import pytest

from podium.conductor.compiler import ScoreCompiler
from podium.domain.errors import UserError
from podium.domain.ids import SheetNum
from podium.domain.work import AttemptRequest
from podium.runtime.executors.ray.environment import decided, on_node, program

CONDUCTOR = {"PATH": "/usr/bin", "HOME": "/home/c", "API_KEY": "c-key", "LANG": "C"}


def test_what_the_conductor_decided_is_what_its_own_environment_does_not_hold() -> None:
    env = {**CONDUCTOR, "API_KEY": "carried", "PODIUM_ATTEMPT_ID": "j/1/1", "MODE": "x"}
    del env["LANG"]  # filtered out by the profile: nothing to decide
    assert decided(env, CONDUCTOR) == {
        "API_KEY": "carried",
        "PODIUM_ATTEMPT_ID": "j/1/1",
        "MODE": "x",
    }


def test_what_the_conductor_set_on_purpose_is_decided_even_at_its_own_value() -> None:
    # Carried from the shell that submitted, or set by the profile: the node's own value
    # must not replace it, even when it happens to equal the conductor's.
    env = {**CONDUCTOR, "MODE": "x"}
    assert decided(env, CONDUCTOR, always=("API_KEY", "MODE", "ABSENT")) == {
        "API_KEY": "c-key",
        "MODE": "x",
    }


def test_on_a_node_its_own_variables_pass_the_profiles_filter_under_the_decided_ones() -> None:
    node = {"PATH": "/opt/n/bin:/usr/bin", "HOME": "/home/n", "API_KEY": "n-key", "STRAY": "s"}
    laid = {"PODIUM_ATTEMPT_ID": "j/1/1"}
    assert on_node(node, laid, ("API_KEY",)) == {
        "PATH": "/opt/n/bin:/usr/bin",
        "HOME": "/home/n",
        "API_KEY": "n-key",
        "PODIUM_ATTEMPT_ID": "j/1/1",
    }
    assert on_node(node, laid, None) == {**node, **laid}  # no filter: all of the node's
    # A PATH the conductor decided (a carried one) is searched first, then the node's.
    carried = on_node(node, {"PATH": "/home/u/bin:/usr/bin"}, None)
    assert carried["PATH"] == "/home/u/bin:/usr/bin:/opt/n/bin"
    assert on_node({}, {"PATH": "/home/u/bin"}, None) == {"PATH": "/home/u/bin"}


def test_a_program_is_looked_up_on_the_node_when_the_conductors_path_is_not_there(
    tmp_path: Path,
) -> None:
    here = tmp_path / "node-bin"
    here.mkdir()
    tool = here / "agent"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    assert program(str(tool), "") == str(tool)  # there: as the conductor found it
    assert program("/conductor/only/agent", f"/nowhere:{here}") == str(tool)
    assert program("agent", str(here)) == str(tool)  # not found on the conductor at all
    with pytest.raises(FileNotFoundError) as missing:
        program("/conductor/only/other", f"/nowhere:{here}")
    assert str(missing.value) == (
        f"'other' is not installed on this node (not /conductor/only/other, and not on its "
        f"PATH: /nowhere:{here}); install it there, or take the instrument's resource off "
        "this node"
    )
    with pytest.raises(FileNotFoundError, match=r"not on its PATH: \(empty\)"):
        program("other", "")


def test_a_compiler_for_attempts_elsewhere_takes_an_instrument_not_installed_here(
    tmp_path: Path,
) -> None:
    folder = tmp_path / ".podium" / "instruments"
    folder.mkdir(parents=True)
    (folder / "remote.yaml").write_text(
        "name: remote\nkind: cli\n"
        "cli: {command: {executable: podium-not-here-tool, required_env: [K, 'AWS_*'],"
        " env: {REMOTE_MODE: 'yes'}}}\n"
    )
    score = tmp_path / "score.yaml"
    score.write_text(
        textwrap.dedent("""
        name: remote
        instrument: remote
        workspace: ./ws
        sheet: {size: 1, total_items: 1}
        prompt: {template: x}
        """)
    )
    with pytest.raises(UserError, match="runs 'podium-not-here-tool', which is not on the"):
        ScoreCompiler().compile(score)
    job = ScoreCompiler(programs_elsewhere=True).compile(score)
    work = job.work(SheetNum(1), tmp_path / "prompt", AttemptRequest(1, "remote"))
    assert work.argv[0] == "podium-not-here-tool"  # the node looks it up
    assert work.env_passed == ("K", "AWS_*")
    assert work.env_decided == ("PODIUM_ATTEMPT_MODE", "REMOTE_MODE")
    carried = (("K", "carried"), ("PATH", "/home/u/bin"))
    job = ScoreCompiler(programs_elsewhere=True).compile(score, environment=carried)
    work = job.work(SheetNum(1), tmp_path / "prompt", AttemptRequest(1, "remote"))
    assert work.env_decided == ("K", "PATH", "PODIUM_ATTEMPT_MODE", "REMOTE_MODE")
