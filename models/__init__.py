"""SQLModel tables of the gateway's store: declarations only, no I/O."""

from models.access import Consumer, Token, TrustedDocument
from models.merge import (
    FieldProvenance,
    GoldenChange,
    GoldenMember,
    GoldenRecord,
    GoldenValue,
    RecordBlock,
    RecordLink,
)
from models.meta import Meta
from models.records import IngestRun, ProducerRecord, ProducerRecordVersion, QuarantinedRow
from models.sources import Source
from models.territories import Commune, CommuneAlias, Departement, Epci, Region

__all__ = [
    "Commune",
    "CommuneAlias",
    "Consumer",
    "Departement",
    "Epci",
    "FieldProvenance",
    "GoldenChange",
    "GoldenMember",
    "GoldenRecord",
    "GoldenValue",
    "IngestRun",
    "Meta",
    "ProducerRecord",
    "ProducerRecordVersion",
    "QuarantinedRow",
    "RecordBlock",
    "RecordLink",
    "Region",
    "Source",
    "Token",
    "TrustedDocument",
]
