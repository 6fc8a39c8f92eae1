"""The two families of errors.

`UserError` is bad input from a person (a wrong score, an unknown job, a bad argument): it is
reported as a message, without a traceback, and the CLI exits with code 2. Anything else that
escapes is a bug: it is logged with its traceback.
"""

import errno

REFUSED_WRITE = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO})
"""What a write the disk refused fails with: full, read-only, over quota, failing."""


def refused_write(exc: BaseException) -> bool:
    """Whether `exc` is the disk refusing a write (not a bug, not a missing file)."""
    return isinstance(exc, OSError) and exc.errno in REFUSED_WRITE


class PodiumError(Exception):
    """Base of every error Podium raises on purpose."""


class UserError(PodiumError):
    """Bad input from a person. The message says what happened, the value, and what to do."""


class Unreachable(PodiumError):
    """Where attempts run (a Ray cluster's head) does not answer: the conductor cannot run now,
    and will once it answers again (a service starts it again: exit status 4)."""

    def __init__(self, message: str, *, logged: bool = False) -> None:
        super().__init__(message)
        self.logged = logged
        """The conductor's log has said it already (when it was lost while running)."""


class InvalidTransition(PodiumError):
    """A status change that the transition tables do not allow: always a bug in the caller."""

    def __init__(self, subject: str, state: str, event: str) -> None:
        super().__init__(f"{subject}: cannot apply '{event}' in state '{state}'")
        self.subject = subject
        self.state = state
        self.event = event


class InvalidScore(UserError):
    """A score that cannot be run; the message lists each problem with its location."""


class JobNotFound(UserError):
    """No job has the id a person asked about."""


class JobAlreadyRunning(UserError):
    """The same score is already running as another job."""


class ShuttingDown(UserError):
    """The conductor is stopping and takes no new work."""


class InvalidState(UserError):
    """The job's status does not allow what was asked (resuming a completed job, say)."""


class ResourceExhausted(UserError):
    """The conductor is under high resource pressure and takes no new work now; the same
    request succeeds once the load drops."""


class StateUnwritable(ResourceExhausted):
    """The conductor's state folder cannot take a write now (full, read-only, failing). Nothing
    was recorded; the same request succeeds once the folder has room or is writable again."""
