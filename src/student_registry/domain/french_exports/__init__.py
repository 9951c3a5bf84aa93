"""The lists the French administration exports, read into typed records.

SIECLE (secondary schools) exports students and their guardians as XML, often zipped; ONDE
(primary schools) exports them as semicolon-separated CSV. This package only reads them: it
turns a file into ``ImportedStudent`` records, guardian links and a per-element (or per-line)
report of what could not be read, in the shapes the bulk import already uses. It writes nothing.

- ``files``: what a file is, from its first bytes; the unzipping; one reader per file kind.
- ``records``: the records and the reports.
- ``safe_xml``: a streaming XML reader that refuses DTDs, so no entity can be declared.
- ``siecle``: ``ElevesSansAdresses.xml`` and ``ResponsablesAvecAdresses.xml``.
- ``onde``: ``CSVExtraction.csv`` and ``CSVExtraction Parents.csv``, and the matching of
  children named in the second to students.
"""
