"""What a conductor configured for Ray says when Ray is missing, or nothing answers."""

import sys

import pytest

from podium.domain.errors import Unreachable, UserError
from podium.runtime.executors.ray import cluster
from podium.testing.ray_cluster import free_port


def test_a_missing_ray_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what Python does for a missing package
    with pytest.raises(UserError, match=r"pip install 'podium\[ray\]'"):
        cluster.import_ray()


def test_an_address_where_nothing_listens_is_named_with_how_to_start_a_head() -> None:
    address = f"127.0.0.1:{free_port()}"
    with pytest.raises(Unreachable) as raised:
        cluster._check_answers(address)
    assert f"no Ray cluster answers at executor.address {address}" in str(raised.value)
    assert "ray start --head" in str(raised.value)


def test_an_unplaceable_instrument_names_the_resource_to_declare() -> None:
    message = cluster.missing("claude-code", "instrument:claude-code")
    assert "ray start --address HEAD:6379 --resources '{\"instrument:claude-code\": 8}'" in message
