"""Job ids: the score file's stem, de-duplicated (`name-2`, `name-3`) against every job the
store has and every id handed out for a submission still on its way."""

import re

from podium.domain.ids import JobId
from podium.runtime.ports import Store

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class JobIds:
    """Hands out job ids; one is held until `release` (its job is stored by then, or never)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._held: set[str] = set()

    def allocate(self, stem: str) -> JobId:
        """The stem made safe, or `stem-2`, `stem-3`, … when earlier jobs hold it."""
        base = _UNSAFE.sub("-", stem).strip("-.") or "job"
        taken = self._store.taken_ids(base) | self._held
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        self._held.add(candidate)
        return JobId(candidate)

    def release(self, job_id: JobId) -> None:
        """The submission with this id is over: the store has the job, or it never will."""
        self._held.discard(job_id)
