import asyncio

from autograder.hub.auth import RosterAuthenticator
from autograder.hub.roster import issue_passwords, parse


def test_each_name_logs_in_with_its_own_password_only(tmp_path):
    roster = parse({"instructor": "t", "students": ["a", "b"]})
    passwords = issue_passwords(roster, tmp_path / "p.json", tmp_path / "h.json")
    auth = RosterAuthenticator(hashes_file=str(tmp_path / "h.json"))

    def login(name, password):
        return asyncio.run(auth.authenticate(None, {"username": name, "password": password}))

    assert login("a", passwords["a"]) == "a"
    assert login("t", passwords["t"]) == "t"
    assert login("a", passwords["b"]) is None, "another account's password"
    assert login("a", "") is None
    assert login("nobody", passwords["a"]) is None, "a name not on the roster"
    assert login("A", passwords["a"]) == "a", "JupyterHub's own normalization: lower case"
