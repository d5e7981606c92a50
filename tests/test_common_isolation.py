"""autograder.common.isolation: the unshare, prctl and rlimit calls both sandboxes are built on.

Each call changes the process that makes it, so every test makes it in a child."""

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from autograder.common import isolation


def in_child(fn, *args):
    with ProcessPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result(timeout=60)


def lower_twice():
    isolation.lower_rlimit(resource.RLIMIT_FSIZE, 2**20)
    isolation.lower_rlimit(resource.RLIMIT_FSIZE, 2**30)  # cannot go back up, must not raise
    return resource.getrlimit(resource.RLIMIT_FSIZE)


def test_lower_rlimit_only_ever_lowers():
    assert in_child(lower_twice) == (2**20, 2**20)


def soft_and_hard():
    isolation.lower_rlimit(resource.RLIMIT_CPU, 100, 105)
    return resource.getrlimit(resource.RLIMIT_CPU)


def test_lower_rlimit_sets_soft_and_hard_apart():
    assert in_child(soft_and_hard) == (100, 105)


def new_network():
    try:
        how = isolation.unshare_maybe_as_user(isolation.CLONE_NEWNET)
    except OSError as exc:
        return "refused", str(exc)
    return how, sorted(name for _, name in socket.if_nameindex())


def test_a_new_network_namespace_has_only_a_loopback():
    how, found = in_child(new_network)
    if how == "refused":
        pytest.skip(f"this OS allows no new network namespace: {found}")
    assert how in ("privileged", "user namespace")
    assert found == ["lo"]


def test_raise_for_errno_turns_a_failed_call_into_oserror_with_the_reason():
    isolation.raise_for_errno(0, "fine")
    with pytest.raises(OSError, match="mount /nowhere"):
        isolation.raise_for_errno(-1, "mount /nowhere")


def test_kill_group_ends_the_child_and_what_it_started(tmp_path):
    marker = tmp_path / "grandchild_alive"
    child = subprocess.Popen([sys.executable, "-c", f"import subprocess, time; "
                              f"subprocess.Popen(['sh', '-c', 'sleep 2; touch {marker}']); "
                              f"time.sleep(60)"], start_new_session=True)
    isolation.kill_group(child.pid)
    assert child.wait(30) == -signal.SIGKILL
    isolation.kill_group(child.pid)  # already gone: not an error
    subprocess.run(["sleep", "2.5"], check=True)
    assert not marker.exists()


def test_a_missing_libc_function_is_an_oserror_not_a_crash():
    with pytest.raises(OSError, match="does not exist on this OS"):
        isolation.libc.no_such_function_anywhere()
    assert isolation.prctl(-1, 0) is False


def _forked(code: int, sleep: float = 0.0) -> isolation.ForkedChild:
    pid = os.fork()
    if pid == 0:
        time.sleep(sleep)
        os._exit(code)
    return isolation.ForkedChild(pid)


def test_a_forked_child_is_waited_for_and_signalled_as_popen_does():
    child = _forked(3)
    assert child.wait(timeout=30) == 3 and child.poll() == 3
    slow = _forked(0, sleep=60)
    assert slow.poll() is None and slow.wait(timeout=0.05) is None
    slow.kill()
    assert slow.wait(timeout=30) == -signal.SIGKILL
    slow.kill()  # already gone: nothing to signal, no error


def test_a_forked_child_reaped_elsewhere_counts_as_ended():
    child = _forked(0)
    os.waitpid(child.pid, 0)
    assert child.poll() == 0
