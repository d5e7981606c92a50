"""autograder.hub.setup: what the hub needs on disk before it starts. Accounts are the hub's own
(marked, so `--purge` never removes anyone else's), folders that let nobody through get an ACL
for the hub's group and lose it once no hub account is left, the exchange has nbgrader's modes,
the instructor's course is copied once, and each role's servers read their own config.

No account is made or removed here: `useradd`, `setfacl` and the account database are
stand-ins where a test would change the machine. A real hub with real accounts:
tests/test_hub_service.py.
"""

import json
import os
import stat
import types
from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

from autograder.common.paths import ROOT
from autograder.hub import setup
from autograder.hub.settings import HubSettings
from autograder.hub.setup import config_path, write_jupyter_config


def settings(tmp_path, **extra) -> HubSettings:
    s = HubSettings(hub_dir=str(tmp_path), course_id="course", instructor="teach",
                    students=("ann", "ben"), port=8123, **extra)
    s.save()
    return s


@pytest.fixture
def commands(monkeypatch) -> list[list[str]]:
    """Every command setup would run (useradd, userdel, setfacl), recorded instead."""
    ran = []
    monkeypatch.setattr(setup, "run", lambda command, check=True: ran.append(command))
    return ran


def account(name: str, home: Path, gecos: str = setup.MARKER):
    return types.SimpleNamespace(pw_name=name, pw_dir=str(home), pw_gecos=gecos,
                                 pw_uid=os.getuid(), pw_gid=os.getgid())


def accounts(monkeypatch, *known) -> None:
    """The machine's accounts, as setup sees them."""
    by_name = {a.pw_name: a for a in known}

    def getpwnam(name):
        return by_name[name]  # KeyError, as pwd raises, for anyone else

    monkeypatch.setattr(setup, "pwd", types.SimpleNamespace(getpwnam=getpwnam))


# --- accounts ------------------------------------------------------------------------------------


def test_purge_never_removes_an_account_the_hub_did_not_make(commands):
    assert not setup.is_ours("root") and not setup.is_ours("no-such-user-here")
    assert setup.remove_account("root") is False
    assert commands == []


def test_only_the_hubs_own_account_is_removed(commands, monkeypatch, tmp_path):
    accounts(monkeypatch, account("ann", tmp_path / "homes" / "ann"))
    assert setup.remove_account("ann")
    assert commands == [["userdel", "--remove", "--force", "ann"]]


def test_a_new_account_is_marked_as_the_hubs_and_its_home_is_private(
        commands, monkeypatch, tmp_path):
    accounts(monkeypatch)
    home = tmp_path / "homes" / "ann"

    def useradd(command, check=True):
        commands.append(command)
        home.mkdir()  # what --create-home does

    monkeypatch.setattr(setup, "run", useradd)
    assert setup.ensure_account("ann", home) is True
    [useradd] = commands
    assert useradd[0] == "useradd" and useradd[-1] == "ann"
    assert useradd[useradd.index("--comment") + 1] == setup.MARKER
    assert useradd[useradd.index("--home-dir") + 1] == str(home)
    assert useradd[useradd.index("--groups") + 1] == setup.GROUP
    assert home.stat().st_mode & 0o777 == 0o700


def test_an_existing_account_is_taken_only_if_it_is_the_hubs_with_that_home(
        commands, monkeypatch, tmp_path):
    home = tmp_path / "homes" / "ann"
    home.mkdir(parents=True, mode=0o755)
    accounts(monkeypatch, account("ann", home), account("ben", tmp_path / "old" / "ben"),
             account("bob", Path("/home/bob"), gecos="Bob"))
    assert setup.ensure_account("ann", home) is False  # a restart: nothing made
    assert home.stat().st_mode & 0o777 == 0o700
    with pytest.raises(setup.SetupError, match="'bob' already exists and is not the hub's"):
        setup.ensure_account("bob", tmp_path / "homes" / "bob")
    with pytest.raises(setup.SetupError, match=f"home at {tmp_path / 'old' / 'ben'}, not"):
        setup.ensure_account("ben", tmp_path / "homes" / "ben")
    assert commands == []


