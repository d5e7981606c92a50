"""autograder.hub.control: `autograder hub start|stop|status` without a real hub. The hub is
known by its pid file, and only a pid whose process is jupyterhub counts (a recycled pid is
never signalled); a second start finds the running hub instead of preparing another; a hub that
dies or never answers is one line from its log; `stop` ends the hub, by force after its grace
period, and what it left behind, and `--purge` removes HUB_DIR.

The "hub" here is a sleeping process named like one. A real hub, started and stopped:
tests/test_hub_service.py and tests/test_hub_browser.py.
"""

import dataclasses
import json
import subprocess
import sys

import psutil
import pytest

from autograder.hub import control, setup
from autograder.hub.settings import HubSettings
from autograder.services import free_port

SLEEP = "import time; time.sleep(60)"
DEAF = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)")


@pytest.fixture
def fake():
    """fake(name, code=SLEEP, **popen) -> a process whose command line ends with `name`;
    all killed at the end."""
    started = []

    def start(name: str, code: str = SLEEP, **popen) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-c", code, name], **popen)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
        process.wait()


def hub_settings(hub_dir, **extra) -> HubSettings:
    """Settings naming accounts no machine has: nothing to find, nothing to remove."""
    hub_dir.mkdir(exist_ok=True)
    s = HubSettings(hub_dir=str(hub_dir), course_id="course", instructor="no-such-teach",
                    students=("no-such-ann",), port=free_port(), **extra)
    s.save()
    return s


def gone(process: subprocess.Popen) -> bool:
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        return False
    return True


# --- finding the hub -----------------------------------------------------------------------------


def test_the_hub_is_the_jupyterhub_process_named_in_its_pid_file(tmp_path, fake):
    assert control.hub_pid(tmp_path) is None  # no pid file
    (tmp_path / "jupyterhub.pid").write_text("not a pid\n")
    assert control.hub_pid(tmp_path) is None
    hub = fake("jupyterhub")
    (tmp_path / "jupyterhub.pid").write_text(f"{hub.pid}\n")
    assert control.hub_pid(tmp_path) == hub.pid


def test_a_pid_file_naming_another_process_or_none_is_no_hub(tmp_path, fake):
    other = fake("something-else")  # the hub died and its pid went to someone else
    (tmp_path / "jupyterhub.pid").write_text(str(other.pid))
    assert control.hub_pid(tmp_path) is None
    other.kill()
    other.wait()
    assert control.hub_pid(tmp_path) is None


