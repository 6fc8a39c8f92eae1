"""Every verb in the table has its module, and every module declares its arguments and runs."""

from __future__ import annotations

from podium.cli.commands import (
    approvals,
    approve,
    cancel,
    clear,
    clear_rate_limits,
    completion,
    conductor_status,
    config,
    diagnose,
    doctor,
    errors,
    history,
    init,
    instruments,
    kill,
    logs,
    mcp,
    modify,
    pause,
    rate_limits,
    recover,
    reject,
    restart,
    resume,
    run,
    service,
    skip,
    start,
    status,
    stop,
    top,
    validate,
    web,
)
from podium.cli.commands import list as list_
from podium.cli.verbs import COMMANDS, NAMES, load, module_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.cli.verbs import VerbModule

# Typed as VerbModule: a module whose `declare` or `run` is renamed or changes its signature
# fails mypy here, not at a user's run time.
MODULES: dict[str, VerbModule] = {
    "run": run,
    "validate": validate,
    "init": init,
    "status": status,
    "list": list_,
    "history": history,
    "errors": errors,
    "diagnose": diagnose,
    "logs": logs,
    "top": top,
    "web": web,
    "mcp": mcp,
    "pause": pause,
    "resume": resume,
    "modify": modify,
    "cancel": cancel,
    "kill": kill,
    "approvals": approvals,
    "approve": approve,
    "reject": reject,
    "skip": skip,
    "recover": recover,
    "clear": clear,
    "rate-limits": rate_limits,
    "clear-rate-limits": clear_rate_limits,
    "instruments": instruments,
    "completion": completion,
    "doctor": doctor,
    "start": start,
    "stop": stop,
    "restart": restart,
    "conductor-status": conductor_status,
    "config": config,
    "service": service,
}


def test_each_verb_loads_the_module_that_declares_and_runs_it() -> None:
    assert len(NAMES) == len(COMMANDS)
    assert set(MODULES) == NAMES
    for name, _ in COMMANDS:
        module = load(name)
        assert module is MODULES[name], name
        assert callable(module.declare)
        assert callable(module.run)
        assert getattr(module, "__doc__", None), f"{module_name(name)} says what it does"


def test_every_summary_is_one_clause_for_the_help_to_capitalise() -> None:
    for name, summary in COMMANDS:
        assert summary == summary.strip()
        assert summary[0].islower(), name
        assert not summary.endswith("."), name
