"""A Ray cluster of two nodes on loopback, for tests of the Ray executor (Podium's and users').

    with LoopbackCluster(tmp_dir, {"a": {"instrument:cli": 8}, "b": {"instrument:fake": 8}}) as c:
        ...  # connect a conductor (or `ray.init`) to c.address

The nodes run in a child process of their own (`python -m podium.testing.ray_cluster`), which
starts them with `ray.cluster_utils.Cluster` and stops them when its standard input closes, so
a test process that dies takes its cluster with it. Meanwhile it takes one command a line on
its standard input, and answers each with a line: `remove NAME` kills a worker node as a
failing machine would (`LoopbackCluster.remove`). Every node listens on 127.0.0.1 only, keeps
its files in the given folder, and reports no usage; the test process, and every conductor it
starts, must have `LOOPBACK_ENV` in its environment so that a driver also speaks from
127.0.0.1 (otherwise Ray picks the machine's outward address).
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO

LOOPBACK_ENV: Mapping[str, str] = {
    # Ray treats a node as one of a single-machine cluster, whose address is 127.0.0.1.
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
}

START_SECONDS = 120.0
"""At most this long for both nodes to be up (each takes a few seconds on a quiet machine)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LoopbackCluster:
    """Ray nodes on this machine, one per entry of `nodes` (name → custom resources); the
    first is the head. `node_ids` maps each name to its Ray node id once started. `env` is
    laid over this process's environment for the nodes (and what they run), so that a node's
    environment can differ from a conductor's."""

    def __init__(
        self,
        folder: Path,
        nodes: Mapping[str, Mapping[str, float]],
        env: Mapping[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.folder = folder
        self.nodes = dict(nodes)
        self.env = dict(env or {})
        self.port = port
        """The head's port: a free one unless given (a cluster started again where one was)."""
        self.address = ""
        self.node_ids: dict[str, str] = {}
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> "LoopbackCluster":
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "ray").mkdir(exist_ok=True)
        port = self.port or free_port()
        log = (self.folder / "cluster.log").open("w")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "podium.testing.ray_cluster", str(self.folder), str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env={**os.environ, **self.env, **LOOPBACK_ENV, "RAY_TMPDIR": str(self.folder)},
        )
        log.close()
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps(self.nodes) + "\n")
        self._process.stdin.flush()
        line = _read_line(self._process.stdout, START_SECONDS)
        if not line:
            self.stop()
            raise RuntimeError(
                f"the Ray test cluster did not start; see {self.folder / 'cluster.log'}"
            )
        started = json.loads(line)
        self.address, self.node_ids = started["address"], started["nodes"]
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def remove(self, name: str) -> None:
        """Kill the worker node `name` (not the head) as a machine that fails: its raylet and
        its workers die at once. Raises RuntimeError when the cluster does not."""
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            raise RuntimeError("the Ray test cluster is not running")
        process.stdin.write(f"remove {name}\n")
        process.stdin.flush()
        answer = _read_line(process.stdout, START_SECONDS).strip()
        if answer != f"removed {name}":
            raise RuntimeError(
                f"the Ray test cluster did not remove node {name!r} ({answer or 'no answer'}); "
                f"see {self.folder / 'cluster.log'}"
            )

    def stop(self) -> None:
        """Stop every node (the child process shuts the cluster down when stdin closes)."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            assert process.stdin is not None
            process.stdin.close()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _read_line(stream: IO[str], timeout: float) -> str:
    """One line from the child, or '' when it ends or says nothing within `timeout`."""
    import selectors  # noqa: PLC0415 - only the parent side needs it

    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if selector.select(max(0.0, deadline - time.monotonic())):
                return stream.readline()
    return ""


def _serve(folder: str, port: int) -> None:
    """The child: start the nodes, say where they are, remove those it is told to, and stop
    them all when stdin closes."""
    from ray.cluster_utils import Cluster  # noqa: PLC0415 - the child alone needs Ray

    wanted: dict[str, dict[str, float]] = json.loads(sys.stdin.readline())
    common = {"node_ip_address": "127.0.0.1", "num_cpus": 1, "temp_dir": folder}
    (head_name, head_resources), *others = wanted.items()
    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            **common,
            "gcs_server_port": port,
            "include_dashboard": False,
            "resources": head_resources,
        },
    )
    try:
        workers = {name: cluster.add_node(**common, resources=res) for name, res in others}
        nodes = {head_name: cluster.head_node.node_id}
        nodes.update({name: node.node_id for name, node in workers.items()})
        print(json.dumps({"address": f"127.0.0.1:{port}", "nodes": nodes}), flush=True)
        for line in sys.stdin:
            match line.split():
                case ["remove", name] if name in workers:
                    # As a machine that fails: its processes are killed, none ends gracefully.
                    cluster.remove_node(workers.pop(name), allow_graceful=False)
                    print(f"removed {name}", flush=True)
                case _:
                    print(f"refused {line.strip()!r}: not a worker node to remove", flush=True)
    finally:
        cluster.shutdown()


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]))
