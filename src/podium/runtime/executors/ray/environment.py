"""An attempt's environment and program on a Ray node, which is not the conductor's machine.

The conductor makes an attempt's environment from its own (and what the job carried from the
shell that submitted it), filtered by the instrument's profile. On a node, the variables that
came from the conductor's own environment are the node's instead: its HOME, its PATH, its
credentials, filtered by the same profile. What the conductor decided stays as it decided:
the profile's `env`, the carried variables, Podium's own (`PODIUM_*`), the routed settings.
The program is looked up on the node too when the conductor's path to it is not there.

Nothing here imports Ray: the node side calls it from the attempt's actor.
"""

import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from podium.domain.environment import joined, passed_env


def decided(
    env: Mapping[str, str], conductor: Mapping[str, str], always: Iterable[str] = ()
) -> dict[str, str]:
    """What of an attempt's environment the conductor decided: the variables named in
    `always` (carried, set by the profile: whatever the conductor's own value), and every
    other one its own environment does not hold with the same value."""
    kept = set(always)
    return {k: v for k, v in env.items() if k in kept or conductor.get(k) != v}


def on_node(
    node: Mapping[str, str], laid: Mapping[str, str], passed: tuple[str, ...] | None
) -> dict[str, str]:
    """The attempt's environment on a node whose own is `node`: that, filtered as the profile
    says (`passed`), with what the conductor decided (`laid`) over it. A PATH the conductor
    decided is searched first, then the node's own."""
    env = passed_env(node, passed)
    env.update(laid)
    if "PATH" in laid and node.get("PATH"):
        env["PATH"] = joined(laid["PATH"], node["PATH"])
    return env


def program(argv0: str, path: str) -> str:
    """The program to run on this node: `argv0` when it is there, else its name looked up on
    `path`. Raises FileNotFoundError, saying where it looked, when it is not installed."""
    if os.sep in argv0 and os.access(argv0, os.X_OK) and Path(argv0).is_file():
        return argv0
    name = Path(argv0).name
    found = shutil.which(name, path=path)
    if found is None:
        raise FileNotFoundError(
            f"'{name}' is not installed on this node (not {argv0}, and not on its PATH: "
            f"{path or '(empty)'}); install it there, or take the instrument's resource off "
            "this node"
        )
    return found
