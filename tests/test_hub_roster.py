import json
import stat

import pytest

from autograder.hub.roster import (
    Role,
    RosterError,
    hash_password,
    issue_passwords,
    load,
    parse,
    verify_password,
)


def test_the_example_roster_loads():
    from autograder.common.paths import ROOT

    roster = load(ROOT / "hub" / "roster.toml")
    assert roster.instructor.role == Role.INSTRUCTOR
    assert roster.students and all(a.role == Role.STUDENT for a in roster.students)
    assert roster.names[0] == roster.instructor.name


@pytest.mark.parametrize("data, message", [
    ({"students": ["a"]}, "no instructor"),
    ({"instructor": "t"}, "non-empty list"),
    ({"instructor": "t", "students": ["Bob"]}, "not a Unix user name"),
    ({"instructor": "t", "students": ["a+b"]}, "not a Unix user name"),
    ({"instructor": "t", "students": ["a", "a"]}, "a listed more than once"),
    ({"instructor": "a", "students": ["a"]}, "a listed more than once"),
    ({"instructor": "t", "students": ["a"], "password": "x"}, "unknown key(s) password"),
])
def test_bad_rosters_say_what_is_wrong_in_one_line(data, message):
    with pytest.raises(RosterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(data)


def test_a_missing_or_broken_file_is_one_line(tmp_path):
    with pytest.raises(RosterError, match="no such roster file"):
        load(tmp_path / "none.toml")
    (tmp_path / "bad.toml").write_text("instructor = ")
    with pytest.raises(RosterError, match="not valid TOML"):
        load(tmp_path / "bad.toml")


def test_a_password_checks_only_against_its_own_hash():
    stored = hash_password("right horse")
    assert verify_password(stored, "right horse")
    assert not verify_password(stored, "right horse ")
    assert not verify_password(hash_password("other"), "right horse")
    assert not verify_password("garbage", "right horse")
    assert hash_password("same") != hash_password("same"), "each hash has its own salt"


def test_each_account_gets_its_own_password_kept_across_starts(tmp_path):
    roster = parse({"instructor": "t", "students": ["a", "b"]})
    plain, hashes = tmp_path / "passwords.json", tmp_path / "hashes.json"
    first = issue_passwords(roster, plain, hashes)
    assert len(set(first.values())) == 3, "never a shared password"
    for path in (plain, hashes):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(hashes.read_text())
    assert all(verify_password(stored[n], p) for n, p in first.items())
    assert not verify_password(stored["a"], first["b"])
    grown = parse({"instructor": "t", "students": ["b", "c"]})
    second = issue_passwords(grown, plain, hashes)
    assert second["b"] == first["b"] and second["t"] == first["t"]
    assert "a" not in second and "a" not in json.loads(hashes.read_text())
