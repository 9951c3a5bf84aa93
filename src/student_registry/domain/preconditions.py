"""The one rule for conditional writes: If-Match as RFC 9110 §13.1.1 says, for the API and forms.

A write with a precondition applies only if the student's current revision matches it, compared
strongly: a weak validator (``W/"…"``) never matches, nor does ``""`` (no revision is empty), and
``*`` matches any current revision. A header that is not a valid If-Match never matches either:
a write is never made under a condition the service could not read.
"""

from __future__ import annotations

import re

from msgspec import Struct

# One entity-tag of a list, and what may separate two (RFC 9110 §8.8.3 and §5.6.1).
_ENTITY_TAG = re.compile(r'[ \t]*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?:,|\Z)')
_EMPTY_ELEMENT = re.compile(r"[ \t]*,")


class Precondition(Struct, frozen=True, kw_only=True):
    """Apply a write only to one of these revisions, or to any with ``*``."""

    revisions: frozenset[str] = frozenset()
    any_revision: bool = False

    def accepts(self, revision: str) -> bool:
        """Whether the write may apply to a student whose current revision is this one."""
        return self.any_revision or revision in self.revisions


def exact_revision(revision: str) -> Precondition:
    """The precondition a page's form carries: the revision it was read at ('' never matches)."""
    return Precondition(revisions=frozenset({revision}) if revision else frozenset())


def parse_if_match(header: str | None) -> Precondition | None:
    """The precondition an If-Match header sets; None when there is no header."""
    if header is None:
        return None
    if header.strip(" \t") == "*":
        return Precondition(any_revision=True)
    strong: set[str] = set()
    position = 0
    while position < len(header):
        if empty := _EMPTY_ELEMENT.match(header, position):
            position = empty.end()  # a list may have empty elements: "a", , "b"
            continue
        tag = _ENTITY_TAG.match(header, position)
        if tag is None:
            return Precondition()  # not an If-Match value: matches nothing
        if tag.group(1) is None and tag.group(2):
            strong.add(tag.group(2))
        position = tag.end()
    return Precondition(revisions=frozenset(strong))
