"""Domain records to table rows and back, and structured values to JSON.

A record's fields are its table's columns, in order; enums are stored by value, flags as 0/1,
and the fields named as JSON (tuples of nested values) as JSON text. Reading a row back goes
through pydantic, so a field added to a record needs a column and nothing else here.
"""

import dataclasses
import json
import typing
from collections.abc import Sequence
from enum import Enum
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter

from podium.domain.plan import JobPlan

_PLAN = TypeAdapter(JobPlan)


def plan_to_json(plan: JobPlan) -> str:
    return _PLAN.dump_json(plan).decode()


def plan_from_json(text: str) -> JobPlan:
    return _PLAN.validate_json(text)


T = TypeVar("T")


class RowCodec(Generic[T]):
    def __init__(self, cls: type[T], *, json_fields: Sequence[str] = ()) -> None:
        self.columns: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        hints = typing.get_type_hints(cls)
        self._json = {name: TypeAdapter(hints[name]) for name in json_fields}
        self._record: TypeAdapter[T] = TypeAdapter(cls)

    def row(self, record: T) -> tuple[Any, ...]:
        return tuple(self._value(name, getattr(record, name)) for name in self.columns)

    def _value(self, name: str, value: Any) -> Any:
        if name in self._json:
            return self._json[name].dump_json(value).decode() if value else None
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, bool):
            return int(value)
        return value

    def record(self, row: Sequence[Any]) -> T:
        data = dict(zip(self.columns, row, strict=True))
        for name in self._json:
            text = data[name]
            data[name] = json.loads(text) if text else ()
        return self._record.validate_python(data)