def test_a_failing_command_is_one_line_with_its_error():
    with pytest.raises(setup.SetupError, match=r"^sh -c failed: no such group$"):
        setup.run(["sh", "-c", "echo 'no such group' >&2; exit 3"])
    setup.run(["sh", "-c", "exit 3"], check=False)  # userdel of a half-made account


def test_only_root_can_prepare_the_hub(tmp_path, monkeypatch):
    s = HubSettings(hub_dir=str(tmp_path / "hub"), course_id="c", instructor="t", students=())
    monkeypatch.setattr(setup.os, "geteuid", lambda: 1000)
    with pytest.raises(setup.SetupError, match="run it as root"):
        setup.prepare(s, None, ROOT, [])
    assert not s.dir.exists()


# --- the environment -----------------------------------------------------------------------------


def test_folders_that_let_nobody_through_get_the_groups_acl_and_are_recorded(
        commands, tmp_path):
    (tmp_path / "hub").mkdir()
    s = settings(tmp_path / "hub")
    closed = tmp_path / "closed"
    (closed / "open").mkdir(parents=True)
    closed.chmod(0o700)
    (closed / "open").chmod(0o755)
    blocked = setup.grant_traversal(s, [closed / "open"])
    assert str(closed) in blocked and str(closed / "open") not in blocked
    assert all(not os.stat(f).st_mode & stat.S_IXOTH for f in blocked)
    assert commands == [["setfacl", "-m", f"g:{setup.GROUP}:x", f] for f in blocked]
    # a second start records its folders with the first's, for --purge to undo them all
    (s.dir / setup.TRAVERSAL).write_text(json.dumps(["/earlier"]))
    setup.grant_traversal(s, [closed / "open"])
    assert json.loads((s.dir / setup.TRAVERSAL).read_text()) == sorted(["/earlier", *blocked])


def test_an_environment_everyone_can_reach_needs_no_acl(commands, tmp_path):
    s = settings(tmp_path)
    assert setup.grant_traversal(s, [Path("/usr/bin")]) == []
    assert commands == [] and not (s.dir / setup.TRAVERSAL).exists()


def test_without_setfacl_a_closed_folder_is_one_actionable_line(commands, tmp_path, monkeypatch):
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    monkeypatch.setattr(setup.shutil, "which", lambda name: None)
    with pytest.raises(setup.SetupError, match="lets no other user through.*acl package.*"
                                               "chmod o\\+x /"):
        setup.grant_traversal(settings(tmp_path), [closed])
    assert commands == []


def test_the_acls_are_revoked_only_once_no_hub_account_is_left(commands, tmp_path, monkeypatch):
    (tmp_path / setup.TRAVERSAL).write_text(json.dumps(["/root", "/opt/py"]))
    members = ["other-hubs-student"]
    monkeypatch.setattr(setup, "grp", types.SimpleNamespace(
        getgrnam=lambda name: types.SimpleNamespace(gr_mem=members)))
    setup.revoke_traversal(tmp_path)
    assert commands == []  # another hub's accounts still pass through
    members.clear()
    setup.revoke_traversal(tmp_path)
    assert commands == [["setfacl", "-x", f"g:{setup.GROUP}", "/root"],
                        ["setfacl", "-x", f"g:{setup.GROUP}", "/opt/py"]]


def test_every_server_runs_the_course_environment_and_the_course(tmp_path):
    import sys

    s = settings(tmp_path)
    paths = setup.environment_paths(s, tmp_path / "course")
    assert Path(sys.executable).resolve() in paths and Path(sys.base_prefix) in paths
    assert {Path(s.prefix), tmp_path / "course", s.dir} <= set(paths)


# --- exchange and course -------------------------------------------------------------------------


def test_the_exchange_lets_students_hand_in_but_not_look_around(tmp_path, monkeypatch):
    s = settings(tmp_path)
    accounts(monkeypatch, account("teach", tmp_path / "homes" / "teach"))  # this test's uid
    course = setup.prepare_exchange(s)
    assert course == s.exchange / "course"
    modes = {p.name: p.stat().st_mode & 0o7777 for p in (s.exchange, course, *course.iterdir())}
    # the sticky bit survives the chown; inbound: drop in, no listing; feedback: by hash only
    assert modes == {"exchange": 0o1777, "course": 0o755, "inbound": 0o733,
                     "outbound": 0o755, "feedback": 0o711}


