"""`autograder inspect`: analyses a saved model without running it; exit 0 (safe or
sandbox-only), 1 (unsafe, refused), 2 (unreadable), one headline then a line per finding or
note, or one JSON object; `--trust MODULE:NAME` accepts exactly that global.

The corpora of tests/corpus.py check every verdict; the small files written here check the
options."""

from __future__ import annotations

import json
import pickle
from fractions import Fraction

import numpy as np
import pytest
from commandline import command

from autograder import cli

INSPECT_FIELDS = {"path", "format", "verdict", "findings"}


def test_inspect_exit_codes_on_every_corpus(corpus, capsys):
    """In-process for speed; the same main() the command runs."""
    expected_codes = {"safe": 0, "sandbox-only": 0, "unsafe": 1, "unreadable": 2}
    for case in corpus.benign + corpus.malicious + corpus.corrupted:
        args = ["inspect", str(case.path), "--json"]
        if case.max_bytes:
            args += ["--max-bytes", str(case.max_bytes)]
        code = cli.main(args)
        fields = json.loads(capsys.readouterr().out)
        assert code == expected_codes[case.verdict], (case.name, fields)
        assert INSPECT_FIELDS <= set(fields) and fields["verdict"] == case.verdict
        assert all(isinstance(f, str) and "\n" not in f for f in fields["findings"])
    assert list(corpus.canaries.iterdir()) == []


@pytest.mark.parametrize("name, code, words", [
    ("logreg.pkl", 0, "pickle (protocol 5): safe"),
    ("forest_lzma.joblib", 0, "joblib (lzma-compressed): safe"),
    ("scripted.pt", 0, "sandbox-only"),
    ("os_system.pkl", 1, "unsafe, refused: imports 'posix.system'"),
    ("empty.pkl", 2, "unreadable"),
    ("random.bin", 2, "not a format the grader knows"),
])
def test_inspect_as_a_command(corpus, name, code, words):
    done = command("inspect", corpus.case(name).path)
    assert done.returncode == code and done.stderr == ""
    first = done.stdout.splitlines()[0]
    assert words in first and first.startswith(f"{name}: ")


def test_inspect_lists_every_finding_on_its_own_line(corpus):
    done = command("inspect", corpus.case("getattr_chain.pkl").path)
    lines = done.stdout.splitlines()
    assert done.returncode == 1 and len(lines) >= 3
    assert lines[1].startswith("  - imports 'builtins.getattr'")


# ------------------------------------------------------------------- the options


@pytest.fixture
def fraction_pickle(tmp_path):
    """A harmless pickle whose one global, fractions.Fraction, is not on the allowlist."""
    path = tmp_path / "fraction.pkl"
    path.write_bytes(pickle.dumps(Fraction(1, 3)))
    return path


def test_trust_accepts_exactly_the_named_global(fraction_pickle, capsys):
    assert cli.main(["inspect", str(fraction_pickle)]) == 1
    assert "imports 'fractions.Fraction'" in capsys.readouterr().out
    assert cli.main(["inspect", str(fraction_pickle), "--trust", "fractions:Fraction",
                     "--json"]) == 0
    fields = json.loads(capsys.readouterr().out)
    assert fields["verdict"] == "safe" and fields["imports"] == [["fractions", "Fraction"]]
    assert cli.main(["inspect", str(fraction_pickle), "--trust", "fractions:Fraction"]) == 0
    assert "1 global(s), all allowlisted or trusted (--trust)" in capsys.readouterr().out
    # another name of the same module is not trusted along with it
    assert cli.main(["inspect", str(fraction_pickle), "--trust", "fractions:gcd"]) == 1


@pytest.mark.parametrize("pair", ["fractions", "fractions:", ":Fraction"])
def test_trust_without_module_and_name_is_a_usage_error(fraction_pickle, capsys, pair):
    assert cli.main(["inspect", str(fraction_pickle), "--trust", pair]) == 2
    out = capsys.readouterr().out
    assert f"expected MODULE:NAME, got {pair!r}" in out and out.count("\n") == 1


def test_notes_follow_the_headline(tmp_path, capsys):
    np.savez(tmp_path / "two.npz", a=np.zeros(3), b=np.ones(2))
    assert cli.main(["inspect", str(tmp_path / "two.npz")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "two.npz: npz (numpy .npz archive): safe", "  note: 2 array(s)"]


def test_a_missing_file_is_unreadable_not_an_error(tmp_path, capsys):
    """It is a verdict about the path (exit 2 with the JSON fields), not a usage error."""
    assert cli.main(["inspect", str(tmp_path / "gone.pkl"), "--json"]) == 2
    fields = json.loads(capsys.readouterr().out)
    assert fields["verdict"] == "unreadable" and "no file at" in fields["problem"]
    assert fields["exit_code"] == 2 and "error" not in fields
