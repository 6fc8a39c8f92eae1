"""Reading an instrument's stdout: the result text, the error message, the tokens it used, and
what that cost.

- `text`: stdout is the result; the profile's patterns (`input_tokens_pattern`…) find the
  tokens and the cost in it, summed over every line that reports them.
- `json`: stdout is one object; the profile's paths pick the result, the error and the tokens.
- `jsonl`: one event per line. The result comes from the *last* event of the completion type
  that matches the filter: codex and opencode emit a message per step, and the last one is the
  answer (their own text modes print it). The error comes from the last event that has one.
  Tokens are summed over every event that reports them, since opencode reports each step's.

Output that is not the JSON the profile promises falls back to the raw stdout, with
`parsed=False`.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from podium.instruments.profile import CliOutput, InstrumentProfile

FALLBACK_PRICE_PER_MILLION = (3.0, 15.0)
"""USD per million input and output tokens when a model has no price (Sonnet's list price)."""

_PAYLOADS = ("item", "part")
"""Keys under which JSONL events nest their payload (codex: `item`, opencode: `part`)."""


@dataclass(frozen=True)
class ParsedOutput:
    result: str | None
    error: str | None
    """The text at the profile's `error_path`: the error message when the run failed."""
    input_tokens: int | None
    output_tokens: int | None
    parsed: bool
    """False when the output was not the JSON the profile promises (the result is then the
    raw stdout)."""
    cost: float | None = None
    """What the CLI itself reported the run cost (`cost_path`)."""
    signals: str | None = None
    """For structured output, only the parts that can say what went wrong: error events and
    objects, and lines that are not JSON. Error patterns read these rather than the whole
    stdout, which also carries the agent's tool output (a `curl` that printed "429" is not a
    rate limit of the instrument). None for text output."""


@dataclass(frozen=True)
class Cost:
    amount: float | None
    """USD; None when the tokens are unknown."""
    estimated: bool
    """The price is a guess: the model has no price of its own in the profile."""


def parse_output(spec: CliOutput, stdout: str) -> ParsedOutput:
    """What the instrument's `stdout` says, read as `spec` describes."""
    if spec.format == "text":
        return ParsedOutput(
            stdout,
            None,
            _counted(stdout, spec.input_tokens_pattern),
            _counted(stdout, spec.output_tokens_pattern),
            parsed=True,
            cost=_summed(stdout, spec.cost_pattern),
        )
    if spec.format == "json":
        return _parse_json(spec, stdout)
    return _parse_jsonl(spec, stdout)


_SCALE = {"": 1, "k": 1_000, "m": 1_000_000}
_COUNT = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*([kKmM]?)")


def _counted(stdout: str, pattern: str | None) -> int | None:
    """The token counts the pattern's first group finds, summed: `2.7k` is 2,700."""
    if pattern is None:
        return None
    total, seen = 0, False
    for found in re.finditer(pattern, stdout, re.IGNORECASE | re.MULTILINE):
        number = _COUNT.fullmatch(found.group(1).strip())
        if number is not None:
            value = float(number.group(1).replace(",", ""))
            total += round(value * _SCALE[number.group(2).lower()])
            seen = True
    return total if seen else None


def _summed(stdout: str, pattern: str | None) -> float | None:
    if pattern is None:
        return None
    values = []
    for found in re.finditer(pattern, stdout, re.IGNORECASE | re.MULTILINE):
        try:
            values.append(float(found.group(1).replace(",", "")))
        except ValueError:
            continue
    return sum(values) if values else None


def _raw(stdout: str) -> ParsedOutput:
    return ParsedOutput(stdout, None, None, None, parsed=False)


def _parse_json(spec: CliOutput, stdout: str) -> ParsedOutput:
    data = _json_document(stdout)
    if not isinstance(data, dict):
        return _raw(stdout)
    result = _text(_first(lookup(data, spec.result_path))) if spec.result_path else stdout
    return ParsedOutput(
        result=result,
        error=_message(_first(lookup(data, spec.error_path))),
        input_tokens=_tokens([data], spec.input_tokens_path, spec.aggregate_tokens),
        output_tokens=_tokens([data], spec.output_tokens_path, spec.aggregate_tokens),
        parsed=True,
        cost=_cost([data], spec.cost_path),
        signals=_signals(stdout, [data]),
    )


def _json_document(stdout: str) -> Any:
    """The JSON document in stdout, or at its end when something was printed before it: its
    last line, or the indented document that starts at the last line opening with `{` (Gemini
    CLI prints its error so, after a stack trace)."""
    text = stdout.strip()
    block = text.rfind("\n{")
    candidates = [stdout, text.rpartition("\n")[2]]
    if block >= 0:
        candidates.append(text[block + 1 :])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except (ValueError, RecursionError):  # RecursionError: absurdly nested output
            continue
    return None


def _parse_jsonl(spec: CliOutput, stdout: str) -> ParsedOutput:
    events = list(_events(stdout))
    if not events:
        return _raw(stdout)
    completion = next((e for e in reversed(events) if _is_completion(spec, e)), None)
    errors = (
        [_message(_first(lookup(e, spec.error_path))) for e in events] if spec.error_path else []
    )
    return ParsedOutput(
        result=_result(spec, completion),
        error=next((e for e in reversed(errors) if e is not None), None),
        input_tokens=_tokens(events, spec.input_tokens_path, spec.aggregate_tokens),
        output_tokens=_tokens(events, spec.output_tokens_path, spec.aggregate_tokens),
        parsed=True,
        cost=_cost(events, spec.cost_path),
        signals=_signals(stdout, events),
    )


def _events(stdout: str) -> Iterator[dict[str, Any]]:
    for raw in stdout.splitlines():
        line = raw.strip()
        if not line.startswith("{"):
            continue
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(event, dict):
            yield event


_ERRORISH = re.compile(r"error|fail", re.IGNORECASE)


def _signals(stdout: str, documents: list[dict[str, Any]]) -> str:
    """The lines of stdout that are not JSON, and the documents that report an error: an
    `error` key, a true `is_error`, or a `type` that names an error or a failure."""
    lines = [line for line in stdout.splitlines() if line.strip() and not _is_json(line)]
    for document in documents:
        kind = document.get("type")
        if (
            document.get("error")
            or document.get("is_error") is True
            or (isinstance(kind, str) and _ERRORISH.search(kind))
        ):
            lines.append(json.dumps(document, separators=(",", ":"), ensure_ascii=False))
    return "\n".join(lines)


def _is_json(line: str) -> bool:
    text = line.strip()
    return text.startswith(("{", "[")) and text.endswith(("}", "]"))


def _cost(documents: list[dict[str, Any]], path: str | None) -> float | None:
    values = [
        float(v)
        for document in documents
        for v in lookup(document, path)
        if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    return sum(values) if values else None


def _is_completion(spec: CliOutput, event: dict[str, Any]) -> bool:
    if spec.completion_event_type is not None and event.get("type") != spec.completion_event_type:
        return False
    return all(_has(event, k, v) for k, v in (spec.completion_event_filter or {}).items())


def _has(event: dict[str, Any], key: str, expected: object) -> bool:
    """The event, or failing that its payload object, has `expected` at `key`."""
    places = [event, *(event[p] for p in _PAYLOADS if isinstance(event.get(p), dict))]
    return any(_equal(v, expected) for place in places for v in lookup(place, key))


def _equal(actual: object, expected: object) -> bool:
    return actual == expected or str(actual) == str(expected)


def _result(spec: CliOutput, event: dict[str, Any] | None) -> str | None:
    if event is None:
        return None
    if spec.result_path:
        return _text(_first(lookup(event, spec.result_path)))
    for place in (event, *(event.get(p) for p in _PAYLOADS)):
        if isinstance(place, dict) and isinstance(place.get("text"), str):
            return str(place["text"])
    return None


def _tokens(documents: list[dict[str, Any]], path: str | None, aggregate: bool) -> int | None:
    if not path:
        return None
    found: list[int] = []
    for document in documents:
        counts = [v for v in lookup(document, path) if type(v) is int]
        if counts:
            found.append(sum(counts) if aggregate else counts[0])
    return sum(found) if found else None


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+|\*)\]")


