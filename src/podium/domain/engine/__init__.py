"""The engine: every decision the conductor makes, as `Engine.handle(event, now) -> commands`.

`engine` holds the one dispatch point; the state lives in `state`; each event is handed to a
collaborator with one concern, composed rather than inherited: `moves` (statuses through their
tables), `flow` (sheets made ready, skipped, waiting), `slots`, `windows` (rate limits and
circuit breakers), `costs`, `outcomes` (what an attempt's end leads to), `dispatch` (starting
work within the limits), `hooks`, `lifecycle` (how a job ends), `resumption`, `rules` (what
follows from a job's state), `control` (what a person asks), `restart` (a conductor restart)
and `recheck` (`podium recover`).
"""

from podium.domain.engine.engine import Engine
from podium.domain.limits import Limits

__all__ = ["Engine", "Limits"]
