"""The conductor's entry point: `python -m podium.conductor.daemon` (the CLI's `podium start`
runs it).

It starts in two steps, so that it answers on its socket within a moment of being started,
whatever it has to load and recover:
1. With the standard library and a few small modules, it takes the pid-file lock, binds its
   socket and answers `daemon.status`, `daemon.health` and `daemon.ready`: the state is
   'loading' (`podium.conductor.loading`). Every other method waits.
2. In a worker thread, it imports the rest of the conductor (`podium.conductor.conductor`:
   the engine, the store, the runtime, pydantic) and reads its settings; then the
   conductor opens its store, builds its parts and serves them ('starting' while it takes
   back the unfinished jobs of the last run, then 'ready', when every method is answered).

A start that fails in the second step (a bad conductor.yaml, a damaged database) answers
every waiting call with the reason, stops listening and exits with it, as before it listened.
"""

import argparse
import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from podium.conductor.api.errors import ERROR_CODES
from podium.conductor.loading import LoadingApi
from podium.domain.errors import PodiumError, Unreachable, UserError, refused_write
from podium.host import platform
from podium.host.locations import (
    SOCKET_PATH_MAX,
    Locations,
    defaults,
    remove_socket_file,
    socket_in,
    write_socket_file,
)
from podium.host.private import keep_private, make_private_dir, open_private, secure_state_dir
from podium.ipc.server import RpcServer
from podium.redact import Redactor
from podium.runtime.clock import SYSTEM_CLOCK, Clock
from podium.runtime.conductor_log import ConductorLog

if TYPE_CHECKING:
    from podium.conductor.conductor import Conductor, StopSignal
    from podium.runtime.settings import LiveSettings

log = logging.getLogger("podium.conductor")

PROFILE_NAMES = ("dev", "intensive", "minimal")
"""The built-in profiles (`podium.config.PROFILES`, which this module does not import)."""


class AlreadyRunning(PodiumError):
    pass


class Daemon:
    """One run of the conductor process: listen, load, then hand over to the conductor."""

    def __init__(
        self,
        args: argparse.Namespace,
        locations: Locations,
        *,
        early: ConductorLog,
        sink: ConductorLog,
        redactor: Redactor,
        clock: Clock,
        was_open: int | None = None,
    ) -> None:
        self._args = args
        self._was_open = was_open
        """The state folder's mode when it was found open to others (it is private now)."""
        self._locations = locations
        self._early = early
        self._sink = sink
        self._redactor = redactor
        self._clock = clock
        self._started_at = time.time()
        self._signals = 0
        self._stop: StopSignal | None = None
        self._stop_asked = False
        self._conductor: Conductor | None = None

    async def run(self) -> None:
        with pid_lock(Path(self._locations.pid_file)):
            loading = LoadingApi(self._locations, self._started_at)
            server = RpcServer(
                Path(self._locations.socket),
                loading.routes(),
                ERROR_CODES,
                self._redactor,
                held=True,
            )
            self._install_signal_handlers()
            await server.start()
            write_socket_file(self._locations.socket_file, self._locations.socket)
            try:
                await self._hand_over(server)
            except BaseException as exc:
                server.refuse(f"the conductor could not start: {_why(exc)}")
                raise
            finally:
                await server.close()
                remove_socket_file(self._locations.socket_file)
        log.info("stopped")

    async def _hand_over(self, server: RpcServer) -> None:
        """Load the rest of the conductor and run it until it stops."""
        settings = await asyncio.to_thread(self._load)
        from podium.conductor.conductor import Conductor, StopSignal  # noqa: PLC0415 - loaded

        self._early.close()
        settings.start_logging()
        _log_host_mode()
        if self._was_open is not None:
            log.warning(
                "the state folder %s was open to other users (mode %o); made it private (700)",
                self._locations.state_dir,
                self._was_open,
            )
        self._stop = StopSignal()
        if self._stop_asked:
            log.info("stopping before the conductor was loaded")
            return
        self._conductor = Conductor(
            self._locations,
            settings,
            server=server,
            stop=self._stop,
            started_at=self._started_at,
            redactor=self._redactor,
            clock=self._clock,
        )
        await self._conductor.run()

    def _load(self) -> "LiveSettings":
        """Import the running conductor and read the settings, in a worker thread: the event
        loop answers meanwhile."""
        from podium.conductor.conductor import load_settings  # noqa: PLC0415 - see the module

        args = self._args
        return load_settings(
            self._locations,
            self._sink,
            explicit=args.config is not None,
            profile=args.profile,
            log_level=args.log_level,
        )

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)
        loop.add_signal_handler(signal.SIGHUP, self._on_hangup)

    def _on_hangup(self) -> None:
        if self._conductor is None:
            log.info("SIGHUP received while loading: the settings are being read already")
            return
        self._conductor.on_hangup()

    def _on_signal(self, sig: signal.Signals) -> None:
        self._signals += 1
        if self._signals == 1:
            log.info(
                "%s received: shutting down gracefully (send it again to stop at once)", sig.name
            )
            self._stop_asked = True
            if self._stop is not None:
                self._stop.request()
        else:
            log.warning(
                "%s received again: stopping at once; running attempts go on and are "
                "picked up at the next start",
                sig.name,
            )
            os._exit(1)


