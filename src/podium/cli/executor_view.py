"""Where the attempts run, in words: the executor and, on a Ray cluster, each node (what it
offers and its load), for `podium conductor-status`, `podium top` and the dashboard."""

from __future__ import annotations

from podium.cli.output import duration

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import ExecutorInfo, NodeInfo

SHORT_ID = 12
"""The characters of a node's id shown (as the conductor's log shows it)."""


def executor_line(info: ExecutorInfo) -> str:
    """The executor in one line: local, or the Ray cluster, its nodes and how fresh they are."""
    running = _attempts(info["running"])
    if info["type"] != "ray":
        return f"{info['type']} (this machine): {running} running"
    alive = sum(1 for n in info["nodes"] if n["alive"])
    age = info["nodes_age_seconds"]
    if age is None:
        nodes = "nodes not read yet"
    else:
        nodes = f"{alive} node(s) alive of {len(info['nodes'])}, read {_age(age)} ago"
    line = f"ray at {info['address']} (namespace {info['namespace']}): {running} running; {nodes}"
    error = info["error"]
    return f"{line}; {error}" if error else line


def node_line(node: NodeInfo) -> str:
    """One node: its short id, address, whether it is alive, what it offers, its load."""
    state = "alive" if node["alive"] else "dead"
    return (
        f"{short_id(node)} {node['address'] or '?'} {state} · offers {offered(node)} · "
        f"{_attempts(node['attempts'])} · CPU {cpu_text(node)} · memory {memory_text(node)}"
    )


def short_id(node: NodeInfo) -> str:
    return node["node_id"][:SHORT_ID]


def offered(node: NodeInfo) -> str:
    """The instruments a node offers, then the `instrument:*` resources mapped to none."""
    return ", ".join([*node["instruments"], *node["resources"]]) or "no instrument"


def cpu_text(node: NodeInfo) -> str:
    """CPUs in use of the node's total, as Ray counts them."""
    return _of(node["cpu"], node["cpu_total"], "{:g}")


def memory_text(node: NodeInfo) -> str:
    """Memory in use of the node's total (GB), as Ray counts it."""
    used, total = node["memory_mb"], node["memory_total_mb"]
    return _of(
        None if used is None else used / 1024,
        None if total is None else total / 1024,
        "{:.1f}",
        " GB",
    )


def _of(used: float | None, total: float | None, number: str, unit: str = "") -> str:
    if total is None:
        return "?"
    shown = "?" if used is None else number.format(used)
    return f"{shown}/{number.format(total)}{unit}"


def _age(seconds: float) -> str:
    return duration(seconds) if seconds >= 60 else f"{seconds:.0f}s"


def _attempts(count: int) -> str:
    return f"{count} attempt" if count == 1 else f"{count} attempts"
