"""The service files: every line of the systemd user unit, the launchd agent read back with
plistlib, the variables a service carries, and where each file goes."""

import plistlib

import pytest

from podium.host.env_file import EnvFile
from podium.host.service_files import (
    LAUNCHD_LABEL,
    BadServiceValue,
    ServiceSpec,
    render,
    render_plist,
    render_unit,
    service_environment,
    service_file,
)

ARGV = ("/home/u/.venv/bin/python", "-m", "podium.conductor.daemon", "--detached")
ENV_FILE = EnvFile("/home/u/podium.env", (("ANTHROPIC_API_KEY", "sk-ant-1"), ("PATH", "/x")))


def spec(
    argv: tuple[str, ...] = ARGV,
    environment: tuple[tuple[str, str], ...] = (("PATH", "/usr/bin:/bin"),),
    env_file: EnvFile | None = ENV_FILE,
) -> ServiceSpec:
    return ServiceSpec(argv, environment, env_file, "/home/u/.local/state/podium/conductor.stderr")


def settings(unit: str) -> list[tuple[str, str, str]]:
    """(section, key, value) of each setting of a unit, in order; comments and blanks left out."""
    found, section = [], ""
    for line in unit.splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found.append((section, key, value))
    return found


def test_the_unit_runs_the_detached_conductor_restarts_it_on_failure_and_spares_its_attempts() -> (
    None
):
    out = "/home/u/.local/state/podium/conductor.stderr"
    assert settings(render_unit(spec())) == [
        ("Unit", "Description", "Podium conductor"),
        ("Service", "Type", "simple"),
        (
            "Service",
            "ExecStart",
            "/home/u/.venv/bin/python -m podium.conductor.daemon --detached",
        ),
        ("Service", "Environment", '"PATH=/usr/bin:/bin"'),
        ("Service", "EnvironmentFile", "/home/u/podium.env"),
        ("Service", "Restart", "on-failure"),
        ("Service", "RestartSec", "5s"),
        ("Service", "RestartPreventExitStatus", "2 3"),
        ("Service", "KillMode", "process"),
        ("Service", "StandardOutput", f"append:{out}"),
        ("Service", "StandardError", f"append:{out}"),
        ("Install", "WantedBy", "default.target"),
    ]


def test_the_unit_says_how_to_change_it_and_when_its_env_file_is_read() -> None:
    unit = render_unit(spec())
    assert unit.startswith("# Written by 'podium service install'")
    assert (
        "# Read at each start: after changing it, 'systemctl --user restart podium'.\n"
        "EnvironmentFile=/home/u/podium.env\n"
    ) in unit
    # The env file's values stay in the file: systemd reads them there, none is copied.
    assert "sk-ant-1" not in unit


def test_the_unit_without_an_env_file_has_no_environment_file_line() -> None:
    keys = [key for _, key, _ in settings(render_unit(spec(env_file=None, environment=())))]
    assert "EnvironmentFile" not in keys and "Environment" not in keys


def test_unit_values_are_quoted_and_escaped_as_systemd_reads_them() -> None:
    unit = render_unit(
        spec(
            argv=("/opt/my tools/python", "-m", "podium.conductor.daemon", "--config", "/c/50%$x"),
            environment=(("PODIUM_HOME", '/h/a "q" \\ 100%'),),
            env_file=EnvFile("/e/100%.env", ()),
        )
    )
    lines = dict((key, value) for _, key, value in settings(unit))
    assert lines["ExecStart"] == (
        '"/opt/my tools/python" -m podium.conductor.daemon --config "/c/50%%$$x"'
    )
    assert lines["Environment"] == '"PODIUM_HOME=/h/a \\"q\\" \\\\ 100%%"'
    assert lines["EnvironmentFile"] == "/e/100%%.env"


@pytest.mark.parametrize("where", ["argv", "environment", "env_file", "output"])
def test_a_line_break_in_any_value_is_refused(where: str) -> None:
    bad = "/a\nb"
    variants = {
        "argv": spec(argv=(bad,)),
        "environment": spec(environment=(("X", bad),)),
        "env_file": spec(env_file=EnvFile(bad, ())),
        "output": ServiceSpec(ARGV, (), None, bad),
    }
    for render_one in (render_unit, render_plist):
        if where == "env_file" and render_one is render_plist:
            continue  # launchd copies the variables; the file's own path is never written
        with pytest.raises(BadServiceValue, match="holds a line break"):
            render_one(variants[where])


def test_the_launchd_agent_reads_back_with_every_key() -> None:
    agent = plistlib.loads(render_plist(spec()).encode())
    out = "/home/u/.local/state/podium/conductor.stderr"
    assert agent == {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": list(ARGV),
        # The env file's variables are copied, laid over the ones captured at install.
        "EnvironmentVariables": {"PATH": "/x", "ANTHROPIC_API_KEY": "sk-ant-1"},
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "AbandonProcessGroup": True,
        "StandardOutPath": out,
        "StandardErrorPath": out,
    }


def test_render_picks_the_platforms_file() -> None:
    assert render("linux", spec()) == render_unit(spec())
    assert render("macos", spec()) == render_plist(spec())


def test_a_service_carries_path_and_the_location_variables_that_are_set() -> None:
    env = {
        "PATH": "/u/bin",
        "PODIUM_HOME": "/p",
        "PODIUM_SOCKET": "/s.sock",
        "XDG_STATE_HOME": "",
        "XDG_RUNTIME_DIR": "/run/user/1",
        "ANTHROPIC_API_KEY": "never copied from the shell",
    }
    assert service_environment(env, capture_path=True) == (
        ("PATH", "/u/bin"),
        ("PODIUM_HOME", "/p"),
        ("PODIUM_SOCKET", "/s.sock"),
        ("XDG_RUNTIME_DIR", "/run/user/1"),
    )
    assert ("PATH", "/u/bin") not in service_environment(env, capture_path=False)


def test_the_files_go_where_systemd_and_launchd_read_them() -> None:
    assert service_file("linux", "/home/u") == "/home/u/.config/systemd/user/podium.service"
    assert service_file("linux", "/home/u", "/cfg") == "/cfg/systemd/user/podium.service"
    assert service_file("macos", "/Users/u", "/cfg") == (
        f"/Users/u/Library/LaunchAgents/{LAUNCHD_LABEL}.plist"
    )
    assert LAUNCHD_LABEL.endswith(".podium")
