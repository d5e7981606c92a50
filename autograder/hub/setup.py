"""Everything the hub needs on disk before it starts, made as root, idempotently.

- one Unix account per roster name, with its home under HUB_DIR/homes (mode 0700: nobody else
  reads it), marked as the hub's own so `--purge` never removes anyone else's account, all in
  one group that may pass through the folders above the course environment (an ACL entry,
  execute only, where a folder such as /root lets nobody else through);
- nbgrader's exchange: its root world-writable with the sticky bit (nbgrader's own mode for it,
  and nobody can remove what others put there), the course's inbound (0733: students can drop
  a submission in, nobody but the instructor can list it), outbound (0755) and feedback (0711:
  only a student who knows the hash of their own submission finds their page), owned by the
  instructor;
- the instructor's course directory, a copy of the course (its nbgrader_config.py and
  solutions/), and the grading service's own folder;
- per-role Jupyter config folders: every server finds the exchange and the course id; students
  get no formgrader, course list or assignment-creation tools.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from autograder.common.paths import course_config
from autograder.hub.roster import Roster
from autograder.hub.settings import HubSettings

MARKER = "autograder hub account"
GROUP = "autograder-hub"
TRAVERSAL = "traversal.json"  # folders given the group's execute bit, undone by --purge
STUDENT_HIDDEN_LAB = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                      "@jupyter/nbgrader:create-assignment"]
STUDENT_HIDDEN_SERVER = ["nbgrader.server_extensions.formgrader",
                         "nbgrader.server_extensions.course_list"]
LESSONS_URL = "/hub/user-redirect/lab/tree/"  # a student's JupyterLab, whoever opens the link


class SetupError(RuntimeError):
    """The machine cannot host the hub as asked (one line)."""


# --- accounts ------------------------------------------------------------------------------------


def is_ours(name: str) -> bool:
    try:
        return pwd.getpwnam(name).pw_gecos == MARKER
    except KeyError:
        return False


def ensure_account(name: str, home: Path) -> bool:
    """A Unix account `name` whose home is `home` (0700); True if it was created now."""
    try:
        existing = pwd.getpwnam(name)
    except KeyError:
        existing = None
    if existing is not None:
        if existing.pw_gecos != MARKER:
            raise SetupError(f"a Unix account '{name}' already exists and is not the hub's: "
                             "rename that student in the roster")
        if Path(existing.pw_dir) != home:
            raise SetupError(f"the hub's account '{name}' has its home at {existing.pw_dir}, "
                             f"not {home}: `autograder hub stop --purge` with its old hub "
                             "folder first")
    else:
        home.parent.mkdir(parents=True, exist_ok=True)
        run(["useradd", "--home-dir", str(home), "--create-home", "--shell", "/bin/bash",
             "--user-group", "--groups", GROUP, "--comment", MARKER, name])
    home.chmod(0o700)
    return existing is None


def remove_account(name: str) -> bool:
    """userdel, with the home folder, only for an account the hub created."""
    if not is_ours(name):
        return False
    run(["userdel", "--remove", "--force", name], check=False)
    return True


def run(command: list[str], check: bool = True) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise SetupError(f"{' '.join(command[:2])} failed: {done.stderr.strip()[-300:]}")


def chown_tree(path: Path, name: str) -> None:
    user = pwd.getpwnam(name)
    for folder, dirs, files in os.walk(path):
        for item in [folder, *(os.path.join(folder, f) for f in dirs + files)]:
            os.lchown(item, user.pw_uid, user.pw_gid)


def write_as(path: Path, text: str, name: str, mode: int = 0o644) -> None:
    """A file in a user's home, owned by that user (its folders too)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    home = Path(pwd.getpwnam(name).pw_dir)
    chown_tree(home / path.relative_to(home).parts[0], name)


def quiet_lab(settings: HubSettings, name: str) -> None:
    """No "get Jupyter news?" toast covering each new user's page."""
    write_as(settings.home(name) / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" /
             "apputils-extension" / "notification.jupyterlab-settings",
             json.dumps({"fetchNews": "false", "checkForUpdates": False}), name)


def ensure_group() -> None:
    try:
        grp.getgrnam(GROUP)
    except KeyError:
        run(["groupadd", GROUP])


# --- the environment -----------------------------------------------------------------------------


def environment_paths(settings: HubSettings, source: Path) -> list[Path]:
    """What every server and the service run: the venv, the interpreter it links to and that
    interpreter's standard library, the course (the package is installed editable), HUB_DIR."""
    return [Path(settings.prefix), Path(sys.executable).resolve(), Path(sys.base_prefix),
            Path(source), settings.dir]


def grant_traversal(settings: HubSettings, paths: list[Path]) -> list[str]:
    """Give the hub's group execute (pass-through, not listing) on each folder above `paths`
    that lets no other user through, e.g. /root when Python was installed there."""
    blocked = sorted({str(folder) for path in paths
                      for folder in [Path(path).resolve(), *Path(path).resolve().parents]
                      if folder.is_dir() and not folder.stat().st_mode & stat.S_IXOTH})
    if not blocked:
        return []
    if shutil.which("setfacl") is None:
        raise SetupError(f"{blocked[0]} lets no other user through, so the students' servers "
                         "cannot run the course environment; install Debian's acl package "
                         f"(`make install-test` does) or `chmod o+x {blocked[0]}`")
    record = settings.dir / TRAVERSAL
    granted = json.loads(record.read_text()) if record.exists() else []
    for folder in blocked:
        run(["setfacl", "-m", f"g:{GROUP}:x", folder])
    record.write_text(json.dumps(sorted(set(granted) | set(blocked)), indent=1))
    return blocked


