import asyncio

from podium.runtime.jobs.submit_keys import KeyLocks


async def _use(locks: KeyLocks, key: str, log: list[str], go: asyncio.Event) -> None:
    async with locks.hold(key):
        log.append(f"{key} in")
        await go.wait()
        log.append(f"{key} out")


def test_holders_of_one_key_take_turns_and_other_keys_do_not_wait() -> None:
    async def scenario() -> tuple[list[str], int]:
        locks, go = KeyLocks(), asyncio.Event()
        log: list[str] = []
        tasks = [asyncio.create_task(_use(locks, k, log, go)) for k in ("a", "a", "b")]
        for _ in range(1000):  # turns of the loop, enough for both to enter; bounded
            if len(log) >= 2:
                break
            await asyncio.sleep(0)
        assert log == ["a in", "b in"]
        go.set()
        await asyncio.gather(*tasks)
        return log, len(locks)

    log, left = asyncio.run(scenario())
    assert log.index("a out") < log.index("a in", 1)
    assert left == 0  # a key is forgotten once nobody holds or waits for it
