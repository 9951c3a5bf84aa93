"""Forms of names: composed as stored, folded for order and search (stable bytes)."""

import unicodedata
from functools import lru_cache


def compose(text: str) -> str:
    """The composed (NFC) form of a text, the one names and courses are stored in."""
    return unicodedata.normalize("NFC", text)


# Names repeat a lot (a school has many Léas): a bulk import folds each distinct one once.
@lru_cache(maxsize=16384)
def fold(text: str) -> str:
    """Lower-case, accent-free form of a text: ``Éloïse`` -> ``eloise``, ``ß`` -> ``ss``.

    Composed and decomposed spellings of a text fold alike.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


def make_sort_key(*, last_name: str, first_name: str, student_id: str) -> str:
    """The key that orders students by last name, first name, then id."""
    return f"{fold(last_name)}\0{fold(first_name)}\0{student_id}"
