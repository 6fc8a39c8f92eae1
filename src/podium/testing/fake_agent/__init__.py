"""An offline, deterministic stand-in for a coding agent CLI, for tests and rehearsals.

Run it as `podium-fake-agent` or `python -m podium.testing.fake_agent`. It reads a prompt (stdin
by default), records it, follows the `FAKE-AGENT: <action>` lines of the prompt and the first
matching rule of the workspace's `.fake-agent.yaml`, and answers as Claude Code would, in text or
JSON. See docs/fake-agent.md.
"""

from podium.testing.fake_agent.cli import main

__all__ = ["main"]