def test_the_source_folder_is_the_one_the_course_config_names(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.source_directory = 'solutions'\n")
    assert setup.source_folder(tmp_path) == tmp_path / "solutions"
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    assert setup.source_folder(tmp_path) == tmp_path / "source"  # nbgrader's default


def test_the_instructors_course_is_copied_once_without_artifacts(tmp_path, monkeypatch):
    monkeypatch.setattr(setup, "chown_tree", lambda *_: None)  # no Unix account here
    source = tmp_path / "source"
    lesson = source / "solutions" / "01-x"
    for folder in ("artifacts", "__pycache__", ".ipynb_checkpoints"):
        (lesson / folder).mkdir(parents=True)
        (lesson / folder / "left.bin").write_bytes(b"x")
    (lesson / "01-x.ipynb").write_text("{}")
    (source / "solutions" / "02-y").mkdir()
    (source / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.source_directory = 'solutions'\n")
    (tmp_path / "hub").mkdir()
    s = settings(tmp_path / "hub")
    assert setup.copy_course(s, source, ["01-x"])
    copied = s.course_dir / "solutions"
    assert [p.relative_to(copied).as_posix() for p in sorted(copied.rglob("*"))] == [
        "01-x", "01-x/01-x.ipynb"]  # only the assignments asked for, no saved models

    config = s.course_dir / "nbgrader_config.py"
    config.write_text(config.read_text() + "c.Execute.timeout = 7  # the instructor's\n")
    assert setup.copy_course(s, source, ["01-x", "02-y"]) is False
    assert "the instructor's" in config.read_text()


def test_each_role_gets_its_own_jupyter_config(tmp_path):
    s = settings(tmp_path)
    write_jupyter_config(s)
    assert config_path(s, "teach").startswith(str(s.jupyter_config / "instructor"))
    assert config_path(s, "ann").startswith(str(s.jupyter_config / "student"))
    student = (s.jupyter_config / "student" / "labconfig" / "page_config.json").read_text()
    assert "@jupyter/nbgrader:formgrader" in student
    common = (s.jupyter_config / "common" / "nbgrader_config.py").read_text()
    assert str(s.exchange) in common and "'course'" in common


def test_a_students_server_reads_no_instructor_config_and_has_no_formgrader(tmp_path):
    s = settings(tmp_path)
    write_jupyter_config(s)
    student, common = s.jupyter_config / "student", s.jupyter_config / "common"
    assert config_path(s, "ann").split(os.pathsep) == [str(student), str(common)]
    server = json.loads((student / "jupyter_server_config.json").read_text())
    extensions = server["ServerApp"]["jpserver_extensions"]
    assert extensions == dict.fromkeys(setup.STUDENT_HIDDEN_SERVER, False)
    assert any("formgrader" in name for name in extensions)
    files = [p for p in s.jupyter_config.rglob("*") if p.is_file()]
    assert len(files) == 4 and all(p.stat().st_mode & 0o777 == 0o644 for p in files)


def test_an_instructors_server_reads_the_course_then_the_exchange(tmp_path):
    s = settings(tmp_path)
    s.course_dir.mkdir(parents=True)
    (s.course_dir / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.source_directory = 'solutions'\n"
        "c.CourseDirectory.course_id = 'from-the-course-folder'\n")
    write_jupyter_config(s)
    loaded = PyFileConfigLoader("nbgrader_config.py",
                                path=str(s.jupyter_config / "instructor")).load_config()
    assert loaded.CourseDirectory.source_directory == "solutions"
    assert loaded.CourseDirectory.course_id == "course"  # the hub's, read last
    assert loaded.Exchange.root == str(s.exchange)


def test_the_instructors_course_links_feedback_to_each_students_own_lab(tmp_path, monkeypatch):
    from autograder.common.paths import ROOT, course_config
    from autograder.hub import setup

    monkeypatch.setattr(setup, "chown_tree", lambda *_: None)  # no Unix account here
    s = settings(tmp_path)
    assert setup.copy_course(s, ROOT, ["01-pickle"])
    config = course_config(s.course_dir)
    assert config.MistakeFeedback.lessons_url == "/hub/user-redirect/lab/tree/"
    assert (s.course_dir / "solutions" / "01-pickle" / "01-pickle.ipynb").is_file()
