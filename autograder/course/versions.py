"""A scikit-learn pickle as another release would have written it, to show version checks.

    from autograder.course import versions

    old = versions.previous_minor(sklearn.__version__)            # "1.9.1" -> "1.8.0"
    data = versions.with_recorded_version(pickle.dumps(model, protocol=5), old)
    joblib.load(...) of those bytes -> InconsistentVersionWarning(original 1.8.0, current 1.9.1)

A lesson cannot install an older scikit-learn while it runs (nothing is downloaded then), so it
makes the file an older release would have written: every scikit-learn estimator pickles the
version that wrote it under the key `_sklearn_version`, and here that string is replaced by
another of the same length. Nothing else changes, so the same code rebuilds the same model:
only the recorded version, and the warning it triggers, differ.

Why "the same length": protocols 4 and 5 group opcodes into frames whose lengths are written
ahead of them, so a longer or shorter string would break the frame. A short string is stored as
the opcode SHORT_BINUNICODE (0x8c), one length byte, then its UTF-8 bytes. The first version
string after the first `_sklearn_version` key is the estimators' one: later estimators point
back to that same string through the pickle's memo, so replacing it changes them all.
"""

from __future__ import annotations

__all__ = ["previous_minor", "with_recorded_version"]

SHORT_BINUNICODE = b"\x8c"
KEY = b"_sklearn_version"


def previous_minor(version: str) -> str:
    """The release before `version`'s minor series: "1.9.1" -> "1.8.0"."""
    major, minor, *_ = version.split(".")
    if int(minor) == 0:
        raise ValueError(f"{version} has no previous minor release in the same major series")
    return f"{major}.{int(minor) - 1}.0"


def with_recorded_version(data: bytes, version: str, current: str | None = None) -> bytes:
    """`data` (a protocol 4 or 5 pickle of scikit-learn estimators) recording `version` instead
    of `current` (the running scikit-learn's version by default)."""
    if current is None:
        import sklearn

        current = sklearn.__version__
    if len(version) != len(current):
        raise ValueError(f"the new version {version!r} must be as long as {current!r}: "
                         "pickle frames record their lengths")
    tag = SHORT_BINUNICODE + bytes([len(current)])
    key = data.find(KEY)
    at = data.find(tag + current.encode(), key) if key >= 0 else -1
    if at < 0:
        raise ValueError(f"no scikit-learn estimator recording version {current} in this pickle "
                         "(protocols 4 and 5 only)")
    start = at + len(tag)
    return data[:start] + version.encode() + data[start + len(current):]
