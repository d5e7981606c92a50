"""autograder.grading.integrity: the tripwire notices every kind of change."""

from autograder.grading.integrity import Fingerprint


def test_fingerprint_sees_modified_created_and_deleted_files(tmp_path):
    (tmp_path / "sub" / "a").mkdir(parents=True)
    (tmp_path / "sub" / "a" / "nb.ipynb").write_text("{}")
    (tmp_path / "gradebook.db").write_bytes(b"db")
    (tmp_path / "gone.txt").write_text("x")
    paths = [tmp_path / "sub", tmp_path / "gradebook.db", tmp_path / "gone.txt",
             tmp_path / "absent"]
    before = Fingerprint.of(paths)
    assert before.changes(Fingerprint.of(paths)) == []

    (tmp_path / "gradebook.db").write_bytes(b"DB")
    (tmp_path / "sub" / "a" / "new.txt").write_text("n")
    (tmp_path / "gone.txt").unlink()
    changes = before.changes(Fingerprint.of(paths))
    assert f"{tmp_path / 'gradebook.db'}: modified" in changes
    assert f"{tmp_path / 'sub' / 'a' / 'new.txt'}: created" in changes
    assert f"{tmp_path / 'gone.txt'}: deleted" in changes


def test_fingerprint_skips_what_grading_may_write(tmp_path):
    (tmp_path / "s" / "artifacts").mkdir(parents=True)
    before = Fingerprint.of([tmp_path / "s"], skip=("artifacts",))
    (tmp_path / "s" / "artifacts" / "model.pkl").write_bytes(b"x")
    assert before.changes(Fingerprint.of([tmp_path / "s"], skip=("artifacts",))) == []
