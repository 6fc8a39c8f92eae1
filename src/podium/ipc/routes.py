"""The server's side of the method table: each method of `podium.ipc.methods` bound to its
handler and to a strict validator of its params type, read from the table itself.

The conductor's API objects offer their handlers as `handle(JOB_SUBMIT, self.submit)`: `mypy`
checks that the handler takes the method's params type and gives back its result type.
`routes` then refuses to start a server with a method of the table left without a handler, or
a handler for a method the table does not have."""

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, get_args, get_type_hints

from pydantic import ConfigDict, TypeAdapter

from podium.ipc import approval_schema, fleet_schema, methods, schema
from podium.ipc.methods import METHODS, Method

P = TypeVar("P", bound=Mapping[str, object])
R = TypeVar("R")

STRICT_PARAMS = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)
"""Parameters are taken as sent or refused: no "yes" for true, no 2.0 for 2, no unknown
field silently dropped (a client's typo must not turn into a default)."""


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
    """A method's handler and the validator of its params."""

    handler: Callable[[Any], Awaitable[Any]]
    params: TypeAdapter[Any]
    streams: bool = False

    def parse(self, params: Any) -> Any:
        """`params` as the handler's type; ValidationError when they do not match it."""
        return self.params.validate_python((params,))[0]


def params_types() -> dict[str, type]:
    """Each method's params type (a TypedDict), by name, read from the table's annotations."""
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
    return Route(
        handler.call,
        TypeAdapter(tuple[params_type], config=STRICT_PARAMS),  # type: ignore[valid-type]
        handler.streams,
    )
