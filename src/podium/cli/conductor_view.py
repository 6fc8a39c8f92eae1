"""The instruments as the running conductor sees them (`instruments.check`), for `podium
doctor` and `podium instruments check`: from its own environment, and with what `podium run`
would send of this shell's (docs/environment.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from podium.cli.connect import client
from podium.instruments.environment import abbreviated
from podium.ipc.client import ConductorUnavailable
from podium.ipc.methods import INSTRUMENTS_CHECK

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.instruments.profile import InstrumentProfile
    from podium.ipc.schema import InstrumentsCheckParams, InstrumentsCheckResult, InstrumentView

LOCAL_ONLY = (
    "no conductor runs: this is what this shell finds (a conductor started from it finds the "
    "same; one started elsewhere may not)"
)


@dataclass(frozen=True)
class Verdict:
    """What the conductor would do with a job on one instrument."""

    ready: bool
    text: str
    fix: str | None = None


def ask(profiles: list[InstrumentProfile], score_dir: Path | None) -> InstrumentsCheckResult | None:
    """The conductor's view of `profiles`, given what `podium run` would send for each;
    None when no conductor runs."""
    from podium.cli import carry  # noqa: PLC0415 - the profiles' model

    params: InstrumentsCheckParams = {"names": [p.name for p in profiles]}
    sent = carry.sent(profiles, {"from_client": True, "passed": []})
    if sent is not None:
        params["environment"] = sent
    if score_dir is not None:
        params["score_dir"] = str(score_dir)
    try:
        with client(timeout=10.0) as conductor:
            return conductor.request(INSTRUMENTS_CHECK(params))
    except ConductorUnavailable:
        return None


def verdict(view: InstrumentView) -> Verdict:
    """The conductor's view of one instrument in words, with the fix when it cannot play it."""
    exe = view["executable"]
    own, sent = view["conductor_binary"], view["carried_binary"]
    if exe is None:
        return Verdict(False, "not a command-line instrument; the conductor runs none")
    if view["carried_path"] is None:
        if own is not None:
            return Verdict(True, f"ready on the conductor ({own}, on its own PATH)")
        return Verdict(
            False,
            f"the conductor cannot run it: its PATH ({abbreviated(view['conductor_path'])}) "
            f"lacks '{exe}', and it takes no environment from clients "
            "(environment.from_client: false)",
            f"install '{exe}' where the conductor finds it, or restart it from a shell where "
            f"'which {exe}' works: 'podium stop && podium start'",
        )
    if own is not None:
        return Verdict(True, f"ready on the conductor ({own})")
    if sent is not None:
        return Verdict(
            True,
            f"ready on the conductor with your PATH, which 'podium run' sends ({sent}); the "
            "conductor's own PATH lacks it ('podium run --conductor-env' would be refused)",
        )
    return Verdict(
        False,
        f"the conductor cannot run it: '{exe}' is on neither your PATH nor the conductor's "
        f"({abbreviated(view['conductor_path'])})",
        f"install '{exe}', then 'podium run' from a shell where 'which {exe}' works",
    )


def credentials_note(view: InstrumentView) -> str | None:
    """Where the profile's credential variables reach the conductor's attempts from."""
    if not view["credentials"]:
        return None
    own, sent = view["conductor_credentials"], view["carried_credentials"]
    if view["carried_path"] is None:
        return f"the conductor's credentials: {', '.join(own) or 'none set'}"
    travelling = [n for n in sent if n not in own]
    shown = ", ".join(sent) or "none set"
    if travelling:
        return f"credentials for the conductor's attempts: {shown} (from your shell)"
    return f"credentials for the conductor's attempts: {shown}"
