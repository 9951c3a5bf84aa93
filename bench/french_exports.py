"""Reading the administration's exports: CPU time and peak memory for a school's worth and more.

Makes a SIECLE students export (ISO-8859-15, zipped as SIECLE hands it out) and an ONDE
students export (Windows-1252) of invented students, each with the elements a real one has,
then reads each through ``read_students_export`` as an import would, without Redis. Prints the
file size, the CPU time of this process, students a second, and the peak of Python's traced
memory in a second run (tracing slows the first). A big lycée has about 2,500 students.

    uv run --frozen python bench/french_exports.py [--students 2500,10000,40000]
"""

from __future__ import annotations

import argparse
import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable

from student_registry.domain.french_exports.files import read_students_export

ELEVE = """      <ELEVE ELEVE_ID="{id}" ELENOET="{n}">
        <ID_NATIONAL>{n:09d}AB</ID_NATIONAL>
        <ELENOET>{n}</ELENOET>
        <NOM_DE_FAMILLE>NOM{n}</NOM_DE_FAMILLE>
        <NOM_USAGE></NOM_USAGE>
        <PRENOM>Éloïse</PRENOM>
        <PRENOM2>Maëlle</PRENOM2>
        <DATE_NAISS>17/04/2012</DATE_NAISS>
        <DOUBLEMENT>0</DOUBLEMENT>
        <CODE_PAYS>100</CODE_PAYS>
        <DATE_ENTREE>01/09/2024</DATE_ENTREE>
        <VILLE_NAISS></VILLE_NAISS>
        <CODE_SEXE>{sex}</CODE_SEXE>
        <CODE_STATUT>ST</CODE_STATUT>
        <CODE_MEF>10310019110</CODE_MEF>
        <CODE_COMMUNE_INSEE_NAISS>69123</CODE_COMMUNE_INSEE_NAISS>
        <SCOLARITE_AN_DERNIER>
          <CODE_STRUCTURE>5A</CODE_STRUCTURE>
          <CODE_RNE>0999999Z</CODE_RNE>
          <DENOM_PRINC>COLLEGE</DENOM_PRINC>
          <LL_COMMUNE_INSEE>EXEMPLEVILLE</LL_COMMUNE_INSEE>
        </SCOLARITE_AN_DERNIER>
      </ELEVE>
"""
STRUCTURE = """      <STRUCTURES_ELEVE ELEVE_ID="{id}" ELENOET="{n}">
        <STRUCTURE><CODE_STRUCTURE>{course}</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE>
        </STRUCTURE>
        <STRUCTURE><CODE_STRUCTURE>_G{n}</CODE_STRUCTURE><TYPE_STRUCTURE>G</TYPE_STRUCTURE>
        </STRUCTURE>
      </STRUCTURES_ELEVE>
"""
ONDE_HEADER = (
    "Nom élève;Nom d'usage élève;Prénom élève;Date naissance;Sexe;INE;Adresse1;Cp1;Commune1;"
    "Pays1;Adresse2;Cp2;Commune2;Pays2; Cycle;Niveau;Libellé classe;Identifiant classe\r\n"
)


def siecle_zip(count: int) -> bytes:
    """A zipped ElevesSansAdresses.xml of `count` students."""
    students = "".join(ELEVE.format(id=900000 + n, n=n, sex=1 + n % 2) for n in range(count))
    structures = "".join(
        STRUCTURE.format(id=900000 + n, n=n, course=f"{3 + n % 4}{'ABCD'[n % 4]}")
        for n in range(count)
    )
    xml = (
        '<?xml version="1.0" encoding="ISO-8859-15"?>\n<BEE_ELEVES VERSION="3.0">\n'
        "  <PARAMETRES><UAJ>0999999Z</UAJ></PARAMETRES>\n  <DONNEES>\n    <ELEVES>\n"
        f"{students}    </ELEVES>\n    <STRUCTURES>\n{structures}    </STRUCTURES>\n"
        "  </DONNEES>\n</BEE_ELEVES>\n"
    ).encode("iso-8859-15")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ElevesSansAdresses.xml", xml)
    return buffer.getvalue()


def onde_csv(count: int) -> bytes:
    """A CSVExtraction.csv of `count` students."""
    rows = "".join(
        f"NOM{n};;Maëlys;14/03/2017;{'MF'[n % 2]};{n:010d}A;1 rue de l'Exemple;99999;"
        f"Exempleville;FRANCE;;;;;CYCLE II;CE2;CE2 Mme Modèle {n % 12};{10000 + n % 12}\r\n"
        for n in range(count)
    )
    return (ONDE_HEADER + rows).encode("cp1252")


def measure(make: Callable[[int], bytes], count: int) -> tuple[int, float, float]:
    """Size, CPU seconds and peak traced MiB of reading one export of `count` students."""
    data = make(count)
    start = time.process_time()
    parsed = read_students_export(io.BytesIO(data))
    seconds = time.process_time() - start
    assert len(parsed.students) == count, parsed.failures[:3]
    tracemalloc.start()
    read_students_export(io.BytesIO(data))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return len(data), seconds, peak / 2**20


def main() -> None:
    """Print the figures for each size asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", default="2500,10000,40000")
    counts = [int(n) for n in parser.parse_args().students.split(",")]
    print(
        f"{'export':<16}{'students':>10}{'bytes':>12}{'CPU s':>9}{'students/s':>12}{'peak MiB':>10}"
    )
    for name, make in (("SIECLE zip", siecle_zip), ("ONDE CSV", onde_csv)):
        for count in counts:
            size, seconds, peak = measure(make, count)
            rate = count / seconds if seconds else float("inf")
            print(f"{name:<16}{count:>10}{size:>12}{seconds:>9.2f}{rate:>12,.0f}{peak:>10.1f}")


if __name__ == "__main__":
    main()
