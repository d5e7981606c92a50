"""autograder.grading.limits: sizes, validation, and rlimits that really bind a child."""

import subprocess
import sys
import textwrap

import pytest

from autograder.grading.limits import BACKSTOP_SECONDS, FLOOR_SECONDS, JobLimits, parse_size


@pytest.mark.parametrize("text, expected", [("4G", 4 * 2**30), ("512M", 512 * 2**20),
                                            ("1.5g", int(1.5 * 2**30)), ("2GB", 2 * 2**30),
                                            ("1000", 1000), (123, 123)])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "four gigs", "4X", "-1G"])
def test_parse_size_rejects_nonsense_with_a_hint(text):
    with pytest.raises(ValueError, match="write e.g. 4G"):
        parse_size(text)


def test_limits_are_validated():
    with pytest.raises(ValueError, match="time limits"):
        JobLimits(cpu_seconds=0)
    with pytest.raises(ValueError, match="cell timeout"):
        JobLimits(cell_timeout=-1)
    with pytest.raises(ValueError, match="256 MB"):
        JobLimits(memory=10**6)


def test_time_limits_are_three_times_the_solutions_and_at_least_a_minute():
    slow = JobLimits.from_reference(cpu=50.0, wall=40.0)
    assert (slow.cpu_seconds, slow.wall_seconds) == (150.0, 120.0)
    quick = JobLimits.from_reference(cpu=1.0, wall=2.0, memory=2**30)
    assert (quick.cpu_seconds, quick.wall_seconds) == (FLOOR_SECONDS, FLOOR_SECONDS)
    assert quick.memory == 2**30
    assert "3× the solution's 1.00 s CPU, 2.00 s wall clock" in quick.describe()
    assert "1 GiB memory per process" in quick.describe()


def test_the_cell_timeout_is_the_courses_unless_given():
    assert JobLimits().effective_cell_timeout(120) == 120
    assert JobLimits(cell_timeout=10).effective_cell_timeout(120) == 10
    assert JobLimits().effective_cell_timeout(None) is None  # as nbgrader: no limit


def run_limited(code: str, tmp_path) -> subprocess.CompletedProcess:
    script = textwrap.dedent("""
        from autograder.grading.limits import JobLimits, apply
        apply(JobLimits(memory=512 * 2**20, file_size=2**20, cpu_seconds=1))
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


def test_the_kernels_own_cpu_limit_backs_up_the_workers_count(tmp_path):
    proc = run_limited("""
        import resource
        print(resource.getrlimit(resource.RLIMIT_CPU))
    """, tmp_path)
    assert proc.stdout.strip() == f"({1 + BACKSTOP_SECONDS}, {1 + BACKSTOP_SECONDS})"


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
