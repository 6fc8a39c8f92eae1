"""Restart with running work: how soon a conductor killed with SIGKILL is back, and how soon it
has re-attached every attempt that outlived it.

Starts N attempts (sleeping children), kills the conductor with SIGKILL, starts a new one on
the same state, and measures from its start to the first answer on the socket, to ready
(recovery done: every attempt re-attached), beside the same conductor's cold start on an empty
state. Prints figures; judges nothing.

    python bench/restart.py [--attempts 50]
"""

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path

from podium.ipc.client import ConductorClient, ConductorUnavailable
from podium.testing.conductor import ConductorProcess

SCORE = """\
name: restart-{index}
workspace: ./ws
instrument: cli
sheet: {{size: 1, total_items: 1, fan_out: {{1: {voices}}}}}
parallel: {{enabled: true, max_concurrent: {voices}}}
prompt:
  template: 'echo $$ > pid-{index}-{{{{ instance }}}}; sleep 120'
"""
VOICES = 10
"""Attempts per job (a score runs at most 20 sheets at once)."""


def timed_start(conductor: ConductorProcess) -> tuple[float, float]:
    """Seconds from starting the daemon to its first answer, and to ready."""
    started = time.perf_counter()
    conductor.launch()
    answered = None
    while True:
        try:
            state = ConductorClient(str(conductor.socket), timeout=5).call("daemon.status")
        except ConductorUnavailable:
            time.sleep(0.002)
            continue
        now = time.perf_counter()
        answered = answered or now
        if state["state"] == "ready":
            return answered - started, now - started
        time.sleep(0.002)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=50)
    args = parser.parse_args()
    config = {
        "max_concurrent_sheets": args.attempts + 10,
        "kill_grace_seconds": 0.5,
        "instruments": {"cli": {"max_concurrent": args.attempts + 10}},
    }
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        folder = Path(tmp)
        cold = ConductorProcess(folder / "cold", config)
        cold_answer, cold_ready = timed_start(cold)
        cold.stop()

        first = ConductorProcess(folder / "home", config).start()
        jobs = []
        for index, start in enumerate(range(0, args.attempts, VOICES)):
            score = folder / f"restart-{index}.yaml"
            voices = min(VOICES, args.attempts - start)
            score.write_text(SCORE.format(index=index, voices=voices))
            jobs.append(first.submit(score))
        ws = folder / "ws"
        first.wait_until(
            lambda: len(list(ws.glob("pid-*"))) == args.attempts, 60, "every attempt to start"
        )
        first.kill(signal.SIGKILL)

        second = ConductorProcess(folder / "home", config)
        answer, ready = timed_start(second)
        running = sum(
            s["status"] == "running" for job in jobs for s in second.status(job)["sheets"]
        )
        reattached = f"re-attached {args.attempts} attempt(s)" in second.log
        for job in jobs:
            second.call("job.cancel", {"job_id": job})
            second.wait_for_job(job, "cancelled", timeout=60)
        second.stop()
        first.stop()

    print(f"restart with {args.attempts} running attempts (sleeping children)")
    print(
        f"  cold start, empty state: first answer {cold_answer * 1000:7.1f} ms, ready "
        f"{cold_ready * 1000:7.1f} ms"
    )
    print(
        f"  after SIGKILL:           first answer {answer * 1000:7.1f} ms, ready "
        f"{ready * 1000:7.1f} ms (every attempt re-attached)"
    )
    print(
        f"  attempts still running after the restart: {running}/{args.attempts}"
        f"{'' if reattached else ' (the log does not say they were re-attached!)'}"
    )
    print(f"  ratio ready after SIGKILL / cold ready   {ready / cold_ready:7.2f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
