"""One asyncio lock per key, held only while someone uses it.

A client that lost the answer to a submission asks again with the same idempotency key, maybe
while the first request is still being worked on; the second must wait for the first and then
find its job, not submit the score a second time.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Held:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class KeyLocks:
    def __init__(self) -> None:
        self._held: dict[str, _Held] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Exclusive use of `key` for the block; others wait their turn."""
        held = self._held.setdefault(key, _Held())
        held.users += 1
        try:
            async with held.lock:
                yield
        finally:
            held.users -= 1
            if held.users == 0:
                del self._held[key]

    def __len__(self) -> int:
        """Keys in use or waited for."""
        return len(self._held)
