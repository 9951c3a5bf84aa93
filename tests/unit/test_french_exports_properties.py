"""Whatever bytes come in, reading an export gives records or one clear InvalidImport.

Random bytes, and real-shaped exports cut short or with bytes changed, must never raise
anything else (an ExpatError, a UnicodeDecodeError, a zipfile error, an IndexError...).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from student_registry.domain.french_exports.files import (
    detect_format,
    read_guardians_export,
    read_students_export,
)
from student_registry.domain.french_exports.onde import (
    StudentRef,
    match_children,
    read_guardian_rows,
)
from student_registry.errors import InvalidImport

FIXTURES = Path(__file__).parent.parent / "fixtures" / "french_exports"
SAMPLES = [path.read_bytes() for path in sorted(FIXTURES.glob("*.xml"))] + [
    path.read_bytes() for path in sorted(FIXTURES.glob("*.csv"))
]


def zipped(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ElevesSansAdresses.xml", data)
    return buffer.getvalue()


def read_both(data: bytes) -> None:
    """Read the bytes both ways; only InvalidImport may come out."""
    detect_format(data[:4096])
    for read in (read_students_export, read_guardians_export):
        try:
            read(io.BytesIO(data), max_bytes=1_000_000)
        except InvalidImport as exc:
            message = str(exc)
            assert message


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    sample = draw(st.sampled_from(SAMPLES + [zipped(s) for s in SAMPLES[:2]]))
    data = bytearray(sample[: draw(st.integers(0, len(sample)))] if draw(st.booleans()) else sample)
    for _ in range(draw(st.integers(0, 4))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_give_records_or_a_clear_error(data: bytes) -> None:
    read_both(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_exports_cut_short_or_damaged_give_records_or_a_clear_error(data: bytes) -> None:
    read_both(data)


cells = st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cells, max_size=22), max_size=6))
def test_any_onde_rows_give_records_or_a_clear_error(rows: list[list[str]]) -> None:
    students = (FIXTURES / "CSVExtraction.csv").read_bytes().split(b"\n")[0].rstrip(b"\r")
    guardians = (FIXTURES / "CSVExtraction Parents.csv").read_bytes().split(b"\n")[0].rstrip(b"\r")
    body = "".join(";".join(row) + "\r\n" for row in rows).encode()
    for header in (students, guardians):
        read_both(header + b"\r\n" + body)
    try:
        parsed = read_guardian_rows([guardians + b"\r\n" + body])
    except InvalidImport:
        return
    refs = [
        StudentRef(key=str(n), last_name=r[0], first_name=r[-1]) for n, r in enumerate(rows) if r
    ]
    match_children(parsed, refs)
