"""The tracked files of this checkout and their git attributes, read with git."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def unavailable_reason() -> str | None:
    """Why the tracked files cannot be listed here (the test image has no .git), or None."""
    if shutil.which("git") is None:
        return "git is not installed"
    inside = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--is-inside-work-tree"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if inside.stdout.strip() != "true":
        return "not a git checkout"
    return None


def git(*args: str, stdin: str | None = None) -> str:
    """The output of a git command run in the checkout."""
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], input=stdin, capture_output=True, text=True, check=True
    ).stdout


def tracked_files() -> list[str]:
    """Every tracked path, relative to the checkout, with / between its parts."""
    return [path for path in git("ls-files", "-z").split("\0") if path]


def attribute(name: str, paths: list[str]) -> dict[str, str]:
    """Each path's value of one git attribute: set, unset, unspecified or its value."""
    fields = git("check-attr", "-z", "--stdin", name, stdin="\0".join(paths)).split("\0")
    return {fields[i]: fields[i + 2] for i in range(0, len(fields) - 2, 3)}


def line_endings() -> dict[str, tuple[str, str]]:
    """Each tracked path's line endings in the index and in the working tree, e.g. (lf, crlf)."""
    endings = {}
    for record in git("ls-files", "-z", "--eol").split("\0"):
        if record:
            info, path = record.split("\t", 1)
            index, tree = info.split()[:2]
            endings[path] = (index.removeprefix("i/"), tree.removeprefix("w/"))
    return endings
