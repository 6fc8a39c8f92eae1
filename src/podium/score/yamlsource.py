"""Safe YAML loading that remembers where every value came from.

Scores are parsed with PyYAML's safe loader (the C one when present); the node tree gives each
value's line and column so errors can point at them. Input is capped in bytes and in expanded
size, so an alias bomb is refused instead of eating the machine.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from podium.host.bounded import SCORE_MAX_BYTES as MAX_BYTES
from podium.score.diagnostics import Diagnostic, ScoreError, Severity

MAX_EXPANDED_NODES = 1_000_000

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,unused-ignore]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

Key = str | int


@dataclass(frozen=True, slots=True)
class Mark:
    line: int
    column: int


class SourceMap:
    """Where each YAML path starts in the file (1-based line and column)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._marks: dict[tuple[Key, ...], Mark] = {}
        self._key_marks: dict[tuple[Key, ...], Mark] = {}

    def add(self, path: tuple[Key, ...], mark: Mark, key_mark: Mark | None = None) -> None:
        self._marks[path] = mark
        if key_mark is not None:
            self._key_marks[path] = key_mark

    def locate(self, path: Sequence[Key], *, key: bool = False) -> Mark:
        """The mark of `path`, or of its nearest ancestor that exists in the file."""
        probe = tuple(path)
        while probe:
            found = (self._key_marks.get(probe) if key else None) or self._marks.get(probe)
            if found is not None:
                return found
            probe = probe[:-1]
        return self._marks.get((), Mark(1, 1))

    def diagnostic(
        self,
        path: Sequence[Key],
        message: str,
        *,
        key: bool = False,
        code: str = "",
        severity: Severity = Severity.ERROR,
    ) -> Diagnostic:
        mark = self.locate(path, key=key)
        dotted = ".".join(str(p) for p in path)
        return Diagnostic(self.file, mark.line, mark.column, dotted, message, code, severity)


def load_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document; raise `ScoreError` with a located message when it is not valid."""
    source = SourceMap(file)
    if len(text.encode()) > MAX_BYTES:
        limit = MAX_BYTES // (1024 * 1024)
        raise ScoreError(
            [
                Diagnostic(
                    file,
                    1,
                    1,
                    "",
                    f"the file is larger than {limit} MiB; a score is never this big",
                )
            ]
        )
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScoreError([Diagnostic(file, 1, 1, "", "the file is empty")])
        _check_size(node, file)
        _check_duplicate_keys(node, file, set())
        data = loader.construct_document(node)
        _record_marks(node, (), source, loader, set())
    except RecursionError:
        raise ScoreError(
            [Diagnostic(file, 1, 1, "", "the document is nested too deeply")]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "not valid YAML"
        raise ScoreError([Diagnostic(file, line, col, "", f"not valid YAML: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise ScoreError([Diagnostic(file, 1, 1, "", f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return data, source


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def _check_size(root: yaml.Node, file: str) -> None:
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(v) for v in node.value)
        sizes[id(node)] = min(total, MAX_EXPANDED_NODES + 1)
        return sizes[id(node)]

    if size(root) > MAX_EXPANDED_NODES:
        mark = _mark(root)
        raise ScoreError(
            [
                Diagnostic(
                    file,
                    mark.line,
                    mark.column,
                    "",
                    f"the document expands to more than {MAX_EXPANDED_NODES:,} "
                    "values through aliases; refusing to load it",
                )
            ]
        )


def _check_duplicate_keys(node: yaml.Node, file: str, seen: set[int]) -> None:
    """A key written twice in one mapping: YAML keeps the last, so one of them is a mistake."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[tuple[str, str], yaml.Node] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE:
                ident = (key_node.tag, key_node.value)
                if ident in first:
                    mark, earlier = _mark(key_node), _mark(first[ident]).line
                    message = (
                        f"the key '{key_node.value}' appears twice in one mapping (first "
                        f"on line {earlier}); YAML would keep only the last"
                    )
                    raise ScoreError([Diagnostic(file, mark.line, mark.column, "", message)])
                first[ident] = key_node
            _check_duplicate_keys(value_node, file, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item, file, seen)


_MERGE = "tag:yaml.org,2002:merge"


def _record_marks(
    node: yaml.Node,
    path: tuple[Key, ...],
    source: SourceMap,
    loader: yaml.SafeLoader,
    seen: set[int],
) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str | int):
                continue
            child = (*path, key)
            source.add(child, _mark(value_node), _mark(key_node))
            _record_marks(value_node, child, source, loader, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            source.add(child, _mark(item))
            _record_marks(item, child, source, loader, seen)
    if not path:
        source.add((), _mark(node))
