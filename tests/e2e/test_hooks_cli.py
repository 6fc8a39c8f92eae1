"""A job's on_success hooks as `podium status` and `podium history` show them."""

import json
import textwrap
from pathlib import Path

from tests.e2e.conftest import User

HOOKED = """
name: hooked
workspace: ./ws
instrument: cli
sheet: {size: 1, total_items: 1}
prompt: {template: 'true'}
on_success:
  - {type: run_command, command: echo deployed, description: deploy}
  - {type: run_command, command: 'echo no luck; exit 4'}
"""


def test_status_and_history_show_each_hook_and_how_it_ended(podium: User, tmp_path: Path) -> None:
    score = tmp_path / "hooked.yaml"
    score.write_text(textwrap.dedent(HOOKED))
    assert podium("run", str(score), "--wait").returncode == 0
    shown = podium("status", "hooked").stdout.splitlines()
    assert shown[0].split()[:2] == ["hooked", "completed"]
    start = shown.index("hooks:")
    first, second, error = shown[start + 1 : start + 4]
    assert first.startswith("  ✓ 1  run_command: echo deployed (deploy)  succeeded · exit 0 · took")
    assert second.startswith("  ✗ 2  run_command: echo no luck; exit 4  failed · exit 4 · took")
    assert error == "      error  exit 4: no luck"
    assert any("the job stays completed (on_failure: continue)" in line for line in shown)

    history = podium("history", "hooked").stdout.splitlines()
    assert "hooks:" in history
    found = json.loads(podium("status", "hooked", "--json").stdout)
    assert [h["outcome"] for h in found["hooks"]] == ["succeeded", "failed"]
    assert found["hooks"][0]["output"] == "deployed\n"
