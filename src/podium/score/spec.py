"""The spec corpus: fragments of a project's specification, injected into the prompts of the
sheets they concern (the prompt's fifth layer, after the task itself).

A score names them with `spec`: `fragments` written in the score, and `spec_dir`, a folder
(next to the score when relative) of fragment files read when a sheet runs, so that a spec
edited during a job reaches its later sheets:

- `*.yaml` / `*.yml`: one fragment (`name`, `content`, `tags`, `kind`, `data`), a list of
  them, or `{fragments: [...]}`;
- `*.md` / `*.txt`: one fragment named after the file, its text the content, with optional
  YAML front matter between `---` lines for `tags`, `kind` and `data`.

`include_claude_md` adds the project's `CLAUDE.md` (the workspace's, else the score folder's)
to every sheet. `sheet.spec_tags: {sheet: [tags]}` chooses a sheet's fragments: those with one
of its tags; a sheet without spec_tags gets them all. The layer is capped at `max_chars`,
whole fragments first, with a note naming what was left out.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from podium.domain.errors import UserError
from podium.host.bounded import read_head
from podium.score.blocks import SpecConfig, SpecFragment

FRAGMENT_FILE_MAX_BYTES = 1_000_000
"""A fragment file larger than this is refused: a spec is prose, not a data dump."""
YAML_SUFFIXES = (".yaml", ".yml")
TEXT_SUFFIXES = (".md", ".markdown", ".txt")


class SpecUnreadable(UserError):
    """The spec corpus cannot be read as the score says: a missing folder, a bad file."""


@dataclass(frozen=True, slots=True)
class Fragment:
    name: str
    content: str
    tags: tuple[str, ...] = ()
    kind: str = "text"
    data: Mapping[str, Any] | None = None
    origin: str = "the score"
    """Where it came from: 'the score', a file, or CLAUDE.md."""
    always: bool = False
    """Given to every sheet, whatever its tags (the project's CLAUDE.md)."""


@dataclass(frozen=True, slots=True)
class Corpus:
    fragments: tuple[Fragment, ...] = ()
    folder: Path | None = None
    """The spec_dir read, when there is one."""

    @property
    def tags(self) -> frozenset[str]:
        return frozenset(tag for f in self.fragments for tag in f.tags)


@dataclass(frozen=True, slots=True)
class SpecLayer:
    text: str
    names: tuple[str, ...] = ()
    """The fragments given, in order."""
    left_out: tuple[str, ...] = field(default=())


def spec_folder(config: SpecConfig, score_folder: Path) -> Path | None:
    if not config.spec_dir:
        return None
    folder = Path(config.spec_dir).expanduser()
    return folder if folder.is_absolute() else score_folder / folder


def load_corpus(config: SpecConfig, score_folder: Path, workspace: Path) -> Corpus:
    """Every fragment the score's `spec` names, read now. Raises SpecUnreadable."""
    fragments = [_from_model(f, "the score") for f in config.fragments]
    folder = spec_folder(config, score_folder)
    if folder is not None:
        if not folder.is_dir():
            raise SpecUnreadable(
                f"the spec_dir {folder} is not a folder; create it, or fix the path "
                "(relative paths start at the score's folder)"
            )
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            fragments += _read_file(path, folder)
    if config.include_claude_md:
        for place in (workspace, score_folder):
            claude_md = place / "CLAUDE.md"
            if claude_md.is_file():
                text = _text(claude_md).strip()
                if text:
                    fragments.append(
                        Fragment("CLAUDE.md", text, origin=str(claude_md), always=True)
                    )
                break
    return Corpus(tuple(fragments), folder)


def chosen(corpus: Corpus, tags: Sequence[str] | None) -> list[Fragment]:
    """A sheet's fragments: all of them without tags; else the ones carrying one of `tags`
    (and those every sheet gets)."""
    if tags is None:
        return list(corpus.fragments)
    wanted = set(tags)
    return [f for f in corpus.fragments if f.always or wanted.intersection(f.tags)]


def spec_layer(fragments: Sequence[Fragment], max_chars: int) -> SpecLayer:
    """The layer's text: whole fragments while they fit under `max_chars`, then a note."""
    parts: list[str] = []
    given: list[str] = []
    left_out: list[str] = []
    used = 0
    for fragment in fragments:
        part = _render(fragment)
        if left_out or used + len(part) > max_chars:
            left_out.append(fragment.name)
            continue
        parts.append(part)
        given.append(fragment.name)
        used += len(part) + 2
    if left_out:
        parts.append(
            f"[{len(left_out)} more fragment(s) left out to keep this section under "
            f"{max_chars:,} characters: {', '.join(left_out)}; narrow sheet.spec_tags or "
            "raise spec.max_chars]"
        )
    if not parts:
        return SpecLayer("")
    return SpecLayer("## Specification\n\n" + "\n\n".join(parts), tuple(given), tuple(left_out))


def _render(fragment: Fragment) -> str:
    head = f"### {fragment.name}"
    if fragment.tags:
        head += f" ({', '.join(fragment.tags)})"
    text = f"{head}\n\n{fragment.content.strip()}"
    if fragment.data:
        dumped = yaml.safe_dump(dict(fragment.data), sort_keys=False, allow_unicode=True)
        text += f"\n\n```yaml\n{dumped.rstrip()}\n```"
    return text


def _from_model(model: SpecFragment, origin: str) -> Fragment:
    return Fragment(
        model.name, model.content, tuple(model.tags), model.kind, model.data, origin=origin
    )


def _read_file(path: Path, folder: Path) -> Iterator[Fragment]:
    where = str(path.relative_to(folder.parent) if folder.parent in path.parents else path)
    if path.suffix in YAML_SUFFIXES:
        yield from _yaml_fragments(path, where)
    elif path.suffix in TEXT_SUFFIXES:
        yield _text_fragment(path, where)


def _yaml_fragments(path: Path, where: str) -> Iterator[Fragment]:
    try:
        loaded = yaml.safe_load(_text(path))
    except yaml.YAMLError as exc:
        raise SpecUnreadable(f"spec fragment file {path} is not valid YAML: {exc}") from None
    if isinstance(loaded, Mapping) and set(loaded) == {"fragments"}:
        loaded = loaded["fragments"]
    items = loaded if isinstance(loaded, list) else [loaded]
    for index, item in enumerate(items):
        yield _checked(item, path, where if len(items) == 1 else f"{where}[{index}]")


def _text_fragment(path: Path, where: str) -> Fragment:
    text = _text(path)
    meta: dict[str, Any] = {}
    if text.startswith("---\n"):
        head, marker, body = text[4:].partition("\n---\n")
        if marker:
            try:
                loaded = yaml.safe_load(head) or {}
            except yaml.YAMLError as exc:
                raise SpecUnreadable(
                    f"spec fragment file {path}: its front matter is not valid YAML: {exc}"
                ) from None
            if not isinstance(loaded, dict):
                raise SpecUnreadable(
                    f"spec fragment file {path}: its front matter must be a mapping "
                    "(tags, kind, data)"
                )
            meta, text = loaded, body
    return _checked({"name": path.stem, **meta, "content": text}, path, where)


def _checked(item: object, path: Path, where: str) -> Fragment:
    from pydantic import ValidationError  # noqa: PLC0415 - pydantic is loaded with the score

    if not isinstance(item, Mapping):
        raise SpecUnreadable(
            f"spec fragment {where}: expected a mapping with name and content, found "
            f"{type(item).__name__}"
        )
    try:
        model = SpecFragment.model_validate(dict(item))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'fragment'}: {e['msg']}" for e in exc.errors()
        )
        raise SpecUnreadable(f"spec fragment {where} ({path}): {problems}") from None
    return _from_model(model, where)


def _text(path: Path) -> str:
    data = read_head(path, FRAGMENT_FILE_MAX_BYTES + 1)  # empty when it cannot be read
    if len(data) > FRAGMENT_FILE_MAX_BYTES:
        raise SpecUnreadable(
            f"spec fragment file {path} is over {FRAGMENT_FILE_MAX_BYTES:,} bytes; split it"
        )
    return data.decode("utf-8", errors="replace").replace("\0", "")
