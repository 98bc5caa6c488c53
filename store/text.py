"""Text normalisation shared by the store's searches and its loaders."""

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "Œ": "oe", "Æ": "ae", "ß": "ss"})


def fold(text: str) -> str:
    """Lower-case, accents removed, every run of punctuation or space made one space.

    "Saint-Étienne-du-Rouvray" and "saint etienne du rouvray" fold to the same text.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", stripped.lower()).strip()
