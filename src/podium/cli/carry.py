"""What a submission carries of this shell's environment (docs/environment.md): its PATH, the
variables the score's instruments ask for, and the conductor's `environment.pass` names.

Imported by the verbs that submit or resume, never on `podium status`'s path: it reads the
instrument profiles (pydantic)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from podium.cli.connect import conductor_info
from podium.instruments.environment import carried, wanted
from podium.instruments.profile import InstrumentProfile
from podium.ipc.client import ConductorClient

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.instruments.registry import Registry
    from podium.ipc.schema import EnvironmentPolicy
    from podium.score.compiled import CompiledScore


def score_profiles(score: CompiledScore, registry: Registry) -> list[InstrumentProfile]:
    """The profiles of every instrument the score plays, fallbacks included."""
    names = {n for s in score.plan.sheets for n in (s.instrument, *s.fallbacks)}
    return [p for n in sorted(names) if (p := registry.get(n)) is not None]


def every_profile(registry: Registry) -> list[InstrumentProfile]:
    """Every profile known (a resume does not know the job's instruments; the conductor
    keeps only what they ask for)."""
    return [p for n in registry.names() if (p := registry.get(n)) is not None]


def policy(conductor: ConductorClient) -> EnvironmentPolicy:
    """What the running conductor takes of a client's environment (an older conductor says
    nothing: only what the instruments ask for travels)."""
    info = conductor_info(conductor)
    given = info.get("environment") if info is not None else None
    return given if given is not None else {"from_client": True, "passed": []}


def sent(
    profiles: Iterable[InstrumentProfile],
    given: EnvironmentPolicy,
    env: Mapping[str, str] | None = None,
) -> dict[str, str] | None:
    """The variables to send for `profiles`; None when the conductor takes none."""
    if not given["from_client"]:
        return None
    return carried(os.environ if env is None else env, wanted(profiles, given["passed"]))
