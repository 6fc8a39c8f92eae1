"""The conductor's side of a Ray cluster: connecting to it, and which instruments its live
nodes offer (node resources such as `instrument:claude-code`, declared at `ray start`)."""

import logging
import signal
import socket
from dataclasses import dataclass
from types import ModuleType

from podium.domain.errors import Unreachable, UserError

log = logging.getLogger(__name__)

ANSWER_SECONDS = 5.0
"""How long the head may take to accept a connection before the conductor says it is not
there (Ray itself would retry for minutes)."""

START_HEAD = "ray start --head --port 6379 --resources '{\"instrument:cli\": 8}'"


def import_ray() -> ModuleType:
    """Ray, or a `UserError` saying how to install it."""
    try:
        import ray  # noqa: PLC0415 - only a conductor configured for Ray pays for it
    except ImportError as exc:
        raise UserError(
            "conductor.yaml: executor.type is ray, but Ray is not installed in the "
            f"conductor's Python ({exc}); install it with: pip install 'podium[ray]'"
        ) from exc
    module: ModuleType = ray
    return module


def connect(address: str, namespace: str) -> None:
    """Connect this process to the cluster at `address` (`auto`, `host:port`, `ray://…`) as a
    driver in `namespace`, once. Raises `Unreachable` naming the address when nothing answers
    there, and how to start a head node."""
    ray = import_ray()
    if ray.is_initialized():
        return
    _check_answers(address)
    # Ray sets its own SIGTERM handler in a driver; the conductor's handlers stay in force.
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        ray.init(
            address=address,
            namespace=namespace,
            log_to_driver=False,
            configure_logging=False,
        )
    except ConnectionError as exc:
        raise Unreachable(_not_answering(address, str(exc))) from exc
    finally:
        for sig, handler in handlers.items():
            if handler is not None:
                signal.signal(sig, handler)
    log.info("connected to the Ray cluster at %s (namespace %s)", address, namespace)


def _check_answers(address: str) -> None:
    """Fail fast when no head listens at a given `host:port` (or `ray://host:port`)."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=ANSWER_SECONDS):
            pass
    except (OSError, ValueError) as exc:
        raise Unreachable(_not_answering(address, str(exc))) from exc


def _not_answering(address: str, why: str) -> str:
    return (
        f"conductor.yaml: no Ray cluster answers at executor.address {address} ({why}); "
        f"start a head node there ({START_HEAD}) and the nodes that run instruments "
        "(ray start --address HEAD:6379 --resources '{\"instrument:NAME\": 8}'), "
        "or set executor.address to the cluster's head (docs/ray.md)"
    )


@dataclass(frozen=True, slots=True)
class Node:
    """A live node of the cluster and the instrument resources it declares."""

    node_id: str
    address: str
    resources: dict[str, float]


def nodes() -> list[Node]:
    """The cluster's live nodes."""
    ray = import_ray()
    return [
        Node(
            n["NodeID"],
            n.get("NodeManagerAddress", ""),
            {k: float(v) for k, v in n.get("Resources", {}).items() if not k.startswith("node:")},
        )
        for n in ray.nodes()
        if n.get("Alive")
    ]


def offers(resource: str) -> bool:
    """Whether some live node declares `resource` (as it registered: the cluster's resource
    totals lag a node that has just joined)."""
    return any(node.resources.get(resource, 0.0) > 0 for node in nodes())


def missing(instrument: str, resource: str) -> str:
    """Why an attempt on `instrument` cannot be placed, and what to run."""
    return (
        f"no live node of the Ray cluster offers instrument {instrument!r} (node resource "
        f"{resource!r}); on a node that has it, run: ray start --address HEAD:6379 "
        f"--resources '{{\"{resource}\": 8}}' (or map the instrument to another resource in "
        "conductor.yaml's executor.resources)"
    )


@dataclass(frozen=True, slots=True)
class NodeState:
    """A node as Ray reports it: the resources it declares, and those free now (None when
    Ray does not say: a dead node, say)."""

    node_id: str
    address: str
    alive: bool
    total: dict[str, float]
    available: dict[str, float] | None


def node_states() -> list[NodeState]:
    """Every node Ray knows (a dead one too, while it remembers it), with what is free on each
    now. It asks the cluster, and waits as long as the cluster takes: call it off the loop."""
    ray = import_ray()
    # A developer API of Ray (2.11 to 2.60 at least); the public state API gives no free amounts.
    from ray._private import state  # noqa: PLC0415

    try:
        available = state.available_resources_per_node()
    except Exception as exc:  # noqa: BLE001 - a private API: the nodes are shown all the same
        log.warning("could not read what is free on the Ray cluster's nodes: %s", exc)
        available = {}
    return [
        NodeState(
            str(n["NodeID"]),
            str(n.get("NodeManagerAddress", "")),
            bool(n.get("Alive")),
            _amounts(n.get("Resources", {})),
            _amounts(available[n["NodeID"]]) if n["NodeID"] in available else None,
        )
        for n in ray.nodes()
    ]


def _amounts(resources: dict[str, float]) -> dict[str, float]:
    return {str(k): float(v) for k, v in resources.items() if not str(k).startswith("node:")}
