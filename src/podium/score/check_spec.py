"""Checks of a score's spec corpus (`spec`, `sheet.spec_tags`): P015 the corpus cannot be read
(a missing spec_dir, a fragment file that is not a fragment), P016 a sheet's spec tag that no
fragment carries (the sheet would get none of the spec it asks for)."""

from collections.abc import Iterator

from podium.score.compiled import CompiledScore
from podium.score.diagnostics import Diagnostic
from podium.score.findings import ERROR, WARNING, finding
from podium.score.spec import SpecUnreadable, load_corpus


def spec(score: CompiledScore) -> Iterator[Diagnostic]:
    """Every finding about the score's spec corpus."""
    config = score.model.spec
    if not (config.fragments or config.spec_dir or config.include_claude_md):
        if score.model.sheet.spec_tags:
            yield finding(
                score,
                ("sheet", "spec_tags"),
                "sheet.spec_tags chooses spec fragments, but the score has no spec: add "
                "spec.spec_dir or spec.fragments",
                "P016",
                WARNING,
                key=True,
            )
        return
    try:
        corpus = load_corpus(config, score.path.parent, score.workspace)
    except SpecUnreadable as exc:
        where = ("spec", "spec_dir") if config.spec_dir else ("spec",)
        yield finding(score, where, str(exc), "P015", ERROR)
        return
    known = corpus.tags
    for num, tags in sorted(score.model.sheet.spec_tags.items()):
        for index, tag in enumerate(tags):
            if tag not in known:
                offered = ", ".join(sorted(known)) or "none"
                yield finding(
                    score,
                    ("sheet", "spec_tags", num, index),
                    f"sheet {num}: no spec fragment has the tag '{tag}' (tags there: {offered})",
                    "P016",
                    WARNING,
                )
