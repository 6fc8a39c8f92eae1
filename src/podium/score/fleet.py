"""Fleet files: several scores submitted together, in groups that wait for one another."""

from pathlib import Path

from pydantic import Field, ValidationError, model_validator

from podium.score.blocks import Block
from podium.score.compiled import load_score
from podium.score.diagnostics import Diagnostic, ScoreError
from podium.score.errors_from_model import diagnostics
from podium.score.yamlsource import SourceMap


class FleetScore(Block):
    path: str = Field(min_length=1)
    """Relative to the fleet file's folder."""
    group: str | None = None


class FleetGroup(Block):
    depends_on: list[str] = Field(default_factory=list)


class FleetModel(Block):
    type: str = "fleet"
    name: str = Field(min_length=1)
    scores: list[FleetScore] = Field(min_length=1)
    groups: dict[str, FleetGroup] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _groups(self) -> "FleetModel":
        for name, group in self.groups.items():
            for dep in group.depends_on:
                if dep not in self.groups:
                    raise ValueError(
                        f"group '{name}' depends on '{dep}', which is not a group; "
                        f"groups: {', '.join(sorted(self.groups))}"
                    )
        for entry in self.scores:
            if entry.group is not None and entry.group not in self.groups:
                raise ValueError(
                    f"score {entry.path} is in group '{entry.group}', which is not "
                    f"defined under groups"
                )
        cycle = _group_cycle({n: g.depends_on for n, g in self.groups.items()})
        if cycle:
            raise ValueError(f"the groups depend on each other in a circle: {' → '.join(cycle)}")
        return self


def _group_cycle(deps: dict[str, list[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in deps.get(node, ()):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(deps):
        if node not in state and (found := visit(node)):
            return found
    return None


def check_fleet(
    data: dict[str, object], source: SourceMap, path: Path
) -> tuple[FleetModel | None, list[Diagnostic]]:
    """The fleet and its problems: its own schema, then each score it names."""
    try:
        fleet = FleetModel.model_validate(data)
    except ValidationError as exc:
        return None, diagnostics(exc, source, FleetModel)
    problems: list[Diagnostic] = []
    for index, entry in enumerate(fleet.scores):
        score_path = (path.parent / entry.path).resolve()
        try:
            load_score(score_path)
        except ScoreError as exc:
            problems.append(
                source.diagnostic(
                    ("scores", index, "path"),
                    f"the score {score_path} does not compile ({len(exc.diagnostics)} problem(s); "
                    f"the first: {exc.diagnostics[0]})",
                )
            )
    return fleet, problems