def lookup(data: Any, path: str | None) -> list[Any]:
    """Every value at `path` in `data`: `a.b`, `a[0]`, `a.*` and `a[*]` (every value of a
    mapping or every item of a list). Empty when nothing is there."""
    if not path:
        return []
    found = [data]
    for name, index in _STEP.findall(path):
        step = name or index
        found = [child for value in found for child in _children(value, step)]
    return found


def _children(value: Any, step: str) -> list[Any]:
    if step == "*":
        if isinstance(value, dict):
            return list(value.values())
        return list(value) if isinstance(value, list) else []
    if isinstance(value, dict):
        return [value[step]] if step in value else []
    if isinstance(value, list) and step.isdigit() and int(step) < len(value):
        return [value[int(step)]]
    return []


def _first(values: list[Any]) -> Any:
    return values[0] if values else None


def _message(value: Any) -> str | None:
    """An error's text; when the agent passed on the provider's JSON body as its message
    (Gemini CLI: `{"error":{"code":401,"message":"..."}}`), the message inside it."""
    text = _text(value)
    if text is None or not text.lstrip().startswith("{"):
        return text
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        return text
    inner = _first([*lookup(body, "error.message"), *lookup(body, "message")])
    return inner if isinstance(inner, str) and inner.strip() else text


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def estimate_cost(
    profile: InstrumentProfile,
    model: str | None,
    input_tokens: int | None,
    output_tokens: int | None,
) -> Cost:
    """What an attempt cost at the profile's list price for `model` (or, without one, its
    `default_model`). A model the profile does not list is priced as the default (or first)
    model, and a model without a price at $3/$15 per million tokens: both marked estimated, as
    is a run whose model is unknown (no model, no default: the CLI chose). Unknown tokens cost
    nothing known."""
    if input_tokens is None and output_tokens is None:
        return Cost(None, estimated=False)
    own = profile.model_spec(model or profile.default_model)
    spec = own or profile.model_spec(profile.default_model) or _first(list(profile.models))
    input_price = spec.cost_per_1k_input if spec is not None else None
    output_price = spec.cost_per_1k_output if spec is not None else None
    if input_price is None or output_price is None:
        input_price, output_price = (p / 1000 for p in FALLBACK_PRICE_PER_MILLION)
        exact = False
    else:
        # Exact only for a model the profile prices; without a model the CLI chose one.
        exact = own is not None
    amount = ((input_tokens or 0) * input_price + (output_tokens or 0) * output_price) / 1000
    return Cost(amount, estimated=not exact)
