"""`podium init [NAME]`: write a starter score that runs as it is, on the `cli` instrument."""

import argparse
import json
import re
from pathlib import Path

from podium.cli import exits
from podium.domain.errors import UserError

STARTER = """\
# {name}.yaml: a starter score. It runs as it is: `podium run {name}.yaml`.
#
# A score splits work into sheets. Here three sheets run one after another on the `cli`
# instrument, where each sheet's prompt is a bash script run in the workspace. To have an AI
# agent do the work, an agent instrument (claude-code, codex-cli, gemini-cli, ...) takes a
# prompt in plain words instead.

name: {quoted}
description: "What this score does, in one line"

# Where the sheets work; relative to this file.
workspace: ./{name}-workspace

instrument: cli
instrument_config:
  timeout_seconds: 300        # per attempt; the whole process group is stopped after it

sheet:
  size: 1                     # items per sheet
  total_items: 3              # so 3 sheets
  # Without dependencies each sheet waits for the one before; to run 1 and 2 side by side:
  # dependencies:
  #   3: [1, 2]

prompt:
  variables:
    topic: "the three steps"
  # Jinja2: {{{{ sheet_num }}}}, {{{{ total_sheets }}}}, {{{{ workspace }}}}, your variables...
  template: |
    echo "Step {{{{ sheet_num }}}} of {{{{ total_sheets }}}}: {{{{ topic }}}}" \\
      > step-{{{{ sheet_num }}}}.txt

retry:
  max_retries: 2              # attempts after the first, when a sheet fails

# After a sheet, a job waits this long before starting the next one (2 s when not given, as in
# Marianne: it spares an agent's provider a burst of calls). A script calls no provider.
pause_between_sheets_seconds: 0

# A sheet succeeds only when its process exits 0 and these checks pass.
# {{workspace}} and {{sheet_num}} are filled in for each sheet.
validations:
  - type: file_exists
    path: "{{workspace}}/step-{{sheet_num}}.txt"
    description: "the step wrote its file"
  - type: content_contains
    path: "{{workspace}}/step-{{sheet_num}}.txt"
    pattern: "Step"
"""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", default="my-score", help="the score's name (my-score)")
    p.add_argument("--path", "-p", default=".", help="the folder to write it in (here)")
    p.add_argument("--force", "-f", action="store_true", help="overwrite an existing file")


def run(args: argparse.Namespace) -> int:
    name = args.name
    if not _NAME.match(name):
        raise UserError(f"'{name}' cannot name a score: use letters, digits, '.', '_' and '-'")
    folder = Path(args.path)
    target = folder / f"{name}.yaml"
    if target.exists() and not args.force:
        raise UserError(f"{target} already exists; choose another name, or --force to overwrite it")
    folder.mkdir(parents=True, exist_ok=True)
    # Quoted, so that a name like 'yes' or '123' stays text in YAML.
    target.write_text(STARTER.format(name=name, quoted=json.dumps(name)), encoding="utf-8")
    print(f"wrote {target}")
    print(f"run it with:   podium run {target}")
    print(f"check it with: podium validate {target}")
    return exits.OK
