"""Text normalisation shared by the store's searches and its loaders."""

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "Œ": "oe", "Æ": "ae", "ß": "ss"})


def fold(text: str) -> str:
    """Lower-case, accents removed, every run of punctuation or space made one space.

    "Saint-Étienne-du-Rouvray" and "saint etienne du rouvray" fold to the same text.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", stripped.lower()).strip()


_WORDS = re.compile(r"\w+")

# A search (the `texte` filter) is a few words: each stem is one more condition on the text of
# every record a list goes through, so the work grows with them (and SQLite refuses an
# expression a thousand conditions deep). 32 words is more than the longest name a producer may
# send (150 characters) holds; 500 characters is 32 long words with their spaces.
MAX_SEARCH_WORDS = 32
MAX_SEARCH_CHARS = 500


def word_count(text: str) -> int:
    """How many words `text` holds, stop words included (as the person typed them)."""
    return len(_WORDS.findall(text))


_FRENCH = snowballstemmer.stemmer("french")
_STOPWORDS = frozenset(
    {
        "a", "au", "aux", "avec", "ce", "ces", "d", "dans", "de", "des", "du", "en", "et", "l",
        "la", "le", "les", "leur", "leurs", "ou", "par", "pour", "sa", "se", "ses", "son",
        "sur", "un", "une",
    }
)  # fmt: skip


def french_stems(text: str) -> list[str]:
    """The French stems of the words of `text`, folded (lower-case, no accents), stop words left
    out: "Aides alimentaires" and "aide alimentaire" give the same stems.

    Stemming runs on the accented word (the Snowball rules read accents), folding after it; a
    plural `s` or `x` the stemmer keeps is dropped too ("emplois" -> "emploi").
    Pure Python (about half a millisecond a word): callers serving a request run it off the
    event loop (`store.cpu.off_loop`), after bounding the text (`MAX_SEARCH_WORDS`)."""
    out: list[str] = []
    for word in _WORDS.findall(text.lower()):
        if word in _STOPWORDS:
            continue
        stem = _stem(word)
        if stem:
            out.append(stem)
    return out


@lru_cache(maxsize=1 << 17)
def _stem(word: str) -> str:
    """One word's folded stem (a merge stems the same few thousand words over and over)."""
    stem = fold(_FRENCH.stemWord(word)).replace(" ", "")
    if len(stem) > 3 and stem[-1] in "sx":
        stem = stem[:-1]
    return stem
