"""Root fields of the merged structures."""

import strawberry

from resolvers.filters import FilterArg
from resolvers.root_pages import record_field, records_field
from resolvers.structures.types import Structure, StructureConnection


@strawberry.type
class StructureQueries:
    structure = record_field(
        Structure,
        "One merged structure by its id or by the id of any producer record merged into it "
        "(`dora--42`, `emplois-de-linclusion--17`…); null when unknown.",
        "A structure id, or the id of any producer record merged into it.",
    )
    structures = records_field(
        Structure,
        StructureConnection,
        FilterArg,
        "Merged structures, a page at a time (by id unless `orderBy` says otherwise).",
    )
