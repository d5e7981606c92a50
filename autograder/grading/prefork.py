"""Kernels forked from a clean runner, so a submission's kernel need not import it all again.

Starting a kernel costs a new interpreter, ipykernel, and the lesson's imports (numpy,
scikit-learn, pandas...): about 2.4 s of CPU per submission, a quarter of a small lesson's
grading. A runner forked from the worker's zygote (`zygote`) has all of that loaded, and has
run no student code and read no other student's files. Right after it enters the job's
namespaces and sets its limits, and before it reads this job's gradebook (which holds the
hidden tests), it forks one waiting child per notebook (`start`). Each child is already inside
the job's network and PID namespaces, under its rlimits, in a session of its own.

When nbgrader starts a kernel, the kernelspec's provisioner (`PreforkedProvisioner`) hands a
waiting child the launch (its command, environment and folder) instead of starting a new
process. The child then does what the kernel launcher does (`kernel.become`: hide the files,
drop every capability) and becomes ipykernel. It is the runner's own child, so its CPU time is
counted, it is killed with the job, and jupyter_client manages it as usual. Where none is
waiting (a runner not forked from a zygote, a second kernel for the same notebook), the
provisioner starts a fresh kernel as jupyter_client always does.
"""

from __future__ import annotations

import json
import os
from importlib.metadata import EntryPoint

from jupyter_client.provisioning import LocalProvisioner

from autograder.common.isolation import ForkedChild
from autograder.grading.runner import PROVISIONER as NAME

KERNEL_MODULE = "autograder.grading.kernel"
_waiting: list[Waiting] = []


class Waiting(ForkedChild):
    """A forked child waiting for its launch; afterwards, the kernel process, as Popen is."""

    def __init__(self, pid: int, pipe: int):
        super().__init__(pid)
        self._pipe = pipe
        self.stdin = self.stdout = self.stderr = None

    def launch(self, argv: list[str], env: dict[str, str], cwd: str) -> None:
        os.write(self._pipe, json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode())
        os.close(self._pipe)


def _wait_for_launch(pipe: int) -> None:
    """In the child: block until the provisioner sends the launch, then become the kernel."""
    from autograder.grading import kernel

    chunks = []
    while chunk := os.read(pipe, 65536):
        chunks.append(chunk)
    if not chunks:  # the runner ended without needing this kernel
        os._exit(0)
    launch = json.loads(b"".join(chunks))
    os.chdir(launch["cwd"])
    os.environ.clear()
    os.environ.update(launch["env"])
    kernel.become(launch["argv"][3:])  # after `python -m autograder.grading.kernel`


def start(count: int) -> None:
    """Fork `count` waiting kernels now. Call only in a runner that has run no student code and
    read no hidden tests yet, single-threaded, after its namespaces and limits."""
    for _ in range(count):
        read, write = os.pipe()
        ready_read, ready_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(write)
                os.close(ready_read)
                for other in _waiting:  # the pipes of its elder siblings
                    os.close(other._pipe)
                os.setsid()  # a session of its own, as jupyter_client starts kernels
                os.write(ready_write, b".")
                os.close(ready_write)
                _wait_for_launch(read)
            finally:
                os._exit(1)
        os.close(read)
        os.close(ready_write)
        os.read(ready_read, 1)  # its session exists before anyone signals its group
        os.close(ready_read)
        _waiting.append(Waiting(pid, write))


def take() -> Waiting | None:
    return _waiting.pop(0) if _waiting else None


def register() -> None:
    """Make the provisioner known to jupyter_client in this process (no installed entry point)."""
    from jupyter_client.provisioning.factory import KernelProvisionerFactory

    factory = KernelProvisionerFactory.instance()
    factory.provisioners[NAME] = EntryPoint(
        NAME, f"{__name__}:PreforkedProvisioner", KernelProvisionerFactory.GROUP_NAME)


class PreforkedProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, launching into a waiting child where one is left."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        child = take() if cmd[1:3] == ["-m", KERNEL_MODULE] else None
        if child is None:
            return await super().launch_kernel(cmd, **kwargs)
        # as jupyter_client's launcher sets it (here 1, the PID namespace's init: no poller)
        env = {**(kwargs.get("env") or os.environ), "JPY_PARENT_PID": str(os.getpid())}
        cwd = str(kwargs.get("cwd") or os.getcwd())
        child.launch(cmd, env, cwd)
        self.process, self.pid, self.pgid, self.cwd = child, child.pid, child.pid, cwd
        return self.connection_info
