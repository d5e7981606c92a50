"""autograder.common.isolation: the unshare, prctl and rlimit calls both sandboxes are built on.

Each call changes the process that makes it, so every test makes it in a child."""

import resource
import socket
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


def test_check_turns_a_failed_call_into_oserror_with_the_reason():
    isolation.check(0, "fine")
    with pytest.raises(OSError, match="mount /nowhere"):
        isolation.check(-1, "mount /nowhere")
