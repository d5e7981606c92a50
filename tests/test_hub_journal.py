from autograder.hub.journal import Journal, Outcome, State


def journal_with(tmp_path, *names):
    journal = Journal(tmp_path / Journal.FILE)
    for i, name in enumerate(names):
        assert journal.add(name, name.split("+")[0], "tiny", f"t{i}", 1000.0 + i)
    return journal


def test_a_submission_is_recorded_once(tmp_path):
    journal = journal_with(tmp_path, "a+tiny+t0+r")
    assert not journal.add("a+tiny+t0+r", "a", "tiny", "t0", 1000.0)
    assert [r["state"] for r in journal.submissions()] == [State.SEEN]
    assert journal.states() == {"a+tiny+t0+r": State.SEEN}


def test_graded_closes_its_attempt_in_the_same_transaction(tmp_path):
    journal = journal_with(tmp_path, "a+tiny+t0+r")
    attempt = journal.start_attempt("a+tiny+t0+r")
    journal.set_pgid(attempt, 4242)
    assert journal.get("a+tiny+t0+r")["state"] == State.GRADING
    journal.graded("a+tiny+t0+r", 2.0, 2.0, None, attempt)
    row = journal.get("a+tiny+t0+r")
    assert (row["state"], row["score"], row["released"]) == (State.GRADED, 2.0, None)
    assert [a["outcome"] for a in journal.attempts()] == [Outcome.GRADED]
    assert [r["name"] for r in journal.to_release(now=2e9)] == ["a+tiny+t0+r"]
    journal.released("a+tiny+t0+r")
    assert journal.to_release(now=2e9) == []


def test_held_feedback_waits_for_its_date(tmp_path):
    journal = journal_with(tmp_path, "a+tiny+t0+r")
    attempt = journal.start_attempt("a+tiny+t0+r")
    journal.graded("a+tiny+t0+r", 1.0, 2.0, 5000.0, attempt)
    assert journal.to_release(now=4999.0) == []
    assert len(journal.to_release(now=5000.0)) == 1


def test_an_attempt_left_open_by_a_killed_service_is_interrupted_and_waits_again(tmp_path):
    journal = journal_with(tmp_path, "a+tiny+t0+r", "b+tiny+t1+r")
    killed = journal.start_attempt("a+tiny+t0+r")
    done = journal.start_attempt("b+tiny+t1+r")
    journal.graded("b+tiny+t1+r", 2.0, 2.0, None, done)
    journal.close()
    reopened = Journal(tmp_path / Journal.FILE)  # the restarted service
    assert [a["id"] for a in reopened.open_attempts()] == [killed]
    reopened.interrupted(killed, "a+tiny+t0+r")
    assert reopened.open_attempts() == []
    assert reopened.get("a+tiny+t0+r")["state"] == State.SEEN
    assert reopened.get("b+tiny+t1+r")["state"] == State.GRADED
    assert [a["outcome"] for a in reopened.attempts()] == [Outcome.INTERRUPTED, Outcome.GRADED]
    assert "graded: 1" in reopened.summary() and "seen: 1" in reopened.summary()


def test_failed_and_superseded_close_the_attempt(tmp_path):
    journal = journal_with(tmp_path, "a+tiny+t0+r", "b+tiny+t1+r")
    journal.failed("a+tiny+t0+r", "kernel died", journal.start_attempt("a+tiny+t0+r"))
    journal.failed("b+tiny+t1+r", "later one", journal.start_attempt("b+tiny+t1+r"),
                   State.SUPERSEDED)
    assert [r["state"] for r in journal.submissions()] == [State.FAILED, State.SUPERSEDED]
    assert [a["outcome"] for a in journal.attempts()] == [Outcome.FAILED, Outcome.SUPERSEDED]
    readonly = Journal(tmp_path / Journal.FILE, readonly=True)
    assert len(readonly.submissions()) == 2


def test_a_measured_release_is_kept_across_restarts_and_a_new_release_replaces_it(tmp_path):
    journal = journal_with(tmp_path)
    assert journal.measured_releases() == {}
    journal.measured("tiny", 111, "limits 1 min CPU")
    journal.close()
    reopened = Journal(tmp_path / Journal.FILE)
    assert reopened.measured_releases() == {"tiny": 111}
    reopened.measured("tiny", 222, "limits 1 min CPU")
    assert reopened.measured_releases() == {"tiny": 222}
