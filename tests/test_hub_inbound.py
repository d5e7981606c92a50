import os
import shutil
import time

from autograder.hub.inbound import latest, owned_by_student, releases, scan

STAMP = "2026-12-06 21:52:25.047033 UTC"
LATER = "2026-12-06 21:52:27.000000 UTC"


def submit(inbound, student, stamp, rand="AbCdEfGh1234", assignment="tiny", complete=True):
    folder = inbound / f"{student}+{assignment}+{stamp}+{rand}"
    folder.mkdir()
    (folder / f"{assignment}.ipynb").write_text("{}")
    if complete:
        (folder / "timestamp.txt").write_text(stamp)
    return folder


def test_scan_finds_complete_submissions_oldest_first(tmp_path):
    submit(tmp_path, "bob", LATER)
    submit(tmp_path, "ann", STAMP)
    submit(tmp_path, "cat", STAMP, complete=False)  # submit has not finished copying
    (tmp_path / "stray.txt").write_text("")
    (tmp_path / "ann+tiny+not a date+x").mkdir()
    found = scan(tmp_path)
    assert [(s.student, s.assignment, s.timestamp) for s in found] == [
        ("ann", "tiny", STAMP), ("bob", "tiny", LATER)]
    assert found[0].submitted < found[1].submitted
    assert found[0].owner == os.getuid()


def test_only_the_latest_of_each_student_and_assignment_counts(tmp_path):
    submit(tmp_path, "ann", STAMP, rand="one")
    submit(tmp_path, "ann", LATER, rand="two")
    submit(tmp_path, "ann", STAMP, assignment="other")
    newest = latest(scan(tmp_path))
    assert newest[("ann", "tiny")].name.endswith("+two")
    assert newest[("ann", "other")].timestamp == STAMP


def test_a_folder_must_belong_to_the_student_it_names(tmp_path):
    import pwd

    me = pwd.getpwuid(os.getuid()).pw_name
    submit(tmp_path, me, STAMP)
    submit(tmp_path, "nobody", LATER)
    mine, theirs = scan(tmp_path)
    assert owned_by_student(mine)
    assert not owned_by_student(theirs), "owned by this account, not by 'nobody'"


def test_a_release_again_changes_its_stamp(tmp_path):
    from autograder.hub.settings import HubSettings

    settings = HubSettings(hub_dir=str(tmp_path), course_id="c", instructor="t", students=())
    outbound = settings.exchange / "c" / "outbound"
    (outbound / "tiny").mkdir(parents=True)
    (outbound / "stray.txt").write_text("")
    first = releases(settings)
    assert list(first) == ["tiny"]
    shutil.rmtree(outbound / "tiny")  # what nbgrader's release_assignment --force does
    time.sleep(0.01)
    (outbound / "tiny").mkdir()
    assert releases(settings)["tiny"] != first["tiny"]
