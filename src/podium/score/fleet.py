"""Fleet files: several scores submitted together, in groups that wait for one another."""

from pathlib import Path

from pydantic import Field, ValidationError, model_validator

from podium.domain.fleet import FleetPlan
from podium.score.blocks import Block
from podium.score.compiled import load_score, read_text
from podium.score.diagnostics import Diagnostic, ScoreError
from podium.score.errors_from_model import diagnostics
from podium.score.yamlsource import SourceMap, load_yaml


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


def is_fleet(data: object) -> bool:
    """Whether parsed YAML is a fleet file (`type: fleet`) rather than a score."""
    return isinstance(data, dict) and data.get("type") == "fleet"


def load_fleet(path: Path) -> FleetPlan:
    """Read and check the fleet file at `path` (each of its scores must compile); raises
    `ScoreError` listing every problem. Score paths become absolute, from the file's folder."""
    path = path.absolute()
    data, source = load_yaml(read_text(path, "a fleet file"), str(path))
    if not is_fleet(data):
        raise ScoreError(
            [source.diagnostic((), "this is not a fleet file (it has no 'type: fleet')")]
        )
    assert isinstance(data, dict)
    fleet, problems = check_fleet(data, source, path)
    if problems or fleet is None:
        raise ScoreError(problems)
    return FleetPlan(
        fleet.name,
        str(path),
        {name: tuple(group.depends_on) for name, group in fleet.groups.items()},
        tuple((str((path.parent / s.path).resolve()), s.group) for s in fleet.scores),
    )


def is_fleet_file(path: Path) -> bool:
    """Whether the file at `path` is a fleet file; one that cannot be read or parsed is not
    (loading it as a score then says why)."""
    try:
        data, _ = load_yaml(read_text(path), str(path))
    except ScoreError:
        return False
    return is_fleet(data)
