"""Forms of names: composed as stored, folded for order and search (stable bytes)."""

import unicodedata
from functools import lru_cache

# A search runs through the names one of its words may start, and checks every word against
# each name it meets (walk.lua): a few words are plenty for a name, and keep that check short.
SEARCH_MAX_WORDS = 6


def compose(text: str) -> str:
    """The composed (NFC) form of a text, the one names and courses are stored in."""
    return unicodedata.normalize("NFC", text)


# Names repeat a lot (a school has many Léas): a bulk import folds each distinct one once.
@lru_cache(maxsize=16384)
def fold(text: str) -> str:
    """Lower-case, accent-free form of a text: ``Éloïse`` -> ``eloise``, ``ß`` -> ``ss``.

    Composed and decomposed spellings of a text fold alike.
    """
    # Decomposed before case folding too: a combining mark can fold to a letter (U+0345 to
    # iota), and must do so whichever spelling it came in.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


def make_sort_key(*, last_name: str, first_name: str, student_id: str) -> str:
    """The key that orders students by last name, first name, then id."""
    return f"{fold(last_name)}\0{fold(first_name)}\0{student_id}"


def search_words(query: str) -> list[str]:
    """The folded words of a name search: ``"  Dupont   Marie "`` -> ``["dupont", "marie"]``.

    A NUL, which no name holds, separates words too: in the indexes it ends a name."""
    return fold(query).replace("\0", " ").split()


def name_matches(words: list[str], *, last: str, first: str) -> bool:
    """Whether folded names match a search: each word starts the last or the first name, or
    continues the word before it within the same name ("da silva"). As walk.lua decides."""
    reached = [True] + [False] * len(words)
    for start in range(len(words)):
        if not reached[start]:
            continue
        for end in range(start + 1, len(words) + 1):
            phrase = " ".join(words[start:end])
            if not (last.startswith(phrase) or first.startswith(phrase)):
                break
            reached[end] = True
    return reached[-1]
