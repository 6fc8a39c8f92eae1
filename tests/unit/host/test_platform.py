"""Which way processes, exits and socket peers are looked at: decided by what the system
offers, forced portable by PODIUM_PORTABLE=1."""

import subprocess
import sys

import pytest

from podium.host import platform
from podium.host.platform import Probes, decide, forced

LINUX = Probes(system="linux", procfs=True, pidfd=None, kqueue=False, peercred=True)
OLD_LINUX = Probes(
    system="linux", procfs=True, pidfd="pidfd_open failed: ENOSYS", kqueue=False, peercred=True
)
MACOS = Probes(system="darwin", procfs=False, pidfd="no os.pidfd_open", kqueue=True, peercred=False)
ELSEWHERE = Probes(system="sunos5", procfs=False, pidfd="no", kqueue=False, peercred=False)


@pytest.mark.parametrize(
    ("probes", "force", "ways"),
    [
        (LINUX, False, ("procfs", "pidfd", "SO_PEERCRED")),
        (LINUX, True, ("psutil", "polling", "socket folder")),
        (OLD_LINUX, False, ("procfs", "polling", "SO_PEERCRED")),
        (MACOS, False, ("psutil", "kqueue", "LOCAL_PEERCRED")),
        (MACOS, True, ("psutil", "kqueue", "LOCAL_PEERCRED")),
        (ELSEWHERE, False, ("psutil", "polling", "socket folder")),
    ],
    ids=["linux", "linux-forced", "linux-without-pidfd", "macos", "macos-forced", "elsewhere"],
)
def test_each_way_follows_what_the_system_offers_and_the_force(
    probes: Probes, force: bool, ways: tuple[str, str, str]
) -> None:
    chosen = decide(probes, force)
    assert (chosen.processes.way, chosen.exits.way, chosen.peers.way) == ways
    assert chosen.portable == (ways != ("procfs", "pidfd", "SO_PEERCRED"))
    assert chosen.forced == force


def test_each_choice_says_why() -> None:
    assert decide(LINUX, True).exits.reason == "PODIUM_PORTABLE=1 forces the portable paths"
    assert "ENOSYS" in decide(OLD_LINUX, False).exits.reason
    assert decide(MACOS, False).processes.reason == "no /proc on darwin"
    assert "private socket folder" in decide(LINUX, True).peers.reason
    assert decide(LINUX, False).summary() == ("processes: procfs, exits: pidfd, peers: SO_PEERCRED")


@pytest.mark.parametrize(
    ("value", "wanted"),
    [("1", True), ("true", True), (" Yes ", True), ("on", True), ("0", False), ("", False)],
)
def test_the_force_is_read_from_the_environment(value: str, wanted: bool) -> None:
    assert forced({"PODIUM_PORTABLE": value}) is wanted
    assert forced({}) is False


def test_the_way_is_decided_once_per_process_from_its_environment() -> None:
    code = (
        "import os; from podium.host import platform; first = platform.mode(); "
        "os.environ.pop('PODIUM_PORTABLE'); "
        "print(platform.mode() is first, first.forced, first.processes.way)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PODIUM_PORTABLE": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["True", "True", "psutil"]


def test_this_system_is_probed_for_what_it_has() -> None:
    found = platform.probe()
    assert found.system == sys.platform
    if sys.platform.startswith("linux"):
        assert found.procfs
        assert found.peercred
        assert not found.kqueue
