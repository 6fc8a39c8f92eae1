"""The spec corpus: fragments from the score and from spec_dir's files, chosen per sheet by
its spec_tags, capped in size; and validate's findings about them."""

import textwrap
from pathlib import Path

import pytest

from podium.domain.ids import SheetNum
from podium.score.assembly import AttemptContext, assemble, layers
from podium.score.blocks import SpecConfig, SpecFragment
from podium.score.checks import check
from podium.score.spec import (
    FRAGMENT_FILE_MAX_BYTES,
    Corpus,
    Fragment,
    SpecUnreadable,
    chosen,
    load_corpus,
    spec_layer,
)
from tests.unit.score.test_assembly import score_in


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def test_every_file_shape_becomes_fragments_in_name_order(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    write(specs / "a-one.yaml", "name: one\ncontent: One.\ntags: [api]\n")
    write(specs / "b-list.yml", "- {name: two, content: Two.}\n- {name: three, content: Three.}\n")
    write(specs / "c-wrapped.yaml", "fragments:\n  - {name: four, content: Four., tags: [db]}\n")
    write(
        specs / "d-front.md",
        """
        ---
        tags: [api, style]
        kind: structured
        data: {version: 2}
        ---
        # The API
        It is REST.
        """,
    )
    write(specs / "e-plain.txt", "Plain text.\n")
    write(specs / "notes.json", "{}")  # not a fragment file: left alone
    config = SpecConfig(
        spec_dir="specs", fragments=[SpecFragment(name="inline", content="In the score.")]
    )
    corpus = load_corpus(config, tmp_path, tmp_path / "ws")
    names = [(f.name, f.tags, f.origin) for f in corpus.fragments]
    assert names == [
        ("inline", (), "the score"),
        ("one", ("api",), "specs/a-one.yaml"),
        ("two", (), "specs/b-list.yml[0]"),
        ("three", (), "specs/b-list.yml[1]"),
        ("four", ("db",), "specs/c-wrapped.yaml"),
        ("d-front", ("api", "style"), "specs/d-front.md"),
        ("e-plain", (), "specs/e-plain.txt"),
    ]
    front = corpus.fragments[5]
    assert (front.kind, front.data, front.content) == (
        "structured",
        {"version": 2},
        "# The API\nIt is REST.\n",
    )
    assert corpus.tags == {"api", "db", "style"}


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("bad.yaml", "name: [unclosed\n", "is not valid YAML"),
        ("list.yaml", "- just a string\n", "expected a mapping with name and content, found str"),
        ("short.yaml", "name: x\n", "content: Field required"),
        ("extra.yaml", "name: x\ncontent: y\ncolour: red\n", "colour: Extra inputs"),
        ("front.md", "---\n[a, b]\n---\nbody\n", "front matter must be a mapping"),
        ("broken.md", "---\ntags: [a\n---\nbody\n", "front matter is not valid YAML"),
        ("empty.md", "", "content: String should have at least 1 character"),
    ],
)
def test_a_file_that_is_not_a_fragment_is_refused_with_its_name_and_what_is_wrong(
    tmp_path: Path, name: str, text: str, says: str
) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / name).write_text(text)
    with pytest.raises(SpecUnreadable, match=name) as refused:
        load_corpus(SpecConfig(spec_dir="specs"), tmp_path, tmp_path)
    assert says in str(refused.value)


def test_a_missing_folder_or_a_huge_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecUnreadable, match=r"the spec_dir .*/nowhere is not a folder"):
        load_corpus(SpecConfig(spec_dir="nowhere"), tmp_path, tmp_path)
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "big.md").write_text("x" * (FRAGMENT_FILE_MAX_BYTES + 1))
    with pytest.raises(SpecUnreadable, match=r"big\.md is over 1,000,000 bytes; split it"):
        load_corpus(SpecConfig(spec_dir=str(tmp_path / "specs")), tmp_path / "elsewhere", tmp_path)


def test_claude_md_comes_from_the_workspace_first_and_goes_to_every_sheet(tmp_path: Path) -> None:
    workspace, score_folder = tmp_path / "ws", tmp_path / "score"
    write(score_folder / "CLAUDE.md", "From the score's folder.")
    config = SpecConfig(include_claude_md=True, fragments=[SpecFragment(name="a", content="A")])
    [_, claude] = load_corpus(config, score_folder, workspace).fragments
    assert (claude.name, claude.content, claude.always) == (
        "CLAUDE.md",
        "From the score's folder.",
        True,
    )
    write(workspace / "CLAUDE.md", "From the workspace.")
    corpus = load_corpus(config, score_folder, workspace)
    assert corpus.fragments[1].content == "From the workspace."
    assert [f.name for f in chosen(corpus, ["nothing-has-this"])] == ["CLAUDE.md"]