def _why(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        return _why(exc.exceptions[0])
    if isinstance(exc, PodiumError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}; see its log"


@contextlib.contextmanager
def pid_lock(pid_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on the pid file for the conductor's whole life.

    The lock, not the file's existence, says a conductor is running: a pid file left by a
    crash is simply locked again.
    """
    make_private_dir(pid_file.parent)
    fd = open_private(pid_file, os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise AlreadyRunning(
                f"a conductor is already running (pid {other}, lock on {pid_file})"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
        with contextlib.suppress(OSError):  # a folder turned read-only keeps the old pid
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def main(argv: list[str] | None = None, clock: Clock = SYSTEM_CLOCK) -> int:
    """Run the conductor until it stops; its exit code. `clock` keeps its time (a test's
    virtual clock, see `podium.testing.clock`)."""
    keep_private()  # before anything is written: every file of the conductor is private
    args = _parser().parse_args(argv)
    redact = Redactor(os.environ)
    # Until the settings say where the log goes, records go to stderr, where `podium start`
    # reads why a conductor could not start.
    early = ConductorLog(detached=False, redact=redact)
    early.apply("info", Path(os.devnull))
    sink = ConductorLog(detached=args.detached, redact=redact)
    try:
        locations = _locations(args)
        _check_platform(locations)
        was_open = secure_state_dir(locations.state_dir)
        os.chdir("/")  # hold no directory of the caller's; every path used is absolute
        daemon = Daemon(
            args,
            locations,
            early=early,
            sink=sink,
            redactor=redact,
            clock=clock,
            was_open=was_open,
        )
        clock.run(daemon.run())
    except AlreadyRunning as exc:
        _report(exc, sink, args.detached)
        return 3
    except Unreachable as exc:
        _report(exc, sink, args.detached, logged=exc.logged)
        return 4
    except PodiumError as exc:
        _report(exc, sink, args.detached)
        return 2
    except OSError as exc:
        if not refused_write(exc):
            log.exception("the conductor stopped on an internal error")
            raise
        # Where the state folder takes no write at all (read-only, or too full to create the
        # lock, the log or the socket), the conductor does not start; once it runs, a full
        # or read-only folder only stops dispatch (the disk pressure level).
        print(f"error: {refusal_to_start(exc)}", file=sys.stderr)
        return 2
    except Exception:
        log.exception("the conductor stopped on an internal error")
        raise
    finally:
        early.close()
        sink.close()
    return 0


def refusal_to_start(exc: OSError) -> str:
    """Why the conductor does not start where a write is refused, and what to do."""
    where = f" {exc.filename}" if exc.filename else ""
    return (
        f"the conductor cannot start: it cannot write{where} ({exc.strerror or exc}); make "
        "room in the state folder or make it writable (or set PODIUM_HOME to another folder), "
        "then start it again"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m podium.conductor.daemon", description="Run the Podium conductor."
    )
    parser.add_argument("--config", type=Path, help="conductor.yaml to use")
    parser.add_argument(
        "--profile", choices=PROFILE_NAMES, help="a built-in profile laid over the file"
    )
    parser.add_argument(
        "--log-level", choices=("debug", "info", "warning", "error"), help="overrides log_level"
    )
    parser.add_argument(
        "--detached",
        action="store_true",
        help="log JSON lines to the log file (as `podium start` runs it) instead of stderr",
    )
    return parser


def _locations(args: argparse.Namespace) -> Locations:
    """Where the conductor keeps its state and listens: the socket is `PODIUM_SOCKET`, else
    conductor.yaml's `socket.path`, else the default. The file is read here for that key
    alone; the settings are read in full (and any mistake in them reported) once the
    socket answers."""
    named = args.config.absolute() if args.config else None
    found = defaults(config_file=str(named) if named else None)
    if os.environ.get("PODIUM_SOCKET"):
        return found
    configured = configured_socket(found.config_file)
    if not configured:
        return found
    return Locations(found.state_dir, found.config_file, socket_in(found.config_file, configured))


def configured_socket(config_file: str) -> str | None:
    """conductor.yaml's `socket.path`, as written; None when the file does not exist or
    says nothing of it (or cannot be read: the full reading says why, and stops the start)."""
    if not Path(config_file).exists():
        return None
    from podium.config_file import read_settings  # noqa: PLC0415 - only with a file

    try:
        data, _ = read_settings(Path(config_file))
    except UserError:
        return None
    found = data.get("socket")
    path = found.get("path") if isinstance(found, dict) else None
    return path if isinstance(path, str) and path else None


def _report(exc: Exception, sink: ConductorLog, detached: bool, *, logged: bool = False) -> None:
    if not logged:
        log.error("%s", exc)
    if sink.path is not None or detached:  # say it where `podium start` looks, as it reads it
        print(f"error: {exc}", file=sys.stderr)


def _check_platform(locations: Locations) -> None:
    """Fail at once, and clearly, where the conductor could not work."""
    if locations.socket_too_long():
        raise UserError(
            f"the socket path {locations.socket} is longer than {SOCKET_PATH_MAX} bytes, the "
            "limit for Unix sockets; set PODIUM_SOCKET to a shorter path"
        )


def _log_host_mode() -> None:
    """Say which way processes and socket peers are looked at (`podium.host.platform`)."""
    chosen = platform.mode()
    log.info(
        "%s: %s (%s)",
        "portable paths" if chosen.portable else "Linux fast paths",
        chosen.summary(),
        "; ".join(dict.fromkeys(c.reason for c in (chosen.processes, chosen.exits, chosen.peers))),
    )


if __name__ == "__main__":
    sys.exit(main())
