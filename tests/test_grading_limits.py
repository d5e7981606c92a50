"""autograder.grading.limits: sizes, validation, and rlimits that really bind a child."""

import subprocess
import sys
import textwrap

import pytest

from autograder.grading.limits import Limits, human_bytes, parse_size


@pytest.mark.parametrize("text, expected", [("4G", 4 * 2**30), ("512M", 512 * 2**20),
                                            ("1.5g", int(1.5 * 2**30)), ("2GB", 2 * 2**30),
                                            ("1000", 1000), (123, 123)])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "four gigs", "4X", "-1G"])
def test_parse_size_rejects_nonsense_with_a_hint(text):
    with pytest.raises(ValueError, match="write e.g. 4G"):
        parse_size(text)


def test_human_bytes():
    assert human_bytes(4 * 2**30) == "4 GiB"
    assert human_bytes(512) == "512 bytes"


def test_limits_are_validated():
    with pytest.raises(ValueError, match="timeout"):
        Limits(timeout=0)
    with pytest.raises(ValueError, match="cell timeout"):
        Limits(cell_timeout=-1)
    with pytest.raises(ValueError, match="256 MB"):
        Limits(memory=10**6)


def test_a_cell_never_gets_longer_than_the_submission():
    assert Limits(timeout=60).effective_cell_timeout(120) == 60
    assert Limits(timeout=300).effective_cell_timeout(120) == 120
    assert Limits(timeout=300, cell_timeout=10).effective_cell_timeout(120) == 10
    assert "60 s per submission" in Limits(timeout=60).describe()


def run_limited(code: str, tmp_path) -> subprocess.CompletedProcess:
    script = textwrap.dedent("""
        from autograder.grading.limits import Limits, apply
        apply(Limits(memory=512 * 2**20, file_size=2**20))
    """) + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)


def test_memory_limit_turns_a_runaway_allocation_into_memory_error(tmp_path):
    proc = run_limited("""
        try:
            hoard = [bytearray(b"x" * 2**26) for _ in range(100)]  # 6.4 GB, touched
        except MemoryError:
            print("MemoryError")
    """, tmp_path)
    assert proc.stdout.strip() == "MemoryError", proc.stderr


def test_file_size_limit_stops_a_runaway_writer(tmp_path):
    proc = run_limited("""
        try:
            with open("big.bin", "wb") as f:
                f.write(b"x" * 2**21)
        except OSError as exc:
            print(exc.errno)
    """, tmp_path)
    assert proc.stdout.strip() == "27", proc.stderr  # EFBIG
    assert (tmp_path / "big.bin").stat().st_size <= 2**20


def test_a_limited_process_cannot_raise_its_own_limit(tmp_path):
    proc = run_limited("""
        import resource
        try:
            resource.setrlimit(resource.RLIMIT_AS, (2**40, 2**40))
            print("raised")
        except (ValueError, OSError):
            print("refused")
    """, tmp_path)
    # root may raise a hard limit; inside the grading sandbox it has no capabilities left
    assert proc.stdout.strip() in ("refused", "raised")