def test_a_course_offers_each_source_folder_with_a_notebook(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.source_directory = 'solutions'\n")
    for name, files in {"02-b": ["02-b.ipynb"], "01-a": ["x.ipynb", "data.csv"],
                        "03-draft": ["notes.md"]}.items():
        (tmp_path / "solutions" / name).mkdir(parents=True)
        for file in files:
            (tmp_path / "solutions" / name / file).write_text("{}")
    (tmp_path / "solutions" / "README.ipynb").write_text("{}")  # a file, not an assignment
    assert control.course_assignments(tmp_path) == ["01-a", "02-b"]


# --- starting ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ProxyHere(HubSettings):
    proxy: str = sys.executable  # any file: what start checks is that the proxy exists


@pytest.fixture
def starting(tmp_path, monkeypatch):
    """A roster, a course, and a start that must not get as far as preparing the machine."""
    (tmp_path / "roster.toml").write_text('instructor = "teach"\nstudents = ["ann", "ben"]\n')
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'ml-course'\n")
    monkeypatch.setattr(setup, "prepare", lambda *a: pytest.fail("prepared the machine"))
    return tmp_path


def test_a_second_start_finds_the_running_hub_and_changes_nothing(starting, monkeypatch, fake):
    monkeypatch.setattr(control, "HubSettings", ProxyHere)
    hub_dir = starting / "hub"
    before = hub_settings(hub_dir)
    (hub_dir / "passwords.json").write_text(json.dumps({"no-such-ann": "pw"}))
    hub = fake("jupyterhub")
    (hub_dir / "jupyterhub.pid").write_text(str(hub.pid))
    started = control.start(starting / "roster.toml", hub_dir=hub_dir,
                            source=starting / "course", port=9999)
    assert (started.pid, started.already_running, started.created) == (hub.pid, True, ())
    assert started.passwords == {"no-such-ann": "pw"}
    # the settings it runs with, not the new ones asked for
    assert dataclasses.asdict(started.settings) == dataclasses.asdict(before)


def test_a_start_without_the_proxy_says_how_to_install_it(starting, monkeypatch):
    @dataclasses.dataclass(frozen=True)
    class NoProxy(HubSettings):
        proxy: str = str(starting / "node_modules" / ".bin" / "configurable-http-proxy")

    monkeypatch.setattr(control, "HubSettings", NoProxy)
    with pytest.raises(control.HubError, match=r"configurable-http-proxy is missing: run "
                                               r"`make install` \(npm ci\)"):
        control.start(starting / "roster.toml", hub_dir=starting / "hub",
                      source=starting / "course")
    assert not (starting / "hub" / "settings.json").exists()


def test_a_hub_that_exits_at_start_is_one_line_from_its_log(tmp_path):
    s = hub_settings(tmp_path)
    (tmp_path / control.LOG).write_text("[I] starting\n[E] Failed to bind 127.0.0.1:8000\n\n")
    exited = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    exited.wait()
    with pytest.raises(control.HubError) as error:
        control.wait_until_up(s, exited, timeout=30)
    assert str(error.value) == ("jupyterhub exited with code 3: [E] Failed to bind "
                                "127.0.0.1:8000")


def test_a_hub_that_never_answers_is_given_up_on_at_the_timeout(tmp_path, fake):
    s = hub_settings(tmp_path)
    (tmp_path / control.LOG).write_text("[I] waiting for the proxy\n")
    with pytest.raises(control.HubError, match=rf"^the hub did not answer at {s.url} within "
                                               r"1 s: \[I\] waiting for the proxy$"):
        control.wait_until_up(s, fake("jupyterhub"), timeout=0.6)


def test_the_log_tail_is_the_last_lines_or_nothing(tmp_path):
    assert control.log_tail(tmp_path) == ""
    (tmp_path / control.LOG).write_text("".join(f"line {i}\n" for i in range(30)))
    assert control.log_tail(tmp_path, lines=2) == "line 28\nline 29"
    assert len(control.log_tail(tmp_path).splitlines()) == 20


# --- stopping ------------------------------------------------------------------------------------


def test_stop_ends_the_hub_and_the_proxy_it_left_behind(tmp_path, fake):
    hub_settings(tmp_path)
    hub, proxy = fake("jupyterhub"), fake("configurable-http-proxy")
    (tmp_path / "jupyterhub.pid").write_text(str(hub.pid))
    (tmp_path / "proxy.pid").write_text(str(proxy.pid))
    assert control.stop(tmp_path) == [f"stopped the hub (pid {hub.pid})",
                                      "ended 1 process(es) the hub left behind"]
    assert gone(hub) and gone(proxy)
    assert control.stop(tmp_path) == ["no hub was running"]


def test_a_hub_that_ignores_sigterm_is_killed_with_its_group_after_the_grace(tmp_path, fake):
    hub = fake("jupyterhub", DEAF, stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert hub.stdout.readline() == "ready\n"
    (tmp_path / "jupyterhub.pid").write_text(str(hub.pid))
    assert control.stop(tmp_path, grace=0.5) == [f"stopped the hub (pid {hub.pid})"]
    assert gone(hub)


def test_stop_never_signals_a_process_that_is_not_the_hubs(tmp_path, fake):
    hub_settings(tmp_path)
    stranger = fake("not-the-proxy")
    (tmp_path / "jupyterhub.pid").write_text(str(stranger.pid))
    (tmp_path / "proxy.pid").write_text(str(stranger.pid))
    assert control.stop(tmp_path) == ["no hub was running"]
    assert stranger.poll() is None and psutil.pid_exists(stranger.pid)


def test_purge_removes_the_hubs_folder_and_only_the_hubs_accounts(tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr(setup, "run", lambda command, check=True: ran.append(command))
    hub_dir = tmp_path / "hub"
    hub_settings(hub_dir)
    assert control.stop(hub_dir, purge=True) == ["removed 0 account(s)", f"removed {hub_dir}"]
    assert not hub_dir.exists() and ran == []  # its accounts were never made: none removed
