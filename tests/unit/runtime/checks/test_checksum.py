"""A grounding check: the file's digest, by the algorithm it names, compared as written."""

import hashlib
from pathlib import Path

import pytest

from podium.domain.validation import ValidationKind, ValidationRule
from podium.runtime.checks.files import check_file


@pytest.mark.parametrize("algorithm", ["sha256", "md5"])
def test_a_checksum_passes_on_the_expected_digest_and_says_the_one_it_found(
    algorithm: str, tmp_path: Path
) -> None:
    data = tmp_path / "ref.csv"
    data.write_bytes(b"a,b\n" * 100_000)
    digest = hashlib.new(algorithm, data.read_bytes()).hexdigest()
    rule = ValidationRule(
        ValidationKind.FILE_CHECKSUM, path=str(data), pattern=digest, algorithm=algorithm
    )
    assert check_file(rule, {}).passed
    data.write_bytes(b"changed")
    found = check_file(rule, {})
    assert not found.passed
    assert found.detail == (
        f"its {algorithm} checksum is {hashlib.new(algorithm, b'changed').hexdigest()}"
    )
    data.unlink()
    assert check_file(rule, {}).detail == "file not found"
