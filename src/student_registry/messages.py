"""Marks the English messages that people read on the pages, so that catalogues can hold them.

The domain, the store and the API write their messages in English (the API answers in English
whatever the client's language); a page translates a marked message as it shows it. ``N_``
changes nothing at run time: it only lets the extractor (Babel) find the text.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the name gettext tools look for
    """The message itself, marked for translation where it is shown."""
    return message
