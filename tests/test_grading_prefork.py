"""autograder.grading.prefork: waiting kernels, forked before any student code, handed their
launch by the provisioner; a fresh kernel where none is waiting.

The forks run in a fresh interpreter (never fork pytest). A real job whose kernel is
pre-forked, sandbox and all, is graded in tests/test_grading_zygote.py.
"""

import asyncio
import json
import subprocess
import sys
import textwrap

from autograder.grading import prefork, runner


def run_python(code: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_waiting_kernels_are_children_in_sessions_of_their_own_and_end_unused():
    got = run_python("""
        import json, os, signal
        from autograder.grading import prefork
        prefork.start(2)
        first, second = prefork.take(), prefork.take()
        sessions = [os.getsid(first.pid) == first.pid, os.getsid(second.pid) == second.pid]
        running = [first.poll(), second.wait(0.2)]
        os.close(first._pipe)  # the runner ends without launching it
        unused = first.wait(10)
        second.kill()
        print(json.dumps({"sessions": sessions, "running": running, "unused": unused,
                          "killed": second.wait(10), "left": prefork.take() is None}))
    """)
    assert got == {"sessions": [True, True], "running": [None, None], "unused": 0,
                   "killed": -9, "left": True}


def test_a_launched_child_gets_the_command_environment_and_folder(tmp_path):
    """Here the child's `kernel.become` is a stand-in that writes what it was given."""
    got = run_python(f"""
        import json, os, sys
        from autograder.grading import kernel, prefork
        def become(argv):
            with open({str(tmp_path / "seen.json")!r}, "w") as f:
                json.dump({{"argv": argv, "cwd": os.getcwd(), "env": os.environ.get("ONLY")}}, f)
            os._exit(3)
        kernel.become = become
        prefork.start(1)
        child = prefork.take()
        child.launch([sys.executable, "-m", "autograder.grading.kernel", "JAIL.json", "-f",
                      "conn.json"], {{"ONLY": "this"}}, {str(tmp_path)!r})
        print(json.dumps({{"code": child.wait(10)}}))
    """)
    assert got == {"code": 3}
    assert json.loads((tmp_path / "seen.json").read_text()) == {
        "argv": ["JAIL.json", "-f", "conn.json"], "cwd": str(tmp_path), "env": "this"}


def test_the_provisioner_is_registered_and_starts_a_fresh_kernel_when_none_waits(monkeypatch):
    from jupyter_client.provisioning.factory import KernelProvisionerFactory

    prefork.register()
    factory = KernelProvisionerFactory.instance()
    assert factory.provisioners[runner.PROVISIONER].load() is prefork.PreforkedProvisioner
    launched = []

    async def fresh(self, cmd, **kwargs):
        launched.append(cmd)
        return {"fresh": True}

    monkeypatch.setattr(prefork.LocalProvisioner, "launch_kernel", fresh)
    provisioner = prefork.PreforkedProvisioner.__new__(prefork.PreforkedProvisioner)
    cmd = [sys.executable, "-m", prefork.KERNEL_MODULE, "JAIL.json", "-f", "c.json"]
    assert prefork.take() is None
    assert asyncio.run(provisioner.launch_kernel(cmd)) == {"fresh": True}
    assert launched == [cmd]
