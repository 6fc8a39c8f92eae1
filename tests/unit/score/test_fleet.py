"""Fleet files: scores in groups that wait for one another."""

from pathlib import Path

from podium.score.fleet import check_fleet
from podium.score.yamlsource import load_yaml

SCORE = "name: {n}\ninstrument: cli\nsheet: {{size: 1, total_items: 1}}\nprompt: {{template: x}}\n"


def check(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "fleet.yaml"
    data, source = load_yaml(text, str(path))
    _, found = check_fleet(data, source, path)
    return [str(d) for d in found]


def test_a_good_fleet_has_no_problems(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(SCORE.format(n=name))
    text = (
        "type: fleet\nname: f\nscores:\n  - {path: a.yaml, group: first}\n"
        "  - {path: b.yaml, group: second}\n"
        "groups:\n  first: {}\n  second: {depends_on: [first]}\n"
    )
    assert check(tmp_path, text) == []


def test_group_mistakes_are_named(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SCORE.format(n="a"))
    undefined = "type: fleet\nname: f\nscores: [{path: a.yaml}]\ngroups: {x: {depends_on: [y]}}\n"
    assert "group 'x' depends on 'y', which is not a group" in check(tmp_path, undefined)[0]
    circle = (
        "type: fleet\nname: f\nscores: [{path: a.yaml}]\n"
        "groups: {x: {depends_on: [y]}, y: {depends_on: [x]}}\n"
    )
    assert "in a circle: x → y → x" in check(tmp_path, circle)[0]
    stray = "type: fleet\nname: f\nscores: [{path: a.yaml, group: z}]\n"
    assert "is in group 'z', which is not defined" in check(tmp_path, stray)[0]


def test_each_score_of_the_fleet_must_compile(tmp_path: Path) -> None:
    text = "type: fleet\nname: f\nscores: [{path: missing.yaml}]\n"
    [problem] = check(tmp_path, text)
    assert problem.startswith(
        f"{tmp_path}/fleet.yaml:3:17: scores.0.path: the score "
        f"{tmp_path}/missing.yaml does not compile"
    )