def test_a_sheet_gets_the_fragments_of_its_tags_or_all_without_tags() -> None:
    corpus = Corpus(
        (
            Fragment("api", "A", ("api",)),
            Fragment("db", "D", ("db", "api")),
            Fragment("style", "S", ("style",)),
            Fragment("untagged", "U"),
        )
    )
    assert [f.name for f in chosen(corpus, None)] == ["api", "db", "style", "untagged"]
    assert [f.name for f in chosen(corpus, ["api"])] == ["api", "db"]
    assert [f.name for f in chosen(corpus, ["style", "db"])] == ["db", "style"]
    assert chosen(corpus, []) == []


def test_the_layer_keeps_whole_fragments_under_its_cap_and_names_what_it_left_out() -> None:
    fragments = [Fragment(f"f{i}", "x" * 400) for i in range(5)]
    layer = spec_layer(fragments, max_chars=1000)
    assert layer.names == ("f0", "f1")
    assert layer.left_out == ("f2", "f3", "f4")
    assert layer.text.startswith("## Specification\n\n### f0\n\n")
    assert layer.text.endswith(
        "[3 more fragment(s) left out to keep this section under 1,000 characters: f2, f3, f4; "
        "narrow sheet.spec_tags or raise spec.max_chars]"
    )
    assert spec_layer([], 1000).text == ""
    data = spec_layer([Fragment("d", "Body", ("t",), "structured", {"k": [1, 2]})], 1000)
    assert data.text == "## Specification\n\n### d (t)\n\nBody\n\n```yaml\nk:\n- 1\n- 2\n```"


def test_each_sheets_prompt_carries_its_fragments_after_the_task(tmp_path: Path) -> None:
    write(tmp_path / "specs" / "api.md", "---\ntags: [api]\n---\nThe API is REST.\n")
    write(tmp_path / "specs" / "ui.md", "---\ntags: [ui]\n---\nThe UI is plain.\n")
    score = score_in(
        tmp_path,
        """
        name: spec
        workspace: ./ws
        sheet: {size: 1, total_items: 2, spec_tags: {2: [ui]}}
        prompt: {template: "Do step {{ sheet_num }}."}
        spec: {spec_dir: specs}
        validations: [{type: file_exists, path: "{workspace}/out.md"}]
        """,
    )
    first = assemble(score, SheetNum(1), AttemptContext(), raw=False)
    second = assemble(score, SheetNum(2), AttemptContext(), raw=False)
    assert "### api (api)\n\nThe API is REST." in first and "The UI is plain." in first
    assert "The API is REST." not in second and "### ui (ui)\n\nThe UI is plain." in second
    assert second.index("Do step 2.") < second.index("## Specification")
    assert second.index("## Specification") < second.index("## Success requirements")
    [spec_layer_of_two] = [
        p for p in layers(score, SheetNum(2), AttemptContext(), raw=False) if p.name == "spec"
    ]
    assert spec_layer_of_two.origin == "spec fragments ui"


def test_a_spec_dir_removed_after_submission_fails_the_attempt_with_a_clear_error(
    tmp_path: Path,
) -> None:
    score = score_in(
        tmp_path,
        "name: s\nworkspace: ./ws\nsheet: {size: 1, total_items: 1}\nprompt: {template: Go.}\n"
        "spec: {spec_dir: gone}\n",
    )
    with pytest.raises(SpecUnreadable, match="not a folder"):
        assemble(score, SheetNum(1), AttemptContext(), raw=False)


def codes(tmp_path: Path, text: str) -> list[tuple[str, str, str]]:
    score = score_in(tmp_path, text)
    return [
        (d.code, str(d.path), d.message)
        for d in check(score, {"claude_cli"})
        if d.code in ("P015", "P016", "P001")
    ]


def test_validate_names_an_unreadable_corpus_and_unknown_tags_where_they_are(
    tmp_path: Path,
) -> None:
    base = (
        "name: s\nworkspace: ./ws\nprompt: {template: Go.}\n"
        "sheet: {size: 1, total_items: 2, spec_tags: {2: [api, ui]}}\n"
    )
    found = codes(tmp_path, base + "spec: {spec_dir: specs}\n")
    assert found == [
        (
            "P015",
            "spec.spec_dir",
            f"the spec_dir {tmp_path}/specs is not a folder; create it, "
            "or fix the path (relative paths start at the score's folder)",
        )
    ]
    write(tmp_path / "specs" / "api.md", "---\ntags: [api]\n---\nREST.\n")
    assert codes(tmp_path, base + "spec: {spec_dir: specs}\n") == [
        (
            "P016",
            "sheet.spec_tags.2.1",
            "sheet 2: no spec fragment has the tag 'ui' (tags there: api)",
        )
    ]
    assert codes(tmp_path, base) == [
        (
            "P016",
            "sheet.spec_tags",
            "sheet.spec_tags chooses spec fragments, but the score has "
            "no spec: add spec.spec_dir or spec.fragments",
        )
    ]
    write(tmp_path / "specs" / "ui.yaml", "name: ui\ncontent: Plain.\ntags: [ui]\n")
    assert codes(tmp_path, base + "spec: {spec_dir: specs}\n") == []
