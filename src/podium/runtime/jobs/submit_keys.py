"""Idempotency keys of submissions (jobs and fleets): how long one may be, and one lock per
key while it is in use.

A client that lost the answer to a submission asks again with the same key, maybe while the
first request is still being worked on; the second must wait for the first and then find what
it made, not submit a second time.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from podium.domain.errors import UserError

MAX_SUBMIT_KEY = 200
"""Characters of an idempotency key (a uuid has 32 or 36)."""


def checked(key: str | None) -> str | None:
    """`key` when it may name a submission; raises UserError otherwise."""
    if key is not None and not 0 < len(key) <= MAX_SUBMIT_KEY:
        raise UserError(
            f"--idempotency-key must have 1 to {MAX_SUBMIT_KEY} characters, got {len(key)}"
        )
    return key


@dataclass(slots=True)
class _Held:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class KeyLocks:
    """One asyncio lock per key, kept only while someone holds or waits for it."""

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
