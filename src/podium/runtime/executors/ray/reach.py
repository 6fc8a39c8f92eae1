"""Whether the nodes that will run a job's attempts see its folders: checked at submission.

An attempt on a Ray node works in the job's workspace and writes its output under the
conductor's state folder, at the same paths as on the conductor's machine: every node must
mount both (NFS, EFS, a shared volume). A job submitted to a cluster where one does not is
refused, rather than fail on that node hours later. The check writes a marker file with a
random word in each folder, then asks each live node that offers one of the job's instruments
to read it back and to write its own answer beside it, which the conductor reads back in
turn: both directions, through the filesystem alone.

A node that passed for a folder is not asked again for a while: a conductor that takes many
jobs in one workspace pays for the check once.
"""

import contextlib
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from podium.domain.errors import UserError
from podium.host.private import make_user_dir
from podium.runtime.executors.ray.cluster import Node, nodes

ANSWER_SECONDS = 60.0
"""At most this long for every node to answer (a node may have to start a worker first)."""

SEEN_SECONDS = 5.0
"""At most this long for what a node wrote to be seen here (a shared filesystem may show a
new file late)."""

TRUSTED_SECONDS = 600.0
"""A node that saw a folder is trusted to see it for this long."""

MARKER_PREFIX = ".podium-reach-"


@dataclass(frozen=True, slots=True)
class Marker:
    """A folder to check, the marker file written in it and the word it holds."""

    what: str
    """What the folder is, for a message: 'workspace', 'state folder'."""
    folder: str
    word: str

    @property
    def path(self) -> Path:
        return Path(self.folder) / f"{MARKER_PREFIX}{self.word}"

    def answer(self, node_id: str) -> Path:
        """Where the node with this id writes its answer."""
        return Path(self.folder) / f"{MARKER_PREFIX}{self.word}.{node_id}"


def look(markers: list[Marker], node_id: str) -> list[str | None]:
    """On a node: for each marker, None when it reads back and the answer is written, else
    what went wrong."""
    found: list[str | None] = []
    for marker in markers:
        try:
            word = marker.path.read_text(encoding="utf-8")
        except OSError as exc:
            found.append(f"cannot read {marker.path}: {exc.strerror or exc}")
            continue
        if word != marker.word:
            found.append(f"{marker.path} holds something else there: another folder at that path")
            continue
        try:
            marker.answer(node_id).write_text(node_id, encoding="utf-8")
        except OSError as exc:
            found.append(f"cannot write in {marker.folder}: {exc.strerror or exc}")
            continue
        found.append(None)
    return found


def _look_here(markers: list[Marker]) -> list[str | None]:
    return look(markers, ray.get_runtime_context().get_node_id())


_look_remote: Any = ray.remote(num_cpus=0, max_retries=0)(_look_here)


class Reach:
    """Checks the folders of jobs against the nodes that will run them (see the module)."""

    def __init__(self, answer_seconds: float = ANSWER_SECONDS) -> None:
        self._answer_seconds = answer_seconds
        self._trusted: dict[tuple[str, str], float] = {}
        """(node id, folder) → until when it is trusted."""

    def check(self, folders: Mapping[str, Path], resources: Mapping[str, str]) -> None:
        """Raise `UserError` unless every live node offering one of `resources` (instrument →
        node resource) sees each of `folders` (what it is → path) at the same path. Blocking:
        run it off the loop."""
        now = time.monotonic()
        self._trusted = {key: until for key, until in self._trusted.items() if until > now}
        wanted = {node.node_id: node for node in _offering(nodes(), resources.values())}
        todo = {}
        for node_id in wanted:
            whats = [what for what, path in folders.items() if not self._trusts(node_id, path, now)]
            if whats:
                todo[node_id] = whats
        if not todo:
            return
        markers = {what: _written(what, folders[what]) for what in folders}
        try:
            problems = self._ask(wanted, todo, markers)
        finally:
            for marker in markers.values():
                _remove(marker, wanted)
        if problems:
            raise UserError(_refusal(problems, resources))
        for node_id, whats in todo.items():
            for what in whats:
                self._trusted[node_id, str(folders[what])] = now + TRUSTED_SECONDS

    def _trusts(self, node_id: str, folder: Path, now: float) -> bool:
        return self._trusted.get((node_id, str(folder)), 0.0) > now

    def _ask(
        self,
        wanted: Mapping[str, Node],
        todo: Mapping[str, list[str]],
        markers: Mapping[str, Marker],
    ) -> list[str]:
        """What went wrong, one line per node and folder; [] when all is well."""
        asked = {
            node_id: _look_remote.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False)
            ).remote([markers[what] for what in whats])
            for node_id, whats in todo.items()
        }
        deadline = time.monotonic() + self._answer_seconds
        problems = []
        for node_id, reply in asked.items():
            node = wanted[node_id]
            try:
                answers = ray.get(reply, timeout=max(0.0, deadline - time.monotonic()))
            except (GetTimeoutError, RayError) as exc:
                with contextlib.suppress(RayError, ValueError):
                    ray.cancel(reply, force=True)
                problems.append(f"{_named(node)} did not answer ({_first_line(exc)})")
                continue
            for what, answer in zip(todo[node_id], answers, strict=True):
                marker = markers[what]
                wrong = answer
                if wrong is None and not _seen(marker.answer(node_id)):
                    wrong = f"what it wrote in {marker.folder} is not seen here"
                if wrong is not None:
                    problems.append(f"{_named(node)} does not share the {what}: {wrong}")
        return problems


def _offering(live: Iterable[Node], resources: Iterable[str]) -> list[Node]:
    wanted = set(resources)
    return [node for node in live if wanted & {r for r, n in node.resources.items() if n > 0}]


def _written(what: str, folder: Path) -> Marker:
    """A marker in `folder` (made if need be, as an attempt would). Raises `UserError` when
    the conductor itself cannot write there."""
    marker = Marker(what, str(folder), secrets.token_hex(8))
    try:
        make_user_dir(folder)
        marker.path.write_text(marker.word, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write in the {what} {folder}: {exc.strerror or exc}") from exc
    return marker


def _seen(path: Path) -> bool:
    deadline = time.monotonic() + SEEN_SECONDS
    while not path.is_file():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _remove(marker: Marker, node_ids: Iterable[str]) -> None:
    for path in (marker.path, *(marker.answer(node_id) for node_id in node_ids)):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _named(node: Node) -> str:
    return f"Ray node {node.node_id[:12]} ({node.address})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _refusal(problems: list[str], resources: Mapping[str, str]) -> str:
    offered = ", ".join(f"{name} ({resource})" for name, resource in sorted(resources.items()))
    return (
        "the job's folders are not shared with every node of the Ray cluster that offers its "
        f"instruments [{offered}]:\n  "
        + "\n  ".join(problems)
        + "\nmount the workspace and the conductor's state folder on every such node at the "
        "same path (NFS, EFS, a shared volume: docs/ray.md, 'Shared folders'), or take the "
        "instrument's resource off the nodes that cannot"
    )
