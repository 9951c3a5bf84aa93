"""XML from outside the school, read as a stream of small elements.

The reader is expat's, fed chunk by chunk. A document type declaration is refused outright:
without one no entity can be declared, so neither an external entity (a file or URL read on the
parser's behalf) nor nested entities that expand a few bytes into gigabytes can occur. The
exports this package reads never have one. Only the elements asked for are built, one at a time,
each handed over with the line it starts on and then dropped; one longer than
``MAX_ELEMENT_CHARS`` stops the reading, so memory stays bounded whatever the file's size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NoReturn
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from student_registry.errors import InvalidImport
from student_registry.messages import N_

# The largest student or guardian element in a real export is about 3 KiB.
MAX_ELEMENT_CHARS = 64 * 1024
MAX_DEPTH = 32
HAS_DTD = N_(
    "Line {line}: the XML declares a document type (DTD), which an export never does;"
    " it is refused."
)
WRONG_ROOT = N_("The XML's root element is <{name}>, not <{root}>.")
TOO_DEEP = N_("Line {line}: the XML nests elements more than {depth} deep, which no export does.")
TOO_LONG = N_(
    "Line {line}: the <{element}> element goes on past {size} KiB, which no export's does."
)
NOT_XML = N_("Line {line}: the XML cannot be read ({reason}).")
UNKNOWN_ENCODING = N_("The XML's declared encoding cannot be read ({reason}).")


class _Reader:
    """Builds the elements found at the wanted paths, as expat reports them."""

    def __init__(self, root: str, wanted: frozenset[str]) -> None:
        self.root = root
        self.wanted = wanted
        self.path: list[str] = []
        self.builder: TreeBuilder | None = None
        self.depth = 0  # of the element being built, below the wanted one
        self.size = 0
        self.line = 0
        self.element = ""
        self.ready: list[tuple[int, Element]] = []
        self.parser = expat.ParserCreate()
        self.parser.StartDoctypeDeclHandler = self.refuse_dtd
        self.parser.EntityDeclHandler = self.refuse_dtd
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.text
        self.parser.buffer_text = True

    def refuse_dtd(self, *_: object) -> NoReturn:
        raise InvalidImport(HAS_DTD.format(line=self.parser.CurrentLineNumber))

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if not self.path and name != self.root:
            raise InvalidImport(WRONG_ROOT.format(name=name, root=self.root))
        self.path.append(name)
        if len(self.path) > MAX_DEPTH:
            line = self.parser.CurrentLineNumber
            raise InvalidImport(TOO_DEEP.format(line=line, depth=MAX_DEPTH))
        if self.builder is None and "/".join(self.path) in self.wanted:
            self.builder, self.depth, self.size, self.element = TreeBuilder(), 0, 0, name
            self.line = self.parser.CurrentLineNumber
        if self.builder is not None:
            self.depth += 1
            self.grow(len(name) + sum(len(k) + len(v) for k, v in attributes.items()))
            self.builder.start(name, attributes)

    def end(self, name: str) -> None:
        self.path.pop()
        if self.builder is None:
            return
        self.builder.end(name)
        self.depth -= 1
        if self.depth == 0:
            self.ready.append((self.line, self.builder.close()))
            self.builder = None

    def text(self, data: str) -> None:
        if self.builder is not None:
            self.grow(len(data))
            self.builder.data(data)

    def grow(self, size: int) -> None:
        self.size += size
        if self.size > MAX_ELEMENT_CHARS:
            size = MAX_ELEMENT_CHARS // 1024
            raise InvalidImport(TOO_LONG.format(line=self.line, element=self.element, size=size))


def read_elements(
    chunks: Iterable[bytes], *, root: str, wanted: Iterable[str]
) -> Iterator[tuple[int, Element]]:
    """Each element at one of the ``wanted`` paths (``ROOT/A/B``), with its starting line.

    Raises InvalidImport when the bytes are not well-formed XML, declare an unknown encoding or
    a DTD, or have another root element.
    """
    reader = _Reader(root, frozenset(wanted))
    try:
        for chunk in chunks:
            reader.parser.Parse(chunk, False)
            yield from reader.ready
            reader.ready.clear()
        reader.parser.Parse(b"", True)
        yield from reader.ready
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code) if exc.code is not None else str(exc)
        raise InvalidImport(NOT_XML.format(line=exc.lineno, reason=reason)) from None
    except (LookupError, ValueError) as exc:
        # An encoding Python does not know, or one expat cannot use (more than a byte a char).
        raise InvalidImport(UNKNOWN_ENCODING.format(reason=exc)) from None
