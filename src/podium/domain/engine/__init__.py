"""The engine: every decision the conductor makes, as `Engine.handle(event, now) -> commands`.

Split by concern, each layer building on the one before: `core` (state and mechanics),
`outcomes` (what an unsuccessful attempt leads to), `lifecycle` (how a job goes on and ends),
`dispatch` (starting work within the limits), `control` (pause, resume, modify, cancel),
`recover` (sheets checked again, or reset, for `podium recover`) and `engine` (the events, the
queries and `handle`).
"""

from podium.domain.engine.engine import Engine
from podium.domain.limits import Limits

__all__ = ["Engine", "Limits"]
