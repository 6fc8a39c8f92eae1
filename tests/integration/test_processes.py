"""The process layer with real children: sessions, files, reaping, and killing whole groups."""

import asyncio
import os
import signal
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from podium.domain.records import ProcessInfo
from podium.host import processes
from podium.runtime.process import (
    exit_status,
    group_exists,
    group_left_by,
    read_exit_file,
    spawn,
    start_ticks,
    stop_group,
)

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def py(code: str) -> tuple[str, ...]:
    return (sys.executable, "-c", code)


def test_a_child_runs_in_its_own_session_with_its_output_on_files(tmp_path: Path) -> None:
    async def main() -> tuple[int, int]:
        child = spawn(
            py("import os, sys; print(os.getcwd()); print('oops', file=sys.stderr)"),
            cwd=tmp_path,
            stdout=tmp_path / "out",
            stderr=tmp_path / "err",
        )
        session = os.getsid(child.pid)
        return session, await child.wait()

    session_id, code = run(main())
    assert code == 0
    assert (tmp_path / "out").read_text() == f"{tmp_path}\n"
    assert (tmp_path / "err").read_text() == "oops\n"
    assert session_id != os.getsid(0)


def test_exit_codes_and_signals_are_told_apart(tmp_path: Path) -> None:
    async def main() -> list[int]:
        codes = []
        for code in ("raise SystemExit(3)", "import os; os.kill(os.getpid(), 9)"):
            child = spawn(py(code), cwd=tmp_path, stdout=tmp_path / "o", stderr=tmp_path / "e")
            codes.append(await child.wait())
        return codes

    exited, killed = run(main())
    assert exit_status(exited).exit_code == 3
    assert (exit_status(killed).exit_code, exit_status(killed).signal) == (None, 9)


def test_stopping_a_group_reaches_grandchildren_that_ignore_sigterm(tmp_path: Path) -> None:
    script = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"])
open("grandchild", "w").write(str(child.pid))
time.sleep(300)
"""

    async def main() -> tuple[int, int, float]:
        child = spawn(py(script), cwd=tmp_path, stdout=tmp_path / "o", stderr=tmp_path / "e")
        while not (tmp_path / "grandchild").exists() or not (tmp_path / "grandchild").read_text():
            await asyncio.sleep(0.01)
        started = time.monotonic()
        await stop_group(child.info.pgid, 0.5, leader=child)
        return (
            child.info.pgid,
            int((tmp_path / "grandchild").read_text()),
            (time.monotonic() - started),
        )

    pgid, grandchild, took = run(main())
    assert not group_exists(pgid)
    assert not processes.running(grandchild)
    assert took >= 0.5  # the grace period was given before SIGKILL


def test_a_recorded_process_is_known_by_pid_and_start_time_together() -> None:
    ticks = start_ticks(os.getpid())
    assert ticks is not None
    assert group_left_by(ProcessInfo(os.getpid(), os.getpgid(0), ticks))
    # The same pid with another start time is a reused pid: our group is gone by then.
    assert not group_left_by(ProcessInfo(os.getpid(), os.getpgid(0), ticks - 1))
    assert start_ticks(2**22 + 1) is None


def test_the_group_of_an_exited_leader_is_found_while_members_remain(tmp_path: Path) -> None:
    async def main() -> tuple[ProcessInfo, int]:
        child = spawn(
            ("bash", "-c", "sleep 300 & echo $! > bg"),
            cwd=tmp_path,
            stdout=tmp_path / "o",
            stderr=tmp_path / "e",
        )
        await child.wait()
        return child.info, int((tmp_path / "bg").read_text())

    info, background = run(main())
    assert not processes.running(info.pid)
    assert group_left_by(info)
    run(stop_group(info.pgid, 0.5))
    assert not processes.running(background)
    assert not group_left_by(info)


def test_stopping_a_group_that_is_gone_is_harmless() -> None:
    async def main() -> None:
        await stop_group(2**22 + 1, 0.1)

    run(main())
    assert not group_exists(2**22 + 1)


def test_the_exit_wrapper_records_the_status_and_ends_as_the_command_did(tmp_path: Path) -> None:
    async def main(code: str, exit_file: Path) -> int:
        child = spawn(
            py(code),
            cwd=tmp_path,
            stdout=tmp_path / "o",
            stderr=tmp_path / "e",
            exit_file=exit_file,
        )
        return await child.wait()

    plain = run(main("raise SystemExit(3)", tmp_path / "plain.exit"))
    crashed = run(main("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", tmp_path / "x"))
    assert (plain, read_exit_file(tmp_path / "plain.exit")) == (3, 3)
    assert (crashed, read_exit_file(tmp_path / "x")) == (-signal.SIGSEGV, 128 + signal.SIGSEGV)
    assert "Segmentation fault" in (tmp_path / "e").read_text()


def test_a_stopped_group_leaves_no_exit_file_and_no_process(tmp_path: Path) -> None:
    """Whoever stops an attempt knows how it ended: the wrapper ends at once, and the command
    that ignores SIGTERM is killed after the grace."""
    exit_file = tmp_path / "exit"

    async def main() -> int:
        child = spawn(
            ("bash", "-c", 'trap "" TERM; echo ready; sleep 60'),
            cwd=tmp_path,
            stdout=tmp_path / "o",
            stderr=tmp_path / "e",
            exit_file=exit_file,
        )
        while "ready" not in (tmp_path / "o").read_text():
            await asyncio.sleep(0.01)
        await stop_group(child.info.pgid, grace=0.2, leader=child)
        assert not group_exists(child.info.pgid)
        return await child.wait()

    assert run(main()) == -signal.SIGTERM
    assert read_exit_file(exit_file) is None
