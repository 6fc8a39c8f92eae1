"""How the CLI reports failures: a message on stderr and a stable exit code, no traceback for
anything but a bug."""

import argparse
import sys
from collections.abc import Callable

from podium.cli import exits
from podium.domain.errors import InvalidScore, PodiumError, UserError, refused_write
from podium.ipc.client import AnswerLate, AnswerLost, ConductorUnavailable, RemoteError
from podium.ipc.protocol import USER_ERROR_CODES


def fail(message: str) -> None:
    print(f"podium: {message}", file=sys.stderr)


def unanswered(lost: AnswerLost) -> str:
    """What became of a request's answer, in words ("the conductor …")."""
    return "did not answer in time" if isinstance(lost, AnswerLate) else "stopped before answering"


def run_reporting_errors(
    handler: Callable[[argparse.Namespace], int], args: argparse.Namespace
) -> int:
    try:
        return _refused_writes_reported(handler, args)
    except ConductorUnavailable as exc:
        fail(str(exc))
        # A request that may have been carried out is not one refused for want of a conductor.
        return exits.ANSWER_LOST if isinstance(exc, AnswerLost) else exits.NO_CONDUCTOR
    except RemoteError as exc:
        fail(exc.message)
        return exits.USER if exc.code in USER_ERROR_CODES else exits.INTERNAL
    except InvalidScore as exc:
        problems = str(exc).splitlines()
        fail(f"the score has {len(problems)} problem(s):" if len(problems) > 1 else problems[0])
        for line in problems[1:] if len(problems) == 1 else problems:
            print(f"  {line}", file=sys.stderr)
        return exits.USER
    except UserError as exc:
        fail(str(exc))
        return exits.USER
    except PodiumError as exc:
        fail(str(exc))
        return exits.INTERNAL
    except KeyboardInterrupt:
        return exits.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`podium list | head`); nothing more to say.
        sys.stderr.close()
        return exits.OK


def _refused_writes_reported(
    handler: Callable[[argparse.Namespace], int], args: argparse.Namespace
) -> int:
    try:
        return handler(args)
    except OSError as exc:
        if not refused_write(exc):
            raise
        fail(unwritable_message(exc))
        return exits.USER


def unwritable_message(exc: OSError) -> str:
    """A write the disk refused, said for a person: where, why, and what to do."""
    where = f" {exc.filename}" if exc.filename else ""
    return (
        f"cannot write{where}: {exc.strerror or exc}; make room on that disk or make it "
        "writable, then try again ('podium doctor' checks the state folder)"
    )
