"""Apollo Federation v2: the entities other subgraphs may extend, each with its key.

`Structure` and `Service` by `id`, `Source` by `slug`, `Region`, `Departement`, `Epci` and
`Commune` by `code`. A router resolves a list of representations with one `_entities` field;
each representation goes through `resolve_reference`, which loads through the request's
loaders, so N representations of one type cost the statements of one batch, and see exactly
what the same consumer sees through the root fields (visibility, personal data)."""

from __future__ import annotations

from typing import Final

from strawberry import UNSET
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

# the version of the federation spec the subgraph's SDL links: both Apollo's composer and
# The Guild's accept 2.9 (The Guild's refuses 2.10 and 2.11, strawberry's default)
FEDERATION_VERSION: Final = "2.9"


def key(fields: str) -> Key:
    """The `@key` directive of an entity."""
    return Key(fields=FieldSet(fields), resolvable=UNSET)  # `resolvable: true` is the default
