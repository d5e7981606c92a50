"""autograder.grading.journal: each outcome kept on disk as it arrives, whole or not at all, and
marked once merged, so a run that stops half-way can be resumed without grading anyone again.

(The gradebook's server stopped mid-merge and `grade --resume`: tests/test_grading_database.py.)
"""

from autograder.grading.journal import Journal
from autograder.grading.outcome import GradeOutcome, GradeStatus


def outcome(student: str, score: float = 2.0, **rest) -> GradeOutcome:
    return GradeOutcome(assignment="tiny", student=student, status=GradeStatus.GRADED,
                        score=score, max_score=2.0, reason="all 1 tests passed", **rest)


def test_outcomes_outlive_the_run_that_recorded_them(tmp_path):
    Journal(tmp_path).record(outcome("bob", 0.0, cells=(), notes=("late",)))
    Journal(tmp_path).record(outcome("ada"))
    kept = Journal(tmp_path).outcomes()  # the resumed run's own journal
    assert list(kept) == ["ada", "bob"]
    assert kept["bob"] == outcome("bob", 0.0, notes=("late",))


def test_a_later_outcome_replaces_the_first_and_leaves_no_partial_file(tmp_path):
    journal = Journal(tmp_path)
    journal.record(outcome("ada", 0.0))
    journal.record(outcome("ada", 2.0, attempts=2))  # a timeout's second try
    assert journal.outcomes() == {"ada": outcome("ada", 2.0, attempts=2)}
    assert sorted(p.name for p in journal.folder.iterdir()) == ["ada.outcome"]


def test_merged_marks_are_per_student_and_kept_on_disk(tmp_path):
    journal = Journal(tmp_path)
    journal.record(outcome("ada"))
    journal.record(outcome("bob"))
    journal.mark_merged("ada")
    assert journal.merged("ada") and not journal.merged("bob")
    assert Journal(tmp_path).merged("ada")


def test_recording_a_student_again_means_merging_again(tmp_path):
    journal = Journal(tmp_path)
    journal.record(outcome("ada", 0.0))
    journal.mark_merged("ada")
    journal.record(outcome("ada", 2.0))  # the new outcome is not in the gradebook yet
    assert not journal.merged("ada")


def test_the_journal_lives_in_the_runs_scratch_folder(tmp_path):
    journal = Journal(tmp_path / "out" / ".autograder" / "tiny")  # made when missing
    journal.record(outcome("ada"))
    assert (tmp_path / "out" / ".autograder" / "tiny" / "outcomes" / "ada.outcome").is_file()
