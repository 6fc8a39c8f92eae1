"""The one table from the errors methods raise to JSON-RPC error codes."""

from podium.domain.errors import (
    InvalidScore,
    InvalidState,
    JobAlreadyRunning,
    JobNotFound,
    ResourceExhausted,
    ShuttingDown,
    UserError,
)
from podium.ipc import protocol

ERROR_CODES: tuple[tuple[type[Exception], int], ...] = (
    (JobNotFound, protocol.JOB_NOT_FOUND),
    (JobAlreadyRunning, protocol.JOB_ALREADY_RUNNING),
    (InvalidState, protocol.JOB_NOT_RESUMABLE),
    (ShuttingDown, protocol.SHUTTING_DOWN),
    (ResourceExhausted, protocol.RESOURCE_EXHAUSTED),
    (InvalidScore, protocol.INVALID_SCORE),
    (UserError, protocol.INVALID_PARAMS),
)
"""The one table from error classes to JSON-RPC codes; the first match wins."""
