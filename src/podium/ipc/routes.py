"""The server's side of the method table: each method of `podium.ipc.methods` bound to its
handler and to a strict validator of its params type, read from the table itself.

The conductor's API objects offer their handlers as `handle(JOB_SUBMIT, self.submit)`: `mypy`
checks that the handler takes the method's params type and gives back its result type.
`routes` then refuses to start a server with a method of the table left without a handler, or
a handler for a method the table does not have."""

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, get_args, get_type_hints

from podium.ipc.methods import METHODS, Method
from podium.ipc.wire import shown

if TYPE_CHECKING:
    from pydantic import ConfigDict, TypeAdapter, ValidationError

P = TypeVar("P", bound=Mapping[str, object])
R = TypeVar("R")

STRICT_PARAMS: "ConfigDict" = {"strict": True, "extra": "forbid", "allow_inf_nan": False}
"""Parameters are taken as sent or refused: no "yes" for true, no 2.0 for 2, no unknown
field silently dropped (a client's typo must not turn into a default). (pydantic's
`ConfigDict`, which is a plain dict: the table's types and pydantic are imported only when
the routes are built, so that a conductor answers on its socket before it has them.)"""


class BadParams(Exception):
    """The params do not match the method's type: each mismatch, as the client sees it."""


class UnroutedMethods(Exception):
    """The handlers given to the server do not match the method table: a bug, found at start."""


@dataclass(frozen=True, slots=True)
class Handler:
    """A method of the table and the coroutine that answers it."""

    method: Method[Any, Any]
    call: Callable[[Any], Awaitable[Any]]
    streams: bool = False


def handle(method: Method[P, R], call: Callable[[P], Awaitable[R]]) -> Handler:
    """`call` answers `method`; `mypy` checks it takes `P` and gives back `R`."""
    return Handler(method, call)


@dataclass(frozen=True, slots=True)
class Notification:
    """One notification of a stream. Several subscribers are sent the same one: `key` names
    it, so that it is masked and encoded once for all of them (None: not shared)."""

    method: str
    params: Mapping[str, object]
    key: object = None


@dataclass(frozen=True, slots=True)
class Stream(Generic[R]):
    """The answer of a method that streams: the result, then notifications for as long as
    `next` gives them (a few at a time; none: the stream ended), until the client hangs up
    (`close`)."""

    answer: R
    next: Callable[[], Awaitable[Sequence[Notification]]]
    close: Callable[[], None]


def handle_stream(method: Method[P, R], call: Callable[[P], Awaitable[Stream[R]]]) -> Handler:
    """`call` answers `method` with a stream: its result, then notifications."""
    return Handler(method, call, streams=True)


@dataclass(frozen=True, slots=True)
class Route:
    """A method's handler and the validator of its params (None: it takes none)."""

    handler: Callable[[Any], Awaitable[Any]]
    params: "TypeAdapter[Any] | None"
    streams: bool = False

    def parse(self, params: Any) -> Any:
        """`params` as the handler's type; BadParams when they do not match it."""
        if self.params is None:
            return _no_params(params)
        from pydantic import ValidationError  # noqa: PLC0415 - imported with the adapters

        try:
            return self.params.validate_python((params,))[0]
        except ValidationError as exc:
            raise BadParams(_problems(exc)) from None


def without_params(handler: Handler) -> Route:
    """The route of a method that takes no params, checked without the table's types (the
    few a starting conductor answers before it has loaded them)."""
    return Route(handler.call, None, handler.streams)


def _no_params(params: Any) -> dict[str, Any]:
    if not isinstance(params, dict):
        raise BadParams(f"params: Input should be a valid dictionary, got {shown(params)}")
    if params:
        unknown = "; ".join(f"params.{k}: Extra inputs are not permitted" for k in params)
        raise BadParams(unknown)
    return {}


def _problems(exc: "ValidationError") -> str:
    """Each mismatch as `params.field: what was expected, got what was sent`."""
    problems = []
    for found in exc.errors(include_url=False):
        path = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in found["loc"][1:]
        )
        text = f"params{path}: {found['msg']}"
        if found["type"] != "missing":
            text += f", got {shown(found['input'])}"
        problems.append(text)
    return "; ".join(problems)


def params_types() -> dict[str, type]:
    """Each method's params type (a TypedDict), by name, read from the table's annotations."""
    from podium.ipc import approval_schema, fleet_schema, methods, schema  # noqa: PLC0415

    names = {
        **vars(schema),
        **vars(fleet_schema),
        **vars(approval_schema),
        **vars(methods),
        "Any": Any,
    }
    found: dict[str, type] = {}
    for name, hint in get_type_hints(methods, localns=names).items():
        value = getattr(methods, name)
        if isinstance(value, Method):
            found[value.name] = get_args(hint)[0]
    return found


def routes(
    handlers: Iterable[Handler], table: Sequence[Method[Any, Any]] = METHODS
) -> dict[str, Route]:
    """The server's routes: one per method of `table`, each with its handler. Raises
    `UnroutedMethods` naming every method without a handler, every handler of a method not in
    the table, and every method with two handlers."""
    given = list(handlers)
    _check(given, table)
    types = params_types()
    return {h.method.name: _route(types[h.method.name], h) for h in given}


def _check(given: list[Handler], table: Sequence[Method[Any, Any]]) -> None:
    known = {m.name for m in table}
    named = [h.method.name for h in given]
    problems = []
    missing = sorted(known - set(named))
    if missing:
        problems.append(f"no handler for {', '.join(missing)}")
    unknown = sorted({h.method.name for h in given if h.method not in table})
    if unknown:
        problems.append(f"handlers for methods the table does not have: {', '.join(unknown)}")
    twice = sorted({n for n in named if named.count(n) > 1})
    if twice:
        problems.append(f"more than one handler for {', '.join(twice)}")
    if problems:
        raise UnroutedMethods(
            "the conductor's handlers do not match the method table (podium.ipc.methods): "
            + "; ".join(problems)
        )


def _route(params_type: type, handler: Handler) -> Route:
    """Every method is checked the same strict way. (The TypedDict is wrapped in a tuple
    because pydantic takes a config only for a type that has none of its own; the config
    still reaches the TypedDicts inside.)"""
    from pydantic import TypeAdapter  # noqa: PLC0415 - see STRICT_PARAMS

    return Route(
        handler.call,
        TypeAdapter(tuple[params_type], config=STRICT_PARAMS),  # type: ignore[valid-type]
        handler.streams,
    )
