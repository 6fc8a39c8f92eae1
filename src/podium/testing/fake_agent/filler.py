"""Plausible filler prose, the same every time for the same file and length."""

import hashlib

_PROSE = (
    "the plan covers each stage of the work and names what it needs before it starts "
    "we reviewed the current design against its goals and found two gaps worth closing "
    "a short list of risks follows with an owner and a mitigation for every item "
    "results were checked by hand and by the automated suite with no regressions seen "
    "this section summarises the findings and proposes the next steps for the team "
    "performance stayed within budget while the error rate dropped after the change "
    "open questions remain about data retention and the schedule for the final review"
)
_WORDS = tuple(_PROSE.split())
_SENTENCES_PER_PARAGRAPH = 5


def filler(words: int, seed: str, heading: str | None = None) -> str:
    """`words` words of prose in sentences and paragraphs, after `# heading` when given.

    The same `seed` and length always give the same text; the heading is not counted."""
    state = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    paragraphs: list[str] = []
    sentences: list[str] = []
    left = words
    while left > 0:
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        length = min(left, 6 + state % 9)
        start = (state >> 16) % len(_WORDS)
        chosen = [_WORDS[(start + i) % len(_WORDS)] for i in range(length)]
        sentences.append(" ".join(chosen).capitalize() + ".")
        left -= length
        if len(sentences) == _SENTENCES_PER_PARAGRAPH:
            paragraphs.append(" ".join(sentences))
            sentences = []
    if sentences:
        paragraphs.append(" ".join(sentences))
    head = [f"# {heading}"] if heading is not None else []
    return "\n\n".join(head + paragraphs) + "\n"
