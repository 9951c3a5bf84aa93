"""Extract, update and compile the pages' catalogues; or check that they are complete."""

from __future__ import annotations

import argparse
import io
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE_DIR = ROOT / "src/student_registry/web/locale"
DOMAIN = "student_registry"
LANGUAGES = ("fr",)
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def po_path(language: str) -> Path:
    """Where a language's catalogue is written by hand."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    """Every marked message of the code and templates, as Babel reads them."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / f"{DOMAIN}.pot"
        subprocess.run(  # noqa: S603 - a fixed command, no input
            [  # noqa: S607 - pybabel of the project's environment (uv run)
                "pybabel", "--quiet", "extract", "-F", "babel.cfg", "-o", str(pot),
                "--no-location", "--sort-output", "-c", "TRANSLATORS:",
                "--project", "Student Registry", "--msgid-bugs-address", "",
                "src",
            ],
            cwd=ROOT,
            check=True,
        )  # fmt: skip
        with pot.open("rb") as file:
            return read_po(file)


def read(language: str) -> Catalog:
    """A language's catalogue as committed."""
    with po_path(language).open("rb") as file:
        return read_po(file, locale=language)


def compiled(catalog: Catalog) -> bytes:
    """A catalogue compiled as the service reads it."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def update() -> None:
    """Extract, bring each language's catalogue up to date, and compile it."""
    template = extract()
    for language in LANGUAGES:
        path = po_path(language)
        if path.exists():
            catalog = read(language)
            # The extraction date would change the file at every run; the messages do not.
            template.creation_date = catalog.creation_date
            catalog.update(template)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=language, project="Student Registry")
            catalog.update(template)
        with path.open("wb") as file:
            write_po(
                file, catalog, no_location=True, sort_output=True, ignore_obsolete=True, width=100
            )
        path.with_suffix(".mo").write_bytes(compiled(read(language)))
        print(f"{path.relative_to(ROOT)}: {len(catalog)} messages")


def problems(language: str, template: Catalog) -> list[str]:
    """Everything that keeps a language's catalogue from matching the code."""
    catalog = read(language)
    found: list[str] = []
    expected = {m.id for m in template if m.id}
    present = {m.id for m in catalog if m.id}
    found += [f"not in the catalogue (run scripts/translations): {m!r}" for m in expected - present]
    found += [
        f"no longer in the code (run scripts/translations): {m!r}" for m in present - expected
    ]
    for message in catalog:
        if not message.id:
            continue
        strings = (
            [str(s) for s in message.string]
            if isinstance(message.string, (tuple, list))
            else [str(message.string or "")]
        )
        if message.fuzzy:
            found.append(f"fuzzy: {message.id!r}")
        if not all(strings):
            found.append(f"not translated: {message.id!r}")
        ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        wanted = set(PLACEHOLDER.findall(str(ids[-1])))
        for string in strings:
            if string and set(PLACEHOLDER.findall(string)) != wanted:
                found.append(f"placeholders differ from {sorted(wanted)}: {string!r}")
    for message, errors in catalog.check():
        found += [f"{error}: {message.id!r}" for error in errors]
    mo = po_path(language).with_suffix(".mo")
    if not mo.exists() or mo.read_bytes() != compiled(catalog):
        found.append(f"{mo.relative_to(ROOT)} does not match its .po (run scripts/translations)")
    return found


def check() -> int:
    """0 when every catalogue is complete and compiled, else 1 with what is wrong."""
    template = extract()
    failed = False
    for language in LANGUAGES:
        for problem in problems(language, template):
            print(f"{po_path(language).relative_to(ROOT)}: {problem}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


def main() -> int:
    """Update the catalogues, or check them with --check."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="check, change nothing")
    if parser.parse_args().check:
        return check()
    update()
    return 0


if __name__ == "__main__":
    sys.exit(main())
