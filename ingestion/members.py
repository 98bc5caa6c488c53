"""The merge values, defined with the models so the store can build them: re-exported here."""

from models.members import Member, SourceFacts

__all__ = ["Member", "SourceFacts"]
