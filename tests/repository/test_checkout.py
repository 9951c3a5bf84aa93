"""A checkout works the same on Windows, macOS and Linux: names, lengths and line endings.

Windows and macOS file systems ignore case, Windows refuses some characters and names and, by
default, long paths; Git for Windows with core.autocrlf=true turns LF into CRLF. These tests list
the tracked files with git, so they are skipped where there is no git checkout (the test image).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from pathlib import PurePosixPath

import pytest

from tests.repository.checkout import (
    ROOT,
    attribute,
    line_endings,
    tracked_files,
    unavailable_reason,
)

reason = unavailable_reason()
pytestmark = pytest.mark.skipif(reason is not None, reason=reason or "")

# Windows refuses these in a name, as well as the control characters.
REFUSED_CHARACTERS = set('<>:"|?*\\') | {chr(code) for code in range(32)}
# Device names, with or without an extension (NUL.txt is NUL too).
DEVICE_NAMES = {"CON", "PRN", "AUX", "NUL"} | {
    f"{port}{digit}" for port in ("COM", "LPT") for digit in [*"0123456789", "¹", "²", "³"]
}
# By default Windows takes a path of at most 259 characters (MAX_PATH is 260 with the final NUL)
# and a directory of at most 247 (room for an 8.3 name). The checkout's own folder takes part of
# that: 100 characters are left for it, room for e.g.
# C:\Users\firstname.lastname\Documents\GitHub\student-registry\ (62 characters).
MAX_PATH = 259
MAX_DIRECTORY = 247
CHECKOUT_FOLDER = 100


def paths_and_directories() -> set[str]:
    """Every tracked file and every directory that holds one."""
    found = set()
    for path in tracked_files():
        found.add(path)
        found.update(str(parent) for parent in PurePosixPath(path).parents if str(parent) != ".")
    return found


def windows_length(text: str) -> int:
    """Length as Windows counts it, in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def test_no_two_paths_differ_only_by_case_or_unicode_normalisation() -> None:
    spellings: defaultdict[str, set[str]] = defaultdict(set)
    for path in paths_and_directories():
        spellings[unicodedata.normalize("NFC", path).casefold()].add(path)
    assert [sorted(same) for same in spellings.values() if len(same) > 1] == []


def test_no_name_has_a_character_windows_refuses() -> None:
    refused = [path for path in tracked_files() if REFUSED_CHARACTERS & set(path.replace("/", ""))]
    assert refused == []


def test_no_name_is_a_windows_device_or_ends_with_a_dot_or_a_space() -> None:
    refused = []
    for path in paths_and_directories():
        name = PurePosixPath(path).name
        if name.split(".", 1)[0].upper() in DEVICE_NAMES or name.endswith((".", " ")):
            refused.append(path)
    assert refused == []


def test_every_path_fits_windows_default_limit_inside_a_checkout_folder() -> None:
    too_long = []
    for path in tracked_files():
        directory = str(PurePosixPath(path).parent)
        if CHECKOUT_FOLDER + windows_length(path) > MAX_PATH or (
            directory != "." and CHECKOUT_FOLDER + windows_length(directory) > MAX_DIRECTORY
        ):
            too_long.append(path)
    assert too_long == []


def test_no_symbolic_links_are_tracked() -> None:
    # Git for Windows checks a link out as a small text file unless the user may make links.
    links = [path for path in tracked_files() if (ROOT / path).is_symlink()]
    assert links == []


def read_start(path: str, size: int) -> bytes:
    """The first bytes of a tracked file; none when the working tree has deleted it."""
    file = ROOT / path
    return file.read_bytes()[:size] if file.is_file() else b""


def needs_lf(path: str) -> bool:
    """Whether a CR in the file would change what runs or what a test compares."""
    name = PurePosixPath(path).name
    if path.startswith((".ci/", "scripts/", "ha/")) or name in {
        "Dockerfile",
        ".dockerignore",
        ".env.example",
        ".gitattributes",
    }:
        return True
    if name.startswith("compose") and name.endswith(".yaml"):
        return True
    if name.endswith((".sh", ".lua", ".html", ".csv", ".ndjson")):
        return True
    return read_start(path, 2) == b"#!"


def test_files_that_run_or_are_compared_keep_lf_in_every_checkout() -> None:
    lf_files = [path for path in tracked_files() if needs_lf(path)]
    assert {"Dockerfile", "compose.yaml", ".ci/run", "scripts/check"} <= set(lf_files)
    eol = attribute("eol", lf_files)
    assert {path: value for path, value in eol.items() if value != "lf"} == {}


def test_this_checkout_has_lf_wherever_the_rules_ask_for_it() -> None:
    endings = line_endings()
    crlf = [path for path in tracked_files() if needs_lf(path) and endings[path][1] == "crlf"]
    assert crlf == []


def test_the_repository_stores_text_with_lf() -> None:
    stored = {path: index for path, (index, _) in line_endings().items()}
    assert {path: index for path, index in stored.items() if index in {"crlf", "mixed"}} == {}


def test_binary_files_are_marked_binary() -> None:
    binary = [path for path in tracked_files() if b"\0" in read_start(path, 8000)]  # git's test
    text = attribute("text", binary)
    assert {path: value for path, value in text.items() if value != "unset"} == {}
