"""The `instruments.check` JSON-RPC method: whether the conductor can play each instrument,
seen from its own environment and from the one a client's submission would carry
(docs/environment.md). `podium doctor` and `podium instruments check` show both."""

import asyncio
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from podium.conductor.compiler import EnvironmentPolicy, ScoreCompiler, which
from podium.domain.environment import joined
from podium.domain.errors import UserError
from podium.instruments.check import credential_variables
from podium.instruments.environment import ALWAYS, carried, wanted
from podium.instruments.profile import InstrumentProfile
from podium.ipc import methods
from podium.ipc.routes import Handler, handle
from podium.ipc.schema import EnvironmentPolicy as PolicyInfo
from podium.ipc.schema import InstrumentsCheckParams, InstrumentsCheckResult, InstrumentView


def policy_info(policy: EnvironmentPolicy) -> PolicyInfo:
    return PolicyInfo(from_client=policy.from_client, passed=list(policy.passed))


class InstrumentsApi:
    """The instruments as the conductor sees them."""

    def __init__(self, compiler: ScoreCompiler, policy: Callable[[], EnvironmentPolicy]) -> None:
        self._compiler = compiler
        self._policy = policy

    def handlers(self) -> list[Handler]:
        return [handle(methods.INSTRUMENTS_CHECK, self.check)]

    async def check(self, params: InstrumentsCheckParams) -> InstrumentsCheckResult:
        # Off the loop: the profiles are files, and each lookup walks the PATH's folders.
        return await asyncio.to_thread(self._check, params)

    def _check(self, params: InstrumentsCheckParams) -> InstrumentsCheckResult:
        folder = params.get("score_dir")
        registry = self._compiler.registry(Path(folder) if folder else None)
        names = params.get("names") or registry.names()
        unknown = [n for n in names if registry.get(n) is None]
        if unknown:
            raise UserError(
                f"no instrument called {', '.join(map(repr, unknown))} here; known: "
                f"{', '.join(registry.names())}"
            )
        policy = self._policy()
        given = params.get("environment") if policy.from_client else None
        views = [view(registry.require(n), given, policy) for n in names]
        return InstrumentsCheckResult(instruments=views, policy=policy_info(policy))


def view(
    profile: InstrumentProfile, given: Mapping[str, str] | None, policy: EnvironmentPolicy
) -> InstrumentView:
    """`profile` seen with the conductor's environment, and with it overlaid by what a
    submission would carry of `given` (None: nothing is carried)."""
    executable = profile.cli.command.executable if profile.cli is not None else None
    own = dict(os.environ)
    sent = None if given is None else carried(given, wanted([profile], policy.passed))
    overlaid = {**own, **(sent or {})}
    credentials = credential_variables(profile, overlaid)
    path = own.get(ALWAYS, os.defpath)
    sent_path = None if sent is None else joined(sent.get(ALWAYS), path)
    return InstrumentView(
        name=profile.name,
        executable=executable,
        conductor_binary=which(executable, path) if executable else None,
        carried_binary=which(executable, sent_path) if executable and sent_path else None,
        conductor_path=path,
        carried_path=sent_path,
        credentials=list(credentials),
        conductor_credentials=[n for n in credentials if own.get(n)],
        carried_credentials=[n for n in credentials if overlaid.get(n)] if sent is not None else [],
    )