def revoke_traversal(hub_dir: Path) -> None:
    """Undo grant_traversal once no hub account is left on the machine (another hub's
    accounts may still need the same folders)."""
    record = Path(hub_dir) / TRAVERSAL
    try:
        members = grp.getgrnam(GROUP).gr_mem
    except KeyError:
        members = []
    if members or not record.exists() or shutil.which("setfacl") is None:
        return
    for folder in json.loads(record.read_text()):
        run(["setfacl", "-x", f"g:{GROUP}", folder], check=False)


# --- exchange and course -------------------------------------------------------------------------


def make_dir(path: Path, mode: int, owner: str | None = None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if owner is not None:
        user = pwd.getpwnam(owner)
        os.chown(path, user.pw_uid, user.pw_gid)
    path.chmod(mode)  # after chown, which clears the sticky and set-gid bits


def prepare_exchange(settings: HubSettings) -> Path:
    make_dir(settings.exchange, 0o1777)
    course = settings.exchange / settings.course_id
    make_dir(course, 0o755, settings.instructor)
    for name, mode in (("inbound", 0o733), ("outbound", 0o755), ("feedback", 0o711)):
        make_dir(course / name, mode, settings.instructor)
    return course


def source_folder(course: Path) -> Path:
    """The course's source directory (solutions/ here), as its nbgrader_config.py names it."""
    return Path(course) / course_config(course).CourseDirectory.get("source_directory", "source")


def copy_course(settings: HubSettings, source: Path, assignments: list[str]) -> bool:
    """The instructor's course directory, copied once: later starts keep the instructor's work."""
    course = settings.course_dir
    if (course / "nbgrader_config.py").exists():
        return False
    course.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / "nbgrader_config.py", course / "nbgrader_config.py")
    with (course / "nbgrader_config.py").open("a") as config:
        # feedback's links open the lesson section in the student's own JupyterLab, where
        # `fetch` put each lesson (HOME/LESSON/LESSON.ipynb)
        config.write(f"\nc.MistakeFeedback.lessons_url = {LESSONS_URL!r}\n")
    skip = shutil.ignore_patterns("artifacts", ".ipynb_checkpoints", "__pycache__")
    here, there = source_folder(source), source_folder(course)
    for assignment in assignments:
        shutil.copytree(here / assignment, there / assignment, ignore=skip)
    chown_tree(settings.home(settings.instructor), settings.instructor)
    return True


def write_jupyter_config(settings: HubSettings) -> None:
    """HUB_DIR/jupyter/{common,instructor,student}: root-owned, read by every server."""
    base = settings.jupyter_config
    common, instructor, student = base / "common", base / "instructor", base / "student"
    for folder in (base, common, instructor, student, student / "labconfig"):
        make_dir(folder, 0o755)
    (common / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.Exchange.root = {str(settings.exchange)!r}\n"
        f"c.CourseDirectory.course_id = {settings.course_id!r}\n")
    # The course's own settings (root, source and release folders, limits, feedback), then
    # the exchange; nbgrader does not read the course folder's config by itself.
    (instructor / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(settings.course_dir / 'nbgrader_config.py')!r})  # noqa: F821\n"
        f"load_subconfig({str(common / 'nbgrader_config.py')!r})  # noqa: F821\n")
    (student / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": dict.fromkeys(STUDENT_HIDDEN_SERVER, False)}},
        indent=1))
    (student / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": dict.fromkeys(STUDENT_HIDDEN_LAB, True)}, indent=1))
    for path in base.rglob("*"):
        if path.is_file():
            path.chmod(0o644)


def config_path(settings: HubSettings, name: str) -> str:
    """JUPYTER_CONFIG_PATH for `name`'s server."""
    role = "instructor" if name == settings.instructor else "student"
    return os.pathsep.join(str(settings.jupyter_config / r) for r in (role, "common"))


def prepare(settings: HubSettings, roster: Roster, source: Path,
            assignments: list[str]) -> list[str]:
    """Make everything; returns the accounts created now."""
    if os.geteuid() != 0:
        raise SetupError("the hub creates a Unix account per student: run it as root")
    make_dir(settings.dir, 0o755)
    make_dir(settings.homes, 0o711)  # through to one's own home, no listing of names
    ensure_group()
    grant_traversal(settings, environment_paths(settings, source))
    created = [a.name for a in roster.accounts
               if ensure_account(a.name, settings.home(a.name))]
    for name in created:
        quiet_lab(settings, name)
    prepare_exchange(settings)
    copy_course(settings, source, assignments)
    make_dir(settings.service_dir, 0o700, settings.instructor)
    write_jupyter_config(settings)
    return created
